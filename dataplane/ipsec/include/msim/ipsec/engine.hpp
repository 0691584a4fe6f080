// IpsecEngine: one PIC's SA database and its ESP/AH packet processing (RFC 4303, 4302, 3948).
//
// It owns an OpenSSL library context with the default and legacy providers (the legacy one for single
// DES), so nothing is loaded into OpenSSL's global context. Each SA keeps its cipher and MAC contexts
// keyed once at add_sa; a packet only re-IVs and re-initialises them, so the steady-state packet path
// does not allocate. An engine is not thread-safe: one engine per packet-processing thread (pfed is
// single-threaded per router).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "msim/ipsec/backend.hpp"
#include "msim/ipsec/packet.hpp"
#include "msim/ipsec/types.hpp"

namespace msim::ipsec {

struct OutboundResult {
    DropReason drop = DropReason::none;  // none: `packet` now holds the protected IPv4 packet
    bool ok() const { return drop == DropReason::none; }
};

enum class InboundKind : std::uint8_t {
    delivered,      // `packet` now holds the inner IPv4 datagram (tunnel) or the restored one (transport)
    ike,            // UDP-encapsulated IKE (non-ESP marker): `packet` unchanged, IKE begins at ike_offset
    nat_keepalive,  // RFC 3948 keepalive (one 0xFF byte): consume silently
    not_ipsec,      // not ESP, AH or ESP-in-UDP: `packet` unchanged, not this engine's business
    dropped,        // see `drop`; counted per SA (if one was found) or globally
};

struct InboundResult {
    InboundKind kind = InboundKind::dropped;
    DropReason drop = DropReason::none;
    std::optional<SaKey> sa;  // the SA that carried the packet, when one was found
    Mode mode = Mode::tunnel;
    std::size_t ike_offset = 0;
};

class IpsecEngine final : public SaBackend {
  public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    // `clock` drives seconds-based lifetimes (tests inject one); defaults to steady_clock.
    explicit IpsecEngine(Clock clock = {});
    ~IpsecEngine() override;
    IpsecEngine(const IpsecEngine&) = delete;
    IpsecEngine& operator=(const IpsecEngine&) = delete;

    // Whether the crypto provider offers an algorithm (single DES needs OpenSSL's legacy provider).
    bool supports(Cipher cipher) const;

    // SaBackend
    Result<std::uint32_t> get_spi(Protocol protocol, Ipv4Address destination) override;
    Status add_sa(const SaConfig& config) override;
    Status update_sa(const SaKey& key, const SaEndpoints& endpoints) override;
    Result<SaState> query_sa(const SaKey& key) const override;
    Status del_sa(const SaKey& key) override;
    void flush_sas() override;
    std::vector<SaKey> list_sas() const override;
    void set_expiry_listener(ExpiryListener listener) override;
    void poll_lifetimes() override;

    // Protects one IPv4 datagram (header included, checksum need not be valid in tunnel mode) with the
    // outbound SA of that name / reqid. Tunnel mode: the datagram becomes the inner packet of a new outer
    // header (source/destination from the SA, TOS copied, TTL from the SA, DF per the SA's DfPolicy).
    // Transport mode: the header is kept and its protocol field replaced; fragments are refused. On success
    // `packet` holds the result with a correct header checksum; on a drop it is unspecified.
    OutboundResult protect(std::string_view sa_name, Packet& packet);
    OutboundResult protect(std::uint32_t reqid, Packet& packet);

    // Processes one received IPv4 packet addressed to this PIC: ESP (50), AH (51), or UDP to an SA's
    // encapsulation port carrying ESP, IKE or a keepalive.
    InboundResult unprotect(Packet& packet);

    const GlobalCounters& global_counters() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace msim::ipsec
