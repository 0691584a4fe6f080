// The libyang data tree of the committed (expanded) configuration, kept between commits. A commit patches
// it with its ChangeSet and then checks only the validation rules whose outcome the changes can affect,
// with libyang's own primitives, so that a one-line change costs one line of validation:
//
// - every node a change creates or modifies: its type (libyang checks it as the node is made, and its
//   type plugin's data check: leafrefs), its `must` conditions, and for inner nodes the rules on their
//   children (mandatory nodes, min/max-elements, choices: one case, a mandatory choice has one);
// - every parent whose children changed: the same rules on its children;
// - every rule elsewhere that reads what changed: at schema load each `must` and leafref is reduced to the
//   schema nodes its expression can visit (lys_find_expr_atoms) and to the lowest schema node holding all of
//   them (its scope). A change to a node on the path of one of those atoms (for a leafref: the atom or
//   something below it; for a `must`, whose expression may read an inner node's string value, also its
//   ancestors) re-checks every instance of the rule inside the same scope instance, or in the whole tree
//   when the scope is the root;
// - defaults: a created statement replaces a default instance; a deleted one brings its default back
//   (lyd_new_implicit_tree semantics); non-presence containers carry LYD_DEFAULT as libyang's validation sets
//   it.
//
// Anything the reduction does not cover exactly (a `when` or `unique` statement in the schema, an
// instance-identifier, a change of order in an ordered-by-user list, groups or inactive statements) makes
// apply() answer `unsupported`, and the caller validates the whole configuration instead. A verdict of
// `invalid` also sends the caller to the whole validation, for libyang's full error report.
#pragma once

#include <memory>
#include <string>

#include "msim/config/change_set.hpp"
#include "msim/config/validate.hpp"

struct lyd_node;

namespace msim::config {

class LiveDataTree {
  public:
    explicit LiveDataTree(const Schema& schema);
    ~LiveDataTree();
    LiveDataTree(const LiveDataTree&) = delete;
    LiveDataTree& operator=(const LiveDataTree&) = delete;

    // Takes the validated tree of a configuration (validate()'s tree); an empty tree for an empty one.
    void reset(DataTree tree);
    // Forgets the tree (the next commit validates in full).
    void clear();
    bool has_tree() const;
    // First top-level sibling (null for an empty configuration).
    const lyd_node* root() const;

    enum class Verdict { valid, invalid, unsupported };
    // Patches the tree with `changes`, computed from the configuration the tree holds to an expanded
    // configuration whose nodes the changes still point into, and checks what they can affect. On `valid`
    // the tree is the validated tree of that configuration, and keep() or undo() must follow; otherwise the
    // tree is as it was.
    Verdict apply(const ChangeSet& changes);
    void keep();
    void undo();
    // Why the last apply() did not answer `valid` (for the commit trace).
    const std::string& note() const;
    // Why this schema cannot be validated incrementally at all (empty when it can).
    const std::string& schema_limit() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace msim::config
