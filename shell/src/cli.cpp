#include "msim/shell/cli.hpp"

#include <fcntl.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "msim/common/version.hpp"
#include "msim/common/xml.hpp"

namespace msim::shell {

using namespace std::chrono_literals;

namespace {

// Readline is a C library with global callbacks; they reach the one interactive session through this
// pointer, set for the duration of run_interactive().
Cli* interactive_cli = nullptr;

// True when `text` ends inside double quotes (a `?` or space there is just a character).
bool quotes_open(const std::string& text) {
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && quoted) {
            ++i;
        } else if (text[i] == '"') {
            quoted = !quoted;
        }
    }
    return quoted;
}

// `?` lists the completions of the text before the cursor, as Junos does: the `?` is echoed at the end of
// the line, the listing follows, and the prompt comes back with the line as it was.
int on_question_mark(int count, int key) {
    if (!interactive_cli)
        return 0;
    const std::string before(rl_line_buffer, static_cast<size_t>(rl_point));
    if (quotes_open(before))
        return rl_insert(count, key);
    const std::string text = interactive_cli->help_text(before);
    const int point = rl_point;
    rl_point = rl_end;
    rl_redisplay();
    std::fputs("?\n", stdout);
    std::fflush(stdout);
    interactive_cli->print_paged(text);  // a listing of thousands of names stops at each page
    rl_point = point;
    rl_on_new_line();
    return 0;
}

// Space completes the keyword being typed when exactly one keyword fits (Junos complete-on-space); when
// several fit, it says so with the list, as Enter would. Where a value may be typed it is only a space.
int on_space(int count, int key) {
    if (!interactive_cli || !interactive_cli->complete_on_space())
        return rl_insert(count, key);
    const std::string before(rl_line_buffer, static_cast<size_t>(rl_point));
    const size_t start =
        before.find_last_of(" \t|") == std::string::npos ? 0 : before.find_last_of(" \t|") + 1;
    const std::string partial = before.substr(start);
    if (partial.empty() || quotes_open(before))
        return rl_insert(count, key);
    std::vector<Completion> fits;
    for (const auto& c : interactive_cli->completions_for(before)) {
        if (!c.name.empty() && c.name[0] == '<')
            return rl_insert(count, key);  // a value may be typed here
        if (c.name == partial)
            return rl_insert(count, key);
        if (c.name != "|" && c.name.compare(0, partial.size(), partial) == 0)
            fits.push_back(c);
    }
    if (fits.size() == 1) {
        rl_delete_text(static_cast<int>(start), rl_point);
        rl_point = static_cast<int>(start);
        rl_insert_text((fits[0].name + " ").c_str());
        return 0;
    }
    if (fits.size() > 1) {
        rl_point = rl_end;
        rl_redisplay();
        const std::string text =
            "\n'" + partial + "' is ambiguous.\n" + format_completions(fits) +
            (interactive_cli->in_configuration_mode() ? interactive_cli->banner() + "\n" : "");
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
        rl_point = static_cast<int>(before.size());
        rl_on_new_line();
        return 0;
    }
    return rl_insert(count, key);
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

// Readline calls this about ten times a second while it waits for a key.
int on_idle() {
    if (interactive_cli && interactive_cli->poll_events()) {
        rl_done = 1;
    }
    return 0;
}

char** attempted_completion(const char* text, int, int) {
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, completion_generator);
}

std::string format_time(std::time_t t, const char* format) {
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char buf[256];
    const size_t n = std::strftime(buf, sizeof buf, format, &tm);
    return std::string(buf, n);
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

// A line that ends in `?` (outside quotes) asks for help about the text before the `?`.
std::optional<std::string> help_request(const std::string& line) {
    const auto end = line.find_last_not_of(" \t");
    if (end == std::string::npos || line[end] != '?')
        return std::nullopt;
    std::string before = line.substr(0, end);
    if (quotes_open(before))
        return std::nullopt;
    return before;
}

// The last '|' outside double quotes, or npos.
size_t last_pipe(const std::string& text) {
    size_t at = std::string::npos;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '"')
            quoted = !quoted;
        else if (text[i] == '|' && !quoted)
            at = i;
    }
    return at;
}

