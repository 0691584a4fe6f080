#include "msim/shell/command_tree.hpp"

#include <algorithm>
#include <array>

#include "msim/common/xml.hpp"
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

bool CommandTree::Node::visible(const Visible& v) const {
    if (!v || (command && v(*command)))
        return true;
    return std::any_of(children.begin(), children.end(), [&](const auto& c) { return c->visible(v); });
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

MatchResult CommandTree::match(const std::vector<std::string>& words, const Visible& visible) const {
    MatchResult result;
    const Node* node = &root_;
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (node->command && node->command->takes_args) {
            // Everything from here on is the command's arguments (unless a sub-command keyword matches).
            bool keyword = false;
            for (const auto& c : node->children) {
                if (c->word.compare(0, w.size(), w) == 0 && c->visible(visible))
                    keyword = true;
            }
            if (!keyword) {
                result.command = node->command.get();
                result.args.assign(words.begin() + static_cast<long>(i), words.end());
                return result;
            }
        }
        std::vector<const Node*> candidates;
        for (const auto& c : node->children) {
            if (!c->visible(visible))
                continue;
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
                err.completions.push_back({c->word, c->help, ' '});
            }
            result.error = std::move(err);
            return result;
        }
        node = candidates.front();
        result.expanded.push_back(node->word);
    }
    if (!node->command || (visible && !visible(*node->command))) {
        result.error =
            MatchError{words.empty() ? MatchError::Kind::unknown_command : MatchError::Kind::incomplete,
                       words.size(),
                       {}};
        return result;
    }
    if (node->command->args_required) {
        result.error = MatchError{MatchError::Kind::missing_argument, words.size(), {}};
        return result;
    }
    result.command = node->command.get();
    return result;
}

std::vector<Completion> CommandTree::completions(const std::vector<std::string>& words,
                                                 const std::string& partial, const Visible& visible) const {
    const Node* node = &root_;
    for (const auto& w : words) {
        const Node* next = nullptr;
        int prefix_matches = 0;
        for (const auto& c : node->children) {
            if (!c->visible(visible))
                continue;
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
            // Past a command's argument: it may run as it is, or take its pipes.
            if (node->command && node->command->takes_args && (!visible || visible(*node->command))) {
                return {{"<[Enter]>", "Execute this command", ' '}, {"|", "Pipe through a command", ' '}};
            }
            return {};
        }
        node = next;
    }
    std::vector<Completion> out;
    const bool runnable = node->command && (!visible || visible(*node->command));
    if (runnable && node->command->takes_args && partial.empty()) {
        out.push_back({node->command->args_help, node->command->args_description, ' '});
    }
    for (const auto& c : node->children) {
        if (!c->visible(visible))
            continue;
        if (c->word.compare(0, partial.size(), partial) == 0) {
            out.push_back({c->word, c->help, ' '});
        }
    }
    if (runnable && partial.empty() && node->command->enter_is_valid && !node->command->args_required) {
        out.insert(out.begin(), {"<[Enter]>", "Execute this command", ' '});
        out.push_back({"|", "Pipe through a command", ' '});
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

namespace {

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty())
            out += ' ';
        out += w;
    }
    return out;
}

std::string render_configuration(const pugi::xml_node& reply) {
    for (auto child : reply.children()) {
        if (auto out = child.child("configuration-output")) {
            return out.child_value();
        }
    }
    return {};
}

