// Fuzz target: the Junos text parser and schema mapper, then the printer and `display set` reload on
// whatever parsed; the same bytes as `load set` and `load patch` input. Any input must end in a parsed tree
// or a ConfigError, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "msim/config/diff.hpp"
#include "msim/config/error.hpp"
#include "msim/config/load.hpp"
#include "msim/config/text_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace msim::config;
    static const auto schema = Schema::load(MSIM_FUZZ_YANG_DIR);
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        Node root = parse_text(*schema, text);
        const std::string printed = print_text(root);
        Node again = parse_text(*schema, printed);
        if (print_text(again) != printed)
            __builtin_trap();  // printing must be a fixed point
        Node reloaded;
        load_config(*schema, reloaded, LoadMode::set, display_set(root));
        if (!compare(root, reloaded).empty() && printed.find("/*") == std::string::npos)
            __builtin_trap();
    } catch (const ConfigError&) {
    }
    for (LoadMode mode : {LoadMode::set, LoadMode::patch}) {
        try {
            Node root = parse_text(
                *schema, "firewall { filter f { term t1 { then accept; } term t3 { then discard; } } }");
            load_config(*schema, root, mode, text);
        } catch (const ConfigError&) {
        }
    }
    return 0;
}
