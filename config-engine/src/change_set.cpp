#include "msim/config/change_set.hpp"

#include <algorithm>
#include <stdexcept>

namespace msim::config {

namespace {

StatementId id_of(const Node& n) {
    return {n.schema(), n.schema()->kind == NodeKind::list ? n.values() : std::vector<std::string>{}};
}

bool same_identity(const Node& a, const Node& b) {
    return a.schema() == b.schema() && (a.schema()->kind != NodeKind::list || a.values() == b.values());
}

Node* child_with(const Node& parent, const StatementId& id) {
    return parent.find(id.schema, id.keys);
}

// Statements a commit resolves before validation: a change to them (or below an inactive mark) sends the
// commit through group expansion.
bool is_expansion_statement(const Node& n) {
    if (n.keyword() == "apply-groups" && n.schema()->kind == NodeKind::leaf_list)
        return true;
    return n.keyword() == "groups" && n.parent() && n.parent()->is_root();
}

// Size of a subtree, and whether it holds inactive marks or group statements.
void survey(const Node& n, size_t& size, bool& expansion) {
    ++size;
    if (n.inactive || is_expansion_statement(n))
        expansion = true;
    for (const auto& c : n.children())
        survey(*c, size, expansion);
}

std::unique_ptr<Node> shallow_copy(const Node& n) {
    auto copy = std::make_unique<Node>(n.schema(), n.values());
    copy->inactive = n.inactive;
    copy->annotation = n.annotation;
    return copy;
}

}  // namespace

std::vector<std::string> StatementChange::path_words() const {
    std::vector<std::string> out;
    for (const auto& id : where) {
        if (!id.schema->hide_keyword)
            out.push_back(id.schema->name);
        out.insert(out.end(), id.keys.begin(), id.keys.end());
    }
    return out;
}

bool same_subtree(const Node& a, const Node& b) {
    if (a.schema() != b.schema() || a.values() != b.values() || a.inactive != b.inactive ||
        a.annotation != b.annotation || a.children().size() != b.children().size())
        return false;
    for (size_t i = 0; i < a.children().size(); ++i)
        if (!same_subtree(*a.children()[i], *b.children()[i]))
            return false;
    return true;
}

const Node* statement_at(const Node& root, const std::vector<StatementId>& where) {
    const Node* at = &root;
    for (const auto& id : where) {
        at = child_with(*at, id);
        if (!at)
            return nullptr;
    }
    return at;
}

Node* statement_at(Node& root, const std::vector<StatementId>& where) {
    return const_cast<Node*>(statement_at(static_cast<const Node&>(root), where));
}

// ---------------------------------------------------------------------------------------------------
// Computing the set

class ChangeWalker {
  public:
    ChangeWalker(ChangeSet& out, bool follow) : out_(out), follow_(follow) {}

    void walk(const Node& o, const Node& n) {
        if (follow_ && !n.changed() && !n.changed_below())
            return;
        if (follow_ && !n.changed()) {
            // Only descendants changed: the children are the same statements in the same order.
            for (const auto& c : n.children()) {
                if (!c->changed() && !c->changed_below())
                    continue;
                const Node* oc = child_with(o, id_of(*c));
                where_.push_back(id_of(*c));
                if (oc)
                    walk(*oc, *c);
                else
                    created(*c, n, o);  // not expected (the parent would be marked), but never lost
                where_.pop_back();
            }
            return;
        }
        if (!n.is_root()) {
            if (n.values() != o.values() && n.schema()->kind != NodeKind::list) {
                StatementChange ch;
                ch.kind = StatementChange::Kind::modified;
                ch.where = where_;
                ch.old_node = &o;
                ch.new_node = &n;
                if (is_expansion_statement(n))
                    out_.touches_expansion_ = true;
                out_.changes_.push_back(std::move(ch));
            }
            if (n.inactive != o.inactive || n.annotation != o.annotation) {
                StatementChange ch;
                ch.kind = StatementChange::Kind::meta;
                ch.where = where_;
                ch.old_node = &o;
                ch.new_node = &n;
                ch.inactive = n.inactive;
                ch.annotation = n.annotation;
                if (n.inactive != o.inactive)
                    out_.touches_expansion_ = true;
                out_.changes_.push_back(std::move(ch));
            }
        }
        // Statements that are gone, in their old order.
        for (const auto& oc : o.children()) {
            if (!child_with(n, id_of(*oc))) {
                where_.push_back(id_of(*oc));
                StatementChange ch;
                ch.kind = StatementChange::Kind::deleted;
                ch.where = where_;
                ch.old_node = oc.get();
                bool expansion = false;
                survey(*oc, out_.weight_, expansion);
                out_.touches_expansion_ |= expansion;
                out_.changes_.push_back(std::move(ch));
                where_.pop_back();
            }
        }
        // The new tree's statements in order: new ones, then the walk into the kept ones. The old tree
        // usually has the same children in the same order, so try the same position before a lookup.
        size_t j = 0;
        for (const auto& c : n.children()) {
            const Node* oc = nullptr;
            if (j < o.children().size() && same_identity(*o.children()[j], *c)) {
                oc = o.children()[j].get();
                ++j;
            } else {
                oc = child_with(o, id_of(*c));
            }
            where_.push_back(id_of(*c));
            if (!oc)
                created(*c, n, o);
            else
                walk(*oc, *c);
            where_.pop_back();
        }
        reorder_check(o, n);
    }

