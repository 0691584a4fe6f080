// show interfaces/arp/route/firewall, clear …, ping, traceroute, monitor traffic (answered by pfed).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msim/common/xml.hpp"
#include "msim/shell/command_tree.hpp"
#include "render_dataplane.hpp"

namespace msim::shell {

namespace {

using Args = std::vector<std::string>;

// An argument error names the argument it concerns in this attribute of the request (which is not sent),
// so that the CLI can put the caret under that word rather than at the end of the line.
constexpr const char* kErrorArg = "msim-error-arg";

std::string at_arg(pugi::xml_node req, size_t index, std::string message) {
    req.remove_attribute(kErrorArg);
    req.append_attribute(kErrorArg) = static_cast<unsigned>(index);
    return message;
}

// Copies the error mark of a scratch request onto the real one.
std::string with_mark(pugi::xml_node from, pugi::xml_node to, std::string message) {
    if (auto a = from.attribute(kErrorArg)) {
        to.append_attribute(kErrorArg) = a.as_uint();
    }
    return message;
}

bool is_prefix(const std::string& word, const std::string& full) {
    return !word.empty() && full.compare(0, word.size(), word) == 0;
}

// The options a command takes after its keywords (ping's count, size, …), as Junos parses them: any
// unique prefix of an option name, followed by its value when it has one.
struct Option {
    enum class Kind { kFlag, kNumber, kSeconds, kText };
    std::string word;
    Kind kind;
    const char* element;  // request element
    unsigned long long low = 0;
    unsigned long long high = 0;
};

bool is_decimal(const std::string& s) {
    return !s.empty() && s.size() <= 12 && s.find_first_not_of("0123456789") == std::string::npos;
}

bool is_seconds(const std::string& s) {
    return !s.empty() && s.size() <= 12 && s.find_first_not_of("0123456789.") == std::string::npos &&
           s.find('.') == s.rfind('.') && s != ".";
}

// Matches `word` against the options; nullptr with `error` set when it is not one (or ambiguous).
const Option* find_option(const std::vector<Option>& options, const std::string& word, std::string& error) {
    const Option* found = nullptr;
    int matches = 0;
    for (const auto& o : options) {
        if (o.word == word) {
            return &o;
        }
        if (is_prefix(word, o.word)) {
            found = &o;
            ++matches;
        }
    }
    if (matches > 1) {
        error = "'" + word + "' is ambiguous.";
        return nullptr;
    }
    return found;
}

// Parses the options in args[from..]; words that are not options go to `positional` (at most one) when
// given, else they are a syntax error. Returns the Junos error message, or "" when all is well.
std::string parse_options(pugi::xml_node req, const Args& args, size_t from,
                          const std::vector<Option>& options, std::string* positional) {
    for (size_t i = from; i < args.size(); ++i) {
        std::string error;
        const Option* o = find_option(options, args[i], error);
        if (!error.empty()) {
            return at_arg(req, i, error);
        }
        if (!o) {
            if (positional && positional->empty()) {
                *positional = args[i];
                continue;
            }
            return at_arg(req, i, "syntax error.");
        }
        if (req.child(o->element)) {
            return at_arg(req, i, "syntax error.");  // the same option twice
        }
        if (o->kind == Option::Kind::kFlag) {
            req.append_child(o->element);
            continue;
        }
        if (i + 1 >= args.size()) {
            return "missing argument.";
        }
        const std::string& value = args[++i];
        if (o->kind == Option::Kind::kNumber) {
            if (!is_decimal(value)) {
                return at_arg(req, i, "syntax error, expecting <number>.");
            }
            const auto v = std::stoull(value);
            if (v < o->low || v > o->high) {
                return at_arg(req, i,
                              "Value " + value + " is not within range (" + std::to_string(o->low) + ".." +
                                  std::to_string(o->high) + ")");
            }
        } else if (o->kind == Option::Kind::kSeconds && !is_seconds(value)) {
            return at_arg(req, i, "syntax error, expecting <number>.");
        }
        xml::append_text(req, o->element, value);
    }
    return {};
}

// The interface views of `show interfaces`; `show interfaces NAME detail` names its view after the name,
// so the renderer learns it from the fill of the same command.
struct InterfaceRequest {
    InterfaceView view = InterfaceView::kStandard;
};

std::string fill_interfaces(pugi::xml_node req, const Args& args, InterfaceView& view) {
    static const std::vector<std::pair<std::string, InterfaceView>> views = {
        {"terse", InterfaceView::kTerse},
        {"detail", InterfaceView::kDetail},
        {"extensive", InterfaceView::kExtensive}};
    std::string name;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        bool matched = false;
        for (const auto& [word, v] : views) {
            if (is_prefix(a, word)) {
                if (view != InterfaceView::kStandard && view != v) {
                    return at_arg(req, i, "syntax error.");
                }
                view = v;
                matched = true;
            }
        }
        if (matched) {
            continue;
        }
        if (!name.empty()) {
            return at_arg(req, i, "syntax error.");
        }
        name = a;
    }
    if (!name.empty()) {
        xml::append_text(req, "interface-name", name);
    }
    switch (view) {
        case InterfaceView::kTerse:
            req.append_child("terse");
            break;
        case InterfaceView::kDetail:
            req.append_child("detail");
            break;
        case InterfaceView::kExtensive:
            req.append_child("extensive");
            break;
        case InterfaceView::kStandard:
            break;
    }
    return {};
}

std::string render_nothing(const pugi::xml_node&) {
    return {};
}

}  // namespace

