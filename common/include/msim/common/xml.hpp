// Small pugixml helpers shared by every process (building and reading RPC documents).
#pragma once

#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace msim::xml {

// Appends <name>text</name> to `parent` and returns the new element.
pugi::xml_node append_text(pugi::xml_node parent, std::string_view name, std::string_view text);

// Compact serialisation without declaration (the wire form of RPC frames).
std::string to_string(const pugi::xml_node& node);
// Indented serialisation, as `| display xml` prints it.
std::string to_pretty_string(const pugi::xml_node& node, int indent_spaces = 4);

}  // namespace msim::xml
