// The libyang bridge: the expanded configuration as a libyang data tree, validated against the schema
// (types, ranges, patterns, leafrefs, must, mandatory, defaults), with libyang's findings translated
// into Junos commit errors.
#pragma once

#include <memory>
#include <vector>

#include "msim/config/commit_error.hpp"
#include "msim/config/tree.hpp"

struct lyd_node;

namespace msim::config {

struct DataTreeDeleter {
    void operator()(lyd_node* n) const noexcept;
};
// First top-level sibling of a libyang data tree (nullptr for an empty configuration).
using DataTree = std::unique_ptr<lyd_node, DataTreeDeleter>;

struct Validation {
    DataTree tree;                    // validated tree with defaults added (null when building failed)
    std::vector<CommitError> errors;  // empty when valid
    bool ok() const { return errors.empty(); }
};

// `expanded` is the output of expand_groups(). Secret leaves are decoded to clear text in the data tree
// (the commit validators check key lengths and weak keys on it); the tree never leaves mgd.
Validation validate(const Schema& schema, const Node& expanded);

// Junos words of a libyang data path ("/msim-config:interfaces/interface[name='fe-0/0/1']/mtu" ->
// {"interfaces", "fe-0/0/1", "mtu"}), for messages and for validators that report lyd nodes.
std::vector<std::string> junos_path(const Schema& schema, const std::string& data_path);

}  // namespace msim::config
