// Read-only helpers over a libyang data tree, and Junos edit paths for diagnostics.
#pragma once

#include <libyang/libyang.h>

#include <string>
#include <string_view>
#include <vector>

#include "msim/config/commit_error.hpp"

namespace msim::config::validators::detail {

// Schema name of a data node ("" for opaque nodes, which a validated tree does not hold).
std::string_view name_of(const lyd_node* node);

// Canonical value of a terminal node ("" for anything without one).
std::string_view value_of(const lyd_node* node);

// The top-level node called `name` among the siblings of `root`, or nullptr.
const lyd_node* top(const lyd_node* root, std::string_view name);

// The first child of `parent` called `name`, or nullptr.
const lyd_node* child(const lyd_node* parent, std::string_view name);

// Follows a chain of child names; nullptr as soon as one is missing.
const lyd_node* descend(const lyd_node* node, std::initializer_list<std::string_view> names);

// Canonical value of the leaf `name` under `parent`, or "" when it is absent.
std::string_view leaf(const lyd_node* parent, std::string_view name);

// True when the child `name` exists (empty leaves, presence containers).
bool has(const lyd_node* parent, std::string_view name);

// Calls f(entry) for every child of `parent` called `name`, in data order.
template <typename F>
void each(const lyd_node* parent, std::string_view name, F&& f) {
    if (!parent)
        return;
    for (const lyd_node* c = lyd_child(parent); c; c = c->next)
        if (name_of(c) == name)
            f(c);
}

// Junos edit path of a node: keywords of its ancestors and itself, list entries followed by their
// key values, lists marked msim:hide-keyword shown by key only (e.g. {"interfaces", "es-0/1/0",
// "unit", "0", "family", "inet"}).
std::vector<std::string> edit_path(const lyd_node* node);

// A statement as Junos quotes it in a diagnostic: "keyword" or "keyword value" (values with spaces
// quoted).
std::string statement(std::string_view keyword, std::string_view value = {});

// Shorthand for building an error placed at `node`.
CommitError error_at(const lyd_node* node, std::string statement, std::string message,
                     Severity severity = Severity::error);

}  // namespace msim::config::validators::detail
