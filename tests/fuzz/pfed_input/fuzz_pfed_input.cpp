// Fuzz target: what pfed reads from files, from mgd and from kmd. The same bytes go to the wires.conf
// parser; as Junos text, through the full schema into pfed's configuration mapping, validation and apply by
// difference on an engine (from nothing, and back to nothing); and, as kmd's IKE packet frames (a PacketMeta
// header, then the datagram), through pfed's checks into an engine with the seed's gateway addresses. Any
// input must end in values or reported errors, never a crash.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "msim/common/ipc/frame.hpp"
#include "msim/config/error.hpp"
#include "msim/config/text_format.hpp"
#include "msim/pfed/config_map.hpp"
#include "msim/pfed/ike_service.hpp"
#include "msim/pfed/wires.hpp"

namespace {

// kmd's IKE packet frames: every accepted one is within the contract, and is sent.
void send_ike(const uint8_t* data, size_t size) {
    using namespace msim;
    auto meta = ipc::PacketMeta::decode(std::span<const uint8_t>(data, size));
    if (!meta) {
        return;
    }
    dataplane::ForwardingEngine engine;
    (void)engine.add_interface("so-0/2/0");
    (void)engine.add_interface("fe-0/0/0");
    dataplane::UnitConfig so;
    so.addresses.push_back(
        {*dataplane::Ipv4Prefix::parse("10.5.5.5/32"), dataplane::Ipv4Address(10, 6, 6, 6)});
    (void)engine.configure_unit("so-0/2/0", so);
    dataplane::UnitConfig fe;
    fe.addresses.push_back({*dataplane::Ipv4Prefix::parse("10.0.0.1/24"), std::nullopt});
    (void)engine.configure_unit("fe-0/0/0", fe);
    (void)engine.set_link_up("so-0/2/0", true);
    (void)engine.set_link_up("fe-0/0/0", true);
    const std::span<const uint8_t> ike(data + ipc::PacketMeta::wire_size, size - ipc::PacketMeta::wire_size);
    std::string error;
    auto send = pfed::parse_ike_send(*meta, ike, engine, error);
    if (!send) {
        if (error.empty()) {
            __builtin_trap();  // a refused frame says why
        }
        return;
    }
    const bool natt = send->local_port == 4500;
    if (!engine.is_local_address(send->local) || (send->local_port != 500 && !natt) ||
        send->remote_port == 0 || send->payload.size() > 65507 || ike.empty() ||
        send->payload.size() != ike.size() + (natt ? 4 : 0) ||
        (natt && (send->payload[0] != 0 || send->payload[1] != 0 || send->payload[2] != 0 ||
                  send->payload[3] != 0))) {
        __builtin_trap();
    }
    (void)engine.send_udp(send->remote, send->local_port, send->remote_port, send->payload, send->local);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    send_ike(data, size);
    using namespace msim;
    static const auto schema = config::Schema::load(MSIM_YANG_DIR);
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto wires = pfed::parse_wires(text);
    for (const auto& w : wires.wires) {
        if (w.interface.empty()) {
            __builtin_trap();  // every accepted line names its interface
        }
    }
    try {
        const config::Node tree = config::parse_text(*schema, text);
        const pfed::PfedConfig mapped = pfed::map_configuration(tree);
        (void)pfed::validate_configuration(mapped);
        dataplane::ForwardingEngine engine;
        for (const char* name : {"fe-0/0/0", "fe-0/0/1", "so-0/2/0", "es-0/1/0", "lo0"}) {
            (void)engine.add_interface(name);
        }
        pfed::apply_difference({}, mapped, engine);
        for (const auto& [name, settings] : mapped.interfaces) {
            pfed::apply_interface_settings(mapped, name, engine);
        }
        pfed::apply_difference(mapped, {}, engine);
        if (!engine.firewall().empty() || !engine.route_table().routes.empty()) {
            __builtin_trap();  // back to nothing leaves nothing configured
        }
    } catch (const config::ConfigError&) {
    }
    return 0;
}