bool is_number(const std::string& s) {
    return !s.empty() && s.size() < 6 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void add_pki_commands(CommandTree& tree);  // commands_pki.cpp (pkid)

CommandTree make_operational_tree() {
    CommandTree tree;
    tree.describe({"show"}, "Show system information");
    tree.describe({"show", "system"}, "Show system information");
    tree.describe({"request"}, "Make system-level requests");
    tree.describe({"request", "system"}, "System operations");
    tree.describe({"set"}, "Set CLI properties, date/time, craft interface message");
    tree.describe({"set", "cli"}, "Set CLI properties");
    tree.describe({"show", "cli"}, "Show command-line interface settings");

    tree.add({{"show", "version"},
              "Show software process revision levels",
              "get-software-information",
              render_software_information});

    OpCommand show_conf{
        {"show", "configuration"}, "Show current configuration", "get-configuration", render_configuration};
    show_conf.takes_args = true;
    show_conf.args_help = "<statement>";
    show_conf.args_description = "Configuration statement to show";
    show_conf.fill = [](pugi::xml_node req, const std::vector<std::string>& args) {
        xml::append_text(req, "path", join(args));
        return std::string();
    };
    tree.add(show_conf);

    tree.add({{"show", "system", "commit"},
              "Show pending commit and commit history",
              "get-commit-information",
              render_configuration});
    OpCommand rollback{{"show", "system", "rollback"},
                       "Show rolled back configuration",
                       "get-rollback-information",
                       render_configuration};
    rollback.takes_args = true;
    rollback.args_required = true;
    rollback.args_help = "<rollback-number>";
    rollback.args_description = "Index of rollback configuration (0..49)";
    rollback.fill = [](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
        if (args.empty() || !is_number(args[0])) {
            req.append_attribute("msim-error-arg") = 0u;
            return "invalid numeric value: '" + (args.empty() ? std::string() : args[0]) + "'";
        }
        auto at = [&req](unsigned index, std::string message) {
            req.append_attribute("msim-error-arg") = index;
            return message;
        };
        auto in_range = [](const std::string& n) { return n.size() <= 2 && std::stoi(n) <= 49; };
        if (!in_range(args[0]))
            return at(0, "Value " + args[0] + " is not within range (0..49)");
        xml::append_text(req, "rollback", args[0]);
        if (args.size() >= 2) {
            // show system rollback N compare M
            if (std::string("compare").rfind(args[1], 0) != 0)
                return at(1, "syntax error, expecting <command>.");
            if (args.size() < 3)
                return at(2, "missing argument.");
            if (!is_number(args[2]))
                return at(2, "invalid numeric value: '" + args[2] + "'");
            if (!in_range(args[2]))
                return at(2, "Value " + args[2] + " is not within range (0..49)");
            if (args.size() > 3)
                return at(3, "syntax error, expecting <command>.");
            xml::append_text(req, "compare", args[2]);
        }
        return {};
    };
    tree.add(rollback);
    tree.add({{"show", "system", "users"},
              "Show user activity information",
              "get-system-users-information",
              render_system_users});

    auto render_output = [](const pugi::xml_node& reply) {
        for (auto child : reply.children()) {
            if (auto out = child.child("output"))
                return std::string(out.child_value());
        }
        return std::string();
    };
    auto one_arg = [](const char* element, bool required) {
        return [element, required](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
            if (args.size() > 1) {
                req.append_attribute("msim-error-arg") = 1u;
                return "syntax error, expecting <command>.";
            }
            if (args.empty())
                return required ? "missing argument." : "";
            xml::append_text(req, element, args[0]);
            return {};
        };
    };
    tree.add({{"show", "system", "uptime"},
              "Show time since the system rebooted and protocols started",
              "get-system-uptime-information",
              render_system_uptime});
    // set date YYYYMMDDhhmm[.ss]: mgd moves the router's clock (every daemon's wall time) and answers with
    // the new date as Junos prints it.
    OpCommand set_date{{"set", "date"}, "Set system date and time", "set-date", render_output};
    set_date.takes_args = true;
    set_date.args_required = true;
    set_date.args_help = "<date-time>";
    set_date.fill = one_arg("date-time", true);
    tree.add(set_date);
    OpCommand show_log{{"show", "log"}, "Show contents of log file", "get-log", render_output};
    show_log.takes_args = true;
    show_log.args_required = true;
    show_log.args_help = "<filename>";
    show_log.args_description = "Name of log file";
    show_log.fill = one_arg("filename", true);
    tree.add(show_log);
    tree.describe({"file"}, "Perform file operations");
    OpCommand file_list{{"file", "list"}, "List file information", "file-list", render_output};
    file_list.takes_args = true;
    file_list.args_help = "<path>";
    file_list.args_description = "Path name of directory or file";
    file_list.fill = one_arg("path", false);
    tree.add(file_list);
    OpCommand file_show{{"file", "show"}, "Show file contents", "file-show", render_output};
    file_show.takes_args = true;
    file_show.args_required = true;
    file_show.args_help = "<filename>";
    file_show.args_description = "Name of file";
    file_show.fill = one_arg("filename", true);
    tree.add(file_show);

    OpCommand configure{{"configure"}, "Manipulate software configuration information", ""};
    configure.local = "configure";
    tree.add(configure);
    // `edit` is the other name of `configure` (Junos).
    OpCommand edit = configure;
    edit.words = {"edit"};
    tree.add(edit);
    tree.describe({"configure", "private"}, "Work in private database");
    tree.describe({"configure", "exclusive"}, "Obtain exclusive lock (other users cannot make changes)");

    OpCommand exit_cmd{{"exit"}, "Exit the management session", ""};
    exit_cmd.local = "exit";
    tree.add(exit_cmd);
    OpCommand quit_cmd{{"quit"}, "Exit the management session", ""};
    quit_cmd.local = "exit";
    tree.add(quit_cmd);
    // request system logout pid P | terminal T | user NAME [all]: mgd ends the matching CLI sessions.
    tree.describe({"request", "system", "logout"}, "Forcibly end user's CLI login session");
    for (const auto& [word, help, placeholder] :
         std::vector<std::array<std::string, 3>>{{"pid", "Process ID of the CLI session", "<pid>"},
                                                 {"terminal", "Terminal name of the session", "<terminal>"},
                                                 {"user", "User whose session to end", "<user>"}}) {
        OpCommand logout{
            {"request", "system", "logout", word},
            help,
            "request-logout-user",
            [](const pugi::xml_node& reply) { return std::string(reply.child_value("output")); }};
        logout.takes_args = true;
        logout.args_required = true;
        logout.args_help = placeholder;
        logout.args_description = help;
        logout.fill = [word = word](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
            const bool all = word == "user" && args.size() == 2 && std::string("all").rfind(args[1], 0) == 0;
            if (args.size() > 1 && !all) {
                req.append_attribute("msim-error-arg") = 1u;
                return "syntax error, expecting <command>.";
            }
            if (word == "pid" && args[0].find_first_not_of("0123456789") != std::string::npos) {
                req.append_attribute("msim-error-arg") = 0u;
                return "invalid numeric value: '" + args[0] + "'";
            }
            xml::append_text(req, word, args[0]);
            if (all)
                req.append_child("all");
            return {};
        };
        tree.add(logout);
    }

    // set cli …: the CLI's own settings (run in the CLI, not sent to mgd).
    auto set_cli = [&tree](std::vector<std::string> words, std::string help, std::string placeholder = {},
                           std::string description = {}) {
        OpCommand c{std::move(words), std::move(help), ""};
        c.local = "set-cli";
        if (!placeholder.empty()) {
            c.takes_args = true;
            c.args_required = true;
            c.args_help = std::move(placeholder);
            c.args_description = std::move(description);
        }
        tree.add(std::move(c));
    };
    set_cli({"set", "cli", "screen-width"}, "Set number of columns on terminal screen", "<width>",
            "Number of columns (0, 40..1024)");
    set_cli({"set", "cli", "screen-length"}, "Set number of lines on terminal screen", "<length>",
            "Number of lines (0..100000; 0: no pager)");
    tree.describe({"set", "cli", "complete-on-space"}, "Set whether typing space completes current word");
    set_cli({"set", "cli", "complete-on-space", "on"}, "Enable complete-on-space");
    set_cli({"set", "cli", "complete-on-space", "off"}, "Disable complete-on-space");
    set_cli({"set", "cli", "timestamp"}, "Timestamp CLI output");
    set_cli({"set", "cli", "timestamp", "format"}, "Format for timestamp", "<format>",
            "Timestamp format (strftime: %b %d %T)");
    set_cli({"set", "cli", "timestamp", "disable"}, "Disable timestamp");
    // help reference|topic STATEMENT: what the schema says of a configuration statement.
    tree.describe({"help"}, "Provide help information");
    for (const auto& [word, text] : std::vector<std::pair<std::string, std::string>>{
             {"reference", "Show help for a configuration statement"},
             {"topic", "Show help about a configuration topic"}}) {
        OpCommand help{{"help", word}, text, ""};
        help.local = "help";
        help.takes_args = true;
        help.args_required = true;
        help.args_help = "<statement>";
        help.args_description = "Configuration statement (path from the top)";
        tree.add(help);
    }
    OpCommand show_cli{{"show", "cli"}, "Show command-line interface settings", ""};
    show_cli.local = "show-cli";
    tree.add(show_cli);
    OpCommand history{{"show", "cli", "history"}, "Show list of previous commands", ""};
    history.local = "history";
    history.takes_args = true;
    history.args_help = "<count>";
    history.args_description = "Maximum number of commands to display";
    tree.add(history);
    add_chassis_commands(tree);
    add_dataplane_commands(tree);
    add_ipsec_commands(tree);
    add_pki_commands(tree);  // request|show|clear security pki …, request security key-pair (pkid)
    return tree;
}

}  // namespace msim::shell
