// show ipsec security-associations, clear ipsec security-associations (answered by ipsecd), in the
// M-series ES PIC layout (DESIGN: the CLI renders the owner's XML).
#include <sstream>

#include "msim/common/xml.hpp"
#include "msim/shell/command_tree.hpp"

namespace msim::shell {

namespace {

std::string upper(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string pad(std::string s, size_t width) {
    if (s.size() < width)
        s.resize(width, ' ');
    else
        s += ' ';
    return s;
}

std::string render_security_associations(const pugi::xml_node& reply, bool detail) {
    std::ostringstream out;
    auto info = reply.child("ipsec-security-associations-information");
    bool first = true;
    for (auto block : info.children("ipsec-security-associations-block")) {
        if (!first)
            out << "\n";
        first = false;
        const bool up = std::string_view(block.child_value("sa-block-state")) == "up";
        out << "Security association: " << block.child_value("sa-name")
            << ", Interface family: " << (up ? "Up" : "Down") << "\n";
        if (!up) {
            out << "  Not installed: " << block.child_value("sa-reason") << "\n";
            continue;
        }
        auto sas = block.children("ipsec-security-associations");
        auto head = sas.begin();
        out << "\n  Local gateway: " << head->child_value("sa-local-gateway")
            << ", Remote gateway: " << head->child_value("sa-remote-gateway") << "\n\n";
        const std::string type = block.child_value("sa-type");
        if (!detail) {
            out << "    Direction SPI         AUX-SPI     Mode       Type     Protocol\n";
            for (auto sa : sas) {
                out << "    " << pad(sa.child_value("sa-direction"), 10) << pad(sa.child_value("sa-spi"), 12)
                    << pad(sa.child_value("sa-aux-spi"), 12) << pad(block.child_value("sa-mode"), 11)
                    << pad(type, 9) << upper(sa.child_value("sa-protocol")) << "\n";
            }
            continue;
        }
        bool first_sa = true;
        for (auto sa : sas) {
            if (!first_sa)
                out << "\n";
            first_sa = false;
            auto c = sa.child("sa-counters");
            const std::string window = sa.child_value("sa-replay-window");
            out << "    Direction: " << sa.child_value("sa-direction")
                << ", SPI: " << sa.child_value("sa-spi") << ", AUX-SPI: " << sa.child_value("sa-aux-spi")
                << "\n"
                << "    Mode: " << block.child_value("sa-mode") << ", Type: " << type
                << ", State: Installed\n"
                << "    Protocol: " << upper(sa.child_value("sa-protocol"))
                << ", Authentication: " << sa.child_value("sa-authentication-algorithm")
                << ", Encryption: " << sa.child_value("sa-encryption-algorithm") << "\n"
                << "    Anti-replay service: "
                << (window == "disabled" ? std::string("Disabled") : "Enabled, Replay window size: " + window)
                << "\n"
                << "    Encryption Services PIC: " << sa.child_value("sa-pic") << "\n";
            if (std::string_view(sa.child_value("sa-direction")) == "outbound") {
                out << "    Packets encrypted: " << c.child_value("packets-encrypted")
                    << ", Bytes encrypted: " << c.child_value("bytes-encrypted") << "\n";
            } else {
                out << "    Packets decrypted: " << c.child_value("packets-decrypted")
                    << ", Bytes decrypted: " << c.child_value("bytes-decrypted") << "\n"
                    << "    Authentication failures: " << c.child_value("authentication-failures")
                    << ", Replay drops: " << c.child_value("replay-drops")
                    << ", Bad padding: " << c.child_value("bad-padding")
                    << ", Malformed: " << c.child_value("malformed") << "\n"
                    << "    Bad SPI on this PIC: " << c.child_value("pic-bad-spi") << "\n";
            }
        }
    }
    return out.str();
}

}  // namespace

void add_ipsec_commands(CommandTree& tree) {
    tree.describe({"show", "ipsec"}, "Show IP Security information");
    tree.describe({"clear"}, "Clear information in the system");
    tree.describe({"clear", "ipsec"}, "Clear IP Security information");
    // show ipsec security-associations [brief | detail] [NAME]: the level is a keyword of its own (a node
    // of the tree), the SA name an argument. ipsecd echoes <detail/> so the renderer knows the level.
    for (const char* level : {"", "brief", "detail"}) {
        std::vector<std::string> words{"show", "ipsec", "security-associations"};
        std::string help = "Show IPSec security associations";
        if (*level) {
            words.push_back(level);
            help = std::string(level) == "brief" ? "Display brief output" : "Display detailed output";
        }
        const bool detail = std::string(level) == "detail";
        OpCommand show{words, help, "get-security-associations-information", [](const pugi::xml_node& reply) {
                           const bool d =
                               bool(reply.child("ipsec-security-associations-information").child("detail"));
                           return render_security_associations(reply, d);
                       }};
        show.takes_args = true;
        show.args_help = "<sa-name>";
        show.fill = [detail](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
            if (args.size() > 1)
                return "syntax error, expecting <command>.";
            if (detail)
                req.append_child("detail");
            if (!args.empty())
                xml::append_text(req, "sa-name", args[0]);
            return {};
        };
        tree.add(show);
    }
    OpCommand clear{{"clear", "ipsec", "security-associations"},
                    "Clear IPSec security associations",
                    "clear-ipsec-security-associations",
                    [](const pugi::xml_node&) { return std::string(); }};
    clear.takes_args = true;
    clear.args_help = "<sa-name>";
    clear.fill = [](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
        if (args.size() > 1)
            return "syntax error, expecting <command>.";
        if (!args.empty())
            xml::append_text(req, "sa-name", args[0]);
        return {};
    };
    tree.add(clear);
}

}  // namespace msim::shell
