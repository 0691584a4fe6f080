#include "msim/config/owned_configuration.hpp"

#include <algorithm>
#include <vector>

#include "msim/config/change_set.hpp"
#include "msim/config/commands.hpp"
#include "msim/config/text_format.hpp"

#include <sstream>

namespace msim::config {

OwnedConfiguration::OwnedConfiguration(std::shared_ptr<const Schema> schema) : schema_(std::move(schema)) {}

void OwnedConfiguration::load(std::string_view text) {
    ParseOptions options;
    options.file_name = "owned configuration";
    options.keep_tags = false;
    tree_ = parse_text(*schema_, text, options);
}

// One undoable step of a staged change: a statement taken out (with its place) or put in.
struct OwnedConfiguration::Staged::Step {
    std::vector<StatementId> parent;  // from the root
    std::unique_ptr<Node> removed;    // taken out (null: `added` was put in)
    size_t index = 0;                 // where `removed` stood among its siblings
    StatementId added;
};

namespace {

std::vector<StatementId> ids_of(const Node& n) {
    std::vector<StatementId> out;
    for (const Node* p = &n; p && !p->is_root(); p = p->parent())
        out.insert(out.begin(), StatementId{p->schema(), p->schema()->kind == NodeKind::list
                                                             ? p->values()
                                                             : std::vector<std::string>{}});
    return out;
}

}  // namespace

OwnedConfiguration::Staged::Staged(Node& tree) : tree_(&tree) {}
OwnedConfiguration::Staged::Staged(Staged&& o) noexcept : tree_(o.tree_), steps_(std::move(o.steps_)) {
    o.steps_.clear();
}
OwnedConfiguration::Staged::~Staged() {
    undo();
}

void OwnedConfiguration::Staged::keep() {
    steps_.clear();
}

void OwnedConfiguration::Staged::undo() {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
        Node* parent = statement_at(*tree_, it->parent);
        if (!parent)
            continue;  // cannot happen: the steps are undone in reverse
        if (it->removed) {
            if (it->index < parent->children().size())
                parent->insert_at(std::move(it->removed), parent->children()[it->index].get(), false);
            else if (!parent->children().empty())
                parent->insert_at(std::move(it->removed), parent->children().back().get(), true);
            else
                parent->add(std::move(it->removed));
        } else if (const Node* n = parent->find(it->added.schema, it->added.keys)) {
            parent->remove(n);
        }
    }
    steps_.clear();
}

Node OwnedConfiguration::with_changes(const pugi::xml_node& changes) const {
    Node result = tree_;
    apply(result, changes, nullptr);
    return result;
}

OwnedConfiguration::Staged OwnedConfiguration::stage(const pugi::xml_node& changes) {
    Staged staged(tree_);
    try {
        apply(tree_, changes, &staged);
    } catch (...) {
        staged.undo();
        throw;
    }
    return staged;
}

void OwnedConfiguration::apply(Node& result, const pugi::xml_node& changes_or_parent, Staged* record) const {
    auto removed = [&](Node& parent, const Node* n) {
        const auto& sib = parent.children();
        const size_t index = static_cast<size_t>(
            std::find_if(sib.begin(), sib.end(), [&](const auto& c) { return c.get() == n; }) - sib.begin());
        auto out = parent.remove(n);
        if (record)
            record->steps_.push_back({ids_of(parent), std::move(out), index, {}});
    };
    auto added = [&](Node& parent, Node* n) {
        if (record)
            record->steps_.push_back(
                {ids_of(parent),
                 nullptr,
                 0,
                 {n->schema(),
                  n->schema()->kind == NodeKind::list ? n->values() : std::vector<std::string>{}}});
        return n;
    };
    pugi::xml_node changes = changes_or_parent;
    if (std::string_view(changes.name()) != "configuration-changes") {
        changes = changes.child("configuration-changes");
    }
    for (auto change : changes.children("change")) {
        const std::string_view operation = change.attribute("operation").value();
        ParseOptions options;
        options.file_name = "configuration change";
        options.keep_tags = false;
        const Node snippet = parse_text(*schema_, change.child_value("configuration"), options);
        // The statement the change is about, named by its path (words as in `set`) inside the snippet,
        // which holds only that statement and its ancestors.
        std::vector<std::string> path;
        std::istringstream words(change.child_value("path"));
        for (std::string w; words >> w;) {
            path.push_back(w);
        }
        // Walked by path words rather than find_path(): a change may name a leaf (e.g. `security
        // certificates path-length`), which is not an edit level.
        const Node* statement = nullptr;
        for (const Node* n = &snippet; n && !statement && !path.empty();) {
            const Node* next = nullptr;
            for (const auto& c : n->children()) {
                const auto words = c->path_words();
                if (words == path) {
                    statement = c.get();
                    break;
                }
                if (words.size() < path.size() && std::equal(words.begin(), words.end(), path.begin())) {
                    next = c.get();
                    break;
                }
            }
            n = next;
        }
        if (!statement || statement->is_root()) {
            continue;
        }
        // The chain of ancestors from the top, found (or made) in the result.
        std::vector<const Node*> chain;
        for (const Node* p = statement->parent(); p && !p->is_root(); p = p->parent()) {
            chain.insert(chain.begin(), p);
        }
        Node* at = &result;
        bool missing = false;
        for (const Node* a : chain) {
            Node* next = at->find(a->schema(), a->values());
            if (!next) {
                if (operation == "delete") {
                    missing = true;
                    break;
                }
                next = added(*at, at->add(std::make_unique<Node>(a->schema(), a->values())));
            }
            at = next;
        }
        if (missing) {
            continue;
        }
        if (const Node* existing = at->find(statement->schema(), statement->values()))
            removed(*at, existing);
        if (operation != "delete")
            added(*at, at->add(std::make_unique<Node>(*statement)));
        // Containers emptied by a delete go too (they hold nothing a daemon could act on).
        while (operation == "delete" && !at->is_root() && at->children().empty() &&
               at->schema()->kind == NodeKind::container && !at->schema()->presence) {
            Node* parent = at->parent();
            removed(*parent, at);
            at = parent;
        }
    }
}

}  // namespace msim::config
