// The part of the committed configuration that one daemon owns, as that daemon keeps it: loaded whole when
// the daemon starts (mgd's get-owned-configuration), then moved forward by each commit's changes
// (<configuration-changes>, one <change operation="create|modify|delete"> per statement, each carrying the
// statement in context as Junos text). Daemons validate and apply from whole trees, so a check that looks
// across statements (overlapping addresses, a filter named by a unit) sees the configuration as it would be.
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string_view>

#include "msim/config/schema.hpp"
#include "msim/config/tree.hpp"

namespace msim::config {

class OwnedConfiguration {
  public:
    explicit OwnedConfiguration(std::shared_ptr<const Schema> schema);

    // Replaces the whole tree with `text` (Junos text format). Throws ConfigError when it does not parse.
    void load(std::string_view text);
    // The tree as it would be after `changes` (a <configuration-changes> element, or an element holding
    // one), leaving this one as it is. Throws ConfigError when a change's text does not parse.
    Node with_changes(const pugi::xml_node& changes) const;
    // Makes `tree` the current configuration (after a successful apply).
    void replace(Node tree) { tree_ = std::move(tree); }

    const Node& tree() const { return tree_; }
    const Schema& schema() const { return *schema_; }

  private:
    std::shared_ptr<const Schema> schema_;
    Node tree_;
};

}  // namespace msim::config
