#include "msim/config/diff.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "internal.hpp"
#include "msim/config/text_format.hpp"

namespace msim::config {

namespace {

void append_words(std::string& line, const Node& n) {
    const SchemaNode* s = n.schema();
    if (!s->hide_keyword) {
        line += ' ';
        line += s->name;
    }
    if (s->kind == NodeKind::list)
        for (const auto& v : n.values())
            line += ' ' + quote_value(v);
}

std::string value_text(const Node& n, const std::string& v) {
    return n.schema()->secret ? "\"" + v + "\"" : quote_value(v);
}

void set_lines(const Node& n, const std::string& prefix, std::string& out) {
    std::string path = prefix;
    append_words(path, n);
    const SchemaNode* s = n.schema();
    if (s->kind == NodeKind::leaf) {
        out += "set" + path;
        if (!n.values().empty())
            out += ' ' + value_text(n, n.values().front());
        out += '\n';
    } else if (s->kind == NodeKind::leaf_list) {
        for (const auto& v : n.values())
            out += "set" + path + ' ' + value_text(n, v) + '\n';
    } else if (n.children().empty()) {
        out += "set" + path + '\n';
    } else {
        for (const auto& c : n.children())
            set_lines(*c, path, out);
    }
    if (n.inactive)
        out += "deactivate" + path + '\n';
}

// ---------------------------------------------------------------------------------------------
// compare

class Differ {
  public:
    std::string out;
    bool follow_marks = false;

    void diff(const Node& o, const Node& n, std::vector<std::string>& path, size_t depth) {
        if (follow_marks && !n.changed()) {
            // Same children in the same order: only the marked ones can differ.
            for (const auto& c : n.children()) {
                if (!c->changed() && !c->changed_below())
                    continue;
                if (const Node* oc = detail::counterpart(o, *c))
                    compare_pair(*oc, *c, path, depth);
            }
            return;
        }
        // Old children that are gone, each reported just before the next surviving old sibling.
        // Survivors as a sorted vector: one allocation per level instead of a hash node per child.
        std::vector<const Node*> survivors;
        std::vector<std::pair<const Node*, const Node*>> pairs;  // new child -> old counterpart
        pairs.reserve(n.children().size());
        survivors.reserve(n.children().size());
        for (const auto& c : n.children()) {
            const Node* oc = detail::counterpart(o, *c);
            pairs.emplace_back(c.get(), oc);
            if (oc)
                survivors.push_back(oc);
        }
        std::sort(survivors.begin(), survivors.end());
        auto survives = [&](const Node* p) {
            return std::binary_search(survivors.begin(), survivors.end(), p);
        };
        size_t oi = 0;
        auto flush_removed_until = [&](const Node* stop) {
            for (; oi < o.children().size(); ++oi) {
                const Node* oc = o.children()[oi].get();
                if (oc == stop) {
                    ++oi;
                    return;
                }
                if (!survives(oc))
                    emit(path, depth, *oc, "-");
            }
        };
        const Node* prev_kept = nullptr;  // the previous surviving sibling, for context lines
        for (const auto& [nc, oc] : pairs) {
            if (oc) {
                flush_removed_until(oc);
                if (!follow_marks || nc->changed() || nc->changed_below())
                    compare_pair(*oc, *nc, path, depth);
                prev_kept = nc;
                continue;
            }
            // An entry added to an ordered-by-user list is placed by showing the entry it follows.
            if (prev_kept && prev_kept->schema() == nc->schema() && nc->schema()->ordered_by_user &&
                nc->schema()->kind == NodeKind::list) {
                banner(path);
                out += ' ';
                out.append(static_cast<size_t>(indent_for(depth)), ' ');
                out += detail::head_of(*prev_kept) + " { ... }\n";
            }
            // Removed statements that stood before the next surviving one come first.
            for (; oi < o.children().size() && !survives(o.children()[oi].get()); ++oi)
                emit(path, depth, *o.children()[oi], "-");
            emit(path, depth, *nc, "+");
            prev_kept = nullptr;
        }
        flush_removed_until(nullptr);
    }

  private:
    std::string banner_;

    static int indent_for(size_t depth) { return depth <= 1 ? 2 : 4; }

    void banner(const std::vector<std::string>& path) {
        std::string b = detail::edit_banner(path);
        if (b != banner_) {
            out += b + '\n';
            banner_ = std::move(b);
        }
    }

    void emit(const std::vector<std::string>& path, size_t depth, const Node& n, const char* sign) {
        banner(path);
        detail::print_node(n, indent_for(depth), out, sign);
    }

    void compare_pair(const Node& o, const Node& n, std::vector<std::string>& path, size_t depth) {
        const SchemaNode* s = n.schema();
        if (!s->is_entry_holder()) {
            if (o.values() != n.values() || o.inactive != n.inactive || o.annotation != n.annotation) {
                emit(path, depth, o, "-");
                emit(path, depth, n, "+");
            }
            return;
        }
        if (o.inactive != n.inactive || o.annotation != n.annotation) {
            banner(path);
            if (n.annotation != o.annotation && !n.annotation.empty()) {
                out += "!";
                out.append(static_cast<size_t>(indent_for(depth)), ' ');
                out += "/* " + n.annotation + " */\n";
            }
            out += "!";
            out.append(static_cast<size_t>(indent_for(depth)), ' ');
            if (n.inactive)
                out += "inactive: ";
            out += detail::head_of(n) + " { ... }\n";
        }
        // One path vector for the whole walk: pushed and popped, never copied.
        const size_t mark = path.size();
        if (!s->hide_keyword)
            path.push_back(s->name);
        if (s->kind == NodeKind::list)
            path.insert(path.end(), n.values().begin(), n.values().end());
        diff(o, n, path, depth + 1);
        reorder_check(o, n, path, depth + 1);
        path.resize(mark);
    }