  private:
    void created(const Node& c, const Node& parent, const Node& old_parent) {
        StatementChange ch;
        ch.kind = StatementChange::Kind::created;
        ch.where = where_;
        ch.new_node = &c;
        bool expansion = false;
        survey(c, out_.weight_, expansion);
        out_.touches_expansion_ |= expansion;
        if (c.schema()->kind == NodeKind::list) {
            // The entry it follows in its list; and whether an entry that was there before follows it (a
            // new entry put in the middle of an ordered-by-user list).
            const auto& sib = parent.children();
            auto it = std::find_if(sib.begin(), sib.end(), [&](const auto& p) { return p.get() == &c; });
            if (it != sib.begin() && (*(it - 1))->schema() == c.schema())
                ch.after = id_of(**(it - 1));
            if (c.schema()->ordered_by_user)
                for (auto next = it + 1; next != sib.end() && (*next)->schema() == c.schema(); ++next)
                    if (child_with(old_parent, id_of(**next))) {
                        out_.reorders_ = true;
                        break;
                    }
        }
        out_.changes_.push_back(std::move(ch));
    }

    // Entries of a list that kept their keys but changed places (in an ordered-by-system list too: the
    // configuration keeps its entries in the order they were made, and `delete` then `set` of an entry moves
    // it to the end).
    void reorder_check(const Node& o, const Node& n) {
        const SchemaNode* last_list = nullptr;
        for (const auto& c : n.children()) {
            const SchemaNode* s = c->schema();
            if (s == last_list || s->kind != NodeKind::list)
                continue;
            last_list = s;
            // Old positions of the surviving entries, in new order: they must be increasing.
            std::vector<const Node*> old_seq;
            for (const auto& oc : o.children())
                if (oc->schema() == s && child_with(n, id_of(*oc)))
                    old_seq.push_back(oc.get());
            size_t k = 0;
            bool moved = false;
            for (const auto& nc : n.children()) {
                if (nc->schema() != s)
                    continue;
                const Node* oc = child_with(o, id_of(*nc));
                if (!oc)
                    continue;
                if (k >= old_seq.size() || old_seq[k] != oc) {
                    moved = true;
                    break;
                }
                ++k;
            }
            if (!moved)
                continue;
            StatementChange ch;
            ch.kind = StatementChange::Kind::reordered;
            ch.where = where_;
            ch.old_node = &o;
            ch.new_node = &n;
            ch.list = s;
            for (const auto& nc : n.children())
                if (nc->schema() == s)
                    ch.order.push_back(nc->values());
            out_.reorders_ |= s->ordered_by_user;
            out_.changes_.push_back(std::move(ch));
        }
    }

    ChangeSet& out_;
    bool follow_;
    std::vector<StatementId> where_;
};

ChangeSet ChangeSet::between(const Node& old_root, const Node& new_root, bool follow_marks) {
    ChangeSet out;
    ChangeWalker w(out, follow_marks);
    w.walk(old_root, new_root);
    return out;
}

void ChangeSet::keep_copies() {
    for (auto& ch : changes_) {
        if (ch.kind == StatementChange::Kind::created && !ch.replacement)
            ch.replacement = std::make_unique<Node>(*ch.new_node);
        else if (ch.kind == StatementChange::Kind::modified && !ch.replacement)
            ch.replacement = shallow_copy(*ch.new_node);
    }
}

// ---------------------------------------------------------------------------------------------------
// Applying it

struct ChangeSet::Undo::Step {
    StatementChange::Kind kind;
    std::vector<StatementId> where;               // the statement (reordered: the parent)
    std::unique_ptr<Node> removed;                // deleted: the subtree taken out
    size_t index = 0;                             // deleted: its position among its siblings
    std::vector<std::string> values;              // modified: the old values
    bool inactive = false;                        // meta
    std::string annotation;                       // meta
    const SchemaNode* list = nullptr;             // reordered
    std::vector<std::vector<std::string>> order;  // reordered: the old order
};

namespace {

void put_in_order(Node& parent, const SchemaNode* list, const std::vector<std::vector<std::string>>& order) {
    const Node* prev = nullptr;
    for (const auto& keys : order) {
        Node* n = parent.find(list, keys);
        if (!n)
            continue;
        if (prev)
            parent.move_to(n, prev, true);
        else {
            // First of the list: before whatever entry of the list comes first now.
            auto first = std::find_if(parent.children().begin(), parent.children().end(),
                                      [&](const auto& c) { return c->schema() == list; });
            if (first != parent.children().end() && first->get() != n)
                parent.move_to(n, first->get(), false);
        }
        prev = n;
    }
}

Node& at_or_throw(Node& root, const std::vector<StatementId>& where) {
    Node* n = statement_at(root, where);
    if (!n)
        throw std::logic_error("change set does not match the tree");
    return *n;
}

std::vector<StatementId> parent_of(const std::vector<StatementId>& where) {
    return {where.begin(), where.end() - 1};
}

void undo_step(Node& root, ChangeSet::Undo::Step& s) {
    using Kind = StatementChange::Kind;
    switch (s.kind) {
        case Kind::created: {
            Node& parent = at_or_throw(root, parent_of(s.where));
            parent.remove(&at_or_throw(root, s.where));
            break;
        }
        case Kind::deleted: {
            Node& parent = at_or_throw(root, parent_of(s.where));
            if (s.index < parent.children().size())
                parent.insert_at(std::move(s.removed), parent.children()[s.index].get(), false);
            else if (!parent.children().empty())
                parent.insert_at(std::move(s.removed), parent.children().back().get(), true);
            else
                parent.add(std::move(s.removed));
            break;
        }
        case Kind::modified:
            at_or_throw(root, s.where).mutable_values() = std::move(s.values);
            break;
        case Kind::meta: {
            Node& n = at_or_throw(root, s.where);
            n.inactive = s.inactive;
            n.annotation = std::move(s.annotation);
            n.touch();
            break;
        }
        case Kind::reordered:
            put_in_order(at_or_throw(root, s.where), s.list, s.order);
            break;
    }
}

}  // namespace

ChangeSet::Undo::Undo() = default;
ChangeSet::Undo::~Undo() = default;
ChangeSet::Undo::Undo(Undo&&) noexcept = default;
ChangeSet::Undo& ChangeSet::Undo::operator=(Undo&&) noexcept = default;

void ChangeSet::Undo::undo() {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it)
        undo_step(*root_, **it);
    steps_.clear();
}

