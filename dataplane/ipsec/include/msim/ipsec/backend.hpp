// The narrow SA backend interface, in the shape of strongSwan's kernel_ipsec: what an SA manager
// (ipsecd, over IPC) may ask of a PIC that carries SAs. The ES PIC model implements it with an
// IpsecEngine; the AS PIC can implement it too. Policies are not part of it: on the M-series ES PIC
// traffic is steered to an SA by a firewall filter action (`then ipsec-sa NAME`), i.e. by name.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "msim/ipsec/types.hpp"

namespace msim::ipsec {

// New endpoints for an installed SA (NAT mapping changed, tunnel moved). For an inbound SA a new
// destination changes its key.
struct SaEndpoints {
    Ipv4Address source = 0;
    Ipv4Address destination = 0;
    std::optional<UdpEncapsulation> udp_encapsulation;
};

class SaBackend {
  public:
    virtual ~SaBackend() = default;

    // Reserves a random unused inbound SPI (>= 0x100) for `protocol` towards `destination`, to be used
    // by a later add_sa (dynamic SAs: kmd proposes it to the peer first).
    virtual Result<std::uint32_t> get_spi(Protocol protocol, Ipv4Address destination) = 0;
    // Installs an SA. Fails if the configuration is inconsistent or its key is already installed; an
    // outbound SA's name (and non-zero reqid) must be unique among outbound SAs.
    virtual Status add_sa(const SaConfig& config) = 0;
    // Changes an installed SA's endpoints and encapsulation, keeping keys, counters and sequence.
    virtual Status update_sa(const SaKey& key, const SaEndpoints& endpoints) = 0;
    // Counters, sequence numbers, lifetime use and expiry flags.
    virtual Result<SaState> query_sa(const SaKey& key) const = 0;
    virtual Status del_sa(const SaKey& key) = 0;
    // Removes every SA (a PIC going offline, a restart of the SA manager).
    virtual void flush_sas() = 0;
    virtual std::vector<SaKey> list_sas() const = 0;

    // Called once per SA and kind when a soft or hard lifetime is reached, either from the packet path
    // (kilobytes) or from poll_lifetimes() (seconds). The SA manager rekeys or deletes.
    using ExpiryListener = std::function<void(const SaKey&, ExpiryKind)>;
    virtual void set_expiry_listener(ExpiryListener listener) = 0;
    virtual void poll_lifetimes() = 0;
};

}  // namespace msim::ipsec
