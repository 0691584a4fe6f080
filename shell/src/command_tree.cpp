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
        if (node->command && node->command->takes_args) {
            // Everything from here on is the command's arguments (unless a sub-command keyword matches).
            bool keyword = false;
            for (const auto& c : node->children) {
                if (c->word.compare(0, w.size(), w) == 0)
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
    if (!node->command) {
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
                                                 const std::string& partial) const {
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
            if (node->command && node->command->takes_args) {
                return {{node->command->args_help, "", ' '}, {"|", "Pipe through a command", ' '}};
            }
            return {};
        }
        node = next;
    }
    std::vector<Completion> out;
    if (node->command && node->command->takes_args && partial.empty()) {
        out.push_back({node->command->args_help, "", ' '});
    }
    for (const auto& c : node->children) {
        if (c->word.compare(0, partial.size(), partial) == 0) {
            out.push_back({c->word, c->help, ' '});
        }
    }
    if (node->command && partial.empty() && node->command->enter_is_valid && !node->command->args_required) {
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
    rollback.fill = [](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
        if (args.empty() || !is_number(args[0]))
            return "syntax error, expecting <number>.";
        if (args[0].size() > 2 || std::stoi(args[0]) > 49)
            return "Value " + args[0] + " is not within range (0..49)";
        xml::append_text(req, "rollback", args[0]);
        if (args.size() >= 2) {
            if (std::string("compare").rfind(args[1], 0) != 0 || args.size() != 3 || !is_number(args[2])) {
                return "syntax error.";
            }
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
            if (args.size() > 1)
                return "syntax error, expecting <command>.";
            if (args.empty())
                return required ? "missing argument." : "";
            xml::append_text(req, element, args[0]);
            return {};
        };
    };
    tree.add({{"show", "system", "uptime"},
              "Show time since the system rebooted and protocols started",
              "get-system-uptime-information",
              render_output});
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
    show_log.fill = one_arg("filename", true);
    tree.add(show_log);
    tree.describe({"file"}, "Perform file operations");
    OpCommand file_list{{"file", "list"}, "List file information", "file-list", render_output};
    file_list.takes_args = true;
    file_list.args_help = "<path>";
    file_list.fill = one_arg("path", false);
    tree.add(file_list);
    OpCommand file_show{{"file", "show"}, "Show file contents", "file-show", render_output};
    file_show.takes_args = true;
    file_show.args_required = true;
    file_show.args_help = "<filename>";
    file_show.fill = one_arg("filename", true);
    tree.add(file_show);

    OpCommand configure{{"configure"}, "Manipulate software configuration information", ""};
    configure.takes_args = true;
    configure.args_help = "<[Enter]>";
    configure.local = "configure";
    tree.add(configure);
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
        logout.fill = [word = word](pugi::xml_node req, const std::vector<std::string>& args) -> std::string {
            const bool all = word == "user" && args.size() == 2 && std::string("all").rfind(args[1], 0) == 0;
            if (args.empty() || (args.size() > 1 && !all))
                return "syntax error, expecting <command>.";
            if (word == "pid" && args[0].find_first_not_of("0123456789") != std::string::npos)
                return "invalid numeric value: '" + args[0] + "'";
            xml::append_text(req, word, args[0]);
            if (all)
                req.append_child("all");
            return {};
        };
        tree.add(logout);
    }

    for (const auto& [word, help] : std::vector<std::pair<std::string, std::string>>{
             {"screen-width", "Set number of columns on terminal screen"},
             {"screen-length", "Set number of lines on terminal screen"},
             {"timestamp", "Timestamp CLI output"},
             {"complete-on-space", "Set whether typing space completes current word"}}) {
        OpCommand c{{"set", "cli", word}, help, ""};
        c.takes_args = true;
        c.args_required = word != "timestamp";
        c.args_help = "<value>";
        c.local = "set-cli";
        tree.add(c);
    }
    OpCommand history{{"show", "cli", "history"}, "Show list of previous commands", ""};
    history.local = "history";
    tree.add(history);
    add_chassis_commands(tree);
    add_dataplane_commands(tree);
    add_ipsec_commands(tree);
    add_pki_commands(tree);  // request|show|clear security pki …, request security key-pair (pkid)
    return tree;
}

}  // namespace msim::shell
