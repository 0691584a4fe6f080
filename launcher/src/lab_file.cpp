#include "msim/launcher/lab_file.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "msim/common/paths.hpp"

namespace msim::launcher::lab {

namespace {

const char* const pic_types[] = {"4x-fe", "1x-ge", "1x-oc3", "es", "as"};

std::string join(const std::vector<std::string>& words, std::string_view sep) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty())
            out += sep;
        out += w;
    }
    return out;
}

std::optional<uint32_t> parse_ipv4(const std::string& text) {
    in_addr a{};
    if (::inet_pton(AF_INET, text.c_str(), &a) != 1)
        return std::nullopt;
    return ntohl(a.s_addr);
}

// A Linux interface name: 1..15 bytes, no '/', ':' or white space, not "." or "..".
bool valid_ifname(std::string_view name) {
    if (name.empty() || name.size() > 15 || name == "." || name == "..")
        return false;
    return std::none_of(name.begin(), name.end(),
                        [](char c) { return c == '/' || c == ':' || c <= ' ' || c == 0x7f; });
}

// Collects problems with their line; validation goes on after the first so one run shows them all.
class Checker {
  public:
    explicit Checker(std::string origin) : origin_(std::move(origin)) {}

    void problem(int line, const std::string& what) {
        problems_.push_back(origin_ + ":" + std::to_string(line) + ": " + what);
    }
    void problem(const YAML::Node& at, const std::string& what) { problem(line_of(at), what); }
    static int line_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }
    bool ok() const { return problems_.empty(); }
    std::vector<std::string> take() { return std::move(problems_); }

    // The scalar value of `n`, or a problem and nullopt.
    std::optional<std::string> scalar(const YAML::Node& n, const std::string& what) {
        if (!n.IsScalar()) {
            problem(n, what + " must be a single value");
            return std::nullopt;
        }
        return n.Scalar();
    }

    // Checks a mapping's keys against `allowed` (unknown and repeated keys are problems) and returns the
    // values by key. `context` says where the mapping is, for the messages.
    std::map<std::string, YAML::Node> keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                                           const std::string& context) {
        std::map<std::string, YAML::Node> out;
        for (auto it = map.begin(); it != map.end(); ++it) {
            if (!it->first.IsScalar()) {
                problem(it->first, "a key " + context + " must be a single word");
                continue;
            }
            const std::string key = it->first.Scalar();
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                problem(it->first,
                        "unknown key '" + key + "' " + context + " (expected " + join(allowed, ", ") + ")");
            } else if (out.count(key)) {
                problem(it->first, "'" + key + "' given twice " + context);
            } else {
                out.emplace(key, it->second);
            }
        }
        return out;
    }

  private:
    std::string origin_;
    std::vector<std::string> problems_;
};

void parse_router(Checker& c, Router& r, std::map<std::string, YAML::Node>& k) {
    if (auto it = k.find("chassis"); it != k.end()) {
        if (auto v = c.scalar(it->second, "chassis")) {
            if (fpc_slots(*v) == 0) {
                c.problem(it->second, "router " + r.name + ": unknown chassis '" + *v +
                                          "' (expected m5, m10, m20 or m40)");
            } else {
                r.chassis = *v;
            }
        }
    }
    r.pics = default_pics();
    if (auto it = k.find("pics"); it != k.end()) {
        r.pics.clear();
        const YAML::Node& pics = it->second;
        if (!pics.IsMap()) {
            c.problem(pics,
                      "router " + r.name + ": pics must be a map of slot to PIC type, e.g. { 0/0: 4x-fe }");
        } else {
            std::map<std::pair<int, int>, int> seen;  // slot -> line
            for (auto p = pics.begin(); p != pics.end(); ++p) {
                const int line = Checker::line_of(p->first);
                auto slot = c.scalar(p->first, "a PIC slot");
                auto type = c.scalar(p->second, "a PIC type");
                if (!slot || !type)
                    continue;
                Pic pic;
                char slash = 0, extra = 0;
                std::istringstream s(*slot);
                if (!(s >> pic.fpc >> slash >> pic.pic) || slash != '/' || (s >> extra) || pic.fpc < 0 ||
                    pic.pic < 0) {
                    c.problem(line, "router " + r.name + ": bad PIC slot '" + *slot +
                                        "' (expected FPC/PIC, e.g. 0/1)");
                    continue;
                }
                const int fpcs = fpc_slots(r.chassis);
                if (pic.fpc >= fpcs || pic.pic >= pics_per_fpc) {
                    c.problem(line, "router " + r.name + ": an " + r.chassis + " has no PIC slot " + *slot +
                                        " (FPC 0-" + std::to_string(fpcs - 1) + ", PIC 0-" +
                                        std::to_string(pics_per_fpc - 1) + ")");
                    continue;
                }
                if (std::find(std::begin(pic_types), std::end(pic_types), *type) == std::end(pic_types)) {
                    c.problem(Checker::line_of(p->second), "router " + r.name + ": unknown PIC type '" +
                                                               *type +
                                                               "' (expected 4x-fe, 1x-ge, 1x-oc3, es or as)");
                    continue;
                }
                if (auto [at, fresh] = seen.emplace(std::pair{pic.fpc, pic.pic}, line); !fresh) {
                    c.problem(line, "router " + r.name + ": PIC slot " + *slot +
                                        " is already given on line " + std::to_string(at->second));
                    continue;
                }
                pic.type = *type;
                r.pics.push_back(pic);
            }
        }
    }
    if (auto it = k.find("startup-config"); it != k.end()) {
        if (auto v = c.scalar(it->second, "startup-config")) {
            r.startup_config = *v;
            r.startup_config_line = Checker::line_of(it->second);
        }
    }
}

