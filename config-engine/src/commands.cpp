#include "msim/config/commands.hpp"

#include <regex.h>
#include <algorithm>
#include <optional>

#include "internal.hpp"

namespace msim::config {

using detail::Step;
using detail::WalkMode;
using detail::Word;

std::vector<CommandWord> split_command(std::string_view line) {
    std::vector<CommandWord> out;
    size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ' || line[i] == '\t') {
            ++i;
            continue;
        }
        CommandWord w;
        w.offset = i;
        if (line[i] == '"') {
            w.quoted = true;
            ++i;
            bool closed = false;
            while (i < line.size()) {
                if (line[i] == '\\' && i + 1 < line.size()) {
                    w.text += line[i + 1];
                    i += 2;
                } else if (line[i] == '"') {
                    ++i;
                    closed = true;
                    break;
                } else {
                    w.text += line[i++];
                }
            }
            if (!closed) {
                ConfigError e("syntax error, unterminated string.");
                e.offset = w.offset;
                e.word_index = static_cast<int>(out.size());
                throw e;
            }
        } else {
            while (i < line.size() && line[i] != ' ' && line[i] != '\t')
                w.text += line[i++];
        }
        w.end = i;
        out.push_back(std::move(w));
    }
    return out;
}

namespace {

std::vector<Word> to_words(const std::vector<CommandWord>& cw) {
    std::vector<Word> out;
    out.reserve(cw.size());
    for (const auto& c : cw) {
        Word w;
        w.text = c.text;
        w.quoted = c.quoted;
        w.offset = c.offset;
        w.end = c.end;
        out.push_back(std::move(w));
    }
    return out;
}

std::vector<Word> path_words(const std::vector<std::string>& path) {
    std::vector<Word> out;
    for (const auto& p : path) {
        Word w;
        w.text = p;
        out.push_back(std::move(w));
    }
    return out;
}

template <class N>
N* locate(N* at, const std::vector<Step>& steps, size_t count) {
    for (size_t i = 0; i < count && at; ++i) {
        const Step& st = steps[i];
        at = at->find(st.schema, st.schema->kind == NodeKind::list ? st.values : std::vector<std::string>{});
    }
    return at;
}

ConfigError word_error(const std::vector<Word>& words, size_t i, std::string msg) {
    ConfigError e = detail::error_at(words[i], std::move(msg));
    e.word_index = static_cast<int>(i);
    return e;
}

ConfigError end_error(const std::vector<Word>& words, std::string msg) {
    ConfigError e(std::move(msg));
    e.word_index = static_cast<int>(words.size());
    e.offset = words.empty() ? 0 : words.back().end + 1;
    return e;
}

// The edit level: its steps from the root (the level itself may not exist in the tree yet).
struct Level {
    std::vector<Step> steps;
    const SchemaNode* scope = nullptr;
};

Level level_of(const Schema& schema, const std::vector<std::string>& edit_path) {
    Level l;
    l.scope = &schema.root();
    if (edit_path.empty())
        return l;
    auto words = path_words(edit_path);
    size_t consumed = 0;
    l.steps = detail::walk(schema, schema.root(), words, 0, WalkMode::path, &consumed);
    if (consumed != words.size() || !l.steps.back().schema->is_entry_holder() ||
        (l.steps.back().schema->kind == NodeKind::list && l.steps.back().values.empty()))
        throw ConfigError("invalid edit path");
    l.scope = l.steps.back().schema;
    return l;
}

void prune_empty(Node* n) {
    while (n && !n->is_root() && n->children().empty() && n->schema()->kind == NodeKind::container &&
           !n->schema()->presence) {
        Node* p = n->parent();
        p->remove(n);
        n = p;
    }
}

bool is_keyword(const Word& w, const char* k) {
    return !w.quoted && w.text == k;
}

// Resolves words[begin, end) as a path below the edit level; the last step must name a statement.
std::vector<Step> resolve(const Schema& schema, const Level& lvl, const std::vector<Word>& words,
                          size_t begin, size_t end, WalkMode mode) {
    std::vector<Word> sub(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(end));
    size_t consumed = 0;
    if (begin >= end)
        throw end_error(sub, "missing argument.");
    auto steps = detail::walk(schema, *lvl.scope, sub, begin, mode, &consumed);
    if (consumed < end)
        throw word_error(words, consumed, "syntax error.");
    return steps;
}

// Junos takes several statements of one level in one `set` (`set … file kmd files 3 size 1m`, `… spi 2312
// encryption algorithm 3des-cbc key ascii-text K`): after a leaf, the next words continue at the leaf's
// level, or failing that at an enclosing one (up to the edit level). Everything is resolved before the
// tree changes, so a bad word anywhere leaves the candidate as it was.
CommandResult do_set(const Schema& schema, Node& root, const Level& lvl, const std::vector<Word>& words) {
    if (words.size() < 2)
        throw end_error(words, "missing argument.");
    std::vector<std::vector<Step>> statements;  // each a full path from the edit level
    std::vector<Step> prefix;                   // the containers the next statement may continue in
    size_t pos = 1;
    while (pos < words.size()) {
        size_t consumed = 0;
        std::vector<Step> steps = detail::walk_at_nearest_level(schema, *lvl.scope, prefix, words, pos,
                                                                WalkMode::set, &consumed, statements.empty());
        std::vector<Step> full = prefix;
        full.insert(full.end(), steps.begin(), steps.end());
        const bool ends_in_leaf = !full.back().schema->is_entry_holder();
        if (consumed < words.size() && !ends_in_leaf)
            throw word_error(words, consumed, "syntax error.");
        statements.push_back(full);
        full.pop_back();  // the leaf's own level is where the next statement starts looking
        prefix = std::move(full);
        pos = consumed;
    }
    Node* base = lvl.steps.empty() ? &root : detail::materialize(root, lvl.steps);
    for (const auto& steps : statements)
        detail::materialize(*base, steps);
    return {};
}

CommandResult do_delete(const Schema& schema, Node& root, const Level& lvl, const std::vector<Word>& words) {
    CommandResult r;
    Node* base = locate(&root, lvl.steps, lvl.steps.size());
    if (words.size() == 1) {
        // `delete` alone clears the current level.
        if (base) {
            base->clear_children();
            if (base != &root)
                prune_empty(base);
        }
        return r;
    }
    auto steps = resolve(schema, lvl, words, 1, words.size(), WalkMode::path);
    Node* parent = locate(base, steps, steps.size() - 1);
    const Step& last = steps.back();
    if (!parent) {
        r.warnings.push_back("warning: statement not found");
        return r;
    }
    if (last.schema->kind == NodeKind::list && last.values.empty()) {
        std::vector<const Node*> all;
        for (const auto& c : parent->children())
            if (c->schema() == last.schema)
                all.push_back(c.get());
        if (all.empty())
            r.warnings.push_back("warning: statement not found");
        for (const Node* n : all)
            parent->remove(n);
        prune_empty(parent);
        return r;
    }
    Node* n = locate(parent, steps, 0) ? parent->find(last.schema, last.schema->kind == NodeKind::list
                                                                       ? last.values
                                                                       : std::vector<std::string>{})
                                       : nullptr;
    if (!n) {
        r.warnings.push_back("warning: statement not found");
        return r;
    }
    if (last.schema->kind == NodeKind::leaf_list && !last.values.empty()) {
        auto& vals = n->mutable_values();
        for (const auto& v : last.values) {
            auto it = std::find(vals.begin(), vals.end(), v);
            if (it == vals.end()) {
                r.warnings.push_back("warning: statement not found");
                return r;
            }
        }
        for (const auto& v : last.values)
            vals.erase(std::find(vals.begin(), vals.end(), v));
        if (!vals.empty())
            return r;
    } else if (last.schema->kind == NodeKind::leaf && !last.values.empty() && !n->values().empty() &&
               !last.schema->secret && n->values().front() != last.values.front()) {
        r.warnings.push_back("warning: statement not found");
        return r;
    }
    parent->remove(n);
    prune_empty(parent);
    return r;
}

Node* find_statement(const Schema& schema, Node& root, const Level& lvl, const std::vector<Word>& words,
                     size_t b, size_t e, std::vector<Step>* out_steps = nullptr) {
    auto steps = resolve(schema, lvl, words, b, e, WalkMode::path);
    Node* base = locate(&root, lvl.steps, lvl.steps.size());
    Node* n = locate(base, steps, steps.size());
    if (out_steps)
        *out_steps = std::move(steps);
    return n;
}

CommandResult do_activate(const Schema& schema, Node& root, const Level& lvl, const std::vector<Word>& words,
                          bool activate) {
    CommandResult r;
    Node* n = find_statement(schema, root, lvl, words, 1, words.size());
    if (!n) {
        r.warnings.push_back("warning: statement not found");
        return r;
    }
    if (activate && !n->inactive)
        r.warnings.push_back("warning: statement not inactive");
    if (!activate && n->inactive)
        r.warnings.push_back("warning: statement already inactive");
    n->inactive = !activate;
    n->touch();
    return r;
}

CommandResult do_annotate(const Schema& schema, Node& root, const Level& lvl,
                          const std::vector<Word>& words) {
    if (words.size() < 3)
        throw end_error(words, "missing argument.");
    Node* n = find_statement(schema, root, lvl, words, 1, words.size() - 1);
    if (!n)
        throw ConfigError("error: statement not found");
    n->annotation = words.back().text;
    n->touch();
    return {};
}

size_t find_word(const std::vector<Word>& words, std::initializer_list<const char*> ks, size_t from) {
    for (size_t i = words.size(); i-- > from;)
        for (const char* k : ks)
            if (is_keyword(words[i], k))
                return i;
    return words.size();
}

// Resolves the target of rename/copy/insert (`unit 1`, `fe-0/0/2`, `term t0`) among the siblings of
// the source statement: the same list, new keys.
std::vector<std::string> sibling_keys(const Schema& schema, const SchemaNode& list,
                                      const std::vector<Word>& words, size_t b) {
    if (b >= words.size())
        throw end_error(words, "missing argument.");
    size_t consumed = 0;
    auto steps = detail::walk(schema, *list.parent, words, b, WalkMode::path, &consumed);
    if (consumed < words.size())
        throw word_error(words, consumed, "syntax error.");
    if (steps.size() != 1 || steps.front().schema != &list || steps.front().values.size() != list.keys.size())
        throw word_error(words, b, "syntax error.");
    return steps.front().values;
}

CommandResult do_rename_copy(const Schema& schema, Node& root, const Level& lvl,
                             const std::vector<Word>& words, bool copy) {
    size_t to = find_word(words, {"to"}, 2);
    if (to == words.size())
        throw end_error(words, "missing argument.");
    std::vector<Step> steps;
    Node* src = find_statement(schema, root, lvl, words, 1, to, &steps);
    const SchemaNode* sn = steps.back().schema;
    if (sn->kind != NodeKind::list || steps.back().values.empty())
        throw word_error(words, to, "syntax error.");
    auto keys = sibling_keys(schema, *sn, words, to + 1);
    if (!src)
        throw ConfigError("error: statement not found");
    Node* parent = src->parent();
    if (parent->find(sn, keys))
        throw ConfigError("error: target statement already exists");
    if (copy) {
        auto dup = std::make_unique<Node>(*src);
        dup->mutable_values() = keys;
        parent->add(std::move(dup));
    } else {
        parent->rekey(src, keys);
    }
    return {};
}

CommandResult do_insert(const Schema& schema, Node& root, const Level& lvl, const std::vector<Word>& words) {
    size_t pos = find_word(words, {"before", "after"}, 2);
    if (pos == words.size())
        throw end_error(words, "missing argument.");
    const bool after = words[pos].text == "after";
    std::vector<Step> steps;
    Node* src = find_statement(schema, root, lvl, words, 1, pos, &steps);
    const Step& last = steps.back();
    if (last.schema->kind == NodeKind::leaf_list) {
        if (last.values.size() != 1)
            throw word_error(words, pos, "syntax error.");
        if (pos + 2 != words.size())
            throw end_error(words, pos + 1 >= words.size() ? "missing argument." : "syntax error.");
        if (!src)
            throw ConfigError("error: statement not found");
        auto& vals = src->mutable_values();
        auto from = std::find(vals.begin(), vals.end(), last.values.front());
        auto ref = std::find(vals.begin(), vals.end(), words[pos + 1].text);
        if (from == vals.end() || ref == vals.end())
            throw ConfigError("error: statement not found");
        std::string item = *from;
        vals.erase(from);
        ref = std::find(vals.begin(), vals.end(), words[pos + 1].text);
        vals.insert(after ? ref + 1 : ref, item);
        return {};
    }
    if (last.schema->kind != NodeKind::list || last.values.empty())
        throw word_error(words, pos, "syntax error.");
    auto keys = sibling_keys(schema, *last.schema, words, pos + 1);
    if (!src)
        throw ConfigError("error: statement not found");
    Node* parent = src->parent();
    Node* ref = parent->find(last.schema, keys);
    if (!ref)
        throw ConfigError("error: statement not found");
    if (ref != src)
        parent->move_to(src, ref, after);
    return {};
}

CommandResult do_wildcard_delete(const Schema& schema, Node& root, const Level& lvl,
                                 const std::vector<Word>& words) {
    CommandResult r;
    if (words.size() < 2 || !is_keyword(words[1], "delete"))
        throw word_error(words, std::min<size_t>(1, words.size() - 1), "syntax error.");
    if (words.size() < 4)
        throw end_error(words, "missing argument.");
    std::vector<Step> steps;
    Node* holder = find_statement(schema, root, lvl, words, 2, words.size() - 1, &steps);
    const SchemaNode* sn = steps.back().schema;
    const SchemaNode* list = nullptr;
    if (sn->kind == NodeKind::container && sn->hidden_list) {
        list = sn->hidden_list;
    } else if (sn->kind == NodeKind::list && steps.back().values.empty()) {
        list = sn;
        holder = locate(locate(&root, lvl.steps, lvl.steps.size()), steps, steps.size() - 1);
    } else {
        throw word_error(words, words.size() - 1, "syntax error.");
    }
    // POSIX extended regular expressions, anchored: the whole name must match.
    regex_t re;
    if (regcomp(&re, ("^(" + words.back().text + ")$").c_str(), REG_EXTENDED | REG_NOSUB) != 0)
        throw word_error(words, words.size() - 1, "invalid regular expression.");
    std::vector<const Node*> matched;
    if (holder)
        for (const auto& c : holder->children())
            if (c->schema() == list && !c->values().empty() &&
                regexec(&re, c->values().front().c_str(), 0, nullptr, 0) == 0) {
                matched.push_back(c.get());
                r.lines.push_back("  matched: " + c->values().front());
            }
    regfree(&re);
    if (matched.empty()) {
        r.warnings.push_back("warning: statement not found");
        return r;
    }
    for (const Node* n : matched)
        holder->remove(n);
    prune_empty(holder);
    return r;
}

}  // namespace

