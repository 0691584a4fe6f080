#include "msim/shell/cli.hpp"

#include <readline/history.h>
#include <readline/readline.h>
#include <termios.h>
#include <unistd.h>
#include <csignal>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "msim/common/xml.hpp"

namespace msim::shell {

using namespace std::chrono_literals;

namespace {

// Readline is a C library with global callbacks; they reach the one interactive session through this
// pointer, set for the duration of run_interactive().
Cli* interactive_cli = nullptr;

int on_question_mark(int, int) {
    if (!interactive_cli)
        return 0;
    const std::string text(rl_line_buffer, static_cast<size_t>(rl_point));
    auto items = interactive_cli->completions_for(text);
    std::printf("%s\n", std::string(rl_line_buffer).empty() ? "" : "");
    std::fputs(items.empty() ? "No valid completions\n" : format_completions(items).c_str(), stdout);
    rl_on_new_line();
    return 0;
}

char* completion_generator(const char* text, int state) {
    static std::vector<std::string> matches;
    static size_t index;
    if (state == 0) {
        matches.clear();
        index = 0;
        const std::string before(rl_line_buffer, static_cast<size_t>(rl_point));
        for (const auto& c : interactive_cli->completions_for(before)) {
            if (!c.name.empty() && c.name[0] != '<' && c.name != "|" && c.name.rfind(text, 0) == 0) {
                matches.push_back(c.name);
            }
        }
    }
    if (index < matches.size()) {
        return ::strdup(matches[index++].c_str());
    }
    return nullptr;
}

// Ctrl-C abandons the line being typed (Junos behaviour) instead of ending the CLI. Readline's own redisplay
// functions are what every readline program calls here; they only touch readline's line state.
void on_interrupt(int) {
    [[maybe_unused]] auto n = ::write(1, "\n", 1);
    rl_on_new_line();
    rl_replace_line("", 0);
    rl_redisplay();
}

char** attempted_completion(const char* text, int, int) {
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, completion_generator);
}

std::string now_hms() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
}

// The column where word `index` of `command` starts (quotes group words, as split_words does); `otherwise`
// when there are fewer words.
size_t word_column(const std::string& command, size_t index, size_t otherwise) {
    size_t count = 0;
    bool in_word = false, quoted = false;
    for (size_t pos = 0; pos < command.size(); ++pos) {
        const char c = command[pos];
        const bool space = !quoted && (c == ' ' || c == '\t');
        if (!space && !in_word) {
            if (count == index) {
                return pos;
            }
            ++count;
            in_word = true;
        } else if (space) {
            in_word = false;
        }
        if (c == '"') {
            quoted = !quoted;
        }
    }
    return otherwise;
}

bool starts_word(const std::string& full, const std::string& word) {
    return !word.empty() && full.compare(0, word.size(), word) == 0;
}

}  // namespace

std::string format_completions(const std::vector<Completion>& items) {
    std::string out = "Possible completions:\n";
    for (const auto& c : items) {
        std::string name = std::string(1, c.marker) + " " + c.name;
        if (c.help.empty()) {
            out += name + "\n";
            continue;
        }
        if (name.size() < 23) {
            name.resize(23, ' ');
        } else {
            name += "  ";
        }
        out += name + c.help + "\n";
    }
    return out;
}

std::vector<std::string> split_command_list(const std::string& text, bool semicolons_separate) {
    std::vector<std::string> lines;
    std::string current;
    bool quoted = false;
    bool escaped = false;  // the previous character was a backslash inside quotes: this one is literal
    for (char c : text) {
        if (escaped) {
            escaped = false;
            if (c != '\n') {
                current.push_back(c);
                continue;
            }
        } else if (quoted && c == '\\') {
            escaped = true;
        } else if (c == '"') {
            quoted = !quoted;
        }
        if ((c == ';' && !quoted && semicolons_separate) || c == '\n') {
            lines.push_back(current);
            current.clear();
            quoted = false;
            escaped = false;
        } else {
            current.push_back(c);
        }
    }
    lines.push_back(current);
    for (auto& l : lines) {
        const auto b = l.find_first_not_of(" \t");
        const auto e = l.find_last_not_of(" \t\r");
        l = b == std::string::npos ? std::string() : l.substr(b, e - b + 1);
    }
    std::erase_if(lines, [](const std::string& l) { return l.empty(); });
    return lines;
}