bool is_number(const std::string& s) {
    return !s.empty() && s.size() < 19 && s.find_first_not_of("0123456789") == std::string::npos;
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
            for (const char* verb : {"configure", "edit"}) {
                OpCommand mode{{verb, c.name}, c.help, ""};
                mode.local = "configure";
                tree_.add(std::move(mode));
            }
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
    // The terminal as w(1) names it (pts/3); a session without one is a batch.
    const char* tty = ::isatty(0) ? ::ttyname(0) : nullptr;
    std::string tty_name = tty ? tty : "batch";
    if (tty_name.rfind("/dev/", 0) == 0)
        tty_name = tty_name.substr(5);
    xml::append_text(open, "tty", tty_name);
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

std::string Cli::banner() const {
    return confirmed_reminder() + (edit_path_.empty() ? "[edit]" : "[edit " + edit_path_ + "]");
}

void Cli::caret(size_t offset) {
    if (!interactive_) {
        out_ << typed_ << "\n";
    }
    const size_t width = interactive_ ? prompt().size() : 0;
    out_ << std::string(width + base_column_ + offset, ' ') << "^\n";
}

void Cli::show_notifications() {
    mgd_->poll();
    while (!notifications_.empty()) {
        out_ << "\n" << notifications_.front() << "\n";
        notifications_.pop_front();
    }
}

bool Cli::poll_events() {
    mgd_->poll();
    if (!mgd_->is_open()) {
        session_ended_ = true;
        return true;
    }
    if (!notifications_.empty()) {
        // A broadcast while the user sits at the prompt shows at once (Junos writes it to the terminal),
        // then the prompt comes back with the line as it was.
        rl_clear_visible_line();
        show_notifications();
        if (in_config_)
            out_ << "\n" << banner() << "\n";
        out_.flush();
        rl_on_new_line();
        rl_redisplay();
    }
    return false;
}

// Which operational commands a class may run (mgd enforces the same rules on the RPCs; the CLI hides what
// a user may not run, so it is an unknown command to them, as on Junos).
bool Cli::permitted(const OpCommand& cmd) const {
    if (user_class_ == "super-user")
        return true;
    if (cmd.local == "configure")
        return false;
    if (user_class_ == "operator")
        return true;
    return cmd.words[0] == "show" || cmd.local == "exit" || cmd.local == "set-cli" || cmd.local == "help";
}

std::vector<Completion> Cli::completions_for(const std::string& text) {
    if (const size_t bar = last_pipe(text); bar != std::string::npos) {
        const std::string segment = text.substr(bar + 1);
        auto words = split_words(segment);
        std::string partial;
        if (!segment.empty() && segment.back() != ' ' && !words.empty()) {
            partial = words.back();
            words.pop_back();
        }
        std::vector<Completion> items;
        for (const auto& [name, help] : pipe_completions(words, partial))
            items.push_back({name, help, ' '});
        return items;
    }
    if (in_config_) {
        // `run …` completes as an operational command.
        const auto words = split_words(text);
        if (!words.empty() && (words.size() > 1 || text.back() == ' ') && starts_word("run", words[0]) &&
            words[0].size() >= 2) {
            in_config_ = false;
            auto items = completions_for(text.substr(text.find(words[0]) + words[0].size() + 1));
            in_config_ = true;
            return items;
        }
        return configuration_completions(text);
    }
    auto words = split_words(text);
    std::string partial;
    if (!text.empty() && text.back() != ' ' && !words.empty()) {
        partial = words.back();
        words.pop_back();
    }
    // `show configuration …` completes the statement path from the schema and the configuration, as
    // `show …` does in configuration mode.
    if (words.size() >= 2) {
        const auto m = tree_.match({words[0], words[1]});
        if (m.command && m.command->rpc == "get-configuration") {
            const size_t after = word_column(text, 2, text.size());
            auto items = configuration_completions("show " + text.substr(after));
            if (partial.empty() && (items.empty() || items.front().name != "<[Enter]>")) {
                items.insert(items.begin(), {"<[Enter]>", "Execute this command", ' '});
                items.push_back({"|", "Pipe through a command", ' '});
            }
            return items;
        }
    }
    return tree_.completions(words, partial, [this](const OpCommand& c) { return permitted(c); });
}

// The first word of a statement path that the schema and the configuration do not offer where it stands.
size_t Cli::bad_statement_word(const std::vector<std::string>& path) {
    std::string line = "show ";
    for (size_t i = 0; i < path.size(); ++i) {
        bool fits = false;
        for (const auto& c : configuration_completions(line)) {
            if ((c.name[0] == '<' && c.name != "<[Enter]>") ||
                c.name.compare(0, path[i].size(), path[i]) == 0)
                fits = true;
        }
        if (!fits)
            return i;
        line += path[i] + " ";
    }
    return path.size();
}

// mgd completes configuration-mode lines from the schema and the candidate (configured names included).
std::vector<Completion> Cli::configuration_completions(const std::string& line) {
    std::vector<Completion> items;
    pugi::xml_document req;
    xml::append_text(req.append_child("complete-configuration-command"), "line", line);
    auto reply = mgd_->call(req, 5000ms);
    // One line per completion: "MARKER<TAB>NAME<TAB>HELP".
    const std::string_view text = reply.root().child_value("completions");
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view l = text.substr(pos, end - pos);
        pos = end + 1;
        const size_t tab1 = l.find('\t'), tab2 = tab1 == l.npos ? l.npos : l.find('\t', tab1 + 1);
        if (tab2 == l.npos || tab1 != 1)
            continue;
        items.push_back({std::string(l.substr(2, tab2 - 2)), std::string(l.substr(tab2 + 1)), l[0]});
    }
    return items;
}

