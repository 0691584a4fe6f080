// pfed's side of IKE for kmd (the issue 7 contract "pfed <-> kmd"), over kmd's IPC connection to pfed:
//   <subscribe-ike/>   (session RPC) -> ok; from then on that connection gets
//       IKE datagrams as packet frames (ipc::PacketChannel::ike, see frame.hpp: raw bytes, never XML):
//           a UDP datagram for a local address on port 500, or on 4500 with the RFC 3948 non-ESP marker
//           (the marker removed)
//       <sa-acquire><sa-name/><pic/><source/><destination/><protocol/></sa-acquire> notifications
//           a packet was steered into SA sa-name and that ES PIC has no outbound SA of that name (at most
//           once per name per second; the packet waits up to 2 s in the ES PIC, see es_pic.hpp)
//   packet frames on the IKE channel from kmd: datagrams to send from local:500|4500 to the peer (on 4500
//       the non-ESP marker is put in front). A packet frame has no reply: one that cannot be sent (local not
//       a local address, bad ports, no route, too big, interface down, discarded by an output filter) is
//       counted and answered with an <ike-send-failed><remote/><remote-port/><message/></ike-send-failed>
//       notification on the same connection.
//
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "msim/common/daemon.hpp"
#include "msim/common/ipc/frame.hpp"
#include "msim/dataplane/engine.hpp"
#include "msim/dataplane/es_pic.hpp"

namespace msim::pfed {

// An IKE packet frame from kmd, checked (local must be a local address of `engine`): what goes into
// send_udp, the UDP payload with the non-ESP marker already in front on 4500. nullopt with `error` set
// (the <ike-send-failed> message) for a bad frame.
struct IkeSend {
    dataplane::Ipv4Address local;
    uint16_t local_port = 0;
    dataplane::Ipv4Address remote;
    uint16_t remote_port = 0;
    std::vector<uint8_t> payload;
};
std::optional<IkeSend> parse_ike_send(const ipc::PacketMeta& meta, std::span<const uint8_t> ike,
                                      const dataplane::ForwardingEngine& engine, std::string& error);

class IkeService {
  public:
    IkeService(Daemon& daemon, dataplane::ForwardingEngine& engine);
    ~IkeService();  // unbinds the ports
    IkeService(const IkeService&) = delete;
    IkeService& operator=(const IkeService&) = delete;

    // Registers subscribe-ike on the daemon.
    void register_rpcs();
    // A packet frame on the IKE channel from `conn` (the daemon's packet handler routes them here).
    void packet(ipc::Connection& conn, const ipc::PacketMeta& meta, std::span<const uint8_t> ike);
    // The ES PICs' acquire listener: notifies the subscribers; false (drop the packet) when there are none.
    bool acquire(const dataplane::EsPic::Acquire& acquire);
    // A connection accepted by the daemon closed: it is no longer a subscriber.
    void connection_closed(const ipc::Connection& conn);

    size_t subscribers();
    // Sends one datagram kmd gave (also for tests): an empty string when sent, else the error message.
    std::string send(const ipc::PacketMeta& meta, std::span<const uint8_t> ike);

    struct Counters {
        uint64_t datagrams_in = 0;   // IKE datagrams passed to kmd (each to every subscriber)
        uint64_t keepalives_in = 0;  // UDP 4500 shorter than the marker (NAT-T keepalives): consumed
        uint64_t datagrams_out = 0;  // IKE datagrams from kmd sent
        uint64_t send_failures = 0;  // IKE datagrams from kmd that could not be sent
        uint64_t acquires = 0;       // sa-acquire notifications
    };
    const Counters& counters() const { return counters_; }

  private:
    void subscribe(ipc::Connection& conn);
    void prune();  // forgets closed connections; unbinds the ports when none is left
    void datagram(const dataplane::UdpDatagram& dg);
    void notify(const pugi::xml_node& body);
    void send_to_subscribers(const ipc::PacketMeta& meta, std::span<const uint8_t> ike);

    Daemon& daemon_;
    dataplane::ForwardingEngine& engine_;
    std::vector<std::weak_ptr<ipc::Connection>> subscribers_;
    bool bound_ = false;
    bool unbind_posted_ = false;
    Counters counters_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace msim::pfed
