#include "msim/common/xml.hpp"

#include <sstream>

namespace msim::xml {

pugi::xml_node append_text(pugi::xml_node parent, std::string_view name, std::string_view text) {
    auto node = parent.append_child(std::string(name).c_str());
    node.text().set(std::string(text).c_str());
    return node;
}

std::string to_string(const pugi::xml_node& node) {
    std::ostringstream out;
    node.print(out, "", pugi::format_raw | pugi::format_no_declaration);
    return out.str();
}

std::string to_pretty_string(const pugi::xml_node& node, int indent_spaces) {
    std::ostringstream out;
    node.print(out, std::string(static_cast<size_t>(indent_spaces), ' ').c_str(),
               pugi::format_indent | pugi::format_no_declaration);
    return out.str();
}

}  // namespace msim::xml
