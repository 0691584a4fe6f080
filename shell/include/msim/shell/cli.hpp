// The CLI session: reads command lines (interactively with readline, or in batch from -c, -f or stdin),
// runs operational commands through the command tree (an RPC to mgd, a renderer for the reply) and hands
// configuration-mode lines to mgd, which owns the candidate, the edit level and the commit. Output goes
// through the pipes and, on a terminal, the pager. The CLI keeps no state that matters: users, classes,
// locks and databases live in mgd.
#pragma once

#include <deque>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/paths.hpp"
#include "msim/shell/command_tree.hpp"
#include "msim/shell/pipes.hpp"

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
    ~Cli();

    // Runs each line in turn (a `load … terminal` takes the lines after it, up to a line `^D`); returns the
    // exit code: 0 only if every command succeeded.
    int run_batch(const std::vector<std::string>& lines);
    int run_interactive();

    // Runs one command line in the current mode. Returns false when the command failed.
    bool execute(const std::string& line);

    std::string prompt() const;
    bool in_configuration_mode() const { return in_config_; }
    // `?` listing for the text before the cursor (operational tree or mgd's schema completions).
    std::vector<Completion> completions_for(const std::string& text);

  private:
    bool execute_operational(const std::string& line);
    bool execute_configuration(const std::string& line);
    bool run_local(const OpCommand& cmd, const std::vector<std::string>& args);
    ipc::Reply run_streaming(const OpCommand& cmd, const pugi::xml_node& request, const PipedCommand& piped);
    void emit(const std::string& text, const PipedCommand& piped);
    void page(const std::string& text);
    void caret(const std::string& line, size_t offset);
    std::optional<std::string> next_input_line();
    bool ask(const std::string& question, bool default_yes);
    void show_notifications();
    void save_history();
    void note_confirmed_deadline(const pugi::xml_node& results);
    std::string confirmed_reminder() const;

    CliOptions options_;
    std::ostream& out_;
    std::ostream& err_;
    std::unique_ptr<ipc::SyncClient> mgd_;
    CommandTree tree_;
    std::string host_;
    std::string user_class_;
    bool interactive_ = false;
    bool in_config_ = false;
    bool done_ = false;
    bool batch_failed_ = false;  // a batch is one transaction: after a failure nothing more is committed
    std::string edit_path_;
    std::optional<long long> confirmed_deadline_;  // a pending `commit confirmed` rolls back then (epoch s)
    std::deque<std::string> batch_lines_;
    std::deque<std::string> notifications_;
    int screen_length_ = 24;
    int screen_width_ = 80;
    std::vector<std::pair<std::string, std::string>> history_;  // time, command
};

// The `Possible completions:` listing in Junos columns.
std::string format_completions(const std::vector<Completion>& items);

// Splits text into command lines at newlines and, for `-c` text, at ';' outside double quotes (a file or
// stdin may carry configuration text, whose ';' is not a separator).
std::vector<std::string> split_command_list(const std::string& text, bool semicolons_separate = true);

}  // namespace msim::shell