CommandResult run_command(const Schema& schema, Node& root, const std::vector<std::string>& edit_path,
                          std::string_view line) {
    auto words = to_words(split_command(line));
    if (words.empty())
        throw end_error(words, "missing argument.");
    Level lvl = level_of(schema, edit_path);
    const std::string& verb = words.front().text;
    if (verb == "set")
        return do_set(schema, root, lvl, words);
    if (verb == "delete")
        return do_delete(schema, root, lvl, words);
    if (verb == "activate" || verb == "deactivate")
        return do_activate(schema, root, lvl, words, verb == "activate");
    if (verb == "annotate")
        return do_annotate(schema, root, lvl, words);
    if (verb == "rename" || verb == "copy")
        return do_rename_copy(schema, root, lvl, words, verb == "copy");
    if (verb == "insert")
        return do_insert(schema, root, lvl, words);
    if (verb == "wildcard")
        return do_wildcard_delete(schema, root, lvl, words);
    throw word_error(words, 0, "syntax error.");
}

std::vector<std::string> resolve_edit_path(const Schema& schema, const std::vector<std::string>& edit_path,
                                           std::string_view line) {
    auto words = to_words(split_command(line));
    Level lvl = level_of(schema, edit_path);
    if (words.empty())
        return edit_path;
    size_t consumed = 0;
    auto steps = detail::walk(schema, *lvl.scope, words, 0, WalkMode::path, &consumed);
    if (consumed < words.size())
        throw word_error(words, consumed, "syntax error.");
    const Step& last = steps.back();
    if (!last.schema->is_entry_holder())
        throw word_error(words, last.word, "syntax error.");
    if (last.schema->kind == NodeKind::list && last.values.empty())
        throw end_error(words, "missing argument.");
    std::vector<std::string> out = edit_path;
    for (const auto& st : steps) {
        if (!st.schema->hide_keyword)
            out.push_back(st.schema->name);
        out.insert(out.end(), st.values.begin(), st.values.end());
    }
    return out;
}