std::string Cli::help_text(const std::string& text) {
    const auto items = completions_for(text);
    std::string out = items.empty() ? "No valid completions\n" : format_completions(items);
    if (in_config_)
        out += banner() + "\n";
    return out;
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
        // A line wider than the screen takes several of its rows.
        const int width = screen_width_ > 0 ? screen_width_ : 0;
        shown += width > 0 && !line.empty() ? (static_cast<int>(line.size()) + width - 1) / width : 1;
        if (shown < screen_length_ - 1 || in.peek() == EOF) {
            continue;
        }
        out_ << "---(more)---" << std::flush;
        // One key, unechoed; Ctrl-C is a key here (it quits the pager, not the CLI).
        termios saved{}, raw{};
        ::tcgetattr(0, &saved);
        raw = saved;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);
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
    // `| save NAME` writes on the router's disk, as `file show` reads it: a relative name in var/tmp (the
    // CLI's working directory), an absolute one from the router's root; nothing outside the router.
    auto pipes = piped.pipes;
    for (auto& p : pipes) {
        if (p.name != "save")
            continue;
        const std::string& name = p.args[0];
        const auto root = options_.paths.root.lexically_normal();
        auto target =
            (name[0] == '/' ? root / name.substr(1) : options_.paths.tmp_dir() / name).lexically_normal();
        const auto rel = target.lexically_relative(root);
        p.target = rel.empty() || *rel.begin() == ".." ? root / "var" / "tmp" / "" : target;
    }
    const std::string result = pipes.empty() ? text : apply_text_pipes(text, pipes);
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

// A [yes,no] question. On a terminal the user answers; in batch mode the next line answers it when it is
// an answer (yes, no, or a prefix of one), otherwise the default does and that line stays a command. The
// question and the answer are printed as a terminal shows them.
bool Cli::ask(const std::string& question, bool default_yes) {
    if (!interactive_) {
        std::string answer;
        if (!batch_lines_.empty()) {
            std::string next = batch_lines_.front();
            std::transform(next.begin(), next.end(), next.begin(), ::tolower);
            if (starts_word("yes", next) || starts_word("no", next)) {
                answer = batch_lines_.front();
                batch_lines_.pop_front();
            }
        }
        out_ << question << answer << "\n";
        if (answer.empty())
            return default_yes;
        std::transform(answer.begin(), answer.end(), answer.begin(), ::tolower);
        return starts_word("yes", answer);
    }
    out_.flush();
    char* raw = ::readline(question.c_str());
    std::string answer = raw ? raw : "";
    std::free(raw);
    if (answer.empty())
        return default_yes;
    std::transform(answer.begin(), answer.end(), answer.begin(), ::tolower);
    return starts_word("yes", answer);
}

