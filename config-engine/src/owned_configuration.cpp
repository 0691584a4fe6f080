#include "msim/config/owned_configuration.hpp"

#include <algorithm>
#include <vector>

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

Node OwnedConfiguration::with_changes(const pugi::xml_node& changes_or_parent) const {
    Node result = tree_;
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
                next = at->add(std::make_unique<Node>(a->schema(), a->values()));
            }
            at = next;
        }
        if (missing) {
            continue;
        }
        if (const Node* existing = at->find(statement->schema(), statement->values())) {
            at->remove(existing);
        }
        if (operation != "delete") {
            at->add(std::make_unique<Node>(*statement));
        }
        // Containers emptied by a delete go too (they hold nothing a daemon could act on).
        while (operation == "delete" && !at->is_root() && at->children().empty() &&
               at->schema()->kind == NodeKind::container && !at->schema()->presence) {
            Node* parent = at->parent();
            parent->remove(at);
            at = parent;
        }
    }
    return result;
}

}  // namespace msim::config
