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
    options.trusted = true;  // mgd's committed configuration
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

const Node* OwnedConfiguration::by_words(const Node& root, const std::vector<std::string>& path) const {
    const Node* n = &root;
    const SchemaNode* s = &schema_->root();
    size_t i = 0;
    while (i < path.size()) {
        // A keyword, else a key of the level's hide-keyword list (`interfaces fe-0/0/0`).
        const Node* next = nullptr;
        const SchemaNode* c = schema_->find_child(*s, path[i], false).node;
        for (int attempt = 0; attempt < 2 && !next; ++attempt) {
            const SchemaNode* cand = attempt == 0 ? c : s->hidden_list;
            if (!cand || (attempt == 0 && cand->hide_keyword))
                continue;
            size_t k = attempt == 0 ? i + 1 : i;
            std::vector<std::string> keys;
            if (cand->kind == NodeKind::list) {
                if (k + cand->keys.size() > path.size())
                    continue;
                keys.assign(path.begin() + static_cast<std::ptrdiff_t>(k),
                            path.begin() + static_cast<std::ptrdiff_t>(k + cand->keys.size()));
                k += cand->keys.size();
            }
            if ((next = n->find(cand, keys))) {
                s = cand;
                i = k;
            }
        }
        if (!next)
            return nullptr;
        n = next;
    }
    return n;
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
    // The changes' texts, parsed in one go: two trees, one of what is deleted (the old statements) and one
    // of what is created or modified. A commit of 10,000 statements is then one parse, not 10,000.
    std::string deleted_text, added_text;
    for (auto change : changes.children("change"))
        (std::string_view(change.attribute("operation").value()) == "delete" ? deleted_text : added_text) +=
            change.child_value("configuration") + std::string("\n");
    ParseOptions options;
    options.file_name = "configuration change";
    options.keep_tags = false;
    options.trusted = true;  // validated by mgd before it is sent
    const Node deleted = parse_text(*schema_, deleted_text, options);
    const Node added_tree = parse_text(*schema_, added_text, options);
    for (auto change : changes.children("change")) {
        const std::string_view operation = change.attribute("operation").value();
        std::vector<std::string> path;
        std::istringstream words(change.child_value("path"));
        for (std::string w; words >> w;)
            path.push_back(w);
        // The statement the change is about, named by its path (words as in `set`; a change may name a
        // leaf, e.g. `security certificates path-length`, which is not an edit level).
        const Node* statement =
            path.empty() ? nullptr : by_words(operation == "delete" ? deleted : added_tree, path);
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
