// The CLI session: reads command lines (interactively with readline, or in batch from -c, -f or stdin),
// matches them against the command tree, sends the RPC to mgd, renders the reply. It keeps no state that
// matters: users, classes, locks and databases live in mgd.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/paths.hpp"
#include "msim/shell/command_tree.hpp"

namespace msim::shell {

struct CliOptions {
    RouterPaths paths;
    std::string user = "root";
    bool stop_on_error = false;
};

class Cli {
  public:
    // Connects to the router's mgd and opens a session for the user; throws std::runtime_error if mgd is
    // unreachable or refuses the user.
    Cli(CliOptions options, std::ostream& out, std::ostream& err);

    // Runs one command line. Returns false when the command failed (syntax error, RPC error...).
    bool execute(const std::string& line);
    // Runs each line in turn; returns the exit code (0 only if every command succeeded).
    int run_batch(const std::vector<std::string>& lines);
    int run_interactive();

    std::string prompt() const { return options_.user + "@" + host_ + "> "; }

  private:
    void print_caret_error(const std::string& line, const std::vector<std::string>& words,
                           const MatchError& error, size_t prompt_width);

    CliOptions options_;
    std::ostream& out_;
    std::ostream& err_;
    std::unique_ptr<ipc::SyncClient> mgd_;
    CommandTree tree_;
    std::string host_;
    bool interactive_ = false;
};

// Splits text into command lines at newlines and, for `-c` text, at ';' outside double quotes (a file or
// stdin may carry configuration text, whose ';' is not a separator).
std::vector<std::string> split_command_list(const std::string& text, bool semicolons_separate = true);

}  // namespace msim::shell
