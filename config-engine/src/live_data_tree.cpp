#include "msim/config/live_data_tree.hpp"

#include <libyang/libyang.h>
#include <libyang/plugins_types.h>

#include <set>
#include <unordered_set>

#include "data_builder.hpp"

namespace msim::config {

namespace {

// `n` is `anc` or lies below it (data nodes: choices and cases are transparent).
bool below_or_self(const lysc_node* n, const lysc_node* anc) {
    for (; n; n = lysc_data_parent(n))
        if (n == anc)
            return true;
    return false;
}

// Lowest data schema node that holds both (null: the root).
const lysc_node* common_ancestor(const lysc_node* a, const lysc_node* b) {
    std::unordered_set<const lysc_node*> up;
    for (const lysc_node* n = a; n; n = lysc_data_parent(n))
        up.insert(n);
    for (const lysc_node* n = b; n; n = lysc_data_parent(n))
        if (up.count(n))
            return n;
    return nullptr;
}

const lysc_type* type_of(const lysc_node* s) {
    if (s->nodetype == LYS_LEAF)
        return reinterpret_cast<const lysc_node_leaf*>(s)->type;
    if (s->nodetype == LYS_LEAFLIST)
        return reinterpret_cast<const lysc_node_leaflist*>(s)->type;
    return nullptr;
}

// A rule of the schema that reads other nodes than the one it is attached to.
struct Rule {
    const lysc_node* node = nullptr;   // the node carrying it
    bool must = false;                 // a `must` (else: the node's value, a leafref)
    const lysc_node* scope = nullptr;  // lowest node holding the node and every atom (null: the root)
    std::vector<const lysc_node*> atoms;
};

// What a change touched in the data tree: the rules around it are checked from there.
struct Point {
    const lysc_node* schema = nullptr;  // of the changed statement
    bool gone = false;                  // deleted (then `parent` is where it was)
    std::vector<lyd_node*> nodes;       // created or modified: the new node(s) (leaf-list: one per item)
    lyd_node* parent = nullptr;         // data parent (null: top level)
};

}  // namespace

struct LiveDataTree::Impl {
    const Schema& schema;
    ly_ctx* ctx;
    DataTree tree;
    bool have_tree = false;
    std::vector<Rule> rules;
    std::string schema_limit;
    std::string note;

    // Undo record of the patch in progress.
    struct Record {
        enum class Kind { linked, unlinked, flags, order } kind;
        lyd_node* node = nullptr;      // order: the parent
        lyd_node* parent = nullptr;    // unlinked: where it was (null: top level)
        lyd_node* prev = nullptr;      // unlinked: the sibling before it (null: it was first)
        uint32_t flags = 0;            // flags: the old value
        std::vector<lyd_node*> order;  // order: a list's entries in their old order
    };
    std::vector<Record> records;
    std::unordered_set<lyd_node*> flags_saved;
    std::vector<lyd_node*> made;  // nodes made by the patch (LYD_NEW is cleared once they pass)

    explicit Impl(const Schema& s) : schema(s), ctx(s.context()) { index_rules(); }

    // ---------------------------------------------------------------------------------------- schema

    void index_rules() {
        uint32_t idx = 0;
        while (const lys_module* mod = ly_ctx_get_module_iter(ctx, &idx)) {
            if (!mod->implemented || !mod->compiled)
                continue;
            for (const lysc_node* top = mod->compiled->data; top; top = top->next)
                lysc_tree_dfs_full(top, &Impl::index_node, this);
        }
    }

