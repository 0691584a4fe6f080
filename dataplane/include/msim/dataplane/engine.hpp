// The packet forwarding engine of one simulated router: interfaces, ARP, IPv4 forwarding with LPM routing,
// firewall filters, ICMP, local UDP delivery, and the hand-off to service PICs. Single-threaded: the owner
// (pfed's event loop, or a unit test) calls receive()/tick()/configuration methods from one thread; frames
// leave through the FrameSink callback synchronously.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "msim/dataplane/firewall.hpp"
#include "msim/dataplane/interfaces.hpp"
#include "msim/dataplane/packet.hpp"
#include "msim/dataplane/protocols.hpp"
#include "msim/dataplane/service_pic.hpp"
#include "msim/dataplane/show.hpp"
#include "msim/dataplane/types.hpp"

namespace msim::dataplane {

using TimePoint = std::chrono::steady_clock::time_point;

struct EngineOptions {
    // Ethernet interfaces get base_mac + their interface index in the low bytes (as M-series PICs take
    // consecutive MACs from the chassis pool). The default is a Juniper OUI (00:05:85).
    MacAddress base_mac{{0x00, 0x05, 0x85, 0x00, 0x00, 0x00}};
    std::chrono::seconds arp_timeout = std::chrono::minutes(20);
    std::chrono::milliseconds arp_retry_interval{1000};
    unsigned arp_attempts = 3;   // requests sent before queued packets get host-unreachable
    size_t arp_queue_limit = 3;  // packets held per unresolved next hop
    uint8_t default_ttl = 64;    // for packets the router originates
    std::chrono::seconds reassembly_timeout{30};
    size_t reassembly_max_pending = 64;
    // ICMP errors the router may send per second (token bucket, burst of the same size; RFC 1812
    // §4.3.2.8). 0 disables the limit. Echo replies are not limited.
    uint32_t icmp_error_rate = 1000;
    // The clock; defaults to std::chrono::steady_clock::now. Tests inject a manual clock.
    std::function<TimePoint()> clock;
    // Where the engine and its PICs report events an operator should read (pfed: var/log/messages). Drops
    // are counted always and reported once per kind (see PicContext::report_once); empty = not reported.
    std::function<void(const std::string& message)> log;
};

// A locally delivered UDP datagram (kmd's IKE on 500/4500 later).
struct UdpDatagram {
    Ipv4Address source;
    Ipv4Address destination;
    uint16_t source_port = 0;
    uint16_t destination_port = 0;
    std::span<const uint8_t> payload;
    std::string unit;  // where it arrived
};

// An ICMP message addressed to the router that is not an echo request (echo replies and errors: what
// ping and traceroute wait for).
struct IcmpEvent {
    Ipv4Address source;
    Ipv4Address destination;
    uint8_t ttl = 0;
    uint16_t ip_total_length = 0;
    IcmpHeader header;
    std::span<const uint8_t> message;  // the whole ICMP message (header included)
    std::string unit;
};

enum class SendResult : uint8_t { kSent, kPendingArp, kNoRoute, kInterfaceDown, kFiltered, kInvalid };
std::string_view to_string(SendResult result);

struct EchoRequest {
    Ipv4Address destination;
    std::optional<Ipv4Address> source;  // default: the primary address of the egress unit
    uint16_t identifier = 0;
    uint16_t sequence = 0;
    size_t payload_size = 56;  // data bytes after the 8-byte ICMP header (Junos `size`)
    uint8_t ttl = 64;
    bool dont_fragment = false;
};

enum class TapDirection : uint8_t { kIn, kOut };

class ForwardingEngine final : public PicContext {
  public:
    using FrameSink = std::function<void(const std::string& interface, std::span<const uint8_t> frame)>;
    using UdpHandler = std::function<void(const UdpDatagram&)>;
    using IcmpHandler = std::function<void(const IcmpEvent&)>;
    using PacketTap =
        std::function<void(const std::string& interface, TapDirection, std::span<const uint8_t>)>;

    explicit ForwardingEngine(EngineOptions options = {});
    ~ForwardingEngine() override;
    ForwardingEngine(const ForwardingEngine&) = delete;
    ForwardingEngine& operator=(const ForwardingEngine&) = delete;

    // ---- hardware: physical interfaces exist while their PIC is online ----
    // Creates "fe-0/0/1", "so-0/2/0", "es-0/1/0", "lo0", ... Admin up; link up for es-/sp-/lo0, down for
    // media ports until set_link_up (the wire decides). Units already configured for it come alive.
    Status add_interface(std::string_view name);
    // Removes it (PIC offline): its routes, ARP entries and queued packets go; its unit configuration stays
    // and returns with the interface.
    Status remove_interface(std::string_view name);
    Status set_admin_up(std::string_view interface, bool up);  // `disable`
    Status set_link_up(std::string_view interface, bool up);   // wire state
    Status set_mtu(std::string_view interface, uint32_t mtu);  // media MTU (Ethernet 1514, SONET 4474)
    std::optional<uint32_t> interface_index(std::string_view interface) const;
    // Whether `address` is configured on a unit of an interface that exists (the router's own address).
    bool is_local_address(Ipv4Address address) const;

