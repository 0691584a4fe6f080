// What pfed's operational tools (ping, traceroute, monitor traffic) and captures need from pfed: its
// forwarding engine, its event loop, and shared access to the engine's single packet tap and ICMP handler.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "msim/common/daemon.hpp"
#include "msim/dataplane/engine.hpp"

namespace msim::pfed {

class PfedContext {
  public:
    virtual ~PfedContext() = default;
    virtual dataplane::ForwardingEngine& engine() = 0;
    virtual boost::asio::io_context& io() = 0;
    // The engine has one packet tap and one ICMP handler; pfed fans them out to any number of listeners.
    // Listeners run on pfed's thread, synchronously with the packet path: keep them short.
    virtual uint64_t add_packet_tap(dataplane::ForwardingEngine::PacketTap tap) = 0;
    virtual void remove_packet_tap(uint64_t id) = 0;
    virtual uint64_t add_icmp_listener(dataplane::ForwardingEngine::IcmpHandler handler) = 0;
    virtual void remove_icmp_listener(uint64_t id) = 0;
    // The link kind of an interface that exists (for decoding its frames), nullopt otherwise.
    virtual std::optional<dataplane::InterfaceKind> interface_kind(std::string_view interface) const = 0;
};

// Registers the streaming RPCs <ping>, <traceroute> and <monitor-traffic> (op_tools.cpp).
void register_operational_tools(Daemon& daemon, PfedContext& context);

}  // namespace msim::pfed
