// The operational command tree, declared as data: each command is a list of keywords, its help, the RPC it
// sends to mgd (with a function that puts the command's arguments into the request) and the renderer of
// the reply. A new show command is one entry here plus a renderer. Matching accepts any unique prefix of a
// keyword and reports Junos errors (unknown command, ambiguity with its completions, syntax error) with
// the word they concern.
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
    char marker = ' ';
};

struct OpCommand {
    OpCommand() = default;
    OpCommand(std::vector<std::string> words_, std::string help_, std::string rpc_,
              std::function<std::string(const pugi::xml_node&)> render_ = {})
        : words(std::move(words_)),
          help(std::move(help_)),
          rpc(std::move(rpc_)),
          render(std::move(render_)) {}

    std::vector<std::string> words;  // e.g. {"show", "version"}
    std::string help;                // help of the last word
    std::string rpc;                 // RPC element name sent to mgd ("" for commands the CLI runs itself)
    std::function<std::string(const pugi::xml_node& reply)> render;  // XML reply -> Junos text
    // Commands with arguments take every word after their keywords; `fill` puts them into the request
    // (and returns an error message for bad arguments). `args_help` is the `?` placeholder.
    bool takes_args = false;
    bool args_required = false;
    std::string args_help;
    std::string args_description;  // the help printed beside `args_help` in a `?` listing
    std::function<std::string(pugi::xml_node request, const std::vector<std::string>& args)> fill;
    std::string local;  // a command the CLI runs itself: "configure", "exit", "set-cli", ...
    bool enter_is_valid = true;
    // Streaming commands (ping, traceroute, monitor traffic): the owner sends <rpc-progress> messages
    // before its reply; each is rendered by `render_progress` and printed at once. Ctrl-C cancels the
    // RPC on the owner, which still replies (ping's statistics), rendered by `render`.
    std::function<std::string(const pugi::xml_node& progress)> render_progress;
};

struct MatchError {
    enum class Kind { unknown_command, syntax_error, ambiguous, incomplete, missing_argument };
    Kind kind;
    size_t word_index;                    // the word the caret points at (== words.size() at the end)
    std::vector<Completion> completions;  // for ambiguous
};

struct MatchResult {
    const OpCommand* command = nullptr;
    std::vector<std::string> args;      // words after the command's keywords
    std::vector<std::string> expanded;  // the keywords as matched (abbreviations expanded)
    std::optional<MatchError> error;
};

class CommandTree {
  public:
    // Which commands the user may run; the others do not exist for them (an unknown command, not listed by
    // `?`), as on Junos, where a class's permissions hide the commands it lacks. Empty: every command.
    using Visible = std::function<bool(const OpCommand&)>;

    // Intermediate keywords get their help from `describe` ({"show"} -> "Show system information").
    void describe(const std::vector<std::string>& words, std::string help);
    void add(OpCommand command);
    MatchResult match(const std::vector<std::string>& words, const Visible& visible = {}) const;
    // The completions after `words` (for `?`), sorted as Junos lists them; `partial` is the word being
    // typed (possibly empty).
    std::vector<Completion> completions(const std::vector<std::string>& words, const std::string& partial,
                                        const Visible& visible = {}) const;

  private:
    struct Node {
        std::string word;
        std::string help;
        std::unique_ptr<OpCommand> command;
        std::vector<std::unique_ptr<Node>> children;
        Node* child(const std::string& w, bool create);
        bool visible(const Visible& v) const;
    };
    Node root_;
};

// The operational commands msim knows, with their renderers. Each component's commands are declared in
// their own file (commands_<component>.cpp) and added here.
CommandTree make_operational_tree();
void add_chassis_commands(CommandTree& tree);    // show chassis …, request chassis … (chassisd)
void add_dataplane_commands(CommandTree& tree);  // show interfaces/route/arp/firewall, ping, … (pfed)
void add_ipsec_commands(CommandTree& tree);      // show/clear ipsec security-associations (ipsecd)

// Splits a command line into words (double quotes group words; a backslash escapes the next character).
std::vector<std::string> split_words(const std::string& line);

}  // namespace msim::shell
