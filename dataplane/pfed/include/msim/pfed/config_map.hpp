// pfed's part of the committed configuration (interfaces, firewall, routing-options) mapped onto the
// forwarding engine's API, the commit's validate phase with Junos-shaped errors, and the difference between
// two configurations applied to a running engine (only what changed).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "msim/config/tree.hpp"
#include "msim/dataplane/engine.hpp"

namespace msim::pfed {

// The physical-interface level statements and the units of one interface.
struct InterfaceSettings {
    bool disabled = false;
    std::optional<uint32_t> mtu;  // media MTU; absent: the kind's default
    std::map<uint32_t, dataplane::UnitConfig> units;
    bool operator==(const InterfaceSettings&) const = default;
};

// A diagnostic in the shape mgd renders (see config::CommitError): the [edit …] path words, the statement
// in quotes (may be empty) and the message.
struct ConfigDiagnostic {
    std::vector<std::string> path;
    std::string statement;
    std::string message;
};

struct PfedConfig {
    std::map<std::string, InterfaceSettings> interfaces;  // forwarding-plane interfaces (no fxp0/fxp1)
    std::map<std::string, dataplane::FirewallFilter> filters;
    std::map<dataplane::Ipv4Prefix, dataplane::StaticRoute> routes;  // keyed by network
    // Statements the engine cannot take (a protocol or port it does not know, a preference above 255):
    // found while mapping, reported by validate.
    std::vector<ConfigDiagnostic> problems;
};

// Maps the root of pfed's tree (children `interfaces`, `firewall`, `routing-options`; others ignored).
PfedConfig map_configuration(const config::Node& root);

// The engine's view for ForwardingEngine::validate.
dataplane::ForwardingEngine::ProposedConfig proposed(const PfedConfig& config);

// Everything wrong with `config`: mapping problems, the engine's checks (overlapping subnets, duplicate
// addresses, undefined filters, tunnel sources, ...) and pfed's own (media MTU per interface kind), each with
// the [edit …] path of the statement at fault.
std::vector<ConfigDiagnostic> validate_configuration(const PfedConfig& config);

// Turns one message of ForwardingEngine::validate ("fe-0/0/1.0: address 10.1.0.1/16 overlaps ...") into a
// diagnostic with a path.
ConfigDiagnostic diagnostic_from_engine(const std::string& message);

// The media MTU of an interface kind when `mtu` is not configured (Ethernet 1514, SONET 4474, ...).
uint32_t default_mtu(dataplane::InterfaceKind kind);

// Applies the difference `before` -> `after` to `engine`: only the units, filters, routes and interface
// settings that changed are touched. Interface settings apply only to interfaces that exist (the rest is
// applied by apply_interface_settings when the PIC comes online). Returns one line per engine call made
// ("configure_unit fe-0/0/1.0", "delete_filter f", ...) and appends failures to `failures`.
std::vector<std::string> apply_difference(const PfedConfig& before, const PfedConfig& after,
                                          dataplane::ForwardingEngine& engine,
                                          std::vector<std::string>* failures = nullptr);

// Sets `interface`'s admin state and MTU from the configuration (an interface that just appeared).
void apply_interface_settings(const PfedConfig& config, const std::string& interface,
                              dataplane::ForwardingEngine& engine);

}  // namespace msim::pfed