// kind: ca — msim-ca on 127.0.0.1:<port>.
void parse_ca(Checker& c, LabCa& ca, std::map<std::string, YAML::Node>& k) {
    auto number = [&](const char* key, long low, long high) -> std::optional<long> {
        auto it = k.find(key);
        if (it == k.end())
            return std::nullopt;
        auto v = c.scalar(it->second, key);
        if (!v)
            return std::nullopt;
        if (v->empty() || v->size() > 6 || v->find_first_not_of("0123456789") != std::string::npos ||
            std::stol(*v) < low || std::stol(*v) > high) {
            c.problem(it->second, "ca " + ca.name + ": " + key + " must be a number from " +
                                      std::to_string(low) + " to " + std::to_string(high));
            return std::nullopt;
        }
        return std::stol(*v);
    };
    if (k.find("port") == k.end())
        c.problem(ca.line, "ca " + ca.name + " has no port (e.g. port: 8480; it serves on 127.0.0.1)");
    else if (auto p = number("port", 1024, 65535))
        ca.port = static_cast<int>(*p);
    if (auto d = number("validity-days", 1, 36500))
        ca.validity_days = static_cast<unsigned>(*d);
    for (auto [key, field] :
         {std::pair{"subject", &ca.subject}, std::pair{"challenge-password", &ca.challenge_password},
          std::pair{"approval", &ca.approval}}) {
        if (auto it = k.find(key); it != k.end()) {
            if (auto v = c.scalar(it->second, key))
                *field = *v;
        }
    }
    if (ca.approval != "auto" && ca.approval != "manual")
        c.problem(ca.line, "ca " + ca.name + ": approval is auto or manual");
}

void parse_host(Checker& c, Host& h, std::map<std::string, YAML::Node>& k) {
    // The host's address and netmask, once the address is known to be good (the gateway is checked
    // against them).
    bool have_addr = false;
    uint32_t addr = 0, mask = 0;
    if (auto it = k.find("address"); it == k.end()) {
        c.problem(h.line, "host " + h.name + " has no address (e.g. address: 10.1.1.10/24)");
    } else if (auto v = c.scalar(it->second, "address")) {
        const auto slash = v->find('/');
        const std::string ip = v->substr(0, slash);
        const std::string len = slash == std::string::npos ? "" : v->substr(slash + 1);
        int bits = -1;
        if (!len.empty() && len.size() <= 2 && len.find_first_not_of("0123456789") == std::string::npos)
            bits = std::stoi(len);
        const auto parsed = parse_ipv4(ip);
        if (!parsed || bits < 1 || bits > 32) {
            c.problem(it->second,
                      "host " + h.name + ": bad address '" + *v +
                          "' (expected an IPv4 address with its prefix length, e.g. 10.1.1.10/24)");
        } else {
            have_addr = true;
            addr = *parsed;
            mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
            h.address = *v;
        }
    }
    if (auto it = k.find("gateway"); it != k.end()) {
        if (auto v = c.scalar(it->second, "gateway")) {
            auto gw = parse_ipv4(*v);
            if (!gw) {
                c.problem(it->second,
                          "host " + h.name + ": bad gateway '" + *v + "' (expected an IPv4 address)");
            } else if (have_addr && ((*gw & mask) != (addr & mask) || *gw == addr)) {
                c.problem(it->second, "host " + h.name + ": gateway " + *v + " is not another address of " +
                                          h.address + "'s subnet");
            } else {
                h.gateway = *v;
            }
        }
    }
}

