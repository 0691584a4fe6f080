// Configuration-mode editing commands (set, delete, activate, deactivate, annotate, rename, copy,
// insert, wildcard delete) and `?` completion, relative to an edit path, with Junos errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "msim/config/error.hpp"
#include "msim/config/tree.hpp"

namespace msim::config {

// One word of a command line: double-quoted strings keep spaces; offsets are byte offsets in the line.
struct CommandWord {
    std::string text;
    bool quoted = false;
    size_t offset = 0;
    size_t end = 0;
};
// Throws ConfigError on an unterminated quote.
std::vector<CommandWord> split_command(std::string_view line);

struct CommandResult {
    std::vector<std::string> warnings;  // "warning: statement not found", ...
    std::vector<std::string> lines;     // other output ("  matched: ge-0/0/0" for wildcard delete)
};

// Runs one editing command line ("set system host-name r1") on `root` at `edit_path` (the words of
// the current [edit ...] level). On error throws ConfigError with word_index and offset (the caret
// position in `line`) and Junos wording; the tree is then unchanged.
CommandResult run_command(const Schema& schema, Node& root, const std::vector<std::string>& edit_path,
                          std::string_view line);

// The edit path after `edit <words>` from `edit_path`, with abbreviations expanded. Throws ConfigError
// like `set` does (the target must be a container or list entry).
std::vector<std::string> resolve_edit_path(const Schema& schema, const std::vector<std::string>& edit_path,
                                           std::string_view words);

// The node at an edit path, or nullptr if it does not exist (yet).
const Node* find_path(const Schema& schema, const Node& root, const std::vector<std::string>& path);

// `show <leaf>` (`show system host-name`): the leaf or leaf-list `words` name from `edit_path`, or nullptr
// when it is not configured. Throws ConfigError like resolve_edit_path when `words` name no leaf.
const Node* find_leaf_statement(const Schema& schema, const Node& root,
                                const std::vector<std::string>& edit_path, std::string_view words);

struct Completion {
    char marker = ' ';  // '>' container or list, '+' leaf-list, ' ' leaf, value or placeholder
    std::string name;
    std::string help;
};

// Completions of the last word of `words` (an editing command such as "set security i", where the
// last word may be empty when the line ends with a space): keywords with help, `+`/`>` markers,
// enumeration values, configured names where a key is expected and `<name>` placeholders.
std::vector<Completion> completions(const Schema& schema, const Node& root,
                                    const std::vector<std::string>& edit_path, std::string_view line);

// "Possible completions:" block, help at column 23 (2 spaces after names of 21+ characters).
std::string format_completions(const std::vector<Completion>& items);

}  // namespace msim::config
