// Views of a configuration: `| display set` and `show | compare`.
#pragma once

#include <string>

#include "msim/config/tree.hpp"

namespace msim::config {

// `show | display set` of `node`'s subtree with full paths from the root: one `set` line per leaf,
// leaf-list item and childless list entry or presence container, followed by `deactivate` lines for
// inactive statements. Reloading the lines with `load set` rebuilds the same tree (annotations aside).
std::string display_set(const Node& node);

// `show | compare`: the Junos diff from `old_root` to `new_root` ([edit ...] banners, `+`/`-` lines,
// `!` for a changed inactive mark). Empty when the trees are equal.
std::string compare(const Node& old_root, const Node& new_root);

}  // namespace msim::config
