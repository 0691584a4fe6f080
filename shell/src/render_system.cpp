#include "msim/shell/render.hpp"

#include <cstdio>

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

}  // namespace msim::shell

namespace msim::shell {

std::string render_system_users(const pugi::xml_node& reply) {
    auto info = reply.child("system-users-information");
    std::string out = "USER     TTY      FROM                              LOGIN@  IDLE WHAT\n";
    for (auto u : info.children("user-entry")) {
        char line[256];
        std::string login = u.child_value("login-time");
        if (login.size() >= 16)
            login = login.substr(11, 5);
        std::snprintf(line, sizeof line, "%-8s %-8s %-33s %-7s %-4s %s\n", u.child_value("user"),
                      u.child_value("tty"), "-", login.c_str(), "-", u.child_value("command"));
        out += line;
    }
    return out;
}

}  // namespace msim::shell
