#include <cstdio>
#include <string_view>

#include "msim/shell/render.hpp"

namespace msim::shell {

std::string render_software_information(const pugi::xml_node& reply) {
    auto info = reply.child("software-information");
    std::string out = std::string("Hostname: ") + info.child_value("host-name") + "\n";
    if (info.child("product-model")) {
        out += std::string("Model: ") + info.child_value("product-model") + "\n";
    }
    for (auto pkg : info.children("package-information")) {
        out += std::string(pkg.child_value("comment")) + "\n";
    }
    return out;
}

namespace {

// w(1)'s first line: " 8:48AM  up 154 days, 19:16, 2 users, load averages: 0.04, 0.04, 0.01".
std::string uptime_line(const pugi::xml_node& u) {
    return std::string(u.child_value("date-time")) + "  up " + u.child_value("up-time") + ", " +
           u.child("active-user-count").attribute("junos:format").value() +
           ", load averages: " + u.child_value("load-average-1") + ", " + u.child_value("load-average-5") +
           ", " + u.child_value("load-average-15") + "\n";
}

}  // namespace

// show system users: w(1)'s layout (USER 8, TTY 8, FROM 32, LOGIN@ 7, IDLE right-aligned in 6, WHAT).
std::string render_system_users(const pugi::xml_node& reply) {
    auto uptime = reply.child("system-users-information").child("uptime-information");
    std::string out = uptime_line(uptime);
    char line[512];
    std::snprintf(line, sizeof line, "%-8s %-8s %-32s  %s\n", "USER", "TTY", "FROM", "LOGIN@  IDLE WHAT");
    out += line;
    for (auto u : uptime.child("user-table").children("user-entry")) {
        std::snprintf(line, sizeof line, "%-8s %-8s %-32s %-7s%6s %s\n", u.child_value("user"),
                      u.child_value("tty"), u.child_value("from"), u.child_value("login-time"),
                      u.child_value("idle-time"), u.child_value("command"));
        out += line;
    }
    return out;
}

// show system uptime: each time with its age, then w(1)'s first line.
std::string render_system_uptime(const pugi::xml_node& reply) {
    auto info = reply.child("system-uptime-information");
    std::string out;
    auto when = [&](const char* element, const char* label) {
        auto e = info.child(element);
        if (!e)
            return;
        out += std::string(label) + ": " + e.child_value("date-time");
        if (e.child("time-length"))
            out += std::string(" (") + e.child_value("time-length") + " ago)";
        if (e.child("user"))
            out += std::string(" by ") + e.child_value("user");
        out += "\n";
    };
    when("current-time", "Current time");
    when("system-booted-time", "System booted");
    when("protocols-started-time", "Protocols started");
    when("last-configured-time", "Last configured");
    out += uptime_line(info.child("uptime-information"));
    return out;
}

}  // namespace msim::shell
