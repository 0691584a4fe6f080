// request|show|clear security pki …, request security key-pair and request security certificate enroll
// (answered by pkid). pkid replies with XML (msim/pki/info_xml.hpp); the show texts come from libmsim_pki's
// renderers (render_certificate, render_crl, render_request), so they are the Junos layouts of
// junos-cli.md §5.5.
#include <set>
#include <tuple>

#include "msim/common/xml.hpp"
#include "msim/pki/info_xml.hpp"
#include "msim/shell/command_tree.hpp"

namespace msim::shell {

namespace {

// One keyword a command accepts after its fixed words.
// The keyword is also the request element that carries it.
struct Option {
    enum class Kind { flag, value, values };
    Option(std::string keyword_, std::string help_, Kind kind_ = Kind::value, bool required_ = false)
        : keyword(std::move(keyword_)), help(std::move(help_)), kind(kind_), required(required_) {}
    std::string keyword;
    std::string help;
    Kind kind;
    bool required;
};

struct Syntax {
    Syntax(std::vector<Option> options_, std::string positional_ = {})
        : options(std::move(options_)), positional(std::move(positional_)) {}
    std::vector<Option> options;
    std::string positional;  // element of a leading, required positional argument ("" = none)
    std::vector<std::vector<std::string>> one_of;  // at least one keyword of each group is required
};

// Puts `args` into the request by the syntax; returns an error (and marks the offending argument) when they
// do not fit. `offset` is how many of `args` the command tree already consumed as keywords.
std::string parse_args(const Syntax& syntax, pugi::xml_node req, const std::vector<std::string>& args,
                       size_t offset) {
    auto fail = [&](size_t index, const std::string& message) {
        if (index >= offset)
            req.append_attribute("msim-error-arg").set_value(static_cast<unsigned>(index - offset));
        return message;
    };
    std::set<std::string> seen;
    size_t i = 0;
    if (!syntax.positional.empty() && i < args.size()) {
        bool is_keyword = false;
        for (const auto& o : syntax.options)
            is_keyword = is_keyword || o.keyword == args[i];
        if (!is_keyword) {
            xml::append_text(req, syntax.positional, args[i]);
            seen.insert(syntax.positional);
            ++i;
        }
    }
    if (!syntax.positional.empty() && !seen.count(syntax.positional))
        return fail(args.size(), "missing argument.");
    for (; i < args.size(); ++i) {
        const std::string& w = args[i];
        const Option* found = nullptr;
        int matches = 0;
        for (const auto& o : syntax.options) {
            if (o.keyword == w) {
                found = &o;
                matches = 1;
                break;
            }
            if (o.keyword.compare(0, w.size(), w) == 0) {
                found = &o;
                ++matches;
            }
        }
        if (matches > 1)
            return fail(i, "'" + w + "' is ambiguous.");
        if (!found)
            return fail(i, "syntax error.");
        const std::string& element = found->keyword;
        if (found->kind != Option::Kind::values && seen.count(found->keyword))
            return fail(i, "syntax error: " + found->keyword + " given twice.");
        seen.insert(found->keyword);
        if (found->kind == Option::Kind::flag) {
            req.append_child(element.c_str());
            continue;
        }
        if (i + 1 >= args.size())
            return fail(args.size(), "missing argument.");
        xml::append_text(req, element, args[++i]);
    }
    for (const auto& o : syntax.options) {
        if (o.required && !seen.count(o.keyword))
            return fail(args.size(), "missing mandatory argument: " + o.keyword + ".");
    }
    for (const auto& group : syntax.one_of) {
        bool any = false;
        std::string names;
        for (const auto& k : group) {
            any = any || seen.count(k);
            names += (names.empty() ? "" : " or ") + k;
        }
        if (!any)
            return fail(args.size(), "missing mandatory argument: " + names + ".");
    }
    return {};
}

std::string help_of(const Syntax& syntax) {
    std::string h;
    for (const auto& o : syntax.options) {
        if (o.required)
            h += (h.empty() ? "" : " ") + o.keyword + (o.kind == Option::Kind::flag ? "" : " <value>");
    }
    return h.empty() ? "<options>" : h;
}

// Adds the command (words + syntax) and one node per option keyword below it (for `?` and completion); each
// node parses the whole argument list with the same syntax.
void add_with_syntax(CommandTree& tree, const std::vector<std::string>& words, const std::string& help,
                     const std::string& rpc, std::function<std::string(const pugi::xml_node&)> render,
                     const Syntax& syntax, bool enter_is_valid,
                     std::function<std::string(const pugi::xml_node&)> render_progress = {}) {
    OpCommand base{words, help, rpc, render};
    base.render_progress = render_progress;
    base.takes_args = true;
    base.args_help = syntax.positional.empty() ? help_of(syntax) : "<" + syntax.positional + ">";
    base.enter_is_valid = enter_is_valid;
    base.fill = [syntax](pugi::xml_node req, const std::vector<std::string>& args) {
        return parse_args(syntax, req, args, 0);
    };
    tree.add(base);
    if (!syntax.positional.empty())
        return;  // a free-form first word: keyword nodes would take it for an abbreviation
    for (const auto& o : syntax.options) {
        auto w = words;
        w.push_back(o.keyword);
        OpCommand sub{w, o.help, rpc, render};
        sub.render_progress = render_progress;
        sub.takes_args = o.kind != Option::Kind::flag || syntax.options.size() > 1;
        sub.args_required = o.kind != Option::Kind::flag;
        sub.args_help = o.kind == Option::Kind::flag ? "<options>" : "<" + o.keyword + ">";
        sub.fill = [syntax, keyword = o.keyword](pugi::xml_node req, const std::vector<std::string>& args) {
            std::vector<std::string> all{keyword};
            all.insert(all.end(), args.begin(), args.end());
            return parse_args(syntax, req, all, 1);
        };
        tree.add(sub);
    }
}

std::string message_of(const pugi::xml_node& reply) {
    std::string m = reply.first_child().child_value("message");
    return m.empty() ? std::string() : m + "\n";
}

std::string fingerprints(const pugi::xml_node& n, const std::string& indent) {
    return "Fingerprint:\n" + indent + n.child_value("sha1-fingerprint") + " (sha1)\n" + indent +
           n.child_value("md5-fingerprint") + " (md5)\n";
}

pki::Detail detail_of(const pugi::xml_node& list) {
    return list.child("detail") ? pki::Detail::detail : pki::Detail::brief;
}

std::string render_certificates(const pugi::xml_node& reply, pki::CertificateRole role) {
    auto list = reply.child("x509-pki-certificate-info-list");
    std::string out;
    for (auto c : list.children("pkid-x509-certificate-information")) {
        if (!out.empty())
            out += "\n";
        out += pki::render_certificate(pki::read_certificate_info(c), role, detail_of(list));
    }
    return out;
}

std::string render_crls(const pugi::xml_node& reply) {
    auto list = reply.child("pki-crl-information-list");
    std::string out;
    for (auto c : list.children("pki-crl-information")) {
        if (!out.empty())
            out += "\n";
        out += pki::render_crl(pki::read_crl_info(c), detail_of(list));
    }
    return out;
}

std::string render_requests(const pugi::xml_node& reply) {
    auto list = reply.child("pki-certificate-request-information-list");
    std::string out;
    for (auto c : list.children("pki-certificate-request-information")) {
        if (!out.empty())
            out += "\n";
        out += pki::render_request(pki::read_request_info(c), detail_of(list));
    }
    return out;
}

const Option detail_option{"detail", "Display detailed output", Option::Kind::flag};
const Option brief_option{"brief", "Display brief output", Option::Kind::flag};

}  // namespace

void add_pki_commands(CommandTree& tree) {
    using K = Option::Kind;
    tree.describe({"show", "security"}, "Show security information");
    tree.describe({"show", "security", "pki"}, "Show public-key infrastructure information");
    tree.describe({"request"}, "Make system-level requests");
    tree.describe({"request", "security"}, "Make security requests");
    tree.describe({"request", "security", "pki"}, "Public-key infrastructure requests");
    tree.describe({"request", "security", "pki", "local-certificate"}, "Local certificate requests");
    tree.describe({"request", "security", "pki", "ca-certificate"}, "CA certificate requests");
    tree.describe({"request", "security", "pki", "crl"}, "Certificate revocation list requests");
    tree.describe({"request", "security", "certificate"}, "Certificate requests");
    tree.describe({"clear"}, "Clear information in the system");
    tree.describe({"clear", "security"}, "Clear security information");
    tree.describe({"clear", "security", "pki"}, "Clear public-key infrastructure information");

    const Option certificate_id{"certificate-id", "Certificate identifier", K::value, true};
    const Option ca_profile{"ca-profile", "CA profile name", K::value, true};
    const Option filename{"filename", "File name", K::value, true};
    auto optional = [](Option o) {
        o.required = false;
        return o;
    };

    // ---- show security pki … ----
    add_with_syntax(
        tree, {"show", "security", "pki", "local-certificate"}, "Show local certificates",
        "get-pki-local-certificate",
        [](const pugi::xml_node& r) { return render_certificates(r, pki::CertificateRole::local); },
        {{optional(certificate_id), brief_option, detail_option}}, true);
    add_with_syntax(
        tree, {"show", "security", "pki", "ca-certificate"}, "Show certificate authority certificates",
        "get-pki-ca-certificate",
        [](const pugi::xml_node& r) { return render_certificates(r, pki::CertificateRole::ca); },
        {{optional(ca_profile), brief_option, detail_option}}, true);
    add_with_syntax(tree, {"show", "security", "pki", "crl"}, "Show certificate revocation lists",
                    "get-pki-crl", render_crls, {{optional(ca_profile), brief_option, detail_option}}, true);
    add_with_syntax(tree, {"show", "security", "pki", "certificate-request"}, "Show certificate requests",
                    "get-pki-certificate-request", render_requests,
                    {{optional(certificate_id), brief_option, detail_option}}, true);

    // ---- request security pki … ----
    add_with_syntax(tree, {"request", "security", "pki", "generate-key-pair"},
                    "Generate a public/private key pair", "request-pki-generate-key-pair", message_of,
                    {{certificate_id,
                      {"size", "Key size in bits (RSA 512..4096, DSA 1024|2048, ECDSA 256|384)", K::value},
                      {"type", "Type of key pair (rsa, dsa, ecdsa)", K::value}}},
                    false);
    const std::vector<Option> alt_names{{"domain-name", "Domain name (subjectAltName dNSName)", K::values},
                                        {"ip-address", "IP address (subjectAltName iPAddress)", K::values},
                                        {"email", "E-mail address (subjectAltName rfc822Name)", K::values}};
    {
        Syntax s{{certificate_id,
                  {"subject", "Distinguished name (DC=…,CN=…,OU=…,O=…,L=…,ST=…,C=…)", K::value, true}}};
        s.options.insert(s.options.end(), alt_names.begin(), alt_names.end());
        s.options.push_back(optional(filename));
        add_with_syntax(
            tree, {"request", "security", "pki", "generate-certificate-request"},
            "Generate a PKCS#10 certificate request", "request-pki-generate-certificate-request",
            [](const pugi::xml_node& reply) {
                auto r = reply.child("pki-certificate-request-results");
                std::string out = "Generated certificate request\n";
                out += r.child_value("certificate-request");
                out += fingerprints(r, "");
                if (*r.child_value("filename"))
                    out += "Certificate request written to file " + std::string(r.child_value("filename")) +
                           "\n";
                return out;
            },
            s, false);
    }
    {
        Syntax s{{certificate_id,
                  {"subject", "Distinguished name (DC=…,CN=…,OU=…,O=…,L=…,ST=…,C=…)", K::value, true}}};
        s.options.insert(s.options.end(), alt_names.begin(), alt_names.end());
        s.options.push_back({"add-ca-constraint", "Add the CA basic constraint", K::flag});
        add_with_syntax(tree, {"request", "security", "pki", "local-certificate", "generate-self-signed"},
                        "Generate a self-signed local certificate",
                        "request-pki-local-certificate-generate-self-signed", message_of, s, false);
    }
    add_with_syntax(tree, {"request", "security", "pki", "local-certificate", "load"},
                    "Load a local certificate", "request-pki-local-certificate-load", message_of,
                    {{certificate_id, filename}}, false);
    add_with_syntax(tree, {"request", "security", "pki", "local-certificate", "verify"},
                    "Verify a local certificate", "request-pki-local-certificate-verify", message_of,
                    {{certificate_id}}, false);
    add_with_syntax(
        tree, {"request", "security", "pki", "ca-certificate", "load"}, "Load a CA certificate",
        "request-pki-ca-certificate-load",
        [](const pugi::xml_node& reply) {
            auto r = reply.child("pki-ca-certificate-results");
            // First the fingerprints and the question (the CLI asks it), then, once confirmed, the result.
            if (*r.child_value("confirm-question"))
                return fingerprints(r, "  ");
            return "\n" + std::string(r.child_value("message")) + "\n";
        },
        {{ca_profile, filename}}, false);
    add_with_syntax(tree, {"request", "security", "pki", "ca-certificate", "verify"},
                    "Verify a CA certificate", "request-pki-ca-certificate-verify", message_of,
                    {{ca_profile}}, false);
    add_with_syntax(tree, {"request", "security", "pki", "crl", "load"}, "Load a certificate revocation list",
                    "request-pki-crl-load", message_of, {{ca_profile, filename}}, false);
    // Online enrollment (SCEP). pkid runs it on its enrollment thread and streams progress messages, so
    // these commands use the streaming path (the CLI's timeout bounds the silence, not the enrollment).
    auto enroll_progress = [](const pugi::xml_node& body) {
        auto m =
            std::string_view(body.name()) == "pki-enroll-progress" ? body : body.child("pki-enroll-progress");
        return m ? std::string(m.child_value("message")) + "\n" : std::string();
    };
    add_with_syntax(
        tree, {"request", "security", "pki", "ca-certificate", "enroll"},
        "Enroll a CA certificate (SCEP GetCACert)", "request-pki-ca-certificate-enroll",
        [](const pugi::xml_node& reply) {
            auto r = reply.child("pki-ca-certificate-results");
            if (*r.child_value("confirm-question"))
                return fingerprints(r, "  ");
            return "\n" + std::string(r.child_value("message")) + "\n";
        },
        {{ca_profile}}, false, enroll_progress);
    {
        Syntax s{
            {ca_profile,
             certificate_id,
             {"challenge-password", "Challenge password the CA gave for this enrollment", K::value, true},
             {"subject", "Distinguished name (DC=…,CN=…,OU=…,O=…,L=…,ST=…,C=…)", K::value, true}}};
        s.options.insert(s.options.end(), alt_names.begin(), alt_names.end());
        tree.describe({"request", "security", "pki", "local-certificate", "enroll"},
                      "Enroll a local certificate online");
        add_with_syntax(tree, {"request", "security", "pki", "local-certificate", "enroll", "scep"},
                        "Enroll a local certificate with SCEP", "request-pki-local-certificate-enroll",
                        message_of, s, false, enroll_progress);
    }
    // ---- request security certificate enroll … (M-series, seed 002: files in var/etc/ikecert) ----
    // The CA form names `ca-file`, `ca-name` and `url`; the local form `subject`, `certification-authority`
    // and `key-file`. pkid tells them apart and checks what each needs.
    {
        Syntax s{{{"filename", "File to store the result in (var/etc/ikecert)", K::value, true},
                  {"ca-file", "Name of the CA certificate file", K::value},
                  {"ca-name", "CA identity to request the certificate of", K::value},
                  {"url", "URL of the SCEP server", K::value},
                  {"subject", "Subject of the certificate, e.g. c=us,o=x", K::value},
                  {"alternative-subject", "IP address for the subjectAltName", K::value},
                  {"certification-authority", "Configured certification-authority profile", K::value},
                  {"key-file", "Key pair file (request security key-pair)", K::value},
                  {"domain-name", "Domain name for the subjectAltName", K::value},
                  {"encoding", "File encoding (binary, pem)", K::value}}};
        add_with_syntax(tree, {"request", "security", "certificate", "enroll"},
                        "Enroll a certificate online (SCEP)", "request-security-certificate-enroll",
                        message_of, s, false);
    }

    // ---- request security key-pair NAME [size N] [type rsa|dsa] (M-series, files in var/etc/ikecert) ----
    {
        Syntax s{{{"size", "Key size in bits (512, 1024, 1596, 2048)", K::value},
                  {"type", "Type of key pair (rsa, dsa)", K::value}},
                 "key-pair-name"};
        add_with_syntax(tree, {"request", "security", "key-pair"}, "Generate a public/private key pair file",
                        "request-security-key-pair", message_of, s, false);
    }

    // ---- clear security pki … (certificate-id ID | ca-profile P | all) ----
    for (const auto& [word, rpc, help, by] :
         std::vector<std::tuple<std::string, std::string, std::string, Option>>{
             {"key-pair", "clear-pki-key-pair", "Clear key pairs", certificate_id},
             {"local-certificate", "clear-pki-local-certificate", "Clear local certificates", certificate_id},
             {"certificate-request", "clear-pki-certificate-request", "Clear certificate requests",
              certificate_id},
             {"ca-certificate", "clear-pki-ca-certificate", "Clear CA certificates", ca_profile},
             {"crl", "clear-pki-crl", "Clear certificate revocation lists", ca_profile}}) {
        Syntax s{{optional(by), {"all", "Clear all", K::flag}}};
        s.one_of = {{by.keyword, "all"}};
        add_with_syntax(
            tree, {"clear", "security", "pki", word}, help, rpc,
            [](const pugi::xml_node&) { return std::string(); }, s, false);
    }
}

}  // namespace msim::shell
