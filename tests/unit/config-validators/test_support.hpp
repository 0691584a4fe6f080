// Shared fixtures: one libyang context with msim-config loaded, and XML parsing into data trees.
#pragma once

#include <libyang/libyang.h>

#include <memory>
#include <string>

namespace test_support {

// The context with every msim module of MSIM_YANG_DIR loaded (created once, never freed).
ly_ctx* context();

struct TreeDeleter {
    void operator()(lyd_node* n) const { lyd_free_all(n); }
};
using Tree = std::unique_ptr<lyd_node, TreeDeleter>;

struct Parsed {
    Tree tree;
    bool ok = false;
    std::string errors;  // every libyang message, one per line
};

// Parses and validates configuration XML (several top-level elements allowed).
Parsed parse_xml(const std::string& xml);
Parsed parse_file(const std::string& path);

// Parses without validating (no defaults, leafrefs unresolved, mandatory nodes may be missing).
Parsed parse_xml_unvalidated(const std::string& xml);

std::string read_file(const std::string& path);

}  // namespace test_support
