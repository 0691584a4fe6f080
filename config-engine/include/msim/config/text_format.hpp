// The Junos curly-brace text format: parser (Boost.Spirit X3 tokens, then a schema-guided mapper) and
// printer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "msim/config/error.hpp"
#include "msim/config/tree.hpp"

namespace msim::config {

struct ParseOptions {
    std::string file_name = "terminal";  // used in error positions
    std::vector<std::string> edit_path;  // parse relative to this hierarchy (load ... relative)
    bool keep_tags = true;               // keep `replace:` / `delete:` tags on nodes (for load)
    // Text validated before (what mgd sends daemons): values are not checked with libyang again, which
    // is most of the parse time of a large configuration. Ranges and enumerations are still checked.
    bool trusted = false;
};

// Parses a whole text into a new tree (root node). Throws ConfigError on the first error, with
// file/line/column and Junos wording. Input larger than 64 MiB, binary bytes, unbalanced braces and
// unknown statements are refused.
Node parse_text(const Schema& schema, std::string_view text, const ParseOptions& options = {});

struct PrintOptions {
    bool header = false;       // "## Last changed: <last_changed>" and "version <version>;"
    std::string last_changed;  // e.g. "2026-11-23 01:40:52 UTC"
    std::string version = "9.3R2.8";
    // `| display inheritance` (print an expand_groups() tree): inherited statements are preceded by
    //     ##
    //     ## 'fe-0/0/1' was inherited from group 'G'
    //     ##
    bool inheritance = false;
};

// The children of `node`, as `show` prints them at that level (4-space indent).
std::string print_text(const Node& node, const PrintOptions& options = {});

// The Junos XML form of a statement with its ancestors, inside <configuration> (`| display xml`): elements
// named as the schema names them, list keys as the first child elements, one element per leaf-list item,
// `<x/>` for empty leaves and presence containers, inactive="inactive" on deactivated statements,
// annotations as <junos:comment>, secrets in their stored $9$ form. Each line is indented by `indent` more.
std::string print_xml(const Node& node, int indent = 0);

// `node` with the statements above it (each with its keys only), as a snippet that parses back to that
// statement in its place ("security {\n    ipsec {\n        security-association sa1 { ... }").
std::string print_in_context(const Node& node);

// `node` itself as one statement (for `show <path>` that names a leaf: "host-name r1;").
std::string print_statement(const Node& node, const PrintOptions& options = {});

// Quotes a value the way Junos prints it (only when needed).
std::string quote_value(std::string_view v);

}  // namespace msim::config
