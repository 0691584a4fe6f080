// pfed's side of IKE for kmd (the issue 7 contract "pfed <-> kmd"), over kmd's IPC connection to pfed:
//   <subscribe-ike/>   (session RPC) -> ok; from then on that connection gets the notifications
//       <ike-datagram><local/><local-port/><remote/><remote-port/><unit/><data>HEX</data></ike-datagram>
//           a UDP datagram for a local address on port 500, or on 4500 with the RFC 3948 non-ESP marker
//           (the marker removed from data; lower-case hex)
//       <sa-acquire><sa-name/><pic/><source/><destination/><protocol/></sa-acquire>
//           a packet was steered into SA sa-name and that ES PIC has no outbound SA of that name (at most
//           once per name per second; the packet waits up to 2 s in the ES PIC, see es_pic.hpp)
//   <send-ike-datagram><local/><local-port>500|4500</local-port><remote/><remote-port/><data>HEX</data>
//   </send-ike-datagram> -> ok, or an rpc-error (local not a local address, bad ports, no route, bad hex,
//       too big, interface down, discarded by an output filter); on 4500 the non-ESP marker is prepended.
//
// UDP 500 and 4500 are bound in the engine only while at least one connection is subscribed, so with no
// subscriber IKE datagrams are what they always were: dropped as `udp-no-listener`, counted, and answered
// with ICMP port unreachable. A subscriber is forgotten when its connection closes; subscribing twice on
// one connection is one subscription.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "msim/common/daemon.hpp"
#include "msim/dataplane/engine.hpp"
#include "msim/dataplane/es_pic.hpp"

namespace msim::pfed {

// Lower-case hex of `bytes`; and back (either case; nullopt on odd length or a non-hex character).
std::string to_hex(std::span<const uint8_t> bytes);
std::optional<std::vector<uint8_t>> from_hex(std::string_view text);

// A <send-ike-datagram> request, checked (local must be a local address of `engine`): what goes into
// send_udp, the UDP payload with the non-ESP marker already in front on 4500. nullopt with `error` set
// (the rpc-error message) for a bad request.
struct IkeSend {
    dataplane::Ipv4Address local;
    uint16_t local_port = 0;
    dataplane::Ipv4Address remote;
    uint16_t remote_port = 0;
    std::vector<uint8_t> payload;
};
std::optional<IkeSend> parse_send_ike_datagram(const pugi::xml_node& request,
                                               const dataplane::ForwardingEngine& engine, std::string& error);

class IkeService {
  public:
    IkeService(Daemon& daemon, dataplane::ForwardingEngine& engine);
    ~IkeService();  // unbinds the ports
    IkeService(const IkeService&) = delete;
    IkeService& operator=(const IkeService&) = delete;

    // Registers subscribe-ike and send-ike-datagram on the daemon.
    void register_rpcs();
    // The ES PICs' acquire listener: notifies the subscribers; false (drop the packet) when there are none.
    bool acquire(const dataplane::EsPic::Acquire& acquire);
    // A connection accepted by the daemon closed: it is no longer a subscriber.
    void connection_closed(const ipc::Connection& conn);

    size_t subscribers();
    // Handles <send-ike-datagram> (also for tests): an empty string when sent, else the error message.
    std::string send(const pugi::xml_node& request);

    struct Counters {
        uint64_t datagrams_in = 0;   // ike-datagram notifications (each sent to every subscriber)
        uint64_t keepalives_in = 0;  // UDP 4500 shorter than the marker (NAT-T keepalives): consumed
        uint64_t datagrams_out = 0;  // send-ike-datagram requests sent
        uint64_t acquires = 0;       // sa-acquire notifications
    };
    const Counters& counters() const { return counters_; }

  private:
    void subscribe(ipc::Connection& conn);
    void prune();  // forgets closed connections; unbinds the ports when none is left
    void datagram(const dataplane::UdpDatagram& dg);
    void notify(const pugi::xml_node& body);

    Daemon& daemon_;
    dataplane::ForwardingEngine& engine_;
    std::vector<std::weak_ptr<ipc::Connection>> subscribers_;
    bool bound_ = false;
    bool unbind_posted_ = false;
    Counters counters_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace msim::pfed
