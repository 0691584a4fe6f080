#include "msim/config/validate.hpp"

#include <libyang/libyang.h>

#include <cstring>

#include "data_builder.hpp"
#include "internal.hpp"
#include "msim/config/secret.hpp"

namespace msim::config {

void DataTreeDeleter::operator()(lyd_node* n) const noexcept {
    if (n)
        lyd_free_all(n);
}

namespace {

// Splits a data path into (name, predicate values) steps.
std::vector<std::pair<std::string, std::vector<std::string>>> split_data_path(const std::string& p) {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    size_t i = 0;
    while (i < p.size()) {
        if (p[i] != '/')
            break;
        ++i;
        std::string name;
        while (i < p.size() && p[i] != '/' && p[i] != '[')
            name += p[i++];
        if (auto colon = name.find(':'); colon != std::string::npos)
            name = name.substr(colon + 1);
        std::vector<std::string> keys;
        while (i < p.size() && p[i] == '[') {
            size_t eq = p.find('=', i);
            if (eq == std::string::npos || eq + 1 >= p.size())
                return out;
            const char q = p[eq + 1];
            size_t close = p.find(q, eq + 2);
            if (close == std::string::npos)
                return out;
            keys.push_back(p.substr(eq + 2, close - eq - 2));
            i = p.find(']', close);
            if (i == std::string::npos)
                return out;
            ++i;
        }
        out.emplace_back(std::move(name), std::move(keys));
    }
    return out;
}

// Junos words of each step of a data path (a hide-keyword entry contributes its keys only).
std::vector<std::vector<std::string>> path_steps(const Schema& schema, const std::string& data_path) {
    std::vector<std::vector<std::string>> out;
    const SchemaNode* cur = &schema.root();
    for (auto& [name, keys] : split_data_path(data_path)) {
        std::vector<std::string> words;
        const SchemaNode* sn = nullptr;
        if (auto it = cur->by_name.find(name); it != cur->by_name.end())
            sn = it->second;
        else if (cur->hidden_list && cur->hidden_list->name == name)
            sn = cur->hidden_list;
        if (!sn || !sn->hide_keyword)
            words.push_back(name);
        words.insert(words.end(), keys.begin(), keys.end());
        out.push_back(std::move(words));
        if (sn)
            cur = sn;
    }
    return out;
}

// Matches `msg` against literal parts around quoted values ("A\"", "\" B\"", "\" C"): the text
// between consecutive parts goes to `out`. The message must start with the first part.
bool match_quoted(const std::string& msg, std::initializer_list<const char*> parts,
                  std::vector<std::string>& out) {
    out.clear();
    size_t pos = 0;
    bool first = true;
    for (const char* p : parts) {
        const size_t at = msg.find(p, pos);
        if (at == std::string::npos || (first && at != 0))
            return false;
        if (!first)
            out.push_back(msg.substr(pos, at - pos));
        pos = at + std::strlen(p);
        first = false;
    }
    return true;
}

// A node at schema path `names[0..depth)` below `n` that lacks a child called `missing`.
const Node* lacking(const Node& n, const std::vector<std::string>& names, size_t depth,
                    const std::string& missing) {
    if (depth == names.size()) {
        for (const auto& c : n.children())
            if (c->keyword() == missing)
                return nullptr;
        return &n;
    }
    for (const auto& c : n.children())
        if (c->keyword() == names[depth])
            if (const Node* r = lacking(*c, names, depth + 1, missing))
                return r;
    return nullptr;
}

CommitError translate(const Schema& schema, const Node& expanded, const ly_err_item& e) {
    CommitError ce;
    std::string msg = e.msg ? e.msg : "validation failed";
    std::string path = e.path ? e.path : "";
    // libyang 2.1 may wrap the path: 'Data location "/a/b".'
    if (auto q = path.find('"'); q != std::string::npos) {
        auto q2 = path.find('"', q + 1);
        path = path.substr(q + 1, q2 == std::string::npos ? std::string::npos : q2 - q - 1);
    }
    std::vector<std::string> m;
    if (match_quoted(
            msg, {"Invalid leafref value \"", "\" - no target instance \"", "\" with the same value"}, m)) {
        // The target may be relative ("../../proposal/name"): name the list holding the referenced key.
        std::vector<std::string> segs;
        std::string t = m[1], seg;
        for (size_t i = 0; i <= t.size(); ++i) {
            if (i == t.size() || t[i] == '/') {
                if (auto b = seg.find('['); b != std::string::npos)
                    seg.resize(b);
                if (auto c = seg.find(':'); c != std::string::npos)
                    seg = seg.substr(c + 1);
                if (!seg.empty() && seg != "..")
                    segs.push_back(seg);
                seg.clear();
            } else {
                seg += t[i];
            }
        }
        std::string what = segs.size() >= 2 ? segs[segs.size() - 2] : "statement";
        msg = "Referenced " + what + " '" + m[0] + "' is not defined";
    } else if (match_quoted(msg, {"Mandatory node \"", "\" instance does not exist"}, m)) {
        msg = "Missing mandatory statement: '" + m[0] + "'";
        // Only the schema location is given: find the entry that lacks the statement.
        std::vector<std::string> names;
        for (auto& [name, keys] : split_data_path(path))
            names.push_back(name);
        if (!names.empty())
            names.pop_back();
        const Node* at = lacking(expanded, names, 0, m[0]);
        ce.edit_path = at ? at->path_words() : junos_path(schema, path);
        ce.statement = m[0];
        ce.message = msg;
        return ce;
    }
    auto steps = path_steps(schema, path);
    for (size_t i = 0; i + 1 < steps.size(); ++i)
        ce.edit_path.insert(ce.edit_path.end(), steps[i].begin(), steps[i].end());
    if (!steps.empty())
        for (const auto& w : steps.back())
            ce.statement += (ce.statement.empty() ? "" : " ") + w;
    ce.message = msg;
    return ce;
}

}  // namespace

std::vector<std::string> junos_path(const Schema& schema, const std::string& data_path) {
    std::vector<std::string> out;
    for (auto& step : path_steps(schema, data_path))
        out.insert(out.end(), step.begin(), step.end());
    return out;
}

Validation validate(const Schema& schema, const Node& expanded) {
    Validation v;
    ly_ctx* ctx = schema.context();
    ly_err_clean(ctx, nullptr);
    detail::Builder b(schema);
    b.build(expanded, nullptr);
    v.errors = std::move(b.errors);
    if (!v.errors.empty()) {
        v.tree = std::move(b.tree);
        return v;
    }
    lyd_node* root = b.tree.release();
    LY_ERR rc = lyd_validate_all(&root, ctx, LYD_VALIDATE_NO_STATE, nullptr);
    v.tree.reset(root);
    if (rc != LY_SUCCESS) {
        for (const ly_err_item* e = ly_err_first(ctx); e; e = e->next)
            if (e->level == LY_LLERR)
                v.errors.push_back(translate(schema, expanded, *e));
        if (v.errors.empty())
            v.errors.push_back({{}, {}, detail::libyang_message(ctx), Severity::error});
    }
    ly_err_clean(ctx, nullptr);
    return v;
}

}  // namespace msim::config
