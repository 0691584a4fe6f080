// Capture files of a wire, written through libpcap's savefile API so tshark and Wireshark open them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "msim/dataplane/interfaces.hpp"
#include "msim/dataplane/types.hpp"

namespace msim::dataplane {

enum class PcapLinkType : int {
    kEthernet = 1,     // LINKTYPE_ETHERNET: fe-/ge- wires
    kRawIpv4 = 228,    // LINKTYPE_IPV4: es-/sp- (no link layer)
    kCiscoHdlc = 104,  // LINKTYPE_C_HDLC: so- wires (our point-to-point framing)
};

PcapLinkType link_type_for(InterfaceKind kind);

class PcapWriter {
  public:
    // Creates (truncates) `path`. On failure returns nullptr and sets `error`.
    static std::unique_ptr<PcapWriter> open(const std::string& path, PcapLinkType link_type,
                                            std::string& error, uint32_t snaplen = 65535);
    ~PcapWriter();
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;

    // Writes one frame with a wall-clock timestamp (captures are read by people, so real time, not the
    // engine's steady clock).
    void write(std::span<const uint8_t> frame,
               std::chrono::system_clock::time_point when = std::chrono::system_clock::now());
    void flush();
    uint64_t frames_written() const { return frames_; }

  private:
    struct Handles;
    explicit PcapWriter(std::unique_ptr<Handles> handles);
    std::unique_ptr<Handles> handles_;
    uint64_t frames_ = 0;
};

}  // namespace msim::dataplane
