#include "msim/shell/command_tree.hpp"

#include <algorithm>

#include "msim/shell/render.hpp"

namespace msim::shell {

CommandTree::Node* CommandTree::Node::child(const std::string& w, bool create) {
    for (auto& c : children) {
        if (c->word == w) {
            return c.get();
        }
    }
    if (!create) {
        return nullptr;
    }
    children.push_back(std::make_unique<Node>());
    children.back()->word = w;
    std::sort(children.begin(), children.end(),
              [](const auto& a, const auto& b) { return a->word < b->word; });
    return child(w, false);
}

void CommandTree::describe(const std::vector<std::string>& words, std::string help) {
    Node* node = &root_;
    for (const auto& w : words) {
        node = node->child(w, true);
    }
    node->help = std::move(help);
}

void CommandTree::add(OpCommand command) {
    Node* node = &root_;
    for (const auto& w : command.words) {
        node = node->child(w, true);
    }
    node->help = command.help;
    node->command = std::make_unique<OpCommand>(std::move(command));
}

MatchResult CommandTree::match(const std::vector<std::string>& words) const {
    MatchResult result;
    const Node* node = &root_;
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        std::vector<const Node*> candidates;
        for (const auto& c : node->children) {
            if (c->word == w) {
                candidates = {c.get()};
                break;
            }
            if (c->word.compare(0, w.size(), w) == 0) {
                candidates.push_back(c.get());
            }
        }
        if (candidates.empty()) {
            const auto kind = i == 0 ? MatchError::Kind::unknown_command : MatchError::Kind::syntax_error;
            result.error = MatchError{kind, i, {}};
            return result;
        }
        if (candidates.size() > 1) {
            MatchError err{MatchError::Kind::ambiguous, i, {}};
            for (const Node* c : candidates) {
                err.completions.push_back({c->word, c->help});
            }
            result.error = std::move(err);
            return result;
        }
        node = candidates.front();
    }
    if (!node->command) {
        result.error =
            MatchError{words.empty() ? MatchError::Kind::unknown_command : MatchError::Kind::incomplete,
                       words.size(),
                       {}};
        return result;
    }
    result.command = node->command.get();
    return result;
}

std::vector<Completion> CommandTree::completions(const std::vector<std::string>& words) const {
    const Node* node = &root_;
    for (const auto& w : words) {
        const Node* next = nullptr;
        int prefix_matches = 0;
        for (const auto& c : node->children) {
            if (c->word == w) {
                next = c.get();
                prefix_matches = 1;
                break;
            }
            if (c->word.compare(0, w.size(), w) == 0) {
                next = c.get();
                ++prefix_matches;
            }
        }
        if (!next || prefix_matches != 1) {
            return {};
        }
        node = next;
    }
    std::vector<Completion> out;
    for (const auto& c : node->children) {
        out.push_back({c->word, c->help});
    }
    return out;
}

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    std::string current;
    bool in_word = false, quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == '\\' && i + 1 < line.size()) {
            current.push_back(line[++i]);
            in_word = true;
        } else if (c == '"') {
            quoted = !quoted;
            in_word = true;
        } else if (!quoted && (c == ' ' || c == '\t')) {
            if (in_word) {
                words.push_back(std::move(current));
                current.clear();
                in_word = false;
            }
        } else {
            current.push_back(c);
            in_word = true;
        }
    }
    if (in_word) {
        words.push_back(std::move(current));
    }
    return words;
}

CommandTree make_operational_tree() {
    CommandTree tree;
    tree.describe({"show"}, "Show system information");
    tree.add({{"show", "version"},
              "Show software process revision levels",
              "get-software-information",
              render_software_information});
    return tree;
}

}  // namespace msim::shell
