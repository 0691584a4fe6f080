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

}  // namespace msim::shell
