#include "owned_changes.hpp"

#include <unordered_set>

#include "msim/config/text_format.hpp"
#include "service_text.hpp"

namespace msim::mgd {

using config::Node;
using config::StatementChange;

namespace {

void strip_annotations(Node& n) {
    n.annotation.clear();
    for (const auto& c : n.children())
        strip_annotations(*c);
}

bool has_annotations(const Node& n) {
    if (!n.annotation.empty())
        return true;
    for (const auto& c : n.children())
        if (has_annotations(*c))
            return true;
    return false;
}

// The node with its ancestors (without their other children), printed as a configuration snippet; without
// annotations (daemons see the configuration as it is expanded).
std::string text_in_context(const Node& n) {
    std::vector<const Node*> chain;
    for (const Node* p = n.parent(); p && !p->is_root(); p = p->parent())
        chain.insert(chain.begin(), p);
    if (has_annotations(n)) {
        Node root;
        Node* at = &root;
        for (const Node* a : chain)
            at = at->add(std::make_unique<Node>(a->schema(), a->values()));
        strip_annotations(*at->add(std::make_unique<Node>(n)));
        return config::print_text(root);
    }
    // Printed in place: no copy of the statement (a large commit sends tens of thousands).
    return config::print_in_context(n);
}

class Emitter {
  public:
    Emitter(const config::Schema& schema, OwnedChanges& out) : schema_(schema), out_(out) {}

    void emit(const Node& n, const char* op) {
        auto path = n.path_words();
        auto [owner, readers] = schema_.owner_and_readers(path);
        OwnedChange change{op, path, text_in_context(n)};
        for (const auto& r : readers)
            out_[r].push_back(change);
        out_[owner].push_back(std::move(change));
    }

    // A created or deleted statement: its list entries, leaves and childless containers.
    void decompose(const Node& n, const char* op) {
        if (n.schema()->kind == config::NodeKind::container && !n.children().empty()) {
            for (const auto& c : n.children())
                decompose(*c, op);
            return;
        }
        emit(n, op);
    }

    // A list entry changed inside: sent whole, once.
    void entry_modified(const Node& e) {
        if (done_.insert(join(e.path_words(), "\n")).second)
            emit(e, "modify");
    }

    void done(const Node& e) { done_.insert(join(e.path_words(), "\n")); }

  private:
    const config::Schema& schema_;
    OwnedChanges& out_;
    std::unordered_set<std::string> done_;
};

}  // namespace

OwnedChanges owned_changes(const config::Schema& schema, const config::ChangeSet& changes,
                           const Node& new_root) {
    OwnedChanges out;
    Emitter em(schema, out);
    using Kind = StatementChange::Kind;
    for (const auto& ch : changes.changes()) {
        if (ch.kind == Kind::meta)
            continue;  // annotations are not configuration (inactive statements are expanded away)
        // The first list entry on the way down: daemons take a change inside it as the whole entry.
        size_t entry = ch.where.size();
        for (size_t i = 0; i < ch.where.size(); ++i)
            if (ch.where[i].schema->kind == config::NodeKind::list) {
                entry = i;
                break;
            }
        if (ch.kind == Kind::reordered) {
            if (!ch.list->ordered_by_user)
                continue;  // the order of an ordered-by-system list is the text's only
            if (entry < ch.where.size()) {
                if (const Node* e =
                        config::statement_at(new_root, {ch.where.begin(), ch.where.begin() + entry + 1}))
                    em.entry_modified(*e);
            } else if (const Node* parent = config::statement_at(new_root, ch.where)) {
                // Every entry again, in the new order: a daemon replaces each at the end of its list.
                for (const auto& c : parent->children())
                    if (c->schema() == ch.list)
                        em.emit(*c, "modify");
            }
            continue;
        }
        if (entry + 1 < ch.where.size()) {
            if (const Node* e =
                    config::statement_at(new_root, {ch.where.begin(), ch.where.begin() + entry + 1}))
                em.entry_modified(*e);
            continue;
        }
        if (entry + 1 == ch.where.size()) {
            const Node& n = ch.kind == Kind::deleted ? *ch.old_node : *ch.new_node;
            em.done(n);
            em.emit(n, ch.kind == Kind::created ? "create" : ch.kind == Kind::deleted ? "delete" : "modify");
            continue;
        }
        if (ch.kind == Kind::created)
            em.decompose(*ch.new_node, "create");
        else if (ch.kind == Kind::deleted)
            em.decompose(*ch.old_node, "delete");
        else
            em.emit(*ch.new_node, "modify");
    }
    return out;
}

}  // namespace msim::mgd
