// The XML replies pfed gives for its operational RPCs, in Junos element names, built from the plain structs
// of show.hpp: get-interface-information (interface-information), get-arp-table-information
// (arp-table-information), get-route-information (route-information), get-forwarding-table-information
// (forwarding-table-information), get-firewall-information (firewall-information). The CLI renders them
// into the Junos text layouts; `| display xml` shows them as they are.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "msim/dataplane/show.hpp"

namespace msim::dataplane::rpc {

enum class InterfaceDetail { kTerse, kDetail, kExtensive };

// Each appends the reply's root element (e.g. <interface-information>) under `parent` and returns it.
pugi::xml_node append_interface_information(pugi::xml_node parent,
                                            const std::vector<PhysicalInterfaceInfo>& ifs,
                                            InterfaceDetail detail);
pugi::xml_node append_arp_table_information(pugi::xml_node parent, const std::vector<ArpEntryInfo>& entries);
pugi::xml_node append_route_information(pugi::xml_node parent, const RouteTableInfo& table);
pugi::xml_node append_forwarding_table_information(pugi::xml_node parent,
                                                   const std::vector<ForwardingEntryInfo>& entries);
pugi::xml_node append_firewall_information(pugi::xml_node parent,
                                           const std::vector<FirewallFilterInfo>& filters);

// Route ages the Junos way: "MM:SS", "HH:MM:SS", "Nd HH:MM:SS", "NwNd HH:MM:SS".
std::string format_age(std::chrono::seconds age);
// "10.1.1/24" style subnet as `show interfaces` prints Destination (trailing zero octets dropped).
std::string junos_subnet(const Ipv4Prefix& prefix);

}  // namespace msim::dataplane::rpc