Cli::Cli(CliOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err), tree_(make_operational_tree()) {
    // `configure private` and `configure exclusive` are commands of their own: the tree only describes
    // the two words, so matching stopped on them with "syntax error, expecting <command>.".
    for (const auto& c : tree_.completions({"configure"}, "")) {
        if (c.name == "private" || c.name == "exclusive") {
            OpCommand mode{{"configure", c.name}, c.help, ""};
            mode.local = "configure";
            tree_.add(std::move(mode));
        }
    }
    try {
        mgd_ = std::make_unique<ipc::SyncClient>(options_.paths.socket("mgd"), "mgd");
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("error: the management daemon is not running (") + e.what() +
                                 ")");
    }
    mgd_->on_notification([this](const pugi::xml_node& n) {
        if (auto b = n.child("broadcast-message")) {
            notifications_.push_back(b.child_value("text"));
        }
    });
    pugi::xml_document request;
    auto open = request.append_child("open-cli-session");
    xml::append_text(open, "user", options_.user);
    const char* tty = ::isatty(0) ? ::ttyname(0) : nullptr;
    xml::append_text(open, "tty", tty ? std::string(tty).substr(std::string(tty).rfind('/') + 1) : "batch");
    xml::append_text(open, "pid", std::to_string(::getpid()));
    auto reply = mgd_->call(request, 10000ms);
    if (!reply.ok()) {
        throw std::runtime_error("error: " + reply.error_message);
    }
    host_ = reply.root().child("cli-session").child_value("host-name");
    user_class_ = reply.root().child("cli-session").child_value("class");
}

Cli::~Cli() = default;

std::string Cli::prompt() const {
    return options_.user + "@" + host_ + (in_config_ ? "# " : "> ");
}

void Cli::caret(const std::string& line, size_t offset) {
    if (!interactive_) {
        out_ << line << "\n";
    }
    const size_t width = interactive_ ? prompt().size() : 0;
    out_ << std::string(width + offset, ' ') << "^\n";
}

void Cli::show_notifications() {
    mgd_->poll();
    while (!notifications_.empty()) {
        out_ << "\n" << notifications_.front() << "\n";
        notifications_.pop_front();
    }
}

std::vector<Completion> Cli::completions_for(const std::string& text) {
    PipedCommand piped;
    if (text.find('|') != std::string::npos) {
        std::vector<Completion> items;
        for (const auto& [name, help] : pipe_help())
            items.push_back({name, help, ' '});
        return items;
    }
    if (in_config_) {
        std::vector<Completion> items;
        pugi::xml_document req;
        xml::append_text(req.append_child("complete-configuration-command"), "line", text);
        auto reply = mgd_->call(req, 5000ms);
        for (auto c : reply.root().child("completions").children("completion")) {
            const char* marker = c.attribute("marker").value();
            items.push_back(
                {c.attribute("name").value(), c.attribute("help").value(), *marker ? *marker : ' '});
        }
        return items;
    }
    auto words = split_words(text);
    std::string partial;
    if (!text.empty() && text.back() != ' ' && !words.empty()) {
        partial = words.back();
        words.pop_back();
    }
    return tree_.completions(words, partial);
}

void Cli::page(const std::string& text) {
    if (!interactive_ || screen_length_ <= 0) {
        out_ << text;
        return;
    }
    std::istringstream in(text);
    std::string line;
    int shown = 0;
    while (std::getline(in, line)) {
        out_ << line << "\n";
        if (++shown < screen_length_ - 1 || in.peek() == EOF) {
            continue;
        }
        out_ << "---(more)---" << std::flush;
        termios saved{}, raw{};
        ::tcgetattr(0, &saved);
        raw = saved;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
        ::tcsetattr(0, TCSANOW, &raw);
        char key = 0;
        if (::read(0, &key, 1) != 1)
            key = 'q';
        ::tcsetattr(0, TCSANOW, &saved);
        out_ << "\r            \r";
        if (key == 'q' || key == 'Q' || key == 3) {
            break;
        }
        shown = (key == '\n' || key == '\r') ? screen_length_ - 2 : 0;
    }
    out_.flush();
}

