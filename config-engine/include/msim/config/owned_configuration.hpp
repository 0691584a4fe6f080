// The part of the committed configuration that one daemon owns, as that daemon keeps it: loaded whole when
// the daemon starts (mgd's get-owned-configuration), then moved forward by each commit's changes
// (<configuration-changes>, one <change operation="create|modify|delete"> per statement, each carrying the
// statement in context as Junos text). Daemons validate and apply from whole trees, so a check that looks
// across statements (overlapping addresses, a filter named by a unit) sees the configuration as it would be.
#pragma once

#include <memory>
#include <pugixml.hpp>
#include <string_view>
#include <vector>

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

    // The changes applied to the tree itself, without copying it (a one-statement commit then costs one
    // statement, not the daemon's whole configuration). Unless keep() is called, the tree goes back as it
    // was when the Staged is destroyed: validate stages and looks, apply stages, uses and keeps. Throws
    // ConfigError, with the tree as it was, when a change's text does not parse.
    class Staged {
      public:
        Staged(Staged&&) noexcept;
        Staged& operator=(Staged&&) = delete;
        ~Staged();
        void keep();

      private:
        friend class OwnedConfiguration;
        struct Step;
        explicit Staged(Node& tree);
        void undo();
        Node* tree_;
        std::vector<Step> steps_;
    };
    Staged stage(const pugi::xml_node& changes);
    // Makes `tree` the current configuration (after a successful apply).
    void replace(Node tree) { tree_ = std::move(tree); }

    const Node& tree() const { return tree_; }
    const Schema& schema() const { return *schema_; }

  private:
    void apply(Node& tree, const pugi::xml_node& changes, Staged* record) const;
    // The statement of `root` named by `path` (words as `set` takes them), or null.
    const Node* by_words(const Node& root, const std::vector<std::string>& path) const;

    std::shared_ptr<const Schema> schema_;
    Node tree_;
};

}  // namespace msim::config
