// show chassis …, request chassis … (answered by chassisd), and their renderers: chassisd's Junos XML
// turned into the layouts Junos prints.
#include <cstdio>
#include <string>
#include <vector>

#include "msim/common/xml.hpp"
#include "msim/shell/command_tree.hpp"

namespace msim::shell {

namespace {

std::string pad(std::string s, size_t width) {
    if (s.size() >= width)
        return s + " ";
    s.resize(width, ' ');
    return s;
}

std::string right(const std::string& s, size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string trim_end(std::string s) {
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

pugi::xml_node body(const pugi::xml_node& reply, const char* name) {
    return reply.child(name) ? reply.child(name) : reply;
}

// One inventory row: Item 0 (17 wide), Version 17 (9), Part number 26 (13), Serial number 39 (18),
// Description 57; children indented two spaces per level inside the Item column.
std::string inventory_row(const pugi::xml_node& m, int depth) {
    std::string line = pad(std::string(static_cast<size_t>(depth) * 2, ' ') + m.child_value("name"), 17);
    line += pad(m.child_value("version"), 9);
    line += pad(m.child_value("part-number"), 13);
    line += pad(m.child_value("serial-number"), 18);
    line += m.child_value("description");
    return trim_end(line) + "\n";
}

void inventory_rows(const pugi::xml_node& node, int depth, std::string& out) {
    for (auto m : node.children()) {
        const std::string name = m.name();
        if (name == "chassis-re-disk-module") {
            char size[32];
            std::snprintf(size, sizeof size, "%6s MB  ", m.child_value("disk-size"));
            std::string line = pad("  " + std::string(m.child_value("name")), 6) + size;
            line += pad(m.child_value("model"), 22);
            line += pad(m.child_value("serial-number"), 18);
            line += m.child_value("description");
            out += trim_end(line) + "\n";
        } else if (name.starts_with("chassis-") && name.ends_with("module")) {
            out += inventory_row(m, depth);
            inventory_rows(m, depth + 1, out);
        }
    }
}

std::string render_inventory(const pugi::xml_node& reply) {
    auto inv = body(reply, "chassis-inventory");
    std::string out =
        "Hardware inventory:\nItem             Version  Part number  Serial number     Description\n";
    for (auto chassis : inv.children("chassis")) {
        out += inventory_row(chassis, 0);
        inventory_rows(chassis, 0, out);
    }
    return out;
}

std::string render_fpc(const pugi::xml_node& reply) {
    auto info = body(reply, "fpc-information");
    std::string out;
    if (std::string_view(info.attribute("junos:style").value()) == "pic-style") {
        for (auto f : info.children("fpc")) {
            out += trim_end("Slot " + pad(f.child_value("slot"), 4) + pad(f.child_value("state"), 13) +
                            f.child_value("description")) +
                   "\n";
            for (auto p : f.children("pic")) {
                out += trim_end("  PIC " + pad(p.child_value("pic-slot"), 3) +
                                pad(p.child_value("pic-state"), 13) + p.child_value("pic-type")) +
                       "\n";
            }
        }
        return out;
    }
    out =
        "                     Temp  CPU Utilization (%)   Memory    Utilization (%)\n"
        "Slot State            (C)  Total  Interrupt      DRAM (MB) Heap     Buffer\n";
    for (auto f : info.children("fpc")) {
        std::string line = right(f.child_value("slot"), 3) + "  " + pad(f.child_value("state"), 16);
        if (f.child("temperature")) {
            line += right(f.child_value("temperature"), 4) + right(f.child_value("cpu-total"), 7) +
                    right(f.child_value("cpu-interrupt"), 11) + right(f.child_value("memory-dram-size"), 10) +
                    right(f.child_value("memory-heap-utilization"), 10) +
                    right(f.child_value("memory-buffer-utilization"), 11);
        }
        out += trim_end(line) + "\n";
    }
    return out;
}

std::string render_pic_detail(const pugi::xml_node& reply) {
    auto info = body(reply, "fpc-information");
    std::string out;
    for (auto f : info.children("fpc")) {
        for (auto d : f.children("pic-detail")) {
            out += std::string("PIC fpc slot ") + d.child_value("slot") + " pic slot " +
                   d.child_value("pic-slot") + " information:\n";
            out += "  " + pad("Type", 33) + d.child_value("pic-type") + "\n";
            out += "  " + pad("State", 33) + d.child_value("state") + "\n";
            out += "  " + pad("PIC version", 33) + d.child_value("pic-version") + "\n";
            if (d.child("up-time"))
                out += "  " + pad("Uptime", 33) + d.child_value("up-time") + "\n";
        }
    }
    return out;
}

std::string render_alarms(const pugi::xml_node& reply) {
    auto info = body(reply, "alarm-information");
    auto summary = info.child("alarm-summary");
    if (summary.child("no-active-alarms") || !info.child("alarm-detail")) {
        return "No alarms currently active\n";
    }
    std::string out = std::string(summary.child_value("active-alarm-count")) + " alarms currently active\n";
    out += "Alarm time               Class  Description\n";
    for (auto a : info.children("alarm-detail")) {
        out += pad(a.child_value("alarm-time"), 25) + pad(a.child_value("alarm-class"), 7) +
               a.child_value("alarm-description") + "\n";
    }
    return out;
}

std::string render_output(const pugi::xml_node& reply) {
    std::string text = body(reply, "output").child_value();
    if (!text.empty() && text.back() != '\n')
        text += '\n';
    return text;
}

// Keyword arguments as Junos takes them: `fpc-slot N pic-slot M` and action words, in any order, each
// keyword abbreviable to a unique prefix. `numbers` are the keywords that take a number (with their range
// in the CLI, before chassisd checks the model's own slots), `actions` the words of which exactly one is
// required.
struct KeywordArgs {
    std::vector<std::pair<std::string, int>> numbers;  // keyword, highest value
    std::vector<std::string> actions;

    std::string fill(pugi::xml_node req, const std::vector<std::string>& args) const {
        std::vector<std::string> values(numbers.size());
        std::string action;
        for (size_t i = 0; i < args.size(); ++i) {
            const std::string& w = args[i];
            std::vector<std::string> matches;
            int number_index = -1;
            for (size_t k = 0; k < numbers.size(); ++k) {
                if (numbers[k].first.starts_with(w)) {
                    matches.push_back(numbers[k].first);
                    number_index = static_cast<int>(k);
                }
            }
            std::string action_match;
            for (const auto& a : actions) {
                if (a.starts_with(w)) {
                    matches.push_back(a);
                    action_match = a;
                }
            }
            if (matches.empty())
                return "syntax error.";
            if (matches.size() > 1)
                return "'" + w + "' is ambiguous.";
            if (!action_match.empty()) {
                if (!action.empty())
                    return "syntax error.";
                action = action_match;
                continue;
            }
            const auto& [keyword, highest] = numbers[static_cast<size_t>(number_index)];
            if (i + 1 >= args.size())
                return "missing argument.";
            const std::string& v = args[++i];
            if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos)
                return "invalid numeric value: '" + v + "'";
            if (std::stoi(v) > highest)
                return "Value " + v + " is not within range (0.." + std::to_string(highest) + ")";
            values[static_cast<size_t>(number_index)] = std::to_string(std::stoi(v));
        }
        if (!actions.empty() && action.empty()) {
            std::string list;
            for (const auto& a : actions)
                list += (list.empty() ? "" : " | ") + a;
            return "missing mandatory argument: " + list + ".";
        }
        for (size_t k = 0; k < numbers.size(); ++k) {
            if (values[k].empty())
                return "missing mandatory argument: " + numbers[k].first + ".";
        }
        for (size_t k = 0; k < numbers.size(); ++k)
            xml::append_text(req, numbers[k].first, values[k]);
        if (!action.empty())
            req.append_child(action.c_str());
        return {};
    }
};

OpCommand keyword_command(std::vector<std::string> words, std::string help, std::string rpc,
                          std::function<std::string(const pugi::xml_node&)> render, std::string args_help,
                          KeywordArgs args) {
    OpCommand c{std::move(words), std::move(help), std::move(rpc), std::move(render)};
    c.takes_args = true;
    c.args_required = true;
    c.args_help = std::move(args_help);
    c.fill = [args = std::move(args)](pugi::xml_node req, const std::vector<std::string>& a) {
        return args.fill(req, a);
    };
    return c;
}

OpCommand with_flag(std::vector<std::string> words, std::string help, std::string rpc,
                    std::function<std::string(const pugi::xml_node&)> render, std::string flag) {
    OpCommand c{std::move(words), std::move(help), std::move(rpc), std::move(render)};
    c.fill = [flag = std::move(flag)](pugi::xml_node req,
                                      const std::vector<std::string>& args) -> std::string {
        if (!args.empty())
            return "syntax error, expecting <command>.";
        req.append_child(flag.c_str());
        return {};
    };
    return c;
}

}  // namespace

void add_chassis_commands(CommandTree& tree) {
    tree.describe({"show", "chassis"}, "Show chassis information");
    tree.describe({"request", "chassis"}, "Perform chassis-specific operations");

    tree.add({{"show", "chassis", "hardware"},
              "Show installed hardware components",
              "get-chassis-inventory",
              render_inventory});
    tree.add(with_flag({"show", "chassis", "hardware", "detail"},
                       "Include RAM and disk information in output", "get-chassis-inventory",
                       render_inventory, "detail"));
    tree.add({{"show", "chassis", "fpc"},
              "Show Flexible PIC Concentrator status",
              "get-fpc-information",
              render_fpc});
    tree.add(with_flag({"show", "chassis", "fpc", "pic-status"}, "Show PIC status", "get-fpc-information",
                       render_fpc, "pic-status"));
    tree.add(keyword_command(
        {"show", "chassis", "pic"}, "Show Physical Interface Card state, type, and uptime", "get-pic-detail",
        render_pic_detail, "fpc-slot", KeywordArgs{{{"fpc-slot", 7}, {"pic-slot", 3}}, {}}));
    tree.add({{"show", "chassis", "alarms"}, "Show alarm status", "get-alarm-information", render_alarms});

    tree.add(keyword_command({"request", "chassis", "pic"}, "Change PIC status", "request-chassis-pic",
                             render_output, "offline | online",
                             KeywordArgs{{{"fpc-slot", 7}, {"pic-slot", 3}}, {"offline", "online"}}));
    tree.add(keyword_command({"request", "chassis", "fpc"}, "Change Flexible PIC Concentrator status",
                             "request-chassis-fpc", render_output, "offline | online | restart",
                             KeywordArgs{{{"slot", 7}}, {"offline", "online", "restart"}}));
}

}  // namespace msim::shell
