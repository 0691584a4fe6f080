// chassisd's RPC replies and requests in Junos XML (element names as `| display xml` shows them on Junos):
// chassis-inventory, fpc-information (plain and pic-style), the pic-detail view, alarm-information, and the
// <pic-states>/<pic> elements of the pfed contract. Pure functions of a Chassis, so tests check them
// without a daemon.
#pragma once

#include <ctime>
#include <pugixml.hpp>
#include <stdexcept>
#include <string>

#include "msim/hwsim/chassis.hpp"

namespace msim::hwsim {

// A request chassisd refuses; the message becomes the <rpc-error>'s <error-message>.
struct RpcError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Each appends its reply element to `parent` and returns it.
pugi::xml_node chassis_inventory(const Chassis& c, pugi::xml_node parent, bool detail);
pugi::xml_node fpc_information(const Chassis& c, pugi::xml_node parent, bool pic_status);
// Throws RpcError for a slot that does not exist or holds no PIC.
pugi::xml_node pic_detail(const Chassis& c, pugi::xml_node parent, int fpc, int pic);
// `since`: when the alarms were raised (chassisd's start).
pugi::xml_node alarm_information(const Chassis& c, pugi::xml_node parent, std::time_t since);
// <pic><fpc-slot>…<pic-type>es</pic-type><state>online</state><interface>es-0/1/0</interface></pic>
pugi::xml_node pic_state(const Pic& p, pugi::xml_node parent);
// <pic-states> with one <pic> per installed PIC.
pugi::xml_node pic_states(const Chassis& c, pugi::xml_node parent);

// The slot numbers of a request (<fpc-slot>, <pic-slot>, <slot>); throws RpcError when missing or not a
// number.
int slot_argument(const pugi::xml_node& request, const char* element);

// Runs request-chassis-pic (<fpc-slot>, <pic-slot>, <offline/>|<online/>). Throws RpcError for malformed
// requests; the Result carries refusals (empty slot) and the message to print.
Chassis::Result request_chassis_pic(Chassis& c, const pugi::xml_node& request);
// Runs request-chassis-fpc (<slot>, <offline/>|<online/>|<restart/>); `action` tells the caller what ran.
Chassis::Result request_chassis_fpc(Chassis& c, const pugi::xml_node& request, FpcAction& action);

// "2 hours, 3 minutes, 4 seconds" (Junos uptime wording).
std::string junos_duration(long long seconds);

}  // namespace msim::hwsim
