// Lab files (containerlab-like YAML: routers, Linux hosts, links) and what a lab leaves behind while it is
// up (its state file). Everything here is pure: parsing, validation and the text of the files written into
// a router's folder, so unit tests need no processes. The runner that acts on it is lab.hpp.
//
//   name: two-gateways
//   topology:
//     nodes:
//       gateway-a: { kind: router, chassis: m10, pics: { 0/0: 4x-fe }, startup-config: "system {...}" }
//       host-a:    { kind: host, address: 10.1.1.10/24, gateway: 10.1.1.1 }
//       lab-ca:    { kind: ca, port: 8480, challenge-password: s3cret, approval: manual }
//     links:
//       - endpoints: ["gateway-a:fe-0/0/1", "host-a:eth0"]
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace msim::launcher::lab {

struct Pic {
    int fpc = 0;
    int pic = 0;
    std::string type;  // 4x-fe, 1x-ge, 1x-oc3, es, as (hardware.conf's names)
};

struct Router {
    std::string name;
    std::string chassis = "m10";
    std::vector<Pic> pics;        // the default PICs when the lab file names none
    std::string startup_config;   // Junos text; empty: the router gets only its host name
    int startup_config_line = 0;  // the lab file's line of `startup-config:`; the text starts after it
    int line = 0;
};

struct Host {
    std::string name;       // also the network namespace's name
    std::string address;    // A.B.C.D/N
    std::string gateway;    // empty: no default route
    std::string interface;  // the host end of its one link (the TAP device's name), e.g. eth0
    int line = 0;
};

// msim-ca, the lab's SCEP certification authority: $MSIM_HOME/<name>, serving on 127.0.0.1:<port> (the
// host's loopback, where the routers' pkid reaches it: http://127.0.0.1:<port>/scep, CRL at /ca.crl). It
// has no link.
struct LabCa {
    std::string name;
    int port = 0;
    std::string subject;             // empty: msim-ca's default
    std::string challenge_password;  // empty: none
    std::string approval = "auto";   // or manual
    unsigned validity_days = 365;
    int line = 0;
};

struct Endpoint {
    std::string node;
    std::string interface;
    std::string text() const { return node + ":" + interface; }
};

struct Link {
    std::array<Endpoint, 2> endpoints;
    int line = 0;
};

struct LabFile {
    std::string name;
    std::filesystem::path file;  // absolute
    std::vector<Router> routers;
    std::vector<Host> hosts;
    std::vector<Link> links;
    std::vector<LabCa> cas;

    const Router* router(std::string_view name) const;
    const Host* host(std::string_view name) const;
};

// A lab file that cannot be used: every problem found, each "FILE:LINE: what is wrong".
class LabFileError : public std::runtime_error {
  public:
    explicit LabFileError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const { return problems_; }

  private:
    std::vector<std::string> problems_;
};

// Parses and validates; throws LabFileError. `origin` names the file in messages.
LabFile parse_lab(const std::string& text, const std::string& origin);
// Reads FILE (relative to the working directory) and parses it; the result's `file` is absolute.
LabFile load_lab(const std::filesystem::path& file);

// Hardware facts the lab file is checked against (the same names as hardware.conf and the contracts).
std::vector<Pic> default_pics();          // M10: 4x-fe 0/0, es 0/1, as 1/0, 1x-ge 1/1
int fpc_slots(std::string_view chassis);  // m5 1, m10 2, m20 4, m40 8; 0 for an unknown chassis
inline constexpr int pics_per_fpc = 4;
// The interfaces a PIC provides: 4x-fe -> fe-F/P/0..3, 1x-ge -> ge-F/P/0, 1x-oc3 -> so-F/P/0, es -> es-F/P/0,
// as -> sp-F/P/0. Empty for an unknown type.
std::vector<std::string> pic_interfaces(const Pic& pic);
// True for the ports that take a wire (fe-, ge-, so-); es-/sp- are services interfaces.
bool is_media_interface(std::string_view name);

// The text of <router>/hardware.conf for this router (always explicit, so a stale file is replaced).
std::string hardware_conf_text(const Router& router);

// What a lab created, written to $MSIM_HOME/.labs/<name>.yaml before anything is created so that `down`
// can always clean up (also after a failed or interrupted `up`).
struct LabState {
    struct HostState {
        std::string name, interface, address, gateway;
    };
    struct LinkState {
        std::array<Endpoint, 2> endpoints;
        std::array<int, 2> ports{0, 0};  // UDP ports on 127.0.0.1 of each end (router–router links only)
        bool is_tap() const { return ports[0] == 0; }
    };
    std::string name;
    std::string file;                // the lab file it came from (absolute)
    std::string phase = "starting";  // starting while `up` runs, then up
    std::vector<std::string> routers;
    std::vector<HostState> hosts;
    std::vector<LinkState> links;
    struct CaState {
        std::string name;
        int port = 0;
    };
    std::vector<CaState> cas;

    const HostState* host(std::string_view name) const;
    bool has_router(std::string_view name) const;
    const CaState* ca(std::string_view name) const;
    // The link with this end, if any.
    const LinkState* link_of(const Endpoint& end) const;
};

// The state `up` will create for `lab`; `ports` holds two ports per router–router link, in link order.
LabState plan_state(const LabFile& lab, const std::vector<int>& ports);
std::string state_text(const LabState& state);
// Throws std::runtime_error naming `origin` when the text is not a lab state.
LabState parse_state(const std::string& text, const std::string& origin);

// The text of <router>/wires.conf (the contract file pfed reads at start).
std::string wires_conf_text(const LabState& state, std::string_view router);

}  // namespace msim::launcher::lab