void Cli::emit(const std::string& text, const PipedCommand& piped) {
    const std::string result = piped.pipes.empty() ? text : apply_text_pipes(text, piped.pipes);
    if (piped.no_more) {
        out_ << result;
    } else {
        page(result);
    }
    out_.flush();
}

std::optional<std::string> Cli::next_input_line() {
    if (!interactive_) {
        if (batch_lines_.empty())
            return std::nullopt;
        std::string l = batch_lines_.front();
        batch_lines_.pop_front();
        return l;
    }
    std::string l;
    if (!std::getline(std::cin, l)) {
        std::cin.clear();
        return std::nullopt;
    }
    return l;
}

bool Cli::ask(const std::string& question, bool default_yes) {
    if (!interactive_) {
        out_ << question << (default_yes ? "yes" : "no") << "\n";
        return default_yes;
    }
    out_.flush();
    char* raw = ::readline(question.c_str());
    std::string answer = raw ? raw : "";
    std::free(raw);
    if (answer.empty())
        return default_yes;
    return starts_word("yes", answer);
}

bool Cli::execute(const std::string& line) {
    // mgd ends a session (request system logout, or mgd going away) by closing its connection.
    mgd_->poll();
    if (!mgd_->is_open()) {
        out_ << "\nerror: this CLI session was ended (request system logout, or the management daemon "
                "stopped)\n";
        done_ = true;
        return false;
    }
    if (split_words(line).empty()) {
        return true;
    }
    history_.emplace_back(now_hms(), line);
    return in_config_ ? execute_configuration(line) : execute_operational(line);
}

bool Cli::run_local(const OpCommand& cmd, const std::vector<std::string>& args) {
    if (cmd.local == "exit") {
        done_ = true;
        return true;
    }
    if (cmd.local == "history") {
        for (const auto& [when, what] : history_)
            out_ << when << " -- " << what << "\n";
        return true;
    }
    if (cmd.local == "set-cli") {
        const std::string what = cmd.words.back();
        const std::string value = args.empty() ? "" : args[0];
        if (what == "screen-width") {
            screen_width_ = std::atoi(value.c_str());
            out_ << "Screen width set to " << screen_width_ << "\n";
        } else if (what == "screen-length") {
            screen_length_ = std::atoi(value.c_str());
            out_ << "Screen length set to " << screen_length_ << "\n";
        } else if (what == "complete-on-space") {
            out_ << (value == "off" ? "Disabling complete-on-space\n" : "Enabling complete-on-space\n");
        } else if (what == "timestamp") {
            out_ << (value == "disable" ? "CLI timestamp disabled\n" : "CLI timestamp set to: %b %d %T\n");
        }
        return true;
    }
    if (cmd.local == "configure") {
        std::string mode = cmd.words.size() > 1 ? cmd.words[1] : "";
        if (mode.empty() && !args.empty()) {
            if (starts_word("private", args[0]))
                mode = "private";
            else if (starts_word("exclusive", args[0]))
                mode = "exclusive";
            else {
                out_ << "syntax error.\n";
                return false;
            }
        }
        pugi::xml_document req;
        xml::append_text(req.append_child("enter-configuration-mode"), "mode", mode);
        auto reply = mgd_->call(req, 10000ms);
        if (!reply.ok()) {
            out_ << "error: " << reply.error_message << "\n";
            return false;
        }
        auto res = reply.root().child("configuration-command-results");
        out_ << res.child_value("output");
        if (res.child("failure")) {
            return false;
        }
        note_confirmed_deadline(res);
        in_config_ = true;
        edit_path_.clear();
        return true;
    }
    return false;
}

