// Output pipes: `| match RE`, `| except RE`, `| count`, `| last N`, `| find RE`, `| trim N`, `| no-more`,
// `| save FILE`, `| hold`, and the ones the configuration engine answers (`| display set|xml|inheritance`,
// `| compare [rollback N]`). Pipe names may be abbreviated to any unique prefix; pipes chain left to right.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace msim::shell {

struct Pipe {
    std::string name;  // full name after prefix expansion
    std::vector<std::string> args;
    std::string target;  // `| save`: the file written (args[0] resolved on the router's disk); "" = args[0]
};

struct PipedCommand {
    std::string command;  // the text before the first unquoted '|'
    std::vector<Pipe> pipes;
    std::string display;                 // "set", "xml", "inheritance" from `| display …` ("" if none)
    std::optional<std::string> compare;  // from `| compare [rollback N]`: "" or the rollback number
    bool no_more = false;
};

struct PipeError {
    std::string message;  // Junos wording
    size_t offset = 0;    // caret position in the line
};

// Throws nothing; returns the error instead.
std::optional<PipeError> split_pipes(const std::string& line, PipedCommand& out);

// Applies the text pipes (everything but display/compare) to `text`. `| save` writes the file and returns
// the "Wrote N lines of output to 'F'" line instead.
std::string apply_text_pipes(const std::string& text, const std::vector<Pipe>& pipes);

// The `| ?` listing.
std::vector<std::pair<std::string, std::string>> pipe_help();
// The `?` listing inside a pipe: `words` are the complete words after the last '|', `partial` the word
// being typed (pipe names, then what each pipe takes: `display` its formats, `match` a pattern, …).
std::vector<std::pair<std::string, std::string>> pipe_completions(const std::vector<std::string>& words,
                                                                  const std::string& partial);

}  // namespace msim::shell
