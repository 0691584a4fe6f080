// The configuration as an ordered tree of statements mapped onto the schema.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "msim/config/schema.hpp"

namespace msim::config {

// Load directives carried by `replace:` / `delete:` tags in a loaded file (cleared once applied).
enum class LoadTag { none, replace, remove };

class Node {
  public:
    Node() = default;  // the root
    Node(const SchemaNode* schema, std::vector<std::string> values)
        : schema_(schema), values_(std::move(values)) {}
    Node(const Node& other);  // deep copy
    Node& operator=(const Node& other);
    Node(Node&& other) noexcept;
    Node& operator=(Node&& other) noexcept;

    const SchemaNode* schema() const { return schema_; }
    bool is_root() const { return schema_ == nullptr; }
    // Keyword as the schema names it ("interface" for a hide-keyword list entry).
    const std::string& keyword() const;
    // Key values (list entry), the value (leaf; empty for an `empty` leaf) or the items (leaf-list).
    const std::vector<std::string>& values() const { return values_; }
    // For changing them: marks the node changed (see touch()).
    std::vector<std::string>& mutable_values() {
        touch();
        return values_;
    }

    // Code that changes `inactive` or `annotation` calls touch() (mgd's commit diff follows the marks).
    bool inactive = false;
    std::string annotation;
    LoadTag tag = LoadTag::none;
    std::string group;  // set by expand_groups() on inherited statements (`| display inheritance`)

    const std::vector<std::unique_ptr<Node>>& children() const { return children_; }
    Node* parent() const { return parent_; }

    // The child with this schema node and (for list entries) these key values; leaves and leaf-lists
    // match by schema node alone.
    Node* find(const SchemaNode* s, const std::vector<std::string>& keys = {}) const;
    // Inserts at its schema position (after existing entries of the same list); returns the new child.
    Node* add(std::unique_ptr<Node> child);
    // Inserts before/after `sibling` (ordered-by-user lists).
    Node* insert_at(std::unique_ptr<Node> child, const Node* sibling, bool after);
    std::unique_ptr<Node> remove(const Node* child);
    void clear_children();
    // Moves an existing child before/after a sibling of the same list.
    bool move_to(const Node* child, const Node* sibling, bool after);
    // Re-keys a list entry (rename); keeps its position.
    void rekey(Node* child, std::vector<std::string> keys);

    // Path words from the root as typed in `set` (keywords, except for hide-keyword lists, and keys).
    std::vector<std::string> path_words() const;
    // Number of statements below (inclusive), for sizing decisions.
    size_t size() const;

    // Change marks, so that a diff against the tree this one was copied from costs what changed, not
    // the size of the configuration (mgd's commit). changed(): this node's values, inactive mark,
    // annotation, or the set or order of its children changed; a node added to a parent is changed with
    // its whole subtree. changed_below(): some descendant is changed. Every member that modifies the
    // tree sets them; a new node starts changed; a copy keeps the marks of its source. Marks only ever
    // over-approximate: a marked node may well be equal to its counterpart.
    bool changed() const { return changed_; }
    bool changed_below() const { return changed_below_; }
    void touch();
    // Clears the marks of this subtree (after it became the reference a diff is taken against).
    void clear_marks();
    // Marks this node and its whole subtree changed.
    void mark_subtree();

  private:
    // Children index: identity is (schema node, key values for list entries), hashed without copies.
    struct ChildKey {
        const SchemaNode* schema;
        const std::vector<std::string>* keys;
    };
    struct ChildHash {
        using is_transparent = void;
        size_t operator()(const ChildKey& k) const noexcept;
        size_t operator()(const Node* n) const noexcept { return (*this)(ChildKey{n->schema_, &n->values_}); }
    };
    struct ChildEq {
        using is_transparent = void;
        static bool same(const ChildKey& a, const ChildKey& b) noexcept;
        bool operator()(const Node* a, const Node* b) const noexcept {
            return same({a->schema_, &a->values_}, {b->schema_, &b->values_});
        }
        bool operator()(const ChildKey& a, const Node* b) const noexcept {
            return same(a, {b->schema_, &b->values_});
        }
        bool operator()(const Node* a, const ChildKey& b) const noexcept {
            return same({a->schema_, &a->values_}, b);
        }
    };
    using ChildIndex = std::unordered_set<Node*, ChildHash, ChildEq>;

    void index_add(Node* c);
    void index_remove(const Node* c);

    void mark_ancestors();

    const SchemaNode* schema_ = nullptr;
    bool changed_ = true;
    bool changed_below_ = false;
    std::vector<std::string> values_;
    Node* parent_ = nullptr;
    std::vector<std::unique_ptr<Node>> children_;
    // Built only for wide nodes (large lists); keyed by schema pointer + key values.
    std::unique_ptr<ChildIndex> index_;
};

// A configuration: its schema and root. Copying it copies the tree (candidate vs committed).
struct Config {
    std::shared_ptr<const Schema> schema;
    Node root;
};

}  // namespace msim::config
