// What each daemon receives of a commit: the changes of its subtrees, one statement at list-entry or leaf
// granularity (a change inside a list entry sends the whole entry), each as Junos text with its ancestors.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "msim/config/change_set.hpp"
#include "msim/config/schema.hpp"

namespace msim::mgd {

// One statement a commit changes in a daemon's subtree, as sent in <validate-configuration> and
// <apply-configuration>: the operation, its path, and the statement with its ancestors as Junos text.
struct OwnedChange {
    std::string operation;  // create, modify, delete
    std::vector<std::string> path;
    std::string text;
};
using OwnedChanges = std::map<std::string, std::vector<OwnedChange>>;  // by owning daemon (and readers)

// The changes of `changes` by daemon (msim:owner, plus msim:reader daemons). The set was computed
// between two expanded configurations its nodes still point into, `new_root` being the second.
// Annotations are left out.
OwnedChanges owned_changes(const config::Schema& schema, const config::ChangeSet& changes,
                           const config::Node& new_root);

}  // namespace msim::mgd