bool Cli::execute(const std::string& line) {
    last_parse_error_ = false;
    last_listing_ = false;
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
    typed_ = line;
    base_column_ = 0;
    // `?` at the end of a line (batch mode, or text pasted into a terminal) prints the listing an
    // interactive `?` prints.
    if (auto before = help_request(line)) {
        const auto items = completions_for(*before);
        out_ << (items.empty() ? "No valid completions\n" : format_completions(items));
        last_listing_ = true;
        return !items.empty();
    }
    // History: an operational line now (so that `show cli history` lists itself), a configuration line as
    // mgd returns it (secrets in their $9$ form).
    if (!in_config_)
        record_history(line);
    return in_config_ ? execute_configuration(line) : execute_operational(line);
}

// History: one line per command, "SECONDS<TAB>COMMAND", appended as each command runs (so that another
// session of the same user sees it at once), shared by the user's sessions.
void Cli::record_history(const std::string& line) {
    // An operational command's password (request security pki … challenge-password P) is not kept.
    std::string kept = line;
    if (!in_config_) {
        const auto words = split_words(line);
        for (size_t i = 0; i + 1 < words.size(); ++i) {
            if (words[i].size() >= 8 && words[i].compare(words[i].size() - 8, 8, "password") == 0) {
                const size_t at = word_column(line, i + 1, line.size());
                const size_t end = word_column(line, i + 2, line.size());
                kept = line.substr(0, at) + "********" + (end < line.size() ? " " + line.substr(end) : "");
                break;
            }
        }
    }
    const auto file = options_.paths.tmp_dir() / (".cli-history-" + options_.user);
    std::ofstream out(file, std::ios::app);
    out << static_cast<long long>(std::time(nullptr)) << '\t' << kept << '\n';
}

// The history keeps a user's last 1,000 commands: past 2,000 lines the file is rewritten (temp file and
// rename, so that a session appending at the same moment loses at most that line).
void Cli::trim_history() const {
    constexpr size_t keep = 1000, limit = 2000;
    const auto file = options_.paths.tmp_dir() / (".cli-history-" + options_.user);
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);)
        lines.push_back(std::move(l));
    if (lines.size() <= limit)
        return;
    const auto temp = file.string() + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(temp, std::ios::trunc);
        for (size_t i = lines.size() - keep; i < lines.size(); ++i)
            out << lines[i] << '\n';
    }
    std::error_code ec;
    std::filesystem::rename(temp, file, ec);
}

std::vector<Cli::HistoryEntry> Cli::read_history() const {
    std::vector<HistoryEntry> entries;
    std::ifstream in(options_.paths.tmp_dir() / (".cli-history-" + options_.user));
    for (std::string l; std::getline(in, l);) {
        const auto tab = l.find('\t');
        if (tab == std::string::npos || !is_number(l.substr(0, tab)) || tab + 1 >= l.size())
            continue;
        entries.push_back({static_cast<std::time_t>(std::stoll(l.substr(0, tab))), l.substr(tab + 1)});
    }
    return entries;
}

void Cli::print_timestamp() {
    if (timestamp_format_)
        out_ << format_time(std::time(nullptr), timestamp_format_->c_str()) << "\n";
}

// An RPC's error as the CLI prints it: "error: MESSAGE" (a message that says error: or warning: itself
// stays).
namespace {
std::string error_text(const std::string& message) {
    if (message.rfind("error:", 0) == 0 || message.rfind("warning:", 0) == 0)
        return message + "\n";
    return "error: " + message + "\n";
}
}  // namespace

// A caret error under word `word` of the command (one column past the end when it has fewer words).
bool Cli::argument_error(const std::string& command, size_t word, const std::string& message) {
    caret(word_column(command, word, command.size() + 1));
    out_ << message << "\n";
    last_parse_error_ = true;
    return false;
}

