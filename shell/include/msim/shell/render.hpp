// Renderers: an RPC reply (XML, as the owning daemon sent it) turned into the text Junos prints.
#pragma once

#include <pugixml.hpp>
#include <string>

namespace msim::shell {

// show version (<software-information>)
std::string render_software_information(const pugi::xml_node& reply);
// show system users (<system-users-information>)
std::string render_system_users(const pugi::xml_node& reply);
// show system uptime (<system-uptime-information>)
std::string render_system_uptime(const pugi::xml_node& reply);

}  // namespace msim::shell
