#include "msim/shell/cli.hpp"

#include <readline/history.h>
#include <readline/readline.h>

#include <chrono>
#include <cstdlib>
#include <ostream>
#include <stdexcept>

#include "msim/common/xml.hpp"

namespace msim::shell {

using namespace std::chrono_literals;

namespace {

// Where each word of `line` starts, so a caret can point at it.
std::vector<size_t> word_columns(const std::string& line) {
    std::vector<size_t> cols;
    bool in_word = false, quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        const bool space = !quoted && (c == ' ' || c == '\t');
        if (!space && !in_word) {
            cols.push_back(i);
            in_word = true;
        } else if (space) {
            in_word = false;
        }
        if (c == '"') {
            quoted = !quoted;
        }
    }
    return cols;
}

}  // namespace

std::vector<std::string> split_command_list(const std::string& text, bool semicolons_separate) {
    std::vector<std::string> lines;
    std::string current;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            quoted = !quoted;
        }
        if ((c == ';' && !quoted && semicolons_separate) || c == '\n') {
            lines.push_back(current);
            current.clear();
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
    try {
        mgd_ = std::make_unique<ipc::SyncClient>(options_.paths.socket("mgd"), "mgd");
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("error: the management daemon is not running (") + e.what() +
                                 ")");
    }
    pugi::xml_document request;
    auto open = request.append_child("open-cli-session");
    xml::append_text(open, "user", options_.user);
    auto reply = mgd_->call(request, 10000ms);
    if (!reply.ok()) {
        throw std::runtime_error("error: " + reply.error_message);
    }
    host_ = reply.root().child("cli-session").child_value("host-name");
}

void Cli::print_caret_error(const std::string& line, const std::vector<std::string>& words,
                            const MatchError& error, size_t prompt_width) {
    const auto cols = word_columns(line);
    size_t col = line.size() + 1;  // one past the end: "expecting <command>" after the last word
    if (error.word_index < cols.size()) {
        col = cols[error.word_index];
    }
    if (!interactive_) {
        out_ << line << "\n";
    }
    out_ << std::string(prompt_width + col, ' ') << "^\n";
    switch (error.kind) {
        case MatchError::Kind::unknown_command:
            out_ << "unknown command.\n";
            break;
        case MatchError::Kind::syntax_error:
        case MatchError::Kind::incomplete:
            out_ << "syntax error, expecting <command>.\n";
            break;
        case MatchError::Kind::ambiguous:
            out_ << "'" << words[error.word_index] << "' is ambiguous.\nPossible completions:\n";
            for (const auto& c : error.completions) {
                std::string name = "  " + c.name;
                if (name.size() < 23) {
                    name.resize(23, ' ');
                } else {
                    name += "  ";
                }
                out_ << name << c.help << "\n";
            }
            break;
    }
}

bool Cli::execute(const std::string& line) {
    const auto words = split_words(line);
    if (words.empty()) {
        return true;
    }
    auto m = tree_.match(words);
    if (m.error) {
        print_caret_error(line, words, *m.error, interactive_ ? prompt().size() : 0);
        return false;
    }
    pugi::xml_document request;
    request.append_child(m.command->rpc.c_str());
    auto reply = mgd_->call(request, 30000ms);
    if (!reply.ok()) {
        out_ << "error: " << reply.error_message << "\n";
        return false;
    }
    out_ << m.command->render(reply.root());
    out_.flush();
    return true;
}

int Cli::run_batch(const std::vector<std::string>& lines) {
    interactive_ = false;
    bool all_ok = true;
    for (const auto& line : lines) {
        if (!execute(line)) {
            all_ok = false;
            if (options_.stop_on_error) {
                break;
            }
        }
    }
    out_.flush();
    return all_ok ? 0 : 1;
}

int Cli::run_interactive() {
    interactive_ = true;
    for (;;) {
        char* raw = ::readline(prompt().c_str());
        if (!raw) {
            out_ << "\n";
            return 0;
        }
        std::string line(raw);
        std::free(raw);
        if (!line.empty()) {
            ::add_history(line.c_str());
        }
        const auto words = split_words(line);
        if (!words.empty() && (words[0] == "exit" || words[0] == "quit")) {
            return 0;
        }
        const bool ok = execute(line);
        if (ok && !words.empty()) {
            out_ << "\n";  // Junos leaves a blank line between a command's output and the next prompt
        }
    }
}

}  // namespace msim::shell