    // Entries of an ordered-by-user list that kept their keys but changed places: those outside the
    // longest run that kept its relative order are shown as removed and re-added.
    void reorder_check(const Node& o, const Node& n, const std::vector<std::string>& path, size_t depth) {
        size_t ordered = 0;
        for (const auto& c : n.children())
            ordered += c->schema()->ordered_by_user && c->schema()->kind == NodeKind::list;
        if (ordered < 2)
            return;
        std::vector<const Node*> nseq;
        std::vector<size_t> old_pos;
        std::unordered_map<const Node*, size_t> pos_in_old;
        for (size_t i = 0; i < o.children().size(); ++i)
            pos_in_old.emplace(o.children()[i].get(), i);
        for (const auto& c : n.children()) {
            if (!c->schema()->ordered_by_user || c->schema()->kind != NodeKind::list)
                continue;
            const Node* oc = detail::counterpart(o, *c);
            if (!oc)
                continue;
            nseq.push_back(c.get());
            old_pos.push_back(pos_in_old[oc]);
        }
        if (nseq.size() < 2)
            return;
        // Longest increasing subsequence of old positions (patience sorting with back links).
        std::vector<size_t> tails, prev(old_pos.size(), SIZE_MAX), tail_idx;
        for (size_t i = 0; i < old_pos.size(); ++i) {
            auto it = std::lower_bound(tails.begin(), tails.end(), old_pos[i]);
            size_t k = static_cast<size_t>(it - tails.begin());
            if (it == tails.end()) {
                tails.push_back(old_pos[i]);
                tail_idx.push_back(i);
            } else {
                *it = old_pos[i];
                tail_idx[k] = i;
            }
            prev[i] = k ? tail_idx[k - 1] : SIZE_MAX;
        }
        std::vector<bool> keep(old_pos.size(), false);
        for (size_t i = tail_idx.empty() ? SIZE_MAX : tail_idx.back(); i != SIZE_MAX; i = prev[i])
            keep[i] = true;
        if (!keep[0]) {
            // A new first entry cannot be placed by a context line: keep it, re-place all that follow.
            std::fill(keep.begin(), keep.end(), false);
            keep[0] = true;
        }
        for (size_t i = 0; i < nseq.size(); ++i) {
            if (keep[i])
                continue;
            emit(path, depth, *o.children()[old_pos[i]], "-");
            if (i > 0) {
                out += ' ';
                out.append(static_cast<size_t>(indent_for(depth)), ' ');
                out += detail::head_of(*nseq[i - 1]) + " { ... }\n";
            }
            emit(path, depth, *nseq[i], "+");
        }
    }
};

}  // namespace

std::string display_set(const Node& node) {
    std::string out;
    if (node.is_root()) {
        for (const auto& c : node.children())
            set_lines(*c, "", out);
        return out;
    }
    std::string prefix;
    std::vector<const Node*> chain;
    for (const Node* p = node.parent(); p && !p->is_root(); p = p->parent())
        chain.push_back(p);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        append_words(prefix, **it);
    set_lines(node, prefix, out);
    return out;
}

namespace {

void collect_changes(const Node& o, const Node& n, std::vector<std::string>& path, std::vector<Change>& out) {
    std::unordered_set<const Node*> kept;
    for (const auto& c : n.children()) {
        const Node* oc = detail::counterpart(o, *c);
        const SchemaNode* s = c->schema();
        const size_t mark = path.size();
        if (!s->hide_keyword)
            path.push_back(s->name);
        if (s->kind == NodeKind::list)
            path.insert(path.end(), c->values().begin(), c->values().end());
        if (!oc) {
            out.push_back({Change::Kind::created, path, nullptr, c.get()});
        } else {
            kept.insert(oc);
            if (!s->is_entry_holder()) {
                if (oc->values() != c->values())
                    out.push_back({Change::Kind::modified, path, oc, c.get()});
            } else {
                collect_changes(*oc, *c, path, out);
            }
        }
        path.resize(mark);
    }
    for (const auto& c : o.children()) {
        if (kept.count(c.get()))
            continue;
        std::vector<std::string> p = path;
        if (!c->schema()->hide_keyword)
            p.push_back(c->schema()->name);
        if (c->schema()->kind == NodeKind::list)
            p.insert(p.end(), c->values().begin(), c->values().end());
        out.push_back({Change::Kind::deleted, std::move(p), c.get(), nullptr});
    }
}

}  // namespace

std::vector<Change> changes(const Node& old_root, const Node& new_root) {
    std::vector<Change> out;
    std::vector<std::string> path;
    collect_changes(old_root, new_root, path, out);
    return out;
}

std::map<std::string, std::vector<Change>> changes_by_owner(const Schema& schema, const Node& old_root,
                                                            const Node& new_root) {
    std::map<std::string, std::vector<Change>> out;
    for (auto& c : changes(old_root, new_root))
        out[schema.owner_of(c.path)].push_back(std::move(c));
    return out;
}

std::string compare(const Node& old_root, const Node& new_root, bool follow_marks) {
    Differ d;
    d.follow_marks = follow_marks;
    std::vector<std::string> path;
    d.diff(old_root, new_root, path, 0);
    return d.out;
}

}  // namespace msim::config