bool Cli::execute_operational(const std::string& line) {
    PipedCommand piped;
    if (auto err = split_pipes(line, piped)) {
        caret(line, err->offset);
        out_ << err->message << "\n";
        return false;
    }
    const auto words = split_words(piped.command);
    auto m = tree_.match(words);
    if (m.error) {
        size_t col = line.size() + 1;
        // Column of the offending word in the original line.
        size_t pos = 0, index = 0;
        bool in_word = false, quoted = false;
        for (; pos < piped.command.size(); ++pos) {
            const char c = piped.command[pos];
            const bool space = !quoted && (c == ' ' || c == '\t');
            if (!space && !in_word) {
                if (index == m.error->word_index) {
                    col = pos;
                    break;
                }
                ++index;
                in_word = true;
            } else if (space) {
                in_word = false;
            }
            if (c == '"')
                quoted = !quoted;
        }
        if (m.error->word_index >= words.size()) {
            col = piped.command.find_last_not_of(' ') + 2;
        }
        caret(line, col);
        switch (m.error->kind) {
            case MatchError::Kind::unknown_command:
                out_ << "unknown command.\n";
                break;
            case MatchError::Kind::syntax_error:
            case MatchError::Kind::incomplete:
                out_ << "syntax error, expecting <command>.\n";
                break;
            case MatchError::Kind::missing_argument:
                out_ << "missing argument.\n";
                break;
            case MatchError::Kind::ambiguous:
                out_ << "'" << words[m.error->word_index] << "' is ambiguous.\n"
                     << format_completions(m.error->completions);
                break;
        }
        return false;
    }
    const OpCommand& cmd = *m.command;
    // Classes: read-only users may only look; operators may not configure.
    if ((user_class_ == "read-only" && cmd.words[0] != "show" && cmd.local != "exit" &&
         cmd.local != "set-cli") ||
        (user_class_ != "super-user" && cmd.local == "configure")) {
        caret(line, 0);
        out_ << "unknown command.\n";
        return false;
    }
    if (!cmd.local.empty()) {
        return run_local(cmd, m.args);
    }
    pugi::xml_document request;
    auto req = request.append_child(cmd.rpc.c_str());
    if (cmd.fill) {
        const std::string error = cmd.fill(req, m.args);
        if (!error.empty()) {
            // A fill that names the argument its error concerns gets the caret under that word.
            size_t col = piped.command.size() + 1;
            if (auto a = req.attribute("msim-error-arg")) {
                col = word_column(piped.command, m.expanded.size() + a.as_uint(), col);
            }
            caret(line, col);
            out_ << error << "\n";
            return false;
        }
    } else if (!m.args.empty()) {
        caret(line, piped.command.size());
        out_ << "syntax error, expecting <command>.\n";
        return false;
    }
    if (!piped.display.empty())
        xml::append_text(req, "display", piped.display);
    if (piped.compare)
        xml::append_text(req, "compare", *piped.compare);
    ipc::Reply reply;
    if (cmd.render_progress) {
        reply = run_streaming(cmd, request.document_element(), piped);
    } else {
        reply = mgd_->call(request, 60000ms);
    }
    if (!reply.ok()) {
        out_ << "error: " << reply.error_message << "\n";
        return false;
    }
    if (piped.display == "xml") {
        emit(xml::to_pretty_string(reply.root()), piped);
        return true;
    }
    emit(cmd.render(reply.root()), piped);
    // An owner that needs the operator's yes first (request security pki ca-certificate load) replies with
    // a <confirm-question>: ask it, and on yes send the request again with <confirmed/>. In batch mode the
    // answer is the next line of input, as on a terminal.
    if (auto q = reply.root().first_child().child("confirm-question"); q && !req.child("confirmed")) {
        const std::string question = q.child_value();
        bool yes = false;
        if (interactive_) {
            yes = ask(question, false);
        } else {
            const auto answer = next_input_line();
            out_ << question << answer.value_or("") << "\n";
            yes = answer && !answer->empty() && starts_word("yes", *answer);
        }
        if (!yes) {
            return true;
        }
        req.append_child("confirmed");
        reply = mgd_->call(request, 60000ms);
        if (!reply.ok()) {
            out_ << "error: " << reply.error_message << "\n";
            return false;
        }
        emit(cmd.render(reply.root()), piped);
    }
    return true;
}

