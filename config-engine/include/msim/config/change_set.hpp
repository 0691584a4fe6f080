// The difference between two configuration trees as a list of statement changes, computed in time
// proportional to what changed (it follows the change marks of tree.hpp), and applied to a tree in place
// with an undo record. mgd's commit works from it: the libyang data tree, the C++ validators, the daemons'
// changes and the committed tree itself are all patched with the same list.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msim/config/tree.hpp"

namespace msim::config {

// A statement's identity among its siblings: its schema node and (list entries) its keys.
struct StatementId {
    const SchemaNode* schema = nullptr;
    std::vector<std::string> keys;
    bool operator==(const StatementId&) const = default;
};

struct StatementChange {
    enum class Kind {
        created,    // the statement (with its whole subtree) is new
        deleted,    // the statement (with its whole subtree) is gone
        modified,   // a leaf's value or a leaf-list's items changed
        meta,       // only its inactive mark or its annotation changed
        reordered,  // the entries of a list under `where` changed places
    };
    Kind kind = Kind::created;
    std::vector<StatementId> where;  // from the root to the statement (reordered: to the list's parent)
    // Pointers into the two trees the set was computed from; valid while those trees do not change.
    const Node* old_node = nullptr;  // deleted, modified, meta (reordered: the old parent)
    const Node* new_node = nullptr;  // created, modified, meta (reordered: the new parent)
    // What apply() needs once the new tree may have changed again (mgd edits go on during a commit),
    // filled by keep_copies().
    std::unique_ptr<Node> replacement;            // created: the subtree; modified: the node (no children)
    std::optional<StatementId> after;             // created list entry: the entry it follows (none: first)
    bool inactive = false;                        // meta
    std::string annotation;                       // meta
    const SchemaNode* list = nullptr;             // reordered: the list
    std::vector<std::vector<std::string>> order;  // reordered: every entry's keys, in the new order

    // Words from the root as `set` takes them (keywords, keys; a hide-keyword list contributes its keys).
    std::vector<std::string> path_words() const;
};

class ChangeSet {
  public:
    // The changes from `old_root` to `new_root`. With `follow_marks`, only the marked parts of `new_root`
    // are compared: every difference must be marked (true when `new_root` was copied from `old_root`, or
    // from a tree equal to it, with the marks cleared, and changed only through Node's members since).
    static ChangeSet between(const Node& old_root, const Node& new_root, bool follow_marks);

    // Copies what the changes create or set (`replacement`) out of the new tree, for apply() once that
    // tree may have changed. Call while it is as it was when the set was computed.
    void keep_copies();

    const std::vector<StatementChange>& changes() const { return changes_; }
    bool empty() const { return changes_.empty(); }
    size_t size() const { return changes_.size(); }
    // Statements created or deleted, counted with their subtrees (for choosing a full validation).
    size_t weight() const { return weight_; }
    // Some change concerns an inactive mark, groups or apply-groups (statements a commit must expand).
    bool touches_expansion() const { return touches_expansion_; }
    // Some change places entries of an ordered-by-user list differently (moved, or new ones not at its end).
    bool reorders() const { return reorders_; }

    // Undo record of apply(): restores the tree it was applied to.
    class Undo {
      public:
        struct Step;  // defined where apply() is
        Undo();
        Undo(Undo&&) noexcept;
        Undo& operator=(Undo&&) noexcept;
        ~Undo();
        // Puts the tree back as it was before apply() (the tree must not have changed since).
        void undo();
        bool empty() const { return steps_.empty(); }

      private:
        friend class ChangeSet;
        Node* root_ = nullptr;
        std::vector<std::unique_ptr<Step>> steps_;
    };

    // Makes `root` (a tree equal to the old tree of the set) equal to the new tree as it was when the set
    // was computed, using only the set's own copies. Throws std::logic_error when `root` does not match
    // (nothing is then changed). The changed nodes of `root` are marked.
    Undo apply(Node& root) const;

    // Marks, in `root`, the statements this set changes (after a failed commit the candidate must show
    // them again as changed).
    void mark_in(Node& root) const;

  private:
    std::vector<StatementChange> changes_;
    size_t weight_ = 0;
    bool touches_expansion_ = false;
    bool reorders_ = false;
    friend class ChangeWalker;
};

// Whether two subtrees are equal: schema, values, inactive marks, annotations and children in order.
bool same_subtree(const Node& a, const Node& b);

// The node at `where` below `root`, or null.
const Node* statement_at(const Node& root, const std::vector<StatementId>& where);
Node* statement_at(Node& root, const std::vector<StatementId>& where);

}  // namespace msim::config