void parse_links(Checker& c, LabFile& lab, const YAML::Node& links) {
    if (!links.IsSequence()) {
        c.problem(links, "links must be a list of { endpoints: [\"NODE:IF\", \"NODE:IF\"] }");
        return;
    }
    std::map<std::string, int> used;            // endpoint -> line of the link that uses it
    std::map<std::string, int> host_link_line;  // host -> line of its link
    for (const auto& l : links) {
        const int line = Checker::line_of(l);
        if (!l.IsMap()) {
            c.problem(l, "a link must be a map: { endpoints: [\"NODE:IF\", \"NODE:IF\"] }");
            continue;
        }
        auto k = c.keys(l, {"endpoints"}, "in a link");
        auto it = k.find("endpoints");
        if (it == k.end()) {
            c.problem(line, "a link needs endpoints: [\"NODE:IF\", \"NODE:IF\"]");
            continue;
        }
        if (!it->second.IsSequence() || it->second.size() != 2) {
            c.problem(it->second, "a link has exactly two endpoints: [\"NODE:IF\", \"NODE:IF\"]");
            continue;
        }
        Link link;
        link.line = line;
        bool good = true;
        int routers = 0, hosts = 0;
        for (size_t i = 0; i < 2; ++i) {
            const YAML::Node& e = it->second[i];
            auto text = c.scalar(e, "an endpoint");
            if (!text) {
                good = false;
                continue;
            }
            const auto colon = text->find(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == text->size()) {
                c.problem(e,
                          "bad endpoint '" + *text + "' (expected NODE:INTERFACE, e.g. gateway-a:fe-0/0/1)");
                good = false;
                continue;
            }
            Endpoint end{text->substr(0, colon), text->substr(colon + 1)};
            if (const Router* r = lab.router(end.node)) {
                ++routers;
                bool present = false;
                for (const auto& pic : r->pics) {
                    for (const auto& name : pic_interfaces(pic))
                        present = present || name == end.interface;
                }
                if (!present) {
                    std::vector<std::string> ports;
                    for (const auto& pic : r->pics) {
                        for (const auto& name : pic_interfaces(pic)) {
                            if (is_media_interface(name))
                                ports.push_back(name);
                        }
                    }
                    c.problem(e, "router " + r->name + " has no interface " + end.interface +
                                     " (its PICs have: " +
                                     (ports.empty() ? std::string("no ports") : join(ports, " ")) + ")");
                    good = false;
                } else if (!is_media_interface(end.interface)) {
                    c.problem(e, end.interface + " on router " + r->name +
                                     " is a services interface and takes no wire");
                    good = false;
                }
            } else if (lab.host(end.node)) {
                ++hosts;
                if (end.interface == "lo") {
                    c.problem(e, "host " + end.node +
                                     ": 'lo' is the namespace's loopback; name the wire's end "
                                     "otherwise (e.g. eth0)");
                    good = false;
                } else if (!valid_ifname(end.interface)) {
                    c.problem(e,
                              "host " + end.node + ": '" + end.interface +
                                  "' is not a Linux interface name (1-15 characters, no '/', ':' or blanks)");
                    good = false;
                }
            } else if (std::any_of(lab.cas.begin(), lab.cas.end(),
                                   [&](const LabCa& ca) { return ca.name == end.node; })) {
                c.problem(e, "ca " + end.node + " takes no link (it serves on the host's loopback)");
                good = false;
                continue;
            } else {
                c.problem(e, "unknown node '" + end.node + "' in endpoint '" + *text + "'");
                good = false;
                continue;
            }
            if (auto [at, fresh] = used.emplace(end.text(), line); !fresh) {
                c.problem(e, "interface " + end.text() + " is already used by the link on line " +
                                 std::to_string(at->second));
                good = false;
            }
            link.endpoints[i] = end;
        }
        if (good && hosts == 2) {
            c.problem(line, "a link joins a router to a router or to a host; " + link.endpoints[0].node +
                                " and " + link.endpoints[1].node + " are both hosts");
            good = false;
        }
        if (good && routers + hosts == 2) {
            for (const auto& end : link.endpoints) {
                if (!lab.host(end.node))
                    continue;
                if (auto [at, fresh] = host_link_line.emplace(end.node, line); !fresh) {
                    c.problem(line, "host " + end.node + " has one interface and is already linked on line " +
                                        std::to_string(at->second));
                    good = false;
                }
            }
        }
        if (good)
            lab.links.push_back(link);
    }
}

}  // namespace

