// The configuration schema: the YANG modules of a folder compiled by libyang, indexed once into a
// keyword tree that answers parser, completion, help and ownership questions in constant time.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct ly_ctx;
struct lysc_node;

namespace msim::config {

class SchemaError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class NodeKind { container, list, leaf, leaf_list };

// What a leaf (or a list key) accepts, for set-time value errors and `?` help.
struct ValueType {
    enum class Base { string, integer, empty, boolean, enumeration, other };
    Base base = Base::string;
    bool is_signed = false;
    std::vector<std::pair<int64_t, int64_t>> signed_ranges;  // when is_signed
    std::vector<std::pair<uint64_t, uint64_t>> unsigned_ranges;
    std::string range_text;  // "256..9192" as Junos prints it
    std::vector<std::string> enums;
    // Set when libyang must check the value (patterns, lengths, unions, decimals, ...): the leaf whose
    // type this is. Checked at set/load time so a bad value is refused where it is typed.
    const lysc_node* libyang_leaf = nullptr;
};

struct SchemaNode {
    std::string name;
    NodeKind kind = NodeKind::container;
    std::string description;
    std::string default_value;
    std::string owner;                 // msim:owner on this node itself (empty if none)
    std::vector<std::string> readers;  // msim:reader on this node itself
    bool presence = false;
    bool hide_keyword = false;  // msim:hide-keyword (lists)
    bool flatten = false;       // msim:flatten (containers)
    bool secret = false;        // msim:secret (leaves)
    bool ordered_by_user = false;
    bool mandatory = false;
    int order = 0;                      // position among the parent's children (schema order)
    const void* choice_case = nullptr;  // lysc case this node belongs to (mutually exclusive siblings)
    const void* choice = nullptr;       // lysc choice this node belongs to
    std::vector<std::string> keys;      // list key names
    std::vector<ValueType> key_types;   // one per key
    ValueType type;                     // leaf / leaf-list
    const lysc_node* ys = nullptr;      // libyang node (null for synthetic nodes and the root)
    const SchemaNode* parent = nullptr;
    const SchemaNode* scope_alias = nullptr;  // `groups NAME` entries take the root's children

    std::vector<std::unique_ptr<SchemaNode>> children;  // schema order, keys excluded
    std::unordered_map<std::string, const SchemaNode*> by_name;
    std::vector<const SchemaNode*> sorted;    // children by name, for prefix search and help
    const SchemaNode* hidden_list = nullptr;  // child list with msim:hide-keyword, if any

    bool is_entry_holder() const { return kind == NodeKind::container || kind == NodeKind::list; }
    bool is_empty_leaf() const { return kind == NodeKind::leaf && type.base == ValueType::Base::empty; }
};

// Result of resolving one typed word to a child keyword.
struct KeywordMatch {
    const SchemaNode* node = nullptr;           // set when exactly one keyword matched
    std::vector<const SchemaNode*> candidates;  // set when the prefix was ambiguous
};

class Schema {
  public:
    // Loads every module of `yang_dir` and indexes module `top_module` (its top-level nodes form the
    // configuration root). Throws SchemaError with libyang's message on failure.
    static std::shared_ptr<const Schema> load(const std::string& yang_dir,
                                              const std::string& top_module = "msim-config");
    ~Schema();
    Schema(const Schema&) = delete;
    Schema& operator=(const Schema&) = delete;

    const SchemaNode& root() const { return *root_; }
    ly_ctx* context() const { return ctx_; }

    // Child keyword `word` of `parent`: exact match first, then a unique prefix (when allow_prefix).
    // The synthetic `apply-groups` keyword exists under every container and list entry, `groups` at root.
    KeywordMatch find_child(const SchemaNode& parent, std::string_view word, bool allow_prefix = true) const;

    // Daemon owning the configuration at `path` (keywords and key values, as typed in `set`):
    // the innermost msim:owner on the way down, "mgd" if none.
    std::string owner_of(const std::vector<std::string>& path) const;
    // The owner, and the daemons that read the subtree without owning it (msim:reader on the node or an
    // ancestor, the owner itself excluded): they receive its changes in the commit as the owner does.
    std::pair<std::string, std::vector<std::string>> owner_and_readers(
        const std::vector<std::string>& path) const;

    const SchemaNode& apply_groups_node() const { return *apply_groups_; }
    const SchemaNode& groups_node() const { return *groups_node_; }

  private:
    Schema() = default;
    ly_ctx* ctx_ = nullptr;
    std::unique_ptr<SchemaNode> root_;
    std::unique_ptr<SchemaNode> apply_groups_;
    std::unique_ptr<SchemaNode> groups_;  // synthesised when the modules do not model `groups`
    const SchemaNode* groups_node_ = nullptr;
    friend class SchemaBuilder;
};

// Checks `value` against a leaf or key type. Returns an empty string when acceptable, otherwise the
// Junos message ("Value 9228 is not within range (256..9192)", "invalid numeric value: 'x'", ...).
// Enumerations accept a unique prefix; `value` is then replaced by the full enum name.
// `with_libyang` false leaves out the checks libyang makes (patterns, lengths, unions), for text that was
// validated already (what mgd sends daemons).
std::string check_value(const ValueType& type, std::string& value, bool with_libyang = true);

}  // namespace msim::config