namespace {
volatile std::sig_atomic_t command_interrupted = 0;
void on_command_interrupt(int) {
    command_interrupted = 1;
}
}  // namespace

// A streaming command prints each progress message as it comes (through the text pipes, line by line),
// and Ctrl-C while it runs cancels it on the daemon instead of ending the CLI.
ipc::Reply Cli::run_streaming(const OpCommand& cmd, const pugi::xml_node& request,
                              const PipedCommand& piped) {
    struct sigaction interrupt {
    }, previous{};
    interrupt.sa_handler = on_command_interrupt;
    sigemptyset(&interrupt.sa_mask);
    command_interrupted = 0;
    ::sigaction(SIGINT, &interrupt, &previous);
    std::vector<Pipe> line_pipes;
    for (const auto& p : piped.pipes) {
        if (p.name == "match" || p.name == "except" || p.name == "find" || p.name == "trim") {
            line_pipes.push_back(p);
        }
    }
    auto reply = mgd_->call_streaming(
        request, 15000ms,
        [&](const pugi::xml_node& body) {
            std::string text = cmd.render_progress(body);
            if (!line_pipes.empty()) {
                text = apply_text_pipes(text, line_pipes);
            }
            out_ << text << std::flush;
        },
        &command_interrupted);
    ::sigaction(SIGINT, &previous, nullptr);
    if (command_interrupted && interactive_) {
        out_ << "\n";
    }
    return reply;
}

bool Cli::execute_configuration(const std::string& line) {
    PipedCommand piped;
    if (auto err = split_pipes(line, piped)) {
        caret(line, err->offset);
        out_ << err->message << "\n";
        return false;
    }
    auto words = split_words(piped.command);
    if (!words.empty() && starts_word("run", words[0])) {
        const auto at = piped.command.find(words[0]) + words[0].size();
        in_config_ = false;
        const bool ok = execute_operational(line.substr(at));
        in_config_ = true;
        done_ = false;
        return ok;
    }
    // `load … terminal` reads the lines that follow, up to a line `^D` (or end of input).
    std::string input;
    if (words.size() >= 3 && starts_word("load", words[0]) && starts_word("terminal", words[2])) {
        if (interactive_)
            out_ << "[Type ^D at a new line to end input]\n" << std::flush;
        while (auto l = next_input_line()) {
            if (*l == "^D" || *l == "\x04")
                break;
            input += *l + "\n";
        }
    }
    if (!interactive_ && batch_failed_ && !words.empty() && words[0].size() >= 3 &&
        starts_word("commit", words[0]) && (words.size() < 2 || !starts_word("check", words[1]))) {
        out_ << "error: commit not attempted: an earlier command of this batch failed\n"
                "error: configuration check-out failed\n";
        return false;
    }
    bool confirmed = false;
    for (;;) {
        pugi::xml_document request;
        auto req = request.append_child("run-configuration-command");
        xml::append_text(req, "line", piped.command);
        if (!input.empty())
            xml::append_text(req, "input", input);
        if (confirmed)
            req.append_child("confirmed");
        if (!piped.display.empty())
            xml::append_text(req, "display", piped.display);
        if (piped.compare)
            xml::append_text(req, "compare", *piped.compare);
        auto reply = mgd_->call(request, 300000ms);
        if (!reply.ok()) {
            out_ << "error: " << reply.error_message << "\n";
            return false;
        }
        auto res = reply.root().child("configuration-command-results");
        if (auto c = res.child("caret")) {
            caret(line, c.text().as_ullong());
        }
        emit(res.child_value("output"), piped);
        edit_path_ = res.child_value("edit-path");
        note_confirmed_deadline(res);
        if (res.child("exited")) {
            in_config_ = false;
        }
        if (auto q = res.child("confirm")) {
            const std::string question = q.child_value();
            const bool default_yes = question.find("(yes)") != std::string::npos;
            if (ask(question, default_yes)) {
                confirmed = true;
                continue;
            }
            return true;
        }
        return !res.child("failure");
    }
}

