// The operational command tree, declared as data: each command is a list of keywords, its help, the RPC it
// sends to mgd and the renderer of the reply. Matching accepts any unique prefix of a keyword and reports
// Junos errors (unknown command, ambiguity with its completions, syntax error) with the word they concern.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <vector>

namespace msim::shell {

struct Completion {
    std::string name;
    std::string help;
};

struct OpCommand {
    std::vector<std::string> words;                                  // e.g. {"show", "version"}
    std::string help;                                                // help of the last word
    std::string rpc;                                                 // RPC element name sent to mgd
    std::function<std::string(const pugi::xml_node& reply)> render;  // XML reply -> Junos text
};

struct MatchError {
    enum class Kind { unknown_command, syntax_error, ambiguous, incomplete };
    Kind kind;
    size_t word_index;  // the word the caret points at (== words.size() when input ended early)
    std::vector<Completion> completions;  // for ambiguous
};

struct MatchResult {
    const OpCommand* command = nullptr;
    std::optional<MatchError> error;
};

class CommandTree {
  public:
    // Intermediate keywords get their help from `describe` ({"show"} -> "Show system information").
    void describe(const std::vector<std::string>& words, std::string help);
    void add(OpCommand command);
    MatchResult match(const std::vector<std::string>& words) const;
    // The completions after `words` (for `?`), sorted as Junos lists them.
    std::vector<Completion> completions(const std::vector<std::string>& words) const;

  private:
    struct Node {
        std::string word;
        std::string help;
        std::unique_ptr<OpCommand> command;
        std::vector<std::unique_ptr<Node>> children;
        Node* child(const std::string& w, bool create);
    };
    Node root_;
};

// The operational commands msim knows, with their renderers.
CommandTree make_operational_tree();

// Splits a command line into words (double quotes group words; a backslash escapes the next character).
std::vector<std::string> split_words(const std::string& line);

}  // namespace msim::shell