const Node* find_path(const Schema& schema, const Node& root, const std::vector<std::string>& path) {
    Level lvl = level_of(schema, path);
    return locate(&root, lvl.steps, lvl.steps.size());
}

const Node* find_leaf_statement(const Schema& schema, const Node& root,
                                const std::vector<std::string>& edit_path, std::string_view line) {
    auto words = to_words(split_command(line));
    if (words.empty())
        throw ConfigError("syntax error.");
    Level lvl = level_of(schema, edit_path);
    size_t consumed = 0;
    auto steps = detail::walk(schema, *lvl.scope, words, 0, WalkMode::path, &consumed);
    if (consumed < words.size())
        throw word_error(words, consumed, "syntax error.");
    const Step& last = steps.back();
    if (last.schema->kind != NodeKind::leaf && last.schema->kind != NodeKind::leaf_list)
        throw word_error(words, last.word, "syntax error.");
    const Node* base = locate(&root, lvl.steps, lvl.steps.size());
    return base ? locate(base, steps, steps.size()) : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Completion

namespace {

char marker_of(const SchemaNode& s) {
    if (s.kind == NodeKind::container || s.kind == NodeKind::list)
        return '>';
    if (s.kind == NodeKind::leaf_list)
        return '+';
    return ' ';
}

}  // namespace

std::vector<Completion> completions(const Schema& schema, const Node& root,
                                    const std::vector<std::string>& edit_path, std::string_view line) {
    std::vector<Completion> out;
    std::vector<CommandWord> words;
    try {
        words = split_command(line);
    } catch (const ConfigError&) {
        return out;
    }
    std::string partial;
    if (!line.empty() && line.back() != ' ' && !words.empty()) {
        partial = words.back().text;
        words.pop_back();
    }
    if (words.empty())
        return out;  // the verb itself is the shell's business
    Level lvl;
    try {
        lvl = level_of(schema, edit_path);
    } catch (const ConfigError&) {
        return out;
    }
    const Node* tn = locate(&root, lvl.steps, lvl.steps.size());
    const SchemaNode* cur = lvl.scope;
    const SchemaNode* list = nullptr;  // waiting for this list's key
    const SchemaNode* leaf = nullptr;  // waiting for this leaf's value
    const size_t first = words.front().text == "wildcard" ? 2 : 1;
    for (size_t i = first; i < words.size(); ++i) {
        const std::string& w = words[i].text;
        if (list) {
            if (tn)
                tn = tn->find(list, {w});
            cur = list;
            list = nullptr;
            continue;
        }
        if (leaf) {
            if (leaf->kind == NodeKind::leaf_list)
                continue;
            return out;  // nothing follows a leaf value
        }
        auto m = schema.find_child(*cur, w, !cur->hidden_list);
        const SchemaNode* scope = cur->scope_alias ? cur->scope_alias : cur;
        const SchemaNode* sn = m.node;
        if (!sn && m.candidates.empty() && scope->hidden_list) {
            sn = scope->hidden_list;
            if (tn)
                tn = tn->find(sn, {w});
            cur = sn;
            continue;
        }
        if (!sn)
            return out;
        if (sn->kind == NodeKind::list) {
            list = sn;
        } else if (sn->kind == NodeKind::container) {
            if (tn)
                tn = tn->find(sn);
            cur = sn;
        } else if (sn->is_empty_leaf()) {
            return out;
        } else {
            leaf = sn;
        }
    }
    auto starts = [&](const std::string& s) { return s.compare(0, partial.size(), partial) == 0; };
    auto add_entries = [&](const SchemaNode* l) {
        const std::string key = l->keys.empty() ? "name" : l->keys.front();
        out.push_back({' ', "<" + key + ">", l->description});
        if (!tn)
            return;
        for (const auto& c : tn->children())
            if (c->schema() == l && !c->values().empty() && starts(c->values().front())) {
                std::string help;
                for (const auto& d : c->children())
                    if (d->keyword() == "description" && !d->values().empty())
                        help = d->values().front();
                out.push_back({' ', c->values().front(), help});
            }
    };
    if (list) {
        add_entries(list);
        return out;
    }
    if (leaf) {
        if (leaf->type.base == ValueType::Base::enumeration) {
            for (const auto& e : leaf->type.enums)
                if (starts(e))
                    out.push_back({' ', e, ""});
        } else {
            out.push_back({' ', "<" + leaf->name + ">", leaf->description});
        }
        return out;
    }
    const SchemaNode* scope = cur->scope_alias ? cur->scope_alias : cur;
    std::vector<Completion> kw;
    for (const SchemaNode* c : scope->sorted)
        if (starts(c->name))
            kw.push_back({marker_of(*c), c->name, c->description});
    if (!scope->by_name.count("apply-groups") && starts("apply-groups"))
        kw.push_back({'+', "apply-groups", schema.apply_groups_node().description});
    std::sort(kw.begin(), kw.end(), [](const Completion& a, const Completion& b) { return a.name < b.name; });
    if (scope->hidden_list)
        add_entries(scope->hidden_list);
    out.insert(out.end(), kw.begin(), kw.end());
    return out;
}

std::string format_completions(const std::vector<Completion>& items) {
    if (items.empty())
        return "No valid completions\n";
    std::string out = "Possible completions:\n";
    for (const auto& c : items) {
        out += c.marker;
        out += ' ';
        out += c.name;
        if (!c.help.empty()) {
            if (c.name.size() < 21)
                out.append(21 - c.name.size(), ' ');
            else
                out += "  ";
            out += c.help;
        }
        out += '\n';
    }
    return out;
}

}  // namespace msim::config
