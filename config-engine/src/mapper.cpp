// Schema-guided mapping of words onto the tree: shared by the text format, set commands and loads.
#include <algorithm>

#include "internal.hpp"
#include "msim/config/secret.hpp"

namespace msim::config::detail {

namespace {

ConfigError missing_argument(const std::vector<Word>& words, size_t at) {
    ConfigError e("missing argument.");
    e.word_index = static_cast<int>(at);
    if (!words.empty()) {
        const Word& last = words.back();
        e.line = last.line;
        e.column = last.col + static_cast<uint32_t>(last.text.size());
        e.offset = last.end + 1;
    }
    return e;
}

ConfigError word_error(const std::vector<Word>& words, size_t i, std::string msg) {
    ConfigError e = error_at(words[i], std::move(msg));
    e.word_index = static_cast<int>(i);
    return e;
}

void check(const ValueType& t, std::string& v, const std::vector<Word>& words, size_t i, WalkMode mode) {
    std::string msg = check_value(t, v, mode != WalkMode::trusted);
    if (msg.empty())
        return;
    // Enumerated values are keywords to Junos: a wrong one is a syntax error.
    if (t.base == ValueType::Base::enumeration && msg.rfind("invalid value", 0) == 0)
        msg = "syntax error.";
    if (t.base == ValueType::Base::integer && msg.rfind("Value ", 0) == 0)
        msg += " at '" + words[i].text + "'";
    throw word_error(words, i, msg);
}

}  // namespace

std::vector<Step> walk_at_nearest_level(const Schema& schema, const SchemaNode& scope,
                                        std::vector<Step>& prefix, const std::vector<Word>& words,
                                        size_t begin, WalkMode mode, size_t* consumed, bool first) {
    std::optional<ConfigError> first_error;
    for (size_t keep = prefix.size() + 1; keep-- > 0;) {
        const SchemaNode& at = keep == 0 ? scope : *prefix[keep - 1].schema;
        try {
            auto steps = walk(schema, at, words, begin, mode, consumed);
            prefix.resize(keep);
            return steps;
        } catch (const ConfigError& e) {
            if (!first_error)
                first_error = e;
            if (first)
                throw;  // the first statement has no enclosing level to retry at
        }
    }
    throw *first_error;
}

std::vector<Step> walk(const Schema& schema, const SchemaNode& scope, const std::vector<Word>& words,
                       size_t begin, WalkMode mode, size_t* consumed) {
    std::vector<Step> steps;
    const SchemaNode* cur = &scope;
    const bool prefix = mode != WalkMode::text && mode != WalkMode::trusted;
    size_t i = begin;
    while (i < words.size()) {
        const Word& w = words[i];
        Step st;
        st.word = i;
        const SchemaNode* sn = nullptr;
        KeywordMatch m;
        if (!w.quoted)
            m = schema.find_child(*cur, w.text, prefix && !cur->hidden_list);
        const SchemaNode* scope_node = cur->scope_alias ? cur->scope_alias : cur;
        if (m.node) {
            sn = m.node;
            ++i;
        } else if (!m.candidates.empty()) {
            ConfigError e = word_error(words, i, "'" + w.text + "' is ambiguous.");
            for (const auto* c : m.candidates)
                e.possible.push_back(c->name);
            throw e;
        } else if (scope_node->hidden_list) {
            sn = scope_node->hidden_list;
        } else {
            throw word_error(words, i, "syntax error.");
        }
        st.schema = sn;
        switch (sn->kind) {
            case NodeKind::container:
                break;
            case NodeKind::list:
                for (size_t k = 0; k < sn->keys.size(); ++k, ++i) {
                    // A list keyword alone names every entry (`delete security ike policy`).
                    if (i >= words.size() && mode == WalkMode::path && k == 0)
                        break;
                    if (i >= words.size())
                        throw missing_argument(words, i);
                    std::string v = words[i].text;
                    // `<fe-*>`: a wildcard name of a configuration group (checked when it is applied).
                    const bool wildcard = v.size() >= 2 && v.front() == '<' && v.back() == '>';
                    if (!wildcard)
                        check(sn->key_types[k], v, words, i, mode);
                    st.values.push_back(std::move(v));
                }
                break;
            case NodeKind::leaf:
                if (sn->is_empty_leaf())
                    break;
                if (i >= words.size()) {
                    if (mode == WalkMode::set)
                        throw missing_argument(words, i);
                    break;
                }
                {
                    std::string v = words[i].text;
                    check(sn->type, v, words, i, mode);
                    if (sn->secret && v.rfind("$9$", 0) == 0 && !decode_secret(v))
                        throw word_error(words, i, "invalid encrypted secret.");
                    st.values.push_back(std::move(v));
                    ++i;
                }
                break;
            case NodeKind::leaf_list:
                if (i >= words.size() && mode == WalkMode::set)
                    throw missing_argument(words, i);
                if (mode == WalkMode::set) {
                    // `set` takes one item or a bracketed list; what follows is another statement
                    // (`route P next-hop A preference 5`).
                    if (words[i].text == "[" && !words[i].quoted) {
                        for (++i; i < words.size() && !(words[i].text == "]" && !words[i].quoted); ++i) {
                            std::string v = words[i].text;
                            check(sn->type, v, words, i, mode);
                            st.values.push_back(std::move(v));
                        }
                        if (i >= words.size() || st.values.empty())
                            throw missing_argument(words, i);
                        ++i;  // the closing bracket
                    } else {
                        std::string v = words[i].text;
                        check(sn->type, v, words, i, mode);
                        st.values.push_back(std::move(v));
                        ++i;
                    }
                    break;
                }
                for (; i < words.size(); ++i) {
                    if (words[i].text == "[" || words[i].text == "]")
                        continue;
                    std::string v = words[i].text;
                    check(sn->type, v, words, i, mode);
                    st.values.push_back(std::move(v));
                }
                break;
        }
        // `set interfaces`: a bare non-presence container sets nothing.
        if (mode == WalkMode::set && i >= words.size() && sn->kind == NodeKind::container && !sn->presence)
            throw missing_argument(words, i);
        steps.push_back(std::move(st));
        if (!sn->is_entry_holder())
            break;
        cur = sn;
    }
    if (steps.empty()) {
        if (words.size() > begin)
            throw word_error(words, begin, "syntax error.");
        throw missing_argument(words, begin);
    }
    *consumed = i;
    return steps;
}

std::string to_secret(const std::string& value) {
    if (value.rfind("$9$", 0) == 0) {
        if (!decode_secret(value))
            throw ConfigError("invalid encrypted secret");
        return value;
    }
    return encode_secret(value);
}

Node* materialize(Node& at, const std::vector<Step>& steps) {
    Node* cur = &at;
    for (const auto& st : steps) {
        const SchemaNode* sn = st.schema;
        if (sn->kind == NodeKind::leaf && sn->choice) {
            // Setting one case of a choice removes the statements of the other cases.
            std::vector<const Node*> drop;
            for (const auto& c : cur->children())
                if (c->schema()->choice == sn->choice && c->schema()->choice_case != sn->choice_case)
                    drop.push_back(c.get());
            for (const Node* d : drop)
                cur->remove(d);
        }
        Node* n = cur->find(sn, sn->kind == NodeKind::list ? st.values : std::vector<std::string>{});
        if (!n) {
            std::vector<std::string> vals;
            if (sn->kind == NodeKind::list)
                vals = st.values;
            n = cur->add(std::make_unique<Node>(sn, std::move(vals)));
        }
        if (sn->kind == NodeKind::leaf) {
            if (!st.values.empty())
                n->mutable_values() = {sn->secret ? to_secret(st.values.front()) : st.values.front()};
        } else if (sn->kind == NodeKind::leaf_list) {
            for (const auto& v : st.values) {
                std::string item = sn->secret ? to_secret(v) : v;
                if (std::find(n->values().begin(), n->values().end(), item) == n->values().end())
                    n->mutable_values().push_back(std::move(item));
            }
        }
        cur = n;
    }
    return cur;
}

void merge_into(Node& dst, const Node& src, bool honour_replace) {
    for (const auto& c : src.children()) {
        const SchemaNode* sn = c->schema();
        Node* existing = dst.find(sn, sn->kind == NodeKind::list ? c->values() : std::vector<std::string>{});
        if (c->tag == LoadTag::remove) {
            if (existing)
                dst.remove(existing);
            continue;
        }
        if (existing && honour_replace && c->tag == LoadTag::replace) {
            dst.remove(existing);
            existing = nullptr;
        }
        if (!existing) {
            if (sn->kind == NodeKind::leaf && sn->choice) {
                std::vector<const Node*> drop;
                for (const auto& d : dst.children())
                    if (d->schema()->choice == sn->choice && d->schema()->choice_case != sn->choice_case)
                        drop.push_back(d.get());
                for (const Node* d : drop)
                    dst.remove(d);
            }
            auto copy = std::make_unique<Node>(*c);
            copy->tag = LoadTag::none;
            Node* added = dst.add(std::move(copy));
            {
                // Tags deeper in a copied subtree still apply: `delete:` drops, `replace:` is moot.
                std::vector<Node*> stack{added};
                while (!stack.empty()) {
                    Node* n = stack.back();
                    stack.pop_back();
                    std::vector<const Node*> drop;
                    for (const auto& k : n->children()) {
                        if (k->tag == LoadTag::remove)
                            drop.push_back(k.get());
                        else {
                            k->tag = LoadTag::none;
                            stack.push_back(k.get());
                        }
                    }
                    for (const Node* d : drop)
                        n->remove(d);
                }
            }
            continue;
        }
        if (c->inactive && !existing->inactive) {
            existing->inactive = true;
            existing->touch();
        }
        if (!c->annotation.empty() && existing->annotation != c->annotation) {
            existing->annotation = c->annotation;
            existing->touch();
        }
        if (sn->kind == NodeKind::leaf) {
            existing->mutable_values() = c->values();
        } else if (sn->kind == NodeKind::leaf_list) {
            for (const auto& v : c->values())
                if (std::find(existing->values().begin(), existing->values().end(), v) ==
                    existing->values().end())
                    existing->mutable_values().push_back(v);
        } else {
            merge_into(*existing, *c, honour_replace);
        }
    }
}

}  // namespace msim::config::detail
