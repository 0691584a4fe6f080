// The ES PIC model: the ServicePic seam of the forwarding engine on top of the ESP/AH library of
// dataplane/ipsec (msim::ipsec::IpsecEngine). One EsPic per es- interface (per ES PIC).
//
// ipsecd installs SAs through sa_backend() — the narrow strongSwan-style interface of dataplane/ipsec —
// and this class remembers which SA names it carries, so `then ipsec-sa NAME` finds the right PIC and
// decrypted traffic re-enters on the es- unit that names the SA (`family inet ipsec-sa NAME`), or on
// unit 0 of this interface when no unit names it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "msim/dataplane/service_pic.hpp"
#include "msim/ipsec/engine.hpp"

namespace msim::dataplane {

class EsPic final : public ServicePic {
  public:
    struct Counters {
        uint64_t outbound_packets = 0;  // protected and sent
        uint64_t outbound_drops = 0;   // protect() refused (no SA, expired, too big, ...), counted per SA too
        uint64_t inbound_packets = 0;  // verified, decapsulated and re-injected
        uint64_t inbound_drops = 0;    // auth failures, replays, bad padding, ... (per SA in the library)
        uint64_t keepalives = 0;       // NAT-T keepalives consumed
    };

    // `interface` is the es- interface this PIC serves ("es-0/1/0").
    explicit EsPic(std::string interface, ipsec::IpsecEngine::Clock clock = {});
    ~EsPic() override;

    // What ipsecd drives: add/update/query/delete SAs (a recording decorator over the crypto engine).
    ipsec::SaBackend& sa_backend();
    // Direct access for counters and tests.
    ipsec::IpsecEngine& crypto() { return *crypto_; }
    const Counters& counters() const { return counters_; }
    const std::string& interface() const { return interface_; }

    // ServicePic
    void outbound(Packet&& datagram, const std::string& sa_name, PicContext& ctx) override;
    bool inbound(Packet& datagram, PicContext& ctx) override;
    bool has_sa(const std::string& sa_name) const override;

  private:
    class RecordingBackend;
    friend class RecordingBackend;

    std::string interface_;
    std::unique_ptr<ipsec::IpsecEngine> crypto_;
    std::unique_ptr<RecordingBackend> backend_;
    std::map<std::string, int> outbound_names_;  // SA name -> installed outbound SAs with that name
    std::map<std::tuple<uint8_t, uint32_t, uint32_t>, std::string> inbound_names_;  // (proto, spi, dst)
    ipsec::Packet scratch_;  // reused per packet: no allocation in steady state
    Counters counters_;
};

}  // namespace msim::dataplane