    static LY_ERR index_node(lysc_node* node, void* data, ly_bool*) {
        auto* self = static_cast<Impl*>(data);
        if (node->flags & (LYS_CONFIG_R | LYS_IS_INPUT | LYS_IS_OUTPUT | LYS_IS_NOTIF))
            return LY_SUCCESS;
        if (node->nodetype & (LYS_RPC | LYS_ACTION | LYS_NOTIF))
            return LY_SUCCESS;
        if (lysc_has_when(node))
            self->limit("'when' on " + std::string(node->name));
        if (node->nodetype == LYS_LIST && reinterpret_cast<const lysc_node_list*>(node)->uniques)
            self->limit("'unique' on " + std::string(node->name));
        if (const lysc_must* musts = lysc_node_musts(node)) {
            LY_ARRAY_COUNT_TYPE u;
            LY_ARRAY_FOR(musts, u) {
                self->add_rule(node, true, musts[u].cond, musts[u].prefixes);
            }
        }
        if (const lysc_type* t = type_of(node))
            self->index_type(node, t);
        return LY_SUCCESS;
    }

    void index_type(const lysc_node* node, const lysc_type* t) {
        if (t->basetype == LY_TYPE_LEAFREF) {
            auto* lref = reinterpret_cast<const lysc_type_leafref*>(t);
            add_rule(node, false, lref->path, lref->prefixes);
        } else if (t->basetype == LY_TYPE_UNION) {
            auto* u = reinterpret_cast<const lysc_type_union*>(t);
            LY_ARRAY_COUNT_TYPE i;
            LY_ARRAY_FOR(u->types, i) {
                index_type(node, u->types[i]);
            }
        } else if (t->basetype == LY_TYPE_INST) {
            limit("instance-identifier " + std::string(node->name));
        } else if (t->plugin && t->plugin->validate) {
            limit("type plugin with a data check on " + std::string(node->name));
        }
    }

    void add_rule(const lysc_node* node, bool must, const lyxp_expr* expr, const lysc_prefix* prefixes) {
        ly_set* set = nullptr;
        if (lys_find_expr_atoms(node, node->module, expr, prefixes, LYS_FIND_XP_SCHEMA, &set) != LY_SUCCESS) {
            ly_set_free(set, nullptr);
            ly_err_clean(ctx, nullptr);
            limit("cannot analyse the expression on " + std::string(node->name));
            return;
        }
        Rule r;
        r.node = node;
        r.must = must;
        r.scope = node;
        for (uint32_t i = 0; i < set->count; ++i) {
            const lysc_node* a = set->snodes[i];
            if (a->nodetype & (LYS_CHOICE | LYS_CASE))
                continue;
            r.atoms.push_back(a);
            r.scope = r.scope ? common_ancestor(r.scope, a) : nullptr;
        }
        ly_set_free(set, nullptr);
        rules.push_back(std::move(r));
    }

    void limit(std::string why) {
        if (schema_limit.empty())
            schema_limit = std::move(why);
    }

