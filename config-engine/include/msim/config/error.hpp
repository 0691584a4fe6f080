// The one error type of msim_config: every failure (parse, mapping, command, load, store) throws it;
// warnings are returned as values by the calls that can produce them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace msim::config {

struct Completion;

class ConfigError : public std::runtime_error {
  public:
    explicit ConfigError(std::string message) : std::runtime_error(message), message(std::move(message)) {}

    std::string message;  // Junos wording: "syntax error", "missing argument.", "Value 9 is not within ..."
    // Source position (text loads): file name ("terminal" for typed input), 1-based line and column.
    std::string file;
    uint32_t line = 0;
    uint32_t column = 0;
    std::string token;                   // offending word
    std::vector<std::string> edit_path;  // hierarchy where it happened
    std::string statement;               // the statement as shown in quotes
    // Command position: index of the offending word, and its byte offset in the command line (for the
    // caret); `offset` points one past the end of the line for "missing argument.".
    int word_index = -1;
    size_t offset = 0;
    std::vector<std::string> possible;  // for "'x' is ambiguous.": the matching keywords

    // Load-style rendering:
    //   terminal:3:(12) syntax error: system1
    //     [edit]
    //       'system1 {'
    //         syntax error
    std::string render() const;
};

}  // namespace msim::config
