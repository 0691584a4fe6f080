// The seam between the forwarding engine and service PICs (the ES PIC model in dataplane/ipsec, later the
// AS PIC). A PIC gets IPv4 datagrams (no link-layer header) and hands results back through PicContext.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "msim/dataplane/packet.hpp"

namespace msim::dataplane {

// Implemented by the forwarding engine. Every call may happen from inside ServicePic::outbound/inbound.
class PicContext {
  public:
    virtual ~PicContext() = default;

    // A packet the PIC produced for the network (e.g. ESP in a new outer IPv4 header whose source is a local
    // address): routed by destination like a locally originated packet, output filters apply, TTL is not
    // decremented.
    virtual void send_to_network(Packet&& datagram) = 0;

    // A packet the PIC recovered (e.g. the decrypted inner datagram) re-enters as if received on `unit`
    // (an es-/sp- logical interface name such as "es-0/1/0.0"): that unit's input filter applies (the
    // seed's policy check), then local delivery or forwarding. Unknown unit: dropped and counted. An empty
    // `unit` is the router itself (a transport-mode SA that no unit names): delivered locally when the
    // destination is a local address, otherwise dropped and counted.
    virtual void receive_from_pic(Packet&& datagram, const std::string& unit) = 0;

    // The engine's clock, for SA lifetimes.
    virtual std::chrono::steady_clock::time_point now() const = 0;

    // The es-/sp- unit whose `family inet ipsec-sa` names `sa_name` (e.g. "es-0/1/0.0"), or empty: where
    // traffic decrypted with that SA re-enters.
    virtual std::string unit_for_sa(const std::string& sa_name) const = 0;

    // Reports `message` to the router's log the first time `kind` is seen (e.g. "es-0/1/0 sa1 inbound
    // authentication failure"): a flood of bad packets is counted, not logged, packet by packet. At most
    // 4096 kinds are remembered; beyond that one line says further kinds go unreported.
    virtual void report_once(const std::string& kind, const std::string& message) = 0;
};

class ServicePic {
  public:
    virtual ~ServicePic() = default;

    // A datagram selected by a filter term `then ipsec-sa NAME`, or routed out of a unit of this PIC's
    // interface (sa_name is then that unit's `ipsec-sa`, possibly empty). The PIC owns the packet: it
    // processes it and calls ctx.send_to_network(), or drops it (counting the drop itself).
    virtual void outbound(Packet&& datagram, const std::string& sa_name, PicContext& ctx) = 0;

    // A datagram addressed to a local address with protocol ESP (50) or AH (51), or UDP to port 4500 that
    // is not IKE (a non-zero first word: NAT-T ESP, RFC 3948). Return false to decline it (no SA of this
    // PIC matches) leaving `datagram` untouched: the engine then offers it to the next PIC and finally
    // counts it as "ipsec-no-sa". Return true after taking ownership (moving from `datagram`).
    virtual bool inbound(Packet& datagram, PicContext& ctx) = 0;

    // Whether this PIC carries the SA named `sa_name`; used to pick a PIC for `then ipsec-sa NAME` when no
    // es-/sp- unit names that SA in its `family inet ipsec-sa`.
    virtual bool has_sa(const std::string& sa_name) const = 0;

    // Timers (e.g. the ES PIC's queue of packets waiting for an SA to be negotiated). The engine calls it
    // from ForwardingEngine::tick() for every attached PIC.
    virtual void tick(PicContext& ctx) { (void)ctx; }
};

}  // namespace msim::dataplane