    // Whether a change to a statement of schema `changed` can change the outcome of `r`.
    static bool reads(const Rule& r, const lysc_node* changed) {
        for (const lysc_node* a : r.atoms) {
            if (below_or_self(a, changed))
                return true;  // the atom is the changed statement or inside it
            if (r.must && below_or_self(changed, a))
                return true;  // inside an inner node whose string value the expression may read
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------- data

    lyd_node* first_top() const { return tree.get(); }

    lyd_node* first_child(lyd_node* parent) const { return parent ? lyd_child(parent) : first_top(); }

    // The data node of a statement below `parent` (null: the top level).
    lyd_node* find_child(lyd_node* parent, const StatementId& id) const {
        const lysc_node* ys = id.schema->ys;
        lyd_node* first = first_child(parent);
        if (!ys || !first)
            return nullptr;
        lyd_node* match = nullptr;
        if (id.schema->kind == NodeKind::list) {
            const std::string pred = detail::key_predicate(*id.schema, id.keys);
            if (lyd_find_sibling_val(first, ys, pred.c_str(), pred.size(), &match) != LY_SUCCESS)
                match = nullptr;
        } else if (lyd_find_sibling_val(first, ys, nullptr, 0, &match) != LY_SUCCESS) {
            match = nullptr;
        }
        ly_err_clean(ctx, nullptr);
        return match;
    }

    // The data node at `where` (its first `count` steps), or null. `found` is false when a step is missing.
    lyd_node* locate(const std::vector<StatementId>& where, size_t count, bool& found) const {
        lyd_node* at = nullptr;
        found = true;
        for (size_t i = 0; i < count; ++i) {
            at = find_child(at, where[i]);
            if (!at) {
                found = false;
                return nullptr;
            }
        }
        return at;
    }

    std::vector<lyd_node*> instances(lyd_node* parent, const lysc_node* s) const {
        std::vector<lyd_node*> out;
        lyd_node* first = first_child(parent);
        if (!first)
            return out;
        lyd_node* elem = nullptr;
        LYD_LIST_FOR_INST(first, s, elem) {
            out.push_back(elem);
        }
        ly_err_clean(ctx, nullptr);
        return out;
    }

    void save_flags(lyd_node* n) {
        for (; n; n = lyd_parent(n)) {
            if (!flags_saved.insert(n).second)
                return;
            records.push_back({Record::Kind::flags, n, nullptr, nullptr, n->flags, {}});
        }
    }

    void set_top(lyd_node* first) {
        (void)tree.release();
        tree.reset(first);
    }

    // Takes `n` out of the tree, remembering where it was.
    void unlink(lyd_node* n) {
        lyd_node* parent = lyd_parent(n);
        save_flags(parent);
        lyd_node* prev = (n->prev && n->prev->next == n) ? n->prev : nullptr;
        if (!parent && n == first_top())
            set_top(n->next);
        lyd_unlink_tree(n);
        records.push_back({Record::Kind::unlinked, n, parent, prev, 0, {}});
    }

    // Places a list entry (or leaf-list item) `n`, just linked under its parent (so at the end of its
    // list), right after `prev` (null: first in its list), so that the tree keeps the configuration's order.
    // libyang places an ordered-by-user instance anywhere; for the others it only appends, so the entries
    // that must follow `n` are taken out and appended again, behind it (libyang's own linking keeps its
    // hash of each list's first entry right, which relinking the sibling pointers by hand would not).
    void place(lyd_node* n, lyd_node* prev) {
        lyd_node* parent = lyd_parent(n);
        if (!parent)
            return;  // top-level statements are containers, placed by schema order
        std::vector<lyd_node*> run = instances(parent, n->schema);
        if (n->schema->flags & LYS_ORDBY_USER) {
            if (prev) {
                if (prev->next != n)
                    lyd_insert_after(prev, n);
            } else if (!run.empty() && run.front() != n) {
                lyd_insert_before(run.front(), n);
            }
            return;
        }
        bool after_prev = !prev;
        for (lyd_node* i : run) {
            if (i == n)
                break;
            if (after_prev) {
                lyd_unlink_tree(i);
                lyd_insert_child(parent, i);
            } else if (i == prev) {
                after_prev = true;
            }
        }
    }

    void link_top(lyd_node* n) {
        lyd_node* first = first_top();
        if (!first) {
            set_top(n);
            return;
        }
        lyd_insert_sibling(first, n, &first);
        set_top(first);
    }

    // Undoes one record.
    void revert(Record& r) {
        switch (r.kind) {
            case Record::Kind::linked:
                if (!lyd_parent(r.node) && r.node == first_top())
                    set_top(r.node->next);
                lyd_free_tree(r.node);
                break;
            case Record::Kind::unlinked:
                if (!r.parent) {
                    link_top(r.node);
                } else {
                    lyd_insert_child(r.parent, r.node);
                    if (r.node->schema->nodetype & (LYS_LIST | LYS_LEAFLIST))
                        place(r.node, r.prev && r.prev->schema == r.node->schema ? r.prev : nullptr);
                }
                break;
            case Record::Kind::flags:
                r.node->flags = r.flags;
                break;
            case Record::Kind::order:
                for (lyd_node* n : r.order) {
                    lyd_unlink_tree(n);
                    lyd_insert_child(r.node, n);
                }
                break;
        }
    }

    void undo() {
        for (auto it = records.rbegin(); it != records.rend(); ++it)
            revert(*it);
        records.clear();
        flags_saved.clear();
        made.clear();
    }

    void keep() {
        for (auto& r : records)
            if (r.kind == Record::Kind::unlinked)
                lyd_free_tree(r.node);
        records.clear();
        flags_saved.clear();
        made.clear();
    }

    // The defaults libyang's validation adds where statement `s` disappeared from `parent` (the non-
    // recursive part of lyd_new_implicit_r for one schema node).
    bool restore_default(lyd_node* parent, const lysc_node* s) {
        if (s->parent && (s->parent->nodetype & (LYS_CASE | LYS_CHOICE))) {
            // A default case may come back: libyang's own routine, on the parent's subtree.
            if (!parent)
                return false;
            std::vector<lyd_node*> before;
            for (lyd_node* c = lyd_child(parent); c; c = c->next)
                before.push_back(c);
            save_flags(parent);
            if (lyd_new_implicit_tree(parent, LYD_IMPLICIT_NO_STATE, nullptr) != LY_SUCCESS)
                return false;
            std::unordered_set<lyd_node*> old(before.begin(), before.end());
            for (lyd_node* c = lyd_child(parent); c; c = c->next)
                if (!old.count(c))
                    remember_made(c);
            return true;
        }
        const lys_module* mod = s->module;
        if (s->nodetype == LYS_LEAF) {
            auto* leaf = reinterpret_cast<const lysc_node_leaf*>(s);
            if (!leaf->dflt)
                return true;
            lyd_node* n = nullptr;
            const char* v = lyd_value_get_canonical(ctx, leaf->dflt);
            if (lyd_new_term(parent, mod, s->name, v, 0, &n) != LY_SUCCESS)
                return false;
            n->flags |= LYD_DEFAULT;
            if (!parent)
                link_top(n);
            remember_made(n);
        } else if (s->nodetype == LYS_LEAFLIST) {
            auto* ll = reinterpret_cast<const lysc_node_leaflist*>(s);
            LY_ARRAY_COUNT_TYPE u;
            LY_ARRAY_FOR(ll->dflts, u) {
                lyd_node* n = nullptr;
                const char* v = lyd_value_get_canonical(ctx, ll->dflts[u]);
                if (lyd_new_term(parent, mod, s->name, v, 0, &n) != LY_SUCCESS)
                    return false;
                n->flags |= LYD_DEFAULT;
                if (!parent)
                    link_top(n);
                remember_made(n);
            }
        } else if (lysc_is_np_cont(s)) {
            lyd_node* n = nullptr;
            if (lyd_new_inner(parent, mod, s->name, 0, &n) != LY_SUCCESS)
                return false;
            if (!parent)
                link_top(n);
            remember_made(n);
            // Its defaults first. lyd_create_inner marks an empty non-presence container a default, and
            // lyd_new_implicit_tree passes over new defaults: the mark comes back once it is filled.
            n->flags &= ~LYD_DEFAULT;
            if (lyd_new_implicit_tree(n, LYD_IMPLICIT_NO_STATE, nullptr) != LY_SUCCESS)
                return false;
            n->flags |= LYD_DEFAULT;
        }
        return true;
    }

    void remember_made(lyd_node* n) {
        records.push_back({Record::Kind::linked, n, nullptr, nullptr, 0, {}});
        made.push_back(n);
    }

    // libyang's lyd_cont_set_dflt: a non-presence container whose children are all defaults is a default.
    static void set_container_defaults(lyd_node* n) {
        for (; n; n = lyd_parent(n)) {
            if (!n->schema || (n->flags & LYD_DEFAULT) || !lysc_is_np_cont(n->schema))
                return;
            for (lyd_node* c = lyd_child(n); c; c = c->next)
                if (!(c->flags & LYD_DEFAULT))
                    return;
            n->flags |= LYD_DEFAULT;
        }
    }

    // ---------------------------------------------------------------------------------------- checks

    bool check_musts(const lyd_node* n) const {
        const lysc_must* musts = lysc_node_musts(n->schema);
        if (!musts)
            return true;
        LY_ARRAY_COUNT_TYPE u;
        LY_ARRAY_FOR(musts, u) {
            ly_bool ok = 0;
            LY_ERR rc = lyd_eval_xpath3(n, n->schema->module, lyxp_get_expr(musts[u].cond),
                                        LY_VALUE_SCHEMA_RESOLVED, musts[u].prefixes, nullptr, &ok);
            ly_err_clean(ctx, nullptr);
            if (rc != LY_SUCCESS || !ok)
                return false;
        }
        return true;
    }

    // The type plugin's check that needs the data tree (leafref targets).
    bool check_value(const lyd_node* n) const {
        const lysc_type* t = type_of(n->schema);
        if (!t || !t->plugin->validate)
            return true;
        ly_err_item* err = nullptr;
        auto* term = reinterpret_cast<lyd_node_term*>(const_cast<lyd_node*>(n));
        LY_ERR rc = t->plugin->validate(ctx, t, n, first_top(), &term->value, &err);
        if (err)
            ly_err_free(err);
        ly_err_clean(ctx, nullptr);
        return rc == LY_SUCCESS;
    }

    // Data of any case of `choice` among `first`'s siblings.
    bool choice_has_data(const lyd_node* first, const lysc_node* choice,
                         const lysc_node** which = nullptr) const {
        for (const lysc_node* cs = lysc_node_child(choice); cs; cs = cs->next) {
            if (case_has_data(first, cs)) {
                if (which)
                    *which = cs;
                return true;
            }
        }
        return false;
    }

    bool case_has_data(const lyd_node* first, const lysc_node* cs) const {
        for (const lysc_node* c = lysc_node_child(cs); c; c = c->next) {
            if (c->nodetype == LYS_CHOICE) {
                if (choice_has_data(first, c))
                    return true;
            } else if (first && lyd_find_sibling_val(first, c, nullptr, 0, nullptr) == LY_SUCCESS) {
                return true;
            }
        }
        ly_err_clean(ctx, nullptr);
        return false;
    }

    // lyd_validate_siblings_schema_r and the case check of lyd_validate_new, on the children of `parent`
    // (null: the top level of module `mod`).
    bool check_children(const lyd_node* first, const lysc_node* sparent, const lysc_module* mod) const {
        const lysc_node* snode = nullptr;
        while ((snode = lys_getnext(snode, sparent, mod, LYS_GETNEXT_WITHCHOICE))) {
            if (snode->flags & LYS_CONFIG_R)
                continue;
            uint32_t min = 0, max = 0;
            if (snode->nodetype == LYS_LIST) {
                min = reinterpret_cast<const lysc_node_list*>(snode)->min;
                max = reinterpret_cast<const lysc_node_list*>(snode)->max;
            } else if (snode->nodetype == LYS_LEAFLIST) {
                min = reinterpret_cast<const lysc_node_leaflist*>(snode)->min;
                max = reinterpret_cast<const lysc_node_leaflist*>(snode)->max;
            }
            if (snode->nodetype & (LYS_LIST | LYS_LEAFLIST)) {
                if (min || max) {
                    uint32_t count = 0;
                    if (first) {
                        lyd_node* elem = nullptr;
                        LYD_LIST_FOR_INST(const_cast<lyd_node*>(first), snode, elem) {
                            ++count;
                        }
                    }
                    if ((min && count < min) || (max && count > max))
                        return false;
                }
            } else if (snode->flags & LYS_MAND_TRUE) {
                if (snode->nodetype == LYS_CHOICE) {
                    if (!choice_has_data(first, snode))
                        return false;
                } else if (!first || lyd_find_sibling_val(first, snode, nullptr, 0, nullptr) != LY_SUCCESS) {
                    ly_err_clean(ctx, nullptr);
                    return false;
                }
            }
            if (snode->nodetype == LYS_CHOICE) {
                // Data of two cases (every built node is new to libyang, which refuses that), then the
                // rules inside the case that has data.
                int cases = 0;
                const lysc_node* with_data = nullptr;
                for (const lysc_node* cs = lysc_node_child(snode); cs; cs = cs->next)
                    if (case_has_data(first, cs)) {
                        ++cases;
                        if (!with_data)
                            with_data = cs;
                    }
                if (cases > 1)
                    return false;
                if (with_data && !check_children(first, with_data, mod))
                    return false;
            }
        }
        ly_err_clean(ctx, nullptr);
        return true;
    }

    // The top-level rules of one module (lyd_validate_all goes module by module).
    bool check_top_level(const lys_module* m) const {
        const lyd_node* first = first_top();
        while (first && lyd_owner_module(first) != m)
            first = first->next;
        return check_children(first, nullptr, m->compiled);
    }

    // Everything libyang's validation checks on a subtree that is new to it.
    bool check_subtree(const lyd_node* root) const {
        const lyd_node* n = nullptr;
        bool ok = true;
        LYD_TREE_DFS_BEGIN(root, n) {
            if (ok) {
                if (!check_musts(n))
                    ok = false;
                else if ((n->schema->nodetype & LYD_NODE_TERM) && !check_value(n))
                    ok = false;
                else if ((n->schema->nodetype & LYD_NODE_INNER) &&
                         !check_children(lyd_child(n), n->schema, nullptr))
                    ok = false;
            }
            LYD_TREE_DFS_END(root, n);
        }
        return ok;
    }

    // Instances of `target` at or below data node `from` (null: the whole tree), `from`'s schema being an
    // ancestor of `target` (or null).
    std::vector<lyd_node*> instances_below(lyd_node* from, const lysc_node* target) const {
        std::vector<const lysc_node*> steps;
        const lysc_node* stop = from ? from->schema : nullptr;
        for (const lysc_node* s = target; s != stop; s = lysc_data_parent(s)) {
            if (!s)
                return {};
            steps.insert(steps.begin(), s);
        }
        std::vector<lyd_node*> level;
        if (from)
            level.push_back(from);
        bool top = !from;
        for (const lysc_node* s : steps) {
            std::vector<lyd_node*> next;
            if (top) {
                next = instances(nullptr, s);
                top = false;
            } else {
                for (lyd_node* n : level)
                    for (lyd_node* i : instances(n, s))
                        next.push_back(i);
            }
            level = std::move(next);
            if (level.empty())
                break;
        }
        return level;
    }

    bool check_rule_at(const Rule& r, lyd_node* n) const { return r.must ? check_musts(n) : check_value(n); }

    Verdict fail(std::string why) {
        note = std::move(why);
        undo();
        return Verdict::invalid;
    }

    Verdict unsupported(std::string why) {
        note = std::move(why);
        undo();
        return Verdict::unsupported;
    }

    Verdict apply(const ChangeSet& changes) {
        note.clear();
        if (!have_tree)
            return unsupported("no data tree yet");
        if (!schema_limit.empty())
            return unsupported("schema: " + schema_limit);
        if (changes.touches_expansion())
            return unsupported("groups or inactive statements changed");
        std::vector<Point> points;
        std::vector<const StatementChange*> reorders;
        detail::Builder builder(schema);
        using Kind = StatementChange::Kind;
        for (const auto& ch : changes.changes()) {
            if (ch.kind == Kind::meta) {
                if (ch.old_node && ch.old_node->inactive != ch.inactive)
                    return unsupported("an inactive mark changed");
                continue;  // annotations are not data
            }
            if (ch.kind == Kind::reordered) {
                reorders.push_back(&ch);
                continue;
            }
            const StatementId& id = ch.where.back();
            const lysc_node* ys = id.schema->ys;
            if (!ys)
                return unsupported("a statement without a YANG node (" + id.schema->name + ")");
            bool found = false;
            lyd_node* parent = locate(ch.where, ch.where.size() - 1, found);
            if (!found)
                return unsupported("the data tree lacks the parent of " + id.schema->name);
            Point p;
            p.schema = ys;
            p.parent = parent;
            save_flags(parent);
            if (ch.kind == Kind::deleted || ch.kind == Kind::modified) {
                std::vector<lyd_node*> old;
                if (id.schema->kind == NodeKind::leaf_list) {
                    old = instances(parent, ys);
                } else if (lyd_node* n = find_child(parent, id)) {
                    old.push_back(n);
                }
                if (old.empty())
                    return unsupported("the data tree lacks " + id.schema->name);
                for (lyd_node* n : old)
                    unlink(n);
                if (ch.kind == Kind::deleted) {
                    p.gone = true;
                    if (!restore_default(parent, ys))
                        return unsupported("could not restore the default of " + id.schema->name);
                    points.push_back(std::move(p));
                    continue;
                }
            } else {
                // Created: a default instance of the same statement gives way; anything else is a mismatch.
                std::vector<lyd_node*> existing =
                    id.schema->kind == NodeKind::list ? std::vector<lyd_node*>{} : instances(parent, ys);
                if (id.schema->kind == NodeKind::list && find_child(parent, id))
                    return unsupported("the data tree already has " + id.schema->name);
                for (lyd_node* n : existing) {
                    if (!(n->flags & LYD_DEFAULT))
                        return unsupported("the data tree already has " + id.schema->name);
                    unlink(n);
                }
            }
            // Created or modified: build the statement as the configuration now has it.
            const Node& src = *ch.new_node;
            lyd_node* first = nullptr;
            std::vector<lyd_node*> all;
            const bool ok = builder.build_one(src, parent, &first, &all);
            if (!parent && builder.tree) {
                // Made at the top level: move them from the builder's siblings into the tree.
                lyd_node* n = builder.tree.release();
                while (n) {
                    lyd_node* next = n->next;
                    lyd_unlink_tree(n);
                    link_top(n);
                    n = next;
                }
            }
            for (lyd_node* n : all)
                remember_made(n);
            if (!ok)
                return fail("libyang refused " + id.schema->name);
            if (first && src.schema()->is_entry_holder()) {
                builder.build(src, first);
                if (!builder.errors.empty())
                    return fail("libyang refused a statement below " + id.schema->name);
                if (lyd_new_implicit_tree(first, LYD_IMPLICIT_NO_STATE, nullptr) != LY_SUCCESS)
                    return fail("libyang could not add the defaults of " + id.schema->name);
            }
            if (first && id.schema->kind == NodeKind::list) {
                lyd_node* after = ch.after ? find_child(parent, *ch.after) : nullptr;
                if (ch.after && !after)
                    return unsupported("the data tree lacks the entry before " + id.schema->name);
                place(first, after);
            }
            p.nodes = std::move(all);
            points.push_back(std::move(p));
        }
        // Lists whose entries changed places: appended again in the new order, after the other changes
        // (which may have made or removed some of them).
        for (const StatementChange* ch : reorders) {
            bool found = false;
            lyd_node* parent = locate(ch->where, ch->where.size(), found);
            if (!found || !parent)
                return unsupported("the data tree lacks the parent of a reordered list");
            const lysc_node* ys = ch->list->ys;
            std::vector<lyd_node*> old = instances(parent, ys);
            records.push_back({Record::Kind::order, parent, nullptr, nullptr, 0, old});
            for (const auto& keys : ch->order) {
                lyd_node* n = find_child(parent, StatementId{ch->list, keys});
                if (!n)
                    return unsupported("the data tree lacks an entry of a reordered list");
                lyd_unlink_tree(n);
                lyd_insert_child(parent, n);
            }
            Point p;
            p.schema = ys;
            p.parent = parent;
            points.push_back(std::move(p));
        }
        for (const Point& p : points)
            set_container_defaults(p.parent);

        // What the changed statements carry themselves, and the rules on their parents' children.
        std::unordered_set<const lyd_node*> parents_checked;
        std::unordered_set<const lys_module*> modules_checked;
        for (const Point& p : points) {
            for (lyd_node* n : p.nodes)
                if (!check_subtree(n))
                    return fail("a rule on the changed statement " + std::string(p.schema->name));
            const bool top = !p.parent;
            if ((top ? modules_checked.insert(p.schema->module).second
                     : parents_checked.insert(p.parent).second) &&
                !(top ? check_top_level(p.schema->module)
                      : check_children(lyd_child(p.parent), p.parent->schema, nullptr)))
                return fail("a rule on the children of the parent of " + std::string(p.schema->name));
        }
        // Rules elsewhere that read what changed.
        std::set<std::pair<const Rule*, const lyd_node*>> done;
        for (const Point& p : points) {
            for (const Rule& r : rules) {
                if (!reads(r, p.schema))
                    continue;
                // The rule's instances inside the scope instance around the change. A scope that is the
                // changed statement or lies inside it holds only new instances (checked with the statement)
                // or deleted ones.
                lyd_node* scope_node = nullptr;
                if (r.scope) {
                    if (below_or_self(r.scope, p.schema))
                        continue;
                    lyd_node* anchor = !p.nodes.empty() ? p.nodes.front() : p.parent;
                    while (anchor && anchor->schema != r.scope)
                        anchor = lyd_parent(anchor);
                    if (!anchor)
                        return unsupported(std::string("no scope instance for a rule on ") + r.node->name);
                    scope_node = anchor;
                }
                if (!done.insert({&r, scope_node}).second)
                    continue;
                for (lyd_node* n : instances_below(scope_node, r.node))
                    if (!check_rule_at(r, n))
                        return fail(std::string(r.must ? "a must" : "a reference") + " on " + r.node->name);
            }
        }
        // Passed: the nodes are validated, as lyd_validate_new leaves them.
        for (lyd_node* m : made) {
            lyd_node* n = nullptr;
            LYD_TREE_DFS_BEGIN(m, n) {
                n->flags &= ~LYD_NEW;
                LYD_TREE_DFS_END(m, n);
            }
        }
        return Verdict::valid;
    }
};

LiveDataTree::LiveDataTree(const Schema& schema) : impl_(std::make_unique<Impl>(schema)) {}

LiveDataTree::~LiveDataTree() {
    if (impl_)
        impl_->keep();
}

void LiveDataTree::reset(DataTree tree) {
    impl_->keep();
    impl_->tree = std::move(tree);
    impl_->have_tree = true;
}

void LiveDataTree::clear() {
    impl_->keep();
    impl_->tree.reset();
    impl_->have_tree = false;
}

bool LiveDataTree::has_tree() const {
    return impl_->have_tree;
}

const lyd_node* LiveDataTree::root() const {
    return impl_->first_top();
}

LiveDataTree::Verdict LiveDataTree::apply(const ChangeSet& changes) {
    impl_->keep();
    return impl_->apply(changes);
}

void LiveDataTree::keep() {
    impl_->keep();
}

void LiveDataTree::undo() {
    impl_->undo();
}

const std::string& LiveDataTree::note() const {
    return impl_->note;
}

const std::string& LiveDataTree::schema_limit() const {
    return impl_->schema_limit;
}

}  // namespace msim::config
