// show ipsec security-associations, clear ipsec security-associations (answered by ipsecd) and show ike
// security-associations, clear ike security-associations (answered by kmd), in the M-series ES PIC layout
// (DESIGN: the CLI renders the owner's XML).
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
            << ", Remote gateway: " << head->child_value("sa-remote-gateway") << "\n";
        if (block.child("sa-local-identity")) {  // a dynamic SA: the proxy identities negotiated
            out << "  Local identity: " << block.child_value("sa-local-identity") << "\n"
                << "  Remote identity: " << block.child_value("sa-remote-identity") << "\n";
        }
        out << "\n";
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
                << ", Encryption: " << sa.child_value("sa-encryption-algorithm") << "\n";
            if (sa.child("sa-soft-lifetime")) {
                out << "    Soft lifetime: " << sa.child_value("sa-soft-lifetime") << "\n";
            }
            if (sa.child("sa-hard-lifetime")) {
                out << "    Hard lifetime: " << sa.child_value("sa-hard-lifetime") << "\n";
            }
            out << "    Anti-replay service: "
                << (window == "disabled" ? std::string("Disabled") : "Enabled, Replay window size: " + window)
                << "\n"
                << "    Encryption Services PIC: " << sa.child_value("sa-pic") << "\n";
            if (std::string_view(sa.child_value("sa-direction")) == "outbound") {
                out << "    Packets encrypted: " << c.child_value("packets-encrypted")
                    << ", Bytes encrypted: " << c.child_value("bytes-encrypted") << "\n";
                if (c.child("pic-acquire-drops")) {  // a dynamic SA: packets that waited for it in vain
                    out << "    Packets dropped waiting for negotiation on this PIC: "
                        << c.child_value("pic-acquire-drops") << "\n";
                }
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

// show ike security-associations [brief|detail] [PEER] (junos-cli.md 5.4.1: the ES PIC uses the AS PIC
// format). With no IKE SA it prints nothing.
std::string render_ike_security_associations(const pugi::xml_node& reply) {
    std::ostringstream out;
    auto info = reply.child("ike-security-associations-information");
    const bool detail = bool(info.child("detail"));
    bool first = true;
    for (auto b : info.children("ike-security-associations-block")) {
        if (!detail) {
            if (first)
                out << "Remote Address  State         Initiator cookie  Responder cookie  Exchange type\n";
            first = false;
            out << pad(b.child_value("ike-sa-remote-address"), 16) << pad(b.child_value("ike-sa-state"), 14)
                << pad(b.child_value("ike-sa-initiator-cookie"), 18)
                << pad(b.child_value("ike-sa-responder-cookie"), 18) << b.child_value("ike-sa-exchange-type")
                << "\n";
            continue;
        }
        if (!first)
            out << "\n";
        first = false;
        auto stat = [&](const char* label, const char* field) {
            std::string value = b.child_value(field);
            out << "   " << label << std::string(value.size() < 21 ? 21 - value.size() : 1, ' ') << value
                << "\n";
        };
        out << "IKE peer " << b.child_value("ike-sa-remote-address") << "\n"
            << "  Role: " << b.child_value("ike-sa-role") << ", State: " << b.child_value("ike-sa-state")
            << "\n"
            << "  Initiator cookie: " << b.child_value("ike-sa-initiator-cookie")
            << ", Responder cookie: " << b.child_value("ike-sa-responder-cookie") << "\n"
            << "  Exchange type: " << b.child_value("ike-sa-exchange-type")
            << ", Authentication method: " << b.child_value("ike-sa-authentication-method") << "\n"
            << "  Local: " << b.child_value("ike-sa-local-address")
            << ", Remote: " << b.child_value("ike-sa-remote-endpoint") << "\n";
        if (b.child("ike-sa-lifetime")) {
            out << "  Lifetime: " << b.child_value("ike-sa-lifetime") << "\n"
                << "  Algorithms:\n"
                << "   Authentication        : " << b.child_value("ike-sa-authentication-algorithm") << "\n"
                << "   Encryption            : " << b.child_value("ike-sa-encryption-algorithm") << "\n"
                << "   Pseudo random function: " << b.child_value("ike-sa-prf-algorithm") << "\n";
        }
        out << "  Traffic statistics:\n";
        stat("Input  bytes  :", "ike-sa-input-bytes");
        stat("Output bytes  :", "ike-sa-output-bytes");
        stat("Input  packets:", "ike-sa-input-packets");
        stat("Output packets:", "ike-sa-output-packets");
        out << "  Flags: " << b.child_value("ike-sa-flags") << "\n"
            << "  IPSec security associations: " << b.child_value("ike-sa-ipsec-sas-created") << " created, "
            << b.child_value("ike-sa-ipsec-sas-deleted") << " deleted\n"
            << "  Phase 2 negotiations in progress: " << b.child_value("ike-sa-phase2-in-progress") << "\n";
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

    tree.describe({"show", "ike"}, "Show Internet Key Exchange information");
    tree.describe({"clear", "ike"}, "Clear Internet Key Exchange information");
    // show ike security-associations [brief | detail] [PEER]: kmd echoes <detail/> for the renderer.
    for (const char* level : {"", "brief", "detail"}) {
        std::vector<std::string> words{"show", "ike", "security-associations"};
        std::string help = "Show IKE security associations";
        if (*level) {
            words.push_back(level);
            help = std::string(level) == "brief" ? "Display brief output" : "Display detailed output";
        }
        const bool detail = std::string(level) == "detail";
        OpCommand show{words, help, "get-ike-security-associations-information",
                       [](const pugi::xml_node& reply) { return render_ike_security_associations(reply); }};
        show.takes_args = true;
        show.args_help = "<peer-address>";
        show.fill = [detail](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
            if (args.size() > 1)
                return "syntax error, expecting <command>.";
            if (detail)
                req.append_child("detail");
            if (!args.empty())
                xml::append_text(req, "peer-address", args[0]);
            return {};
        };
        tree.add(show);
    }
    OpCommand clear_ike{{"clear", "ike", "security-associations"},
                        "Clear IKE security associations",
                        "clear-ike-security-associations",
                        [](const pugi::xml_node&) { return std::string(); }};
    clear_ike.takes_args = true;
    clear_ike.args_help = "<peer-address>";
    clear_ike.fill = [](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
        if (args.size() > 1)
            return "syntax error, expecting <command>.";
        if (!args.empty())
            xml::append_text(req, "peer-address", args[0]);
        return {};
    };
    tree.add(clear_ike);
}

}  // namespace msim::shell
