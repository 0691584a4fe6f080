// What ipsecd installs: the manual SAs of the committed configuration (`security ipsec
// security-association NAME manual direction …`), bound to the ES PIC that carries them. On the M-series
// the binding is the es- unit: `interfaces es-0/1/0 unit 0 { tunnel { source S; destination D; } family
// inet ipsec-sa NAME; }` names the SA, gives its outer addresses, and puts it on that PIC. pfed reports
// those bindings (it owns `interfaces`); ipsecd turns SA + binding into SaConfigs, one per direction (a
// bidirectional SA is an inbound and an outbound SA with the same SPI and keys).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "msim/config/tree.hpp"
#include "msim/ipsec/types.hpp"

namespace msim::ipsecd {

struct ManualSaDirection {
    std::string direction;  // inbound, outbound or bidirectional
    ipsec::Protocol protocol = ipsec::Protocol::esp;
    std::uint32_t spi = 0;
    std::uint32_t auxiliary_spi = 0;
    ipsec::Cipher cipher = ipsec::Cipher::null;
    std::vector<std::uint8_t> cipher_key;
    ipsec::Integrity integrity = ipsec::Integrity::none;
    std::vector<std::uint8_t> integrity_key;
};

struct ManualSa {
    std::string name;
    std::string description;
    ipsec::Mode mode = ipsec::Mode::tunnel;
    std::vector<ManualSaDirection> directions;
};

// A statement ipsecd cannot use (a key that does not decode, an algorithm the PIC lacks), with the
// Junos path of the statement.
struct SaConfigError : std::runtime_error {
    SaConfigError(std::string path_, const std::string& message)
        : std::runtime_error(message), path(std::move(path_)) {}
    std::string path;  // "[edit security ipsec security-association sa1 manual direction bidirectional]"
};

// The manual SAs under `security ipsec` of ipsecd's owned configuration (keys decoded from $9$).
// Dynamic SAs are kmd's. Throws SaConfigError.
std::map<std::string, ManualSa> manual_sas(const config::Node& owned_root);
// One `security-association` statement, if it is a manual SA. Throws SaConfigError.
std::optional<ManualSa> manual_sa(const config::Node& sa_node);
// `sas` brought up to date for the security associations named (a commit's changes name them): each is
// worked out again from `owned_root`, or dropped when it is no longer a manual SA. Throws SaConfigError.
void update_manual_sas(std::map<std::string, ManualSa>& sas, const config::Node& owned_root,
                       const std::set<std::string>& names);

// An es- unit that names an SA (reported by pfed).
struct EsBinding {
    std::string unit;                    // es-0/1/0.0
    std::string pic;                     // es-0/1/0
    std::string sa_name;                 // its family inet ipsec-sa
    ipsec::Ipv4Address source = 0;       // tunnel source (local)
    ipsec::Ipv4Address destination = 0;  // tunnel destination (remote)
    bool online = true;                  // the PIC is online
    friend bool operator==(const EsBinding&, const EsBinding&) = default;
};

struct PlannedSa {
    std::string pic;
    ipsec::SaConfig config;
    // Dynamic SAs: when the owner handed it over. Its lifetimes count from then, so an SA installed again
    // (after a restart) gets what is left of them.
    std::optional<std::chrono::system_clock::time_point> installed_at;
};

// A dynamic SA handed over by its owner (kmd): endpoints 0.0.0.0 mean "from the es- unit that names it".
struct DynamicSa {
    ipsec::SaConfig config;
    std::string owner;
    std::chrono::system_clock::time_point installed_at;
    // The proxy identities the owner negotiated (Junos notation), for show; empty when not given.
    std::string local_identity, remote_identity;
    std::string record;  // ipsecd's saved form of it, made once (empty until then)
};

// The dynamic SAs to install: like manual ones, bound by name to online es- units.
std::vector<PlannedSa> plan_dynamic_sas(const std::vector<DynamicSa>& sas,
                                        const std::vector<EsBinding>& bindings);

// Every SaConfig to install: for each online binding whose SA is a manual SA, one per direction.
// A tunnel-mode SA that no es- unit names is not installed (it has no endpoints and no PIC). A
// transport-mode SA that no es- unit names protects the router's own traffic: it goes on the first online
// ES PIC of `online_pics` (by name), with no endpoints (the packet keeps its own header; inbound, any
// local address is the destination), where output filters steer the router's packets into it.
std::vector<PlannedSa> plan_manual_sas(const std::map<std::string, ManualSa>& sas,
                                       const std::vector<EsBinding>& bindings,
                                       const std::vector<std::string>& online_pics = {});

// The ES PIC that carries a transport-mode SA no es- unit names (see plan_manual_sas), or empty.
std::string host_traffic_pic(const std::vector<std::string>& online_pics);

}  // namespace msim::ipsecd