void add_dataplane_commands(CommandTree& tree) {
    tree.describe({"clear"}, "Clear information in the system");
    tree.describe({"monitor"}, "Show real-time debugging information");

    // ---- show interfaces ----
    auto interfaces_view = std::make_shared<InterfaceRequest>();
    OpCommand show_if{{"show", "interfaces"},
                      "Show interface information",
                      "get-interface-information",
                      [interfaces_view](const pugi::xml_node& reply) {
                          return render_interface_information(reply, interfaces_view->view);
                      }};
    show_if.takes_args = true;
    show_if.args_help = "<interface-name>";
    show_if.fill = [interfaces_view](pugi::xml_node req, const Args& args) {
        interfaces_view->view = InterfaceView::kStandard;
        return fill_interfaces(req, args, interfaces_view->view);
    };
    tree.add(show_if);
    for (const auto& [word, help, view] : std::vector<std::tuple<std::string, std::string, InterfaceView>>{
             {"terse", "Display terse output", InterfaceView::kTerse},
             {"detail", "Display detailed output", InterfaceView::kDetail},
             {"extensive", "Display extensive output", InterfaceView::kExtensive}}) {
        OpCommand c{
            {"show", "interfaces", word},
            help,
            "get-interface-information",
            [view](const pugi::xml_node& reply) { return render_interface_information(reply, view); }};
        c.takes_args = true;
        c.args_help = "<interface-name>";
        c.fill = [view](pugi::xml_node req, const Args& args) -> std::string {
            if (args.size() > 1) {
                return at_arg(req, 1, "syntax error.");
            }
            InterfaceView v = view;
            return fill_interfaces(req, args, v);
        };
        tree.add(c);
    }

    // ---- show arp ----
    tree.add({{"show", "arp"},
              "Show system Address Resolution Protocol table entries",
              "get-arp-table-information",
              [](const pugi::xml_node& reply) { return render_arp_table(reply, false); }});
    OpCommand arp_no_resolve{{"show", "arp", "no-resolve"},
                             "Don't attempt to print addresses symbolically",
                             "get-arp-table-information",
                             [](const pugi::xml_node& reply) { return render_arp_table(reply, true); }};
    arp_no_resolve.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        if (!args.empty()) {
            return at_arg(req, 0, "syntax error.");
        }
        req.append_child("no-resolve");
        return {};
    };
    tree.add(arp_no_resolve);

    // ---- show route ----
    OpCommand show_route{{"show", "route"},
                         "Show routing table information",
                         "get-route-information",
                         render_route_information};
    show_route.takes_args = true;
    show_route.args_help = "<destination>";
    show_route.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        if (args.size() > 1) {
            return at_arg(req, 1, "syntax error.");
        }
        if (!args.empty()) {
            xml::append_text(req, "destination", args[0]);
        }
        return {};
    };
    tree.add(show_route);
    tree.add({{"show", "route", "forwarding-table"},
              "Show forwarding table information",
              "get-forwarding-table-information",
              render_forwarding_table});

    // ---- show firewall ----
    tree.add({{"show", "firewall"},
              "Show firewall information",
              "get-firewall-information",
              render_firewall_information});
    OpCommand fw_filter{{"show", "firewall", "filter"},
                        "Name of filter",
                        "get-firewall-information",
                        render_firewall_information};
    fw_filter.takes_args = true;
    fw_filter.args_required = true;
    fw_filter.args_help = "<filter-name>";
    fw_filter.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        if (args.size() != 1) {
            return args.empty() ? "missing argument." : at_arg(req, 1, "syntax error.");
        }
        xml::append_text(req, "filter-name", args[0]);
        return {};
    };
    tree.add(fw_filter);

    // ---- clear ----
    tree.describe({"clear", "interfaces"}, "Clear interface information");
    OpCommand clear_if{{"clear", "interfaces", "statistics"},
                       "Clear statistics",
                       "clear-interfaces-statistics",
                       render_nothing};
    clear_if.takes_args = true;
    clear_if.args_required = true;
    clear_if.args_help = "<interface-name>";
    clear_if.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        if (args.size() != 1) {
            return args.empty() ? "missing argument." : at_arg(req, 1, "syntax error.");
        }
        xml::append_text(req, "interface-name", args[0]);
        return {};
    };
    tree.add(clear_if);
    OpCommand clear_if_all{{"clear", "interfaces", "statistics", "all"},
                           "Clear statistics for all interfaces",
                           "clear-interfaces-statistics",
                           render_nothing};
    clear_if_all.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        if (!args.empty()) {
            return at_arg(req, 0, "syntax error.");
        }
        req.append_child("all");
        return {};
    };
    tree.add(clear_if_all);

    tree.describe({"clear", "firewall"}, "Clear firewall counters");
    OpCommand clear_fw{{"clear", "firewall", "filter"}, "Name of filter", "clear-firewall", render_nothing};
    clear_fw.takes_args = true;
    clear_fw.args_required = true;
    clear_fw.args_help = "<filter-name>";
    clear_fw.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        if (args.size() != 1) {
            return args.empty() ? "missing argument." : at_arg(req, 1, "syntax error.");
        }
        xml::append_text(req, "filter", args[0]);
        return {};
    };
    tree.add(clear_fw);
    OpCommand clear_fw_all{
        {"clear", "firewall", "all"}, "Clear all filter counters", "clear-firewall", render_nothing};
    clear_fw_all.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        if (!args.empty()) {
            return at_arg(req, 0, "syntax error.");
        }
        req.append_child("all");
        return {};
    };
    tree.add(clear_fw_all);
    tree.add({{"clear", "arp"}, "Clear address resolution information", "clear-arp-table", render_clear_arp});

    // ---- ping ----
    auto ping_renderer = std::make_shared<PingRenderer>();
    OpCommand ping{{"ping"}, "Ping remote target", "ping", [ping_renderer](const pugi::xml_node& reply) {
                       return ping_renderer->result(reply);
                   }};
    ping.takes_args = true;
    ping.args_required = true;
    ping.args_help = "<host>";
    ping.render_progress = [ping_renderer](const pugi::xml_node& body) {
        return ping_renderer->progress(body);
    };
    ping.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        static const std::vector<Option> options = {
            {"count", Option::Kind::kNumber, "count", 1, 100000},
            {"source", Option::Kind::kText, "source"},
            {"rapid", Option::Kind::kFlag, "rapid"},
            {"size", Option::Kind::kNumber, "size", 0, 65468},
            {"interval", Option::Kind::kSeconds, "interval"},
            {"ttl", Option::Kind::kNumber, "ttl", 1, 255},
            {"do-not-fragment", Option::Kind::kFlag, "do-not-fragment"},
            {"wait", Option::Kind::kNumber, "wait", 1, 60},
        };
        pugi::xml_document scratch;  // options first, then the host in front of them
        auto opts = scratch.append_child("ping");
        std::string host;
        auto error = parse_options(opts, args, 0, options, &host);
        if (!error.empty()) {
            return with_mark(opts, req, error);
        }
        if (host.empty()) {
            return "missing argument.";
        }
        xml::append_text(req, "host", host);
        for (auto c : opts.children()) {
            req.append_copy(c);
        }
        return {};
    };
    tree.add(ping);

    // ---- traceroute ----
    auto trace_renderer = std::make_shared<TracerouteRenderer>();
    OpCommand traceroute{
        {"traceroute"},
        "Trace route to remote host",
        "traceroute",
        [trace_renderer](const pugi::xml_node& reply) { return trace_renderer->result(reply); }};
    traceroute.takes_args = true;
    traceroute.args_required = true;
    traceroute.args_help = "<host>";
    traceroute.render_progress = [trace_renderer](const pugi::xml_node& body) {
        return trace_renderer->progress(body);
    };
    traceroute.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        static const std::vector<Option> options = {
            {"source", Option::Kind::kText, "source"},
            {"ttl", Option::Kind::kNumber, "ttl", 1, 255},
            {"wait", Option::Kind::kNumber, "wait", 1, 86400},
        };
        pugi::xml_document scratch;
        auto opts = scratch.append_child("traceroute");
        std::string host;
        auto error = parse_options(opts, args, 0, options, &host);
        if (!error.empty()) {
            return with_mark(opts, req, error);
        }
        if (host.empty()) {
            return "missing argument.";
        }
        xml::append_text(req, "host", host);
        for (auto c : opts.children()) {
            req.append_copy(c);
        }
        return {};
    };
    tree.add(traceroute);

    // ---- monitor traffic ----
    auto monitor_renderer = std::make_shared<MonitorRenderer>();
    OpCommand monitor{
        {"monitor", "traffic"},
        "Show real-time network traffic information",
        "monitor-traffic",
        [monitor_renderer](const pugi::xml_node& reply) { return monitor_renderer->result(reply); }};
    monitor.takes_args = true;
    monitor.args_required = true;
    monitor.args_help = "<interface>";
    monitor.render_progress = [monitor_renderer](const pugi::xml_node& body) {
        return monitor_renderer->progress(body);
    };
    monitor.fill = [](pugi::xml_node req, const Args& args) -> std::string {
        static const std::vector<Option> options = {
            {"interface", Option::Kind::kText, "interface"},
            {"count", Option::Kind::kNumber, "count", 1, 100000},
            {"detail", Option::Kind::kFlag, "detail"},
            {"extensive", Option::Kind::kFlag, "extensive"},
            {"brief", Option::Kind::kFlag, "brief"},
            {"no-resolve", Option::Kind::kFlag, "no-resolve"},
        };
        auto error = parse_options(req, args, 0, options, nullptr);
        if (!error.empty()) {
            return error;
        }
        if (!req.child("interface")) {
            return "missing argument.";
        }
        return {};
    };
    tree.add(monitor);
}

}  // namespace msim::shell
