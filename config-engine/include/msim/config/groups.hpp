// Configuration groups and the "expanded" configuration that validation and the daemons see.
#pragma once

#include "msim/config/tree.hpp"

namespace msim::config {

// A copy of `root` with inactive statements dropped, annotations cleared, `apply-groups` inherited
// (deeper apply-groups take precedence over shallower ones, earlier groups over later ones, the
// configuration itself over any group; `<pattern>` keys in a group match entries by shell glob) and
// the `groups` and `apply-groups` statements removed. Throws ConfigError when an applied group does
// not exist.
Node expand_groups(const Node& root);

}  // namespace msim::config