ChangeSet::Undo ChangeSet::apply(Node& root) const {
    using Kind = StatementChange::Kind;
    Undo undo;
    undo.root_ = &root;
    try {
        for (const auto& ch : changes_) {
            auto step = std::make_unique<Undo::Step>();
            step->kind = ch.kind;
            step->where = ch.where;
            switch (ch.kind) {
                case Kind::created: {
                    if (!ch.replacement)
                        throw std::logic_error("change set without its copies");
                    Node& parent = at_or_throw(root, parent_of(ch.where));
                    if (statement_at(parent, {ch.where.back()}))
                        throw std::logic_error("change set does not match the tree");
                    auto copy = std::make_unique<Node>(*ch.replacement);
                    const SchemaNode* s = copy->schema();
                    if (s->kind == NodeKind::list) {
                        const Node* anchor = ch.after ? child_with(parent, *ch.after) : nullptr;
                        if (anchor) {
                            parent.insert_at(std::move(copy), anchor, true);
                        } else {
                            // First of its list: before the list's first entry, if it has one.
                            auto first = std::find_if(parent.children().begin(), parent.children().end(),
                                                      [&](const auto& c) { return c->schema() == s; });
                            if (first != parent.children().end())
                                parent.insert_at(std::move(copy), first->get(), false);
                            else
                                parent.add(std::move(copy));
                        }
                    } else {
                        parent.add(std::move(copy));
                    }
                    break;
                }
                case Kind::deleted: {
                    Node& parent = at_or_throw(root, parent_of(ch.where));
                    Node& n = at_or_throw(root, ch.where);
                    const auto& sib = parent.children();
                    step->index = static_cast<size_t>(
                        std::find_if(sib.begin(), sib.end(), [&](const auto& c) { return c.get() == &n; }) -
                        sib.begin());
                    step->removed = parent.remove(&n);
                    break;
                }
                case Kind::modified: {
                    if (!ch.replacement)
                        throw std::logic_error("change set without its copies");
                    Node& n = at_or_throw(root, ch.where);
                    step->values = n.values();
                    n.mutable_values() = ch.replacement->values();
                    break;
                }
                case Kind::meta: {
                    Node& n = at_or_throw(root, ch.where);
                    step->inactive = n.inactive;
                    step->annotation = n.annotation;
                    n.inactive = ch.inactive;
                    n.annotation = ch.annotation;
                    n.touch();
                    break;
                }
                case Kind::reordered: {
                    Node& parent = at_or_throw(root, ch.where);
                    step->list = ch.list;
                    for (const auto& c : parent.children())
                        if (c->schema() == ch.list)
                            step->order.push_back(c->values());
                    put_in_order(parent, ch.list, ch.order);
                    break;
                }
            }
            undo.steps_.push_back(std::move(step));
        }
    } catch (...) {
        undo.undo();
        throw;
    }
    return undo;
}

void ChangeSet::mark_in(Node& root) const {
    for (const auto& ch : changes_) {
        // The deepest statement of the path that still exists carries the mark (a created or deleted
        // statement changes its parent's children; later edits may have removed more).
        std::vector<StatementId> path = ch.where;
        if (ch.kind == StatementChange::Kind::created || ch.kind == StatementChange::Kind::deleted) {
            if (Node* n = statement_at(root, path))
                n->mark_subtree();
            path.pop_back();
        }
        while (!statement_at(root, path))
            path.pop_back();
        statement_at(root, path)->touch();
    }
}

}  // namespace msim::config
