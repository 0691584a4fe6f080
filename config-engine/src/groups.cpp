#include "msim/config/groups.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <map>

#include "internal.hpp"

namespace msim::config {

namespace {

bool is_apply_groups(const Node& n) {
    return n.keyword() == "apply-groups" && n.schema()->kind == NodeKind::leaf_list;
}
bool is_groups(const Node& n) {
    return n.parent() && n.parent()->is_root() && n.keyword() == "groups";
}

// `<fe-*>` in a group matches configured keys by glob.
bool is_wildcard(const Node& n) {
    return n.schema()->kind == NodeKind::list && !n.values().empty() && n.values().front().size() >= 2 &&
           n.values().front().front() == '<' && n.values().front().back() == '>';
}

bool glob_match(const Node& pattern, const Node& entry) {
    const std::string& p = pattern.values().front();
    const std::string glob = p.substr(1, p.size() - 2);
    return !entry.values().empty() && fnmatch(glob.c_str(), entry.values().front().c_str(), 0) == 0;
}

void drop_inactive(Node& n) {
    std::vector<const Node*> drop;
    for (const auto& c : n.children()) {
        if (c->inactive)
            drop.push_back(c.get());
        else
            drop_inactive(*c);
    }
    for (const Node* d : drop)
        n.remove(d);
    n.annotation.clear();
}

// A copy of a group statement as inherited: no wildcard entries, no nested apply-groups.
std::unique_ptr<Node> inherited_copy(const Node& src, const std::string& group) {
    auto out = std::make_unique<Node>(src.schema(), src.values());
    out->group = group;
    for (const auto& c : src.children()) {
        if (is_wildcard(*c) || is_apply_groups(*c))
            continue;
        out->add(inherited_copy(*c, group));
    }
    return out;
}

// Adds what `group` has and `target` lacks; never overrides what is there.
void inherit(Node& target, const Node& group, const std::string& name) {
    for (const auto& gc : group.children()) {
        if (is_apply_groups(*gc))
            continue;
        if (is_wildcard(*gc)) {
            for (const auto& tc : target.children())
                if (tc->schema() == gc->schema() && glob_match(*gc, *tc))
                    inherit(*tc, *gc, name);
            continue;
        }
        Node* t = detail::counterpart(target, *gc);
        if (!t) {
            if (gc->schema()->kind == NodeKind::leaf && gc->schema()->choice) {
                bool other_case =
                    std::any_of(target.children().begin(), target.children().end(), [&](const auto& c) {
                        return c->schema()->choice == gc->schema()->choice &&
                               c->schema()->choice_case != gc->schema()->choice_case;
                    });
                if (other_case)
                    continue;  // the configuration chose another case
            }
            target.add(inherited_copy(*gc, name));
        } else if (gc->schema()->is_entry_holder()) {
            inherit(*t, *gc, name);
        }
    }
}

// The statement of `group` (a group entry, at the root level) at the position of `target`.
std::vector<const Node*> group_nodes_at(const Node& group, const Node& target) {
    std::vector<const Node*> chain;
    for (const Node* p = &target; p && !p->is_root(); p = p->parent())
        chain.push_back(p);
    std::vector<const Node*> cur{&group};
    for (auto it = chain.rbegin(); it != chain.rend() && !cur.empty(); ++it) {
        std::vector<const Node*> next;
        for (const Node* g : cur) {
            for (const auto& c : g->children()) {
                if (c->schema() != (*it)->schema())
                    continue;
                if (c->schema()->kind != NodeKind::list || c->values() == (*it)->values() ||
                    (is_wildcard(*c) && glob_match(*c, **it)))
                    next.push_back(c.get());
            }
        }
        cur = std::move(next);
    }
    return cur;
}

void collect_applies(Node& n, size_t depth, std::vector<std::pair<size_t, Node*>>& out) {
    for (const auto& c : n.children()) {
        if (is_apply_groups(*c))
            out.emplace_back(depth, &n);
        if (c->schema()->is_entry_holder() && !is_groups(*c))
            collect_applies(*c, depth + 1, out);
    }
}

void strip_group_statements(Node& n) {
    std::vector<const Node*> drop;
    for (const auto& c : n.children()) {
        if (is_apply_groups(*c) || is_groups(*c))
            drop.push_back(c.get());
        else if (c->schema()->is_entry_holder())
            strip_group_statements(*c);
    }
    for (const Node* d : drop)
        n.remove(d);
}

}  // namespace

Node expand_groups(const Node& root) {
    Node out(root);
    drop_inactive(out);
    std::map<std::string, const Node*> groups;
    for (const auto& c : out.children())
        if (is_groups(*c))
            for (const auto& g : c->children())
                if (!g->values().empty())
                    groups.emplace(g->values().front(), g.get());
    std::vector<std::pair<size_t, Node*>> applies;
    collect_applies(out, 0, applies);
    // Deeper apply-groups first: what they add then wins over shallower ones.
    std::stable_sort(applies.begin(), applies.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [depth, node] : applies) {
        const Node* ag = nullptr;
        for (const auto& c : node->children())
            if (is_apply_groups(*c))
                ag = c.get();
        for (const auto& name : ag->values()) {
            auto it = groups.find(name);
            if (it == groups.end()) {
                ConfigError e("group '" + name + "' is not defined");
                e.edit_path = node->path_words();
                e.statement = "apply-groups " + name;
                throw e;
            }
            for (const Node* g : group_nodes_at(*it->second, *node))
                inherit(*node, *g, name);
        }
    }
    strip_group_statements(out);
    return out;
}

}  // namespace msim::config