void Cli::note_confirmed_deadline(const pugi::xml_node& results) {
    if (auto d = results.child("commit-confirmed-deadline"))
        confirmed_deadline_ = d.text().as_llong();
    else
        confirmed_deadline_.reset();
}

// `# commit confirmed will be rolled back in N minutes` above the banner while a confirmed commit waits
// (N rounded up, as Junos prints 1 right after `commit confirmed 1`).
std::string Cli::confirmed_reminder() const {
    if (!confirmed_deadline_)
        return {};
    const long long left = *confirmed_deadline_ - static_cast<long long>(std::time(nullptr));
    if (left <= 0)
        return {};
    return "# commit confirmed will be rolled back in " + std::to_string((left + 59) / 60) + " minutes\n";
}

void Cli::save_history() {
    const auto file = options_.paths.tmp_dir() / (".cli-history-" + options_.user);
    ::write_history(file.c_str());
}

int Cli::run_batch(const std::vector<std::string>& lines) {
    interactive_ = false;
    batch_lines_.assign(lines.begin(), lines.end());
    bool all_ok = true;
    bool checkpointed = false;
    while (!batch_lines_.empty() && !done_) {
        // Once in configuration mode, before the batch's first change: mgd keeps a copy of the candidate
        // so that a failed batch undoes only its own changes.
        if (in_config_ && !checkpointed) {
            pugi::xml_document request;
            xml::append_text(request.append_child("configuration-checkpoint"), "action", "take");
            checkpointed = mgd_->call(request, 60000ms).ok();
        }
        const std::string line = batch_lines_.front();
        batch_lines_.pop_front();
        if (!execute(line)) {
            all_ok = false;
            batch_failed_ = true;
            if (options_.stop_on_error) {
                break;
            }
        }
    }
    // A failed batch leaves nothing half-applied: mgd puts back the candidate as it was at the checkpoint
    // (other sessions' uncommitted changes stay).
    if (!all_ok && in_config_ && checkpointed) {
        pugi::xml_document request;
        xml::append_text(request.append_child("configuration-checkpoint"), "action", "restore");
        if (auto reply = mgd_->call(request, 60000ms); reply.ok()) {
            out_ << reply.root().child("configuration-checkpoint-results").child_value("output");
        }
    }
    out_.flush();
    return all_ok ? 0 : 1;
}

int Cli::run_interactive() {
    interactive_ = true;
    interactive_cli = this;
    const auto history_file = options_.paths.tmp_dir() / (".cli-history-" + options_.user);
    ::read_history(history_file.c_str());
    rl_bind_key('?', on_question_mark);
    rl_catch_signals = 0;
    struct sigaction interrupt {};
    interrupt.sa_handler = on_interrupt;
    sigemptyset(&interrupt.sa_mask);
    interrupt.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &interrupt, nullptr);
    rl_attempted_completion_function = attempted_completion;
    rl_completer_word_break_characters = const_cast<char*>(" \t");
    while (!done_) {
        show_notifications();
        if (in_config_) {
            out_ << "\n"
                 << confirmed_reminder() << (edit_path_.empty() ? "[edit]" : "[edit " + edit_path_ + "]")
                 << "\n"
                 << std::flush;
        }
        char* raw = ::readline(prompt().c_str());
        if (!raw) {
            out_ << "\n";
            break;
        }
        std::string line(raw);
        std::free(raw);
        if (!split_words(line).empty()) {
            ::add_history(line.c_str());
        }
        const bool was_config = in_config_;
        const bool ok = execute(line);
        if (!was_config && !in_config_ && ok && !split_words(line).empty() && !done_) {
            out_ << "\n";  // Junos leaves a blank line between a command's output and the next prompt
        }
        if (was_config && !in_config_) {
            out_ << "\n";
        }
    }
    ::write_history(history_file.c_str());
    interactive_cli = nullptr;
    return 0;
}

}  // namespace msim::shell