LabFileError::LabFileError(std::vector<std::string> problems)
    : std::runtime_error(join(problems, "\n")), problems_(std::move(problems)) {}

const Router* LabFile::router(std::string_view n) const {
    for (const auto& r : routers) {
        if (r.name == n)
            return &r;
    }
    return nullptr;
}

const Host* LabFile::host(std::string_view n) const {
    for (const auto& h : hosts) {
        if (h.name == n)
            return &h;
    }
    return nullptr;
}

std::vector<Pic> default_pics() {
    return {{0, 0, "4x-fe"}, {0, 1, "es"}, {1, 0, "as"}, {1, 1, "1x-ge"}};
}

int fpc_slots(std::string_view chassis) {
    if (chassis == "m5")
        return 1;
    if (chassis == "m10")
        return 2;
    if (chassis == "m20")
        return 4;
    if (chassis == "m40")
        return 8;
    return 0;
}

std::vector<std::string> pic_interfaces(const Pic& pic) {
    const std::string slot = std::to_string(pic.fpc) + "/" + std::to_string(pic.pic) + "/";
    if (pic.type == "4x-fe")
        return {"fe-" + slot + "0", "fe-" + slot + "1", "fe-" + slot + "2", "fe-" + slot + "3"};
    if (pic.type == "1x-ge")
        return {"ge-" + slot + "0"};
    if (pic.type == "1x-oc3")
        return {"so-" + slot + "0"};
    if (pic.type == "es")
        return {"es-" + slot + "0"};
    if (pic.type == "as")
        return {"sp-" + slot + "0"};
    return {};
}

bool is_media_interface(std::string_view name) {
    return name.starts_with("fe-") || name.starts_with("ge-") || name.starts_with("so-");
}

