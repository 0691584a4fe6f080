// Fuzz target: what pfed reads from files and from mgd. The same bytes go to the wires.conf parser and,
// as Junos text, through the full schema into pfed's configuration mapping, validation and apply by
// difference on an engine (from nothing, and back to nothing). Any input must end in values or reported
// errors, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "msim/config/error.hpp"
#include "msim/config/text_format.hpp"
#include "msim/pfed/config_map.hpp"
#include "msim/pfed/wires.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
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
