// Wires: what each interface of a router is connected to (written by the lab runner in
// <state dir>/wires.conf, read by pfed at start):
//   fe-0/0/0 udp 127.0.0.1:40000 127.0.0.1:40001   # local bind address:port, remote address:port
//   fe-0/0/1 tap eth0 netns host-a                 # TAP device eth0 inside network namespace host-a
//   ge-1/1/0 tap msimtap3                          # TAP device in pfed's own namespace
// A UDP wire carries one frame per datagram; a TAP wire one frame per read/write (IFF_TAP|IFF_NO_PI).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace msim::pfed {

struct WireSpec {
    enum class Kind { kUdp, kTap };
    std::string interface;
    Kind kind = Kind::kUdp;
    boost::asio::ip::udp::endpoint local;   // kUdp
    boost::asio::ip::udp::endpoint remote;  // kUdp
    std::string device;                     // kTap
    std::string netns;                      // kTap; empty: pfed's own namespace
    int line = 0;
};

struct WiresFile {
    std::vector<WireSpec> wires;
    std::vector<std::string> errors;  // "wires.conf:3: ...": that line was skipped
};

// Never throws: a bad line is reported and skipped; a second wire for the same interface is an error.
WiresFile parse_wires(std::string_view text, std::string_view origin = "wires.conf");

// One attached wire. Frames from it go to `on_frame`; send() never blocks (a full socket drops the frame).
class Wire {
  public:
    using FrameHandler = std::function<void(std::span<const uint8_t>)>;
    virtual ~Wire() = default;
    virtual void send(std::span<const uint8_t> frame) = 0;
    virtual std::string describe() const = 0;  // for log lines
    uint64_t frames_sent() const { return sent_; }
    uint64_t frames_received() const { return received_; }
    uint64_t send_drops() const { return send_drops_; }

  protected:
    uint64_t sent_ = 0;
    uint64_t received_ = 0;
    uint64_t send_drops_ = 0;
};

// Opens the wire (binds the UDP socket, or opens the TAP device, inside its namespace when one is named).
// On failure returns nullptr and sets `error`.
std::unique_ptr<Wire> open_wire(boost::asio::io_context& io, const WireSpec& spec,
                                Wire::FrameHandler on_frame, std::string& error);

}  // namespace msim::pfed