LabFile parse_lab(const std::string& text, const std::string& origin) {
    Checker c(origin);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw LabFileError({origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                            std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg});
    }
    if (!root.IsMap()) {
        throw LabFileError({origin + ":1: a lab file is a map with name: and topology:"});
    }
    LabFile lab;
    auto top = c.keys(root, {"name", "topology"}, "at the top level");
    if (auto it = top.find("name"); it == top.end()) {
        c.problem(1, "the lab has no name (name: LAB)");
    } else if (auto v = c.scalar(it->second, "name")) {
        if (!msim::valid_router_name(*v)) {
            c.problem(it->second, "bad lab name '" + *v + "' (letters, digits, '-', '_', '.', at most 63)");
        }
        lab.name = *v;
    }
    // A default Node is Null (and still "true"), which is also what an empty `links:` gives.
    YAML::Node nodes, links;
    if (auto it = top.find("topology"); it == top.end()) {
        c.problem(1, "the lab has no topology (topology: { nodes: ..., links: ... })");
    } else if (!it->second.IsMap()) {
        c.problem(it->second, "topology must be a map with nodes: and links:");
    } else {
        auto t = c.keys(it->second, {"nodes", "links"}, "in topology");
        if (auto n = t.find("nodes"); n == t.end()) {
            c.problem(it->second, "topology has no nodes");
        } else {
            nodes = n->second;
        }
        if (auto l = t.find("links"); l != t.end())
            links = l->second;
    }
    if (!nodes.IsNull() && !nodes.IsMap()) {
        c.problem(nodes, "nodes must be a map of node name to { kind: router | host | ca, ... }");
    } else if (!nodes.IsNull()) {
        std::map<std::string, int> seen;
        for (auto it = nodes.begin(); it != nodes.end(); ++it) {
            const int line = Checker::line_of(it->first);
            auto name = c.scalar(it->first, "a node name");
            if (!name)
                continue;
            if (auto [at, fresh] = seen.emplace(*name, line); !fresh) {
                c.problem(line,
                          "node " + *name + " is already defined on line " + std::to_string(at->second));
                continue;
            }
            if (!msim::valid_router_name(*name)) {
                c.problem(line, "bad node name '" + *name +
                                    "' (it names a folder or a network namespace: letters, digits, '-', '_', "
                                    "'.', at most 63 characters)");
                continue;
            }
            if (!it->second.IsMap()) {
                c.problem(it->second, "node " + *name + " must be a map with kind: router or kind: host");
                continue;
            }
            std::string kind;
            for (auto k = it->second.begin(); k != it->second.end(); ++k) {
                if (k->first.IsScalar() && k->first.Scalar() == "kind" && k->second.IsScalar())
                    kind = k->second.Scalar();
            }
            if (kind == "router") {
                auto k =
                    c.keys(it->second, {"kind", "chassis", "pics", "startup-config"}, "in router " + *name);
                Router r;
                r.name = *name;
                r.line = line;
                parse_router(c, r, k);
                lab.routers.push_back(std::move(r));
            } else if (kind == "host") {
                auto k = c.keys(it->second, {"kind", "address", "gateway"}, "in host " + *name);
                Host h;
                h.name = *name;
                h.line = line;
                parse_host(c, h, k);
                lab.hosts.push_back(std::move(h));
            } else if (kind == "ca") {
                auto k =
                    c.keys(it->second,
                           {"kind", "port", "subject", "challenge-password", "approval", "validity-days"},
                           "in ca " + *name);
                LabCa ca;
                ca.name = *name;
                ca.line = line;
                parse_ca(c, ca, k);
                lab.cas.push_back(std::move(ca));
            } else {
                c.problem(kind.empty() ? line : Checker::line_of(it->second["kind"]),
                          "node " + *name +
                              (kind.empty() ? " has no kind" : " has unknown kind '" + kind + "'") +
                              " (expected kind: router, host or ca)");
            }
        }
    }
    if (!links.IsNull())
        parse_links(c, lab, links);
    for (const auto& a : lab.cas) {
        for (const auto& b : lab.cas) {
            if (&a < &b && a.port == b.port && a.port != 0)
                c.problem(b.line,
                          "ca " + b.name + ": port " + std::to_string(b.port) + " is ca " + a.name + "'s");
        }
    }
    for (auto& h : lab.hosts) {
        for (const auto& l : lab.links) {
            for (const auto& e : l.endpoints) {
                if (e.node == h.name)
                    h.interface = e.interface;
            }
        }
        if (h.interface.empty() && c.ok()) {
            c.problem(h.line, "host " + h.name + " is in no link (its address needs an interface)");
        }
    }
    if (!c.ok())
        throw LabFileError(c.take());
    return lab;
}

LabFile load_lab(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw LabFileError({file.string() + ": cannot read the lab file"});
    }
    std::ostringstream text;
    text << in.rdbuf();
    LabFile lab = parse_lab(text.str(), file.string());
    lab.file = std::filesystem::absolute(file).lexically_normal();
    return lab;
}

std::string hardware_conf_text(const Router& router) {
    std::string out = "# written by msim lab up\nchassis " + router.chassis + "\n";
    for (const auto& p : router.pics) {
        out += "pic " + std::to_string(p.fpc) + "/" + std::to_string(p.pic) + " " + p.type + "\n";
    }
    return out;
}

// ---- state ----

const LabState::HostState* LabState::host(std::string_view n) const {
    for (const auto& h : hosts) {
        if (h.name == n)
            return &h;
    }
    return nullptr;
}

const LabState::CaState* LabState::ca(std::string_view n) const {
    for (const auto& c : cas) {
        if (c.name == n)
            return &c;
    }
    return nullptr;
}

bool LabState::has_router(std::string_view n) const {
    return std::find(routers.begin(), routers.end(), n) != routers.end();
}

const LabState::LinkState* LabState::link_of(const Endpoint& end) const {
    for (const auto& l : links) {
        for (const auto& e : l.endpoints) {
            if (e.node == end.node && e.interface == end.interface)
                return &l;
        }
    }
    return nullptr;
}

LabState plan_state(const LabFile& lab, const std::vector<int>& ports) {
    LabState s;
    s.name = lab.name;
    s.file = lab.file.string();
    for (const auto& r : lab.routers)
        s.routers.push_back(r.name);
    for (const auto& h : lab.hosts)
        s.hosts.push_back({h.name, h.interface, h.address, h.gateway});
    for (const auto& c : lab.cas)
        s.cas.push_back({c.name, c.port});
    size_t next = 0;
    for (const auto& l : lab.links) {
        LabState::LinkState ls;
        ls.endpoints = l.endpoints;
        if (lab.router(l.endpoints[0].node) && lab.router(l.endpoints[1].node)) {
            if (next + 2 > ports.size()) {
                throw std::logic_error("plan_state: two ports are needed per router-router link");
            }
            ls.ports = {ports[next], ports[next + 1]};
            next += 2;
        } else if (lab.host(l.endpoints[0].node)) {
            // The router end goes first, so a tap link reads router -> host everywhere.
            std::swap(ls.endpoints[0], ls.endpoints[1]);
        }
        s.links.push_back(ls);
    }
    return s;
}

