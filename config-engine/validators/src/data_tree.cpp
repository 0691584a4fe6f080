#include "data_tree.hpp"

#include <algorithm>

namespace msim::config::validators::detail {

std::string_view name_of(const lyd_node* node) {
    return node && node->schema ? std::string_view(node->schema->name) : std::string_view();
}

std::string_view value_of(const lyd_node* node) {
    const char* v = node ? lyd_get_value(node) : nullptr;
    return v ? std::string_view(v) : std::string_view();
}

const lyd_node* top(const lyd_node* root, std::string_view name) {
    if (!root)
        return nullptr;
    for (const lyd_node* n = lyd_first_sibling(root); n; n = n->next)
        if (name_of(n) == name)
            return n;
    return nullptr;
}

const lyd_node* child(const lyd_node* parent, std::string_view name) {
    if (!parent)
        return nullptr;
    for (const lyd_node* c = lyd_child(parent); c; c = c->next)
        if (name_of(c) == name)
            return c;
    return nullptr;
}

const lyd_node* descend(const lyd_node* node, std::initializer_list<std::string_view> names) {
    for (auto n : names) {
        node = child(node, n);
        if (!node)
            return nullptr;
    }
    return node;
}

std::string_view leaf(const lyd_node* parent, std::string_view name) {
    return value_of(child(parent, name));
}

bool has(const lyd_node* parent, std::string_view name) {
    return child(parent, name) != nullptr;
}

namespace {

bool hides_keyword(const lysc_node* schema) {
    LY_ARRAY_COUNT_TYPE i;
    LY_ARRAY_FOR(schema->exts, i) {
        const lysc_ext* def = schema->exts[i].def;
        if (def && def->name && std::string_view(def->name) == "hide-keyword" && def->module &&
            std::string_view(def->module->name) == "msim-extensions")
            return true;
    }
    return false;
}

std::string quoted(std::string_view v) {
    if (!v.empty() && v.find_first_of(" \t;{}[]\"'#") == std::string_view::npos)
        return std::string(v);
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace

std::vector<std::string> edit_path(const lyd_node* node) {
    std::vector<const lyd_node*> chain;
    for (const lyd_node* n = node; n; n = lyd_parent(n))
        chain.push_back(n);
    std::reverse(chain.begin(), chain.end());
    std::vector<std::string> words;
    for (const lyd_node* n : chain) {
        if (!n->schema)
            continue;
        if (n->schema->nodetype == LYS_LIST) {
            if (!hides_keyword(n->schema))
                words.emplace_back(n->schema->name);
            for (const lyd_node* k = lyd_child(n); k && k->schema && (k->schema->flags & LYS_KEY);
                 k = k->next)
                words.push_back(quoted(value_of(k)));
        } else {
            words.emplace_back(n->schema->name);
        }
    }
    return words;
}

std::string statement(std::string_view keyword, std::string_view value) {
    std::string s(keyword);
    if (!value.empty()) {
        s += ' ';
        s += quoted(value);
    }
    return s;
}

CommitError error_at(const lyd_node* node, std::string stmt, std::string message, Severity severity) {
    return CommitError{edit_path(node), std::move(stmt), std::move(message), severity};
}

}  // namespace msim::config::validators::detail
