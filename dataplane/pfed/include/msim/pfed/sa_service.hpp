// The SA backend of pfed's ES PIC models over IPC, for ipsecd (and, through it, kmd): the narrow
// strongSwan kernel_ipsec shape of msim::ipsec::SaBackend, one RPC per call plus a batch:
//   <get-es-bindings/>            -> <es-bindings><epoch/><binding><unit/><pic/><ipsec-sa/><source/>
//                                     <destination/>[<online/>]</binding>…
//                                     <es-pic><name/>[<online/>]</es-pic>…</es-bindings>
//                                 (every ES PIC, so transport-mode SAs that no unit names can be placed)
//   <sa-changes><delete><pic/><sa-key/></delete>…<add><pic/><sa/></add>…</sa-changes>
//                                 -> <sa-change-results><done>N</done><failed><index/><message/></failed>…
//                                    (in order; an add replaces an SA with the same key)
//   <get-sa-states/>              -> <sa-states><pic-sas><pic/><pic-counters>…</pic-counters><sa-state/>…
//                                    </pic-sas>…</sa-states> (pic-counters: bad-spi, malformed,
//                                    no-outbound-sa, outbound-drops, acquires, acquire-queued,
//                                    acquire-sent, acquire-drops)
//   <sa-get-spi><pic/><protocol/><destination/></sa-get-spi> -> <spi>N</spi>
//   <sa-update><pic/><sa-key/><source/><destination/>[<udp-encapsulation>…]</sa-update>
//   <sa-query><pic/><sa-key/></sa-query> -> <sa-state/>
//   <subscribe-sa-events/>        (session RPC) -> ok; then, on that connection, notifications
//                                    <sa-expiry><pic/><sa-key/><kind>soft|hard</kind></sa-expiry>
//                                    when an SA reaches a lifetime (kilobytes on the packet path, seconds
//                                    polled once a second)
// The epoch changes each time pfed starts: an SA manager that sees a new epoch knows pfed has no SAs.
#pragma once

#include <string>
#include <vector>

#include "msim/common/daemon.hpp"
#include "msim/dataplane/es_pic.hpp"

namespace msim::pfed {

struct EsUnitBinding {
    std::string unit;  // es-0/1/0.0
    std::string pic;   // es-0/1/0
    std::string ipsec_sa;
    std::string tunnel_source;       // "" when not configured
    std::string tunnel_destination;  // "" when not configured
    bool online = false;             // the es- interface exists (its PIC is online)
};

class SaHost {
  public:
    virtual ~SaHost() = default;
    // The ES PIC model of an es- interface whose PIC is online, or nullptr.
    virtual dataplane::EsPic* es_pic(const std::string& interface) = 0;
    // Every ES PIC model pfed has (kept across offline/online), by interface name.
    virtual std::vector<std::string> es_pics() const = 0;
    // Whether that PIC is online (its es- interface exists).
    virtual bool es_pic_online(const std::string& interface) const = 0;
    // Every es- unit of the committed configuration that names an ipsec-sa.
    virtual std::vector<EsUnitBinding> es_bindings() const = 0;
};

void register_sa_rpcs(Daemon& daemon, SaHost& host);

}  // namespace msim::pfed
