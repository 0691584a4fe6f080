// The CLI session: reads command lines (interactively with readline, or in batch from -c, -f or stdin),
// runs operational commands through the command tree (an RPC to mgd, a renderer for the reply) and hands
// configuration-mode lines to mgd, which owns the candidate, the edit level and the commit. Output goes
// through the pipes and, on a terminal, the pager. The CLI keeps no state that matters: users, classes,
// locks and databases live in mgd.
#pragma once

#include <ctime>
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
    // `?` listing for the text before the cursor (operational tree or mgd's schema completions), filtered
    // by what the user's class may run.
    std::vector<Completion> completions_for(const std::string& text);
    // What `?` prints for the text before it: the listing (or `No valid completions`), and in configuration
    // mode the banner that Junos puts again before the prompt.
    std::string help_text(const std::string& text);
    // `[edit …]`, preceded by the commit-confirmed reminder while one waits.
    std::string banner() const;
    bool complete_on_space() const { return complete_on_space_; }
    // Text to the terminal through the ---(more)--- pager.
    void print_paged(const std::string& text) { page(text); }
    // Called while readline waits for a key: shows broadcast messages at once and notices that mgd ended
    // the session (request system logout). Returns true when the session is over.
    bool poll_events();

    // A user's command history, kept across sessions (var/tmp/.cli-history-USER): time and command.
    struct HistoryEntry {
        std::time_t when = 0;
        std::string command;
    };
    std::vector<HistoryEntry> read_history() const;
    void trim_history() const;

  private:
    bool execute_operational(const std::string& line, size_t column = 0);
    bool execute_configuration(const std::string& line);
    bool run_local(const OpCommand& cmd, const std::vector<std::string>& args, const std::string& command);
    bool local_listing(const OpCommand& cmd, const std::vector<std::string>& args, const std::string& command,
                       std::string& text);
    bool argument_error(const std::string& command, size_t word, const std::string& message);
    std::string xml_reply(const pugi::xml_node& reply) const;
    std::vector<Completion> configuration_completions(const std::string& line);
    size_t bad_statement_word(const std::vector<std::string>& path);
    ipc::Reply run_streaming(const OpCommand& cmd, const pugi::xml_node& request, const PipedCommand& piped);
    void emit(const std::string& text, const PipedCommand& piped);
    void page(const std::string& text);
    // A `^` under column `offset` of the text being run, which starts at column `base_column_` of the line
    // typed (`run CMD` runs the text after `run`). Batch mode echoes the line typed first.
    void caret(size_t offset);
    bool permitted(const OpCommand& cmd) const;
    void record_history(const std::string& line);
    void print_timestamp();
    std::optional<std::string> next_input_line();
    bool ask(const std::string& question, bool default_yes);
    void show_notifications();
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
    bool complete_on_space_ = true;
    std::optional<std::string> timestamp_format_;  // `set cli timestamp`: a strftime format
    std::string typed_;                            // the line being run, as typed
    size_t base_column_ = 0;
    // How the last command ended, for the blank line Junos prints after a command: none after a parse
    // error in operational mode, none after a `Possible completions:` listing.
    bool last_parse_error_ = false;
    bool last_listing_ = false;
    bool session_ended_ = false;
    bool run_from_configuration_ = false;
};

// The `Possible completions:` listing in Junos columns.
std::string format_completions(const std::vector<Completion>& items);

// Splits text into command lines at newlines and, for `-c` text, at ';' outside double quotes (a file or
// stdin may carry configuration text, whose ';' is not a separator).
std::vector<std::string> split_command_list(const std::string& text, bool semicolons_separate = true);

}  // namespace msim::shell