std::string state_text(const LabState& s) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << s.name;
    out << YAML::Key << "file" << YAML::Value << s.file;
    out << YAML::Key << "phase" << YAML::Value << s.phase;
    out << YAML::Key << "routers" << YAML::Value << YAML::Flow << s.routers;
    out << YAML::Key << "hosts" << YAML::Value << YAML::BeginSeq;
    for (const auto& h : s.hosts) {
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << h.name << YAML::Key
            << "interface" << YAML::Value << h.interface << YAML::Key << "address" << YAML::Value << h.address
            << YAML::Key << "gateway" << YAML::Value << h.gateway << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "cas" << YAML::Value << YAML::BeginSeq;
    for (const auto& c : s.cas) {
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << c.name << YAML::Key
            << "port" << YAML::Value << c.port << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "links" << YAML::Value << YAML::BeginSeq;
    for (const auto& l : s.links) {
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "endpoints" << YAML::Value << YAML::Flow
            << std::vector<std::string>{l.endpoints[0].text(), l.endpoints[1].text()};
        if (!l.is_tap()) {
            out << YAML::Key << "ports" << YAML::Value << YAML::Flow
                << std::vector<int>{l.ports[0], l.ports[1]};
        }
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::EndMap;
    return std::string("# msim lab state: what `msim lab up` created; `msim lab down` removes it.\n") +
           out.c_str() + "\n";
}

LabState parse_state(const std::string& text, const std::string& origin) {
    try {
        YAML::Node root = YAML::Load(text);
        LabState s;
        s.name = root["name"].as<std::string>();
        s.file = root["file"].as<std::string>("");
        s.phase = root["phase"].as<std::string>("starting");
        for (const auto& r : root["routers"])
            s.routers.push_back(r.as<std::string>());
        for (const auto& h : root["hosts"]) {
            s.hosts.push_back({h["name"].as<std::string>(), h["interface"].as<std::string>(""),
                               h["address"].as<std::string>(""), h["gateway"].as<std::string>("")});
        }
        for (const auto& c : root["cas"])
            s.cas.push_back({c["name"].as<std::string>(), c["port"].as<int>(0)});
        for (const auto& l : root["links"]) {
            LabState::LinkState ls;
            for (size_t i = 0; i < 2; ++i) {
                const std::string e = l["endpoints"][i].as<std::string>();
                const auto colon = e.find(':');
                if (colon == std::string::npos)
                    throw std::runtime_error("bad endpoint '" + e + "'");
                ls.endpoints[i] = {e.substr(0, colon), e.substr(colon + 1)};
            }
            if (l["ports"])
                ls.ports = {l["ports"][0].as<int>(), l["ports"][1].as<int>()};
            s.links.push_back(ls);
        }
        if (!msim::valid_router_name(s.name))
            throw std::runtime_error("bad lab name '" + s.name + "'");
        return s;
    } catch (const std::exception& e) {
        throw std::runtime_error(origin + ": not a lab state file (" + e.what() + ")");
    }
}

std::string wires_conf_text(const LabState& s, std::string_view router) {
    std::string out = "# written by msim lab up (lab " + s.name +
                      "); interfaces not listed are connected to nothing\n# interface  kind  arguments\n";
    for (const auto& l : s.links) {
        for (size_t i = 0; i < 2; ++i) {
            const Endpoint& me = l.endpoints[i];
            const Endpoint& peer = l.endpoints[1 - i];
            if (me.node != router || !s.has_router(me.node))
                continue;
            if (l.is_tap()) {
                out += me.interface + " tap " + peer.interface + " netns " + peer.node + "\n";
            } else {
                out += "# to " + peer.text() + "\n" + me.interface +
                       " udp 127.0.0.1:" + std::to_string(l.ports[i]) +
                       " 127.0.0.1:" + std::to_string(l.ports[1 - i]) + "\n";
            }
        }
    }
    return out;
}

}  // namespace msim::launcher::lab