// The listings the CLI makes itself (show cli history, show cli): the text, or false after a caret error.
bool Cli::local_listing(const OpCommand& cmd, const std::vector<std::string>& args,
                        const std::string& command, std::string& text) {
    auto arg_error = [&](size_t index, const std::string& message) {
        return argument_error(command, cmd.words.size() + index, message);
    };
    if (cmd.local == "history") {
        // show cli history [COUNT]: the user's commands across sessions, oldest first.
        if (args.size() > 1)
            return arg_error(1, "syntax error, expecting <command>.");
        if (!args.empty() && !is_number(args[0]))
            return arg_error(0, "invalid numeric value: '" + args[0] + "'");
        auto entries = read_history();
        if (!args.empty()) {
            const size_t n = std::stoul(args[0]);
            if (entries.size() > n)
                entries.erase(entries.begin(), entries.end() - static_cast<long>(n));
        }
        for (const auto& e : entries)
            text += format_time(e.when, "%H:%M:%S") + " -- " + e.command + "\n";
        return true;
    }
    if (cmd.local == "help") {
        // help reference|topic PATH: the statement's help from the schema (through mgd's completions of
        // `set PATH`, abbreviations expanded), with the hierarchy it sits in.
        std::vector<std::string> path;
        std::optional<Completion> found;
        for (size_t i = 0; i < args.size(); ++i) {
            std::string line = "set ";
            for (const auto& p : path)
                line += p + " ";
            found.reset();
            bool value = false;
            for (const auto& c : configuration_completions(line + args[i])) {
                if (c.name[0] == '<')
                    value = true;
                else if (c.name == args[i] || (!found && c.name.rfind(args[i], 0) == 0))
                    found = c;
            }
            if (!found && !value)
                return arg_error(i, "syntax error.");
            path.push_back(found ? found->name : args[i]);
        }
        if (!found)
            return arg_error(args.size() - 1, "syntax error.");
        path.pop_back();
        std::string level;
        for (const auto& p : path)
            level += " " + p;
        text = found->name + "\n    " + (found->help.empty() ? "(no description)" : found->help) +
               "\n    Hierarchy level: [edit" + level + "]\n";
        return true;
    }
    if (cmd.local == "show-cli") {
        if (!args.empty())
            return arg_error(0, "syntax error, expecting <command>.");
        const char* term = std::getenv("TERM");
        std::ostringstream out;
        out << "CLI complete-on-space set to " << (complete_on_space_ ? "on" : "off") << "\n"
            << "CLI idle-timeout disabled\n"
            << "CLI restart-on-upgrade set to on\n"
            << "CLI screen-length set to " << screen_length_ << "\n"
            << "CLI screen-width set to " << screen_width_ << "\n"
            << "CLI terminal is '" << (interactive_ && term ? term : "network") << "'\n"
            << "CLI is operating in enhanced mode\n"
            << (timestamp_format_ ? "CLI timestamp set to: " + *timestamp_format_ : "CLI timestamp disabled")
            << "\n"
            << "CLI working directory is '/var/tmp'\n";
        text = out.str();
        return true;
    }
    return false;
}

