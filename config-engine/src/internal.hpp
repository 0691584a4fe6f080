// Pieces shared by the text format, set commands, diff and load (not part of the public API).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "msim/config/error.hpp"
#include "msim/config/tree.hpp"

namespace msim::config::detail {

struct Word {
    std::string text;
    bool quoted = false;
    uint32_t line = 0, col = 0;  // text input
    size_t offset = 0;           // command line input
    size_t end = 0;
};

// Generic statement tree of the text format, before it is mapped onto the schema.
struct Statement {
    std::vector<Word> words;
    std::vector<Statement> children;
    bool block = false;
    bool inactive = false;
    LoadTag tag = LoadTag::none;
    std::string annotation;
};

std::vector<Statement> parse_statements(std::string_view text, const std::string& file);

enum class WalkMode {
    text,     // exact keywords; leaf-lists take every remaining word
    trusted,  // text that was validated before (mgd's changes to daemons): no libyang value checks
    set,      // unique prefixes; a leaf needs its value
    path,     // unique prefixes; a leaf's value is optional (delete/activate/... a statement)
};

struct Step {
    const SchemaNode* schema = nullptr;
    std::vector<std::string> values;  // keys (list), value (leaf), items (leaf-list)
    size_t word = 0;                  // index of its first word
};

// Resolves words[begin..] from `scope`. Throws ConfigError (word_index/offset/line/col set) on an
// unknown or ambiguous keyword, a missing argument or a bad value. Stops after a leaf or leaf-list
// (consuming its value/items); returns how many words were consumed in `consumed`.
std::vector<Step> walk(const Schema& schema, const SchemaNode& scope, const std::vector<Word>& words,
                       size_t begin, WalkMode mode, size_t* consumed);

// One statement of several on a line (`set … file kmd size 1m files 3`, `file kmd size 1m files 3;`): walks
// words[begin..] at the innermost level of `prefix` (the steps taken so far below `scope`), failing that at
// each enclosing one up to `scope`, and cuts `prefix` to the level that took them. When no level does, the
// innermost level's error is thrown; `first` (the line's first statement) tries `scope` only.
std::vector<Step> walk_at_nearest_level(const Schema& schema, const SchemaNode& scope,
                                        std::vector<Step>& prefix, const std::vector<Word>& words,
                                        size_t begin, WalkMode mode, size_t* consumed, bool first);

// Creates (or finds) the nodes of `steps` below `at`; leaves take their value, leaf-lists get their
// items appended. Returns the node of the last step.
Node* materialize(Node& at, const std::vector<Step>& steps);

// Stores a secret in $9$ form (encodes clear text with a random salt; checks given $9$ text).
std::string to_secret(const std::string& value);

// Header text of a statement as printed ("unit 0", "fe-0/0/1", "mode main", "proposals [ a b ]").
std::string head_of(const Node& n);
// Prints `n` itself (annotation, inactive prefix, head, block) at `indent` spaces, each line prefixed
// with `prefix` (used by compare).
void print_node(const Node& n, int indent, std::string& out, std::string_view prefix = {},
                bool inheritance = false);
// True when a flattened container prints on one line with its single child.
bool prints_flat(const Node& n);

// The hierarchy as `[edit a b c]` words from a path of nodes (keywords and keys).
std::string edit_banner(const std::vector<std::string>& words);

// Merge `src` (a parsed tree at the same level) into `dst`: load merge/replace semantics. `delete:`
// tags are always honoured, `replace:` tags when `honour_replace`.
void merge_into(Node& dst, const Node& src, bool honour_replace);

// Identity of a child among its siblings: same schema node and (lists) same keys.
inline Node* counterpart(const Node& parent, const Node& child) {
    return parent.find(child.schema(),
                       child.schema()->kind == NodeKind::list ? child.values() : std::vector<std::string>{});
}

ConfigError error_at(const Word& w, std::string message);

}  // namespace msim::config::detail