    // ---- configuration (committed config maps onto these) ----
    Status configure_unit(std::string_view interface, UnitConfig unit);  // create or replace
    Status delete_unit(std::string_view interface, uint32_t unit);
    Status set_filter(FirewallFilter filter);  // create or replace; counters of unchanged terms are kept
    Status delete_filter(std::string_view name);
    Status add_static_route(StaticRoute route);  // create or replace (one static route per prefix)
    Status delete_static_route(Ipv4Prefix destination);
    void set_arp_timeout(std::chrono::seconds timeout);

    // ---- service PICs (es-/sp- interfaces). The engine does not own the PIC; detach before destroying. ----
    Status attach_service_pic(std::string_view interface, ServicePic* pic);
    void detach_service_pic(std::string_view interface);

    // ---- packet I/O ----
    void set_frame_sink(FrameSink sink);
    // Sees every frame received on or sent from any interface (`monitor traffic`, captures of es-/sp-
    // traffic): wire frames on fe/ge/so, the IPv4 datagrams handed to and returned by the PIC on es-/sp-.
    // Frames received on an interface that is down are seen too (tcpdump would see them).
    void set_packet_tap(PacketTap tap);
    // A frame arrived from the wire of `interface` (Ethernet II on fe-/ge-, Cisco HDLC on so-).
    void receive(std::string_view interface, std::span<const uint8_t> frame);
    void receive(uint32_t interface_index, std::span<const uint8_t> frame);
    // Runs timers: ARP retries and give-ups, ARP aging, reassembly timeouts, the attached service PICs'
    // tick(). Call it periodically.
    void tick();

    // ---- the router's own traffic ----
    // Local UDP listeners (kmd's IKE on 500 and 4500 through pfed). A datagram to a port nobody is bound to
    // is dropped (`udp-no-listener`) and answered with ICMP port unreachable. On 4500 only datagrams whose
    // first word is zero (the RFC 3948 non-ESP marker, left in the payload) or that are shorter than
    // 4 bytes (NAT-T keepalives) reach the listener; the others are ESP for the service PICs.
    // Locally originated UDP with port 500 or 4500 on either side and a local source address is never
    // steered into an SA by an output filter term `then ipsec-sa` (the term counts it, then it is accepted):
    // IKE must reach the peer in clear to negotiate the SA that the term needs, and NAT-T ESP must not be
    // encapsulated again. A route out of an es- unit still applies to it (route the tunnel endpoints over
    // the media interfaces, as on Junos).
    bool bind_udp(uint16_t port, UdpHandler handler);  // false when taken
    void unbind_udp(uint16_t port);
    void set_icmp_handler(IcmpHandler handler);
    SendResult send_udp(Ipv4Address destination, uint16_t source_port, uint16_t destination_port,
                        std::span<const uint8_t> payload, std::optional<Ipv4Address> source = std::nullopt);
    SendResult send_echo_request(const EchoRequest& request);
    // A complete IPv4 datagram built by the caller (traceroute probes, kmd). Source 0.0.0.0 is replaced by
    // the egress unit's primary address and the checksum recomputed.
    SendResult send_datagram(Packet&& datagram);

    // ---- operational data ----
    std::vector<PhysicalInterfaceInfo> interfaces() const;
    std::optional<PhysicalInterfaceInfo> interface(std::string_view name) const;
    // Whether the interface exists (its PIC is online), without describing its thousands of units.
    bool has_interface(std::string_view name) const;
    std::vector<ArpEntryInfo> arp_table() const;
    RouteTableInfo route_table() const;
    std::optional<RouteInfo> route_lookup(Ipv4Address address) const;  // `show route A` (longest match)
    std::vector<ForwardingEntryInfo> forwarding_table() const;
    std::vector<FirewallFilterInfo> firewall() const;
    const TrafficCounters& global_counters() const;
    void clear_interface_counters(std::string_view interface = {});  // empty: all; else that physical one
    void clear_arp_table();  // `clear arp`: every learned entry (they are relearned on demand)
    void clear_firewall_counters(std::string_view filter = {});  // empty: all filters

    // Checks a whole proposed configuration without changing the engine (the commit's validate phase):
    // bad names, overlapping subnets on different units, duplicate addresses, filters that are referenced
    // but not defined, invalid filters, static next hops that are neither an address nor a unit, es- tunnel
    // sources that are not local addresses. Each message says where and what.
    struct ProposedConfig {
        struct Unit {
            std::string interface;
            UnitConfig config;
        };
        std::vector<Unit> units;
        std::vector<FirewallFilter> filters;
        std::vector<StaticRoute> routes;
    };
    static std::vector<std::string> validate(const ProposedConfig& config);

    // ---- PicContext ----
    void send_to_network(Packet&& datagram) override;
    void receive_from_pic(Packet&& datagram, const std::string& unit) override;
    TimePoint now() const override;
    std::string unit_for_sa(const std::string& sa_name) const override;
    void report_once(const std::string& kind, const std::string& message) override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace msim::dataplane