bool Cli::run_local(const OpCommand& cmd, const std::vector<std::string>& args, const std::string& command) {
    auto arg_error = [&](size_t index, const std::string& message) {
        return argument_error(command, cmd.words.size() + index, message);
    };
    if (cmd.local == "exit") {
        if (!args.empty())
            return arg_error(0, "syntax error, expecting <command>.");
        done_ = true;
        return true;
    }
    if (cmd.local == "set-cli") {
        const std::string what = cmd.words[2];
        if (what == "screen-width" || what == "screen-length") {
            // Junos: screen-length 0 (no pager) to 100000; screen-width 0 (no limit) or 40..1024.
            if (args.size() > 1)
                return arg_error(1, "syntax error, expecting <command>.");
            if (!is_number(args[0]))
                return arg_error(0, "invalid numeric value: '" + args[0] + "'");
            const long n = std::stol(args[0]);
            const bool width = what == "screen-width";
            if (n > (width ? 1024 : 100000) || (width && n != 0 && n < 40)) {
                return arg_error(0, "Value " + args[0] + " is not within range (" +
                                        (width ? "40..1024" : "0..100000") + ")");
            }
            print_timestamp();
            if (width) {
                screen_width_ = static_cast<int>(n);
                out_ << "Screen width set to " << n << "\n";
            } else {
                screen_length_ = static_cast<int>(n);
                out_ << "Screen length set to " << n << "\n";
            }
            return true;
        }
        if (!args.empty() && cmd.words.back() != "format")
            return arg_error(0, "syntax error, expecting <command>.");
        if (what == "complete-on-space") {
            print_timestamp();
            complete_on_space_ = cmd.words.back() == "on";
            out_ << (complete_on_space_ ? "Enabling complete-on-space\n" : "Disabling complete-on-space\n");
            return true;
        }
        // set cli timestamp [format FORMAT | disable]: a timestamp line before each command's output.
        if (cmd.words.back() == "disable") {
            print_timestamp();
            timestamp_format_.reset();
            out_ << "CLI timestamp disabled\n";
            return true;
        }
        if (args.size() > 1)
            return arg_error(1, "syntax error, expecting <command>.");
        const std::string format = args.empty() ? "%b %d %T" : args[0];
        timestamp_format_ = format;
        print_timestamp();
        out_ << "CLI timestamp set to: " << format << "\n";
        return true;
    }
    if (cmd.local == "configure") {
        std::string mode = cmd.words.size() > 1 ? cmd.words[1] : "";  // configure|edit [private|exclusive]
        if (!args.empty()) {
            if (mode.empty() && args.size() == 1 && starts_word("private", args[0]))
                mode = "private";
            else if (mode.empty() && args.size() == 1 && starts_word("exclusive", args[0]))
                mode = "exclusive";
            else
                return arg_error(mode.empty() && args.size() > 1 ? 1 : 0,
                                 "syntax error, expecting <command>.");
        }
        pugi::xml_document req;
        xml::append_text(req.append_child("enter-configuration-mode"), "mode", mode);
        auto reply = mgd_->call(req, 10000ms);
        if (!reply.ok()) {
            out_ << error_text(reply.error_message);
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

bool Cli::execute_operational(const std::string& line, size_t column) {
    base_column_ = column;
    PipedCommand piped;
    if (auto err = split_pipes(line, piped)) {
        caret(err->offset);
        out_ << err->message << "\n";
        last_parse_error_ = true;
        return false;
    }
    const auto words = split_words(piped.command);
    auto m = tree_.match(words, [this](const OpCommand& c) { return permitted(c); });
    if (m.error) {
        size_t col = word_column(piped.command, m.error->word_index, piped.command.size() + 1);
        if (m.error->word_index >= words.size()) {
            // After the last word: one column past it (or, with nothing typed, where the command starts).
            const auto last = piped.command.find_last_not_of(' ');
            col = last == std::string::npos ? piped.command.size() : last + 2;
        }
        caret(col);
        last_parse_error_ = true;
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
                last_listing_ = true;
                break;
        }
        return false;
    }
    const OpCommand& cmd = *m.command;
    if (!cmd.local.empty()) {
        if (cmd.local != "history" && cmd.local != "show-cli" && cmd.local != "help" &&
            !piped.pipes.empty()) {
            caret(line.find('|'));
            out_ << "syntax error, expecting <command>.\n";
            last_parse_error_ = true;
            return false;
        }
        if (cmd.local == "history" || cmd.local == "show-cli" || cmd.local == "help") {
            // Listings: their output goes through the pipes like any other command's.
            std::string text;
            if (!local_listing(cmd, m.args, piped.command, text))
                return false;
            print_timestamp();
            emit(text, piped);
            return true;
        }
        return run_local(cmd, m.args, piped.command);
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
            caret(col);
            out_ << error << "\n";
            last_parse_error_ = true;
            return false;
        }
    } else if (!m.args.empty()) {
        caret(word_column(piped.command, m.expanded.size(), piped.command.size()));
        out_ << "syntax error, expecting <command>.\n";
        last_parse_error_ = true;
        return false;
    }
    if (!piped.display.empty())
        xml::append_text(req, "display", piped.display);
    if (piped.compare)
        xml::append_text(req, "compare", *piped.compare);
    print_timestamp();
    ipc::Reply reply;
    if (cmd.render_progress) {
        reply = run_streaming(cmd, request.document_element(), piped);
    } else {
        reply = mgd_->call(request, 60000ms);
    }
    if (!reply.ok()) {
        if (cmd.rpc == "get-configuration" && reply.error_message.rfind("syntax error", 0) == 0) {
            // A statement path that does not exist: the caret under its first word that fits nowhere.
            return argument_error(piped.command, m.expanded.size() + bad_statement_word(m.args),
                                  "syntax error.");
        }
        out_ << error_text(reply.error_message);
        return false;
    }
    if (piped.display == "xml") {
        emit(xml_reply(reply.root()), piped);
        return true;
    }
    emit(cmd.render(reply.root()), piped);
    // An owner that needs the operator's yes first (request security pki ca-certificate load) replies with
    // a <confirm-question>: ask it, and on yes send the request again with <confirmed/>.
    if (auto q = reply.root().first_child().child("confirm-question"); q && !req.child("confirmed")) {
        if (!ask(q.child_value(), false)) {
            return true;
        }
        req.append_child("confirmed");
        reply = mgd_->call(request, 60000ms);
        if (!reply.ok()) {
            out_ << error_text(reply.error_message);
            return false;
        }
        emit(cmd.render(reply.root()), piped);
    }
    return true;
}

// `| display xml`: the reply as Junos prints it, in an <rpc-reply> carrying the junos namespace of the
// release, and the <cli><banner> element ([edit …] in configuration mode).
std::string Cli::xml_reply(const pugi::xml_node& reply) const {
    pugi::xml_document doc;
    auto root = doc.append_child("rpc-reply");
    const std::string release(junos_release);
    const auto dot = release.rfind('.');
    root.append_attribute("xmlns:junos") =
        ("http://xml.juniper.net/junos/" + (dot == std::string::npos ? release : release.substr(0, dot)) +
         "/junos")
            .c_str();
    for (auto child : reply.children())
        root.append_copy(child);
    auto cli = root.append_child("cli");
    xml::append_text(cli, "banner", in_config_ || run_from_configuration_ ? banner() : "");
    return xml::to_pretty_string(root);
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
        caret(err->offset);
        out_ << err->message << "\n";
        return false;
    }
    auto words = split_words(piped.command);
    // `help …` is the CLI's, as in operational mode.
    if (!words.empty() && words[0].size() >= 2 && starts_word("help", words[0])) {
        record_history(line);
        in_config_ = false;
        const bool ok = execute_operational(line);
        in_config_ = true;
        return ok;
    }
    // `run CMD`: an operational command, its carets under the text after `run`.
    if (!words.empty() && words[0].size() >= 2 && starts_word("run", words[0])) {
        record_history(line);
        const auto at = line.find(words[0]) + words[0].size();
        in_config_ = false;
        run_from_configuration_ = true;
        const bool ok = execute_operational(line.substr(at), at);
        run_from_configuration_ = false;
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
            out_ << error_text(reply.error_message);
            return false;
        }
        auto res = reply.root().child("configuration-command-results");
        if (!confirmed)
            record_history(res.child("history-line") ? res.child_value("history-line") : line);
        const bool failed = res.child("failure");
        if (auto c = res.child("caret")) {
            caret(c.text().as_ullong());
        }
        const std::string output = res.child_value("output");
        emit(output, piped);
        // After an ambiguity's `Possible completions:` the banner follows with no blank line.
        last_listing_ = failed && output.find(" is ambiguous.\nPossible completions:\n") != std::string::npos;
        edit_path_ = res.child_value("edit-path");
        if (res.child("host-name") && *res.child_value("host-name"))
            host_ = res.child_value("host-name");
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
        return !failed;
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

int Cli::run_batch(const std::vector<std::string>& lines) {
    interactive_ = false;
    trim_history();
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
    trim_history();
    interactive_cli = this;
    // The pager's page and the line width follow the terminal, until `set cli screen-length|width`.
    winsize ws{};
    if (::ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
        screen_length_ = ws.ws_row;
        screen_width_ = ws.ws_col;
    }
    // Up-arrow recalls the user's commands of earlier sessions too.
    for (const auto& e : read_history())
        ::add_history(e.command.c_str());
    rl_bind_key('?', on_question_mark);
    rl_bind_key(' ', on_space);
    rl_catch_signals = 0;
    rl_event_hook = on_idle;
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
            out_ << banner() << "\n" << std::flush;
        }
        char* raw = ::readline(prompt().c_str());
        if (session_ended_) {
            std::free(raw);
            out_ << "\nerror: this CLI session was ended (request system logout, or the management daemon "
                    "stopped)\n";
            break;
        }
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
        execute(line);
        if (done_)
            break;
        // Junos leaves a blank line after a command, before the next prompt (and its banner), except after
        // a parse error in operational mode and after a `Possible completions:` listing.
        const bool typed = !split_words(line).empty();
        if (was_config || in_config_) {
            if (!last_listing_ && (typed || in_config_))
                out_ << "\n";
        } else if (typed && !last_parse_error_ && !last_listing_) {
            out_ << "\n";
        }
    }
    interactive_cli = nullptr;
    return 0;
}

}  // namespace msim::shell
