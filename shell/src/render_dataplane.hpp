// Renderers of pfed's replies (show interfaces/arp/route/firewall, ping, traceroute, monitor traffic): the
// XML of dataplane/src/rpc_xml.cpp and pfed's op tools turned into the text Junos prints.
#pragma once

#include <pugixml.hpp>
#include <string>

namespace msim::shell {

enum class InterfaceView { kStandard, kTerse, kDetail, kExtensive };

// Each takes the <rpc-reply> (or the reply element itself).
std::string render_interface_information(const pugi::xml_node& reply, InterfaceView view);
std::string render_arp_table(const pugi::xml_node& reply, bool no_resolve);
std::string render_route_information(const pugi::xml_node& reply);
std::string render_forwarding_table(const pugi::xml_node& reply);
std::string render_firewall_information(const pugi::xml_node& reply);
std::string render_clear_arp(const pugi::xml_node& reply);

// Streaming commands: one object per command, fed every progress body, then the final reply. They keep
// what the later messages need (ping's rapid mode).
class PingRenderer {
  public:
    std::string progress(const pugi::xml_node& body);
    std::string result(const pugi::xml_node& reply);

  private:
    bool rapid_ = false;
    bool mid_line_ = false;  // rapid marks printed since the last newline
};

class TracerouteRenderer {
  public:
    std::string progress(const pugi::xml_node& body);
    std::string result(const pugi::xml_node& reply);
};

class MonitorRenderer {
  public:
    std::string progress(const pugi::xml_node& body);
    std::string result(const pugi::xml_node& reply);
};

}  // namespace msim::shell
