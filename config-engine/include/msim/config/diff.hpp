// Views of a configuration: `| display set` and `show | compare`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "msim/config/tree.hpp"

namespace msim::config {

// `show | display set` of `node`'s subtree with full paths from the root: one `set` line per leaf,
// leaf-list item and childless list entry or presence container, followed by `deactivate` lines for
// inactive statements. Reloading the lines with `load set` rebuilds the same tree (annotations aside).
std::string display_set(const Node& node);

// `show | compare`: the Junos diff from `old_root` to `new_root` ([edit ...] banners, `+`/`-` lines,
// `!` for a changed inactive mark). Empty when the trees are equal. With `follow_marks`, only the marked
// parts of `new_root` are compared (see ChangeSet::between for when that is exact).
std::string compare(const Node& old_root, const Node& new_root, bool follow_marks = false);

// One difference between two (expanded) configurations, for diff-driven commits: a statement that
// appeared, disappeared, or (leaves and leaf-lists) changed its value. A created or deleted container
// or list entry is reported once, for its whole subtree.
struct Change {
    enum class Kind { created, modified, deleted };
    Kind kind;
    std::vector<std::string> path;   // words from the root, as `set` takes them (leaf values excluded)
    const Node* old_node = nullptr;  // in the old tree (modified, deleted)
    const Node* new_node = nullptr;  // in the new tree (created, modified)
};

// Every change from `old_root` to `new_root`, in tree order. The nodes point into the two trees.
std::vector<Change> changes(const Node& old_root, const Node& new_root);

// The same changes grouped by owning daemon (Schema::owner_of of each change's path).
std::map<std::string, std::vector<Change>> changes_by_owner(const Schema& schema, const Node& old_root,
                                                            const Node& new_root);

}  // namespace msim::config
