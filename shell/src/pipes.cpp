#include "msim/shell/pipes.hpp"

// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s <regex> when optimising with sanitizers
// (GCC bug 105562); the code it points at is the library's, not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "msim/shell/command_tree.hpp"

namespace msim::shell {

namespace {

const std::vector<std::pair<std::string, std::string>>& pipes_known() {
    static const std::vector<std::pair<std::string, std::string>> known = {
        {"compare", "Compare configuration changes with prior version"},
        {"count", "Count occurrences"},
        {"display", "Show additional kinds of information"},
        {"except", "Show only text that does not match a pattern"},
        {"find", "Search for first occurrence of pattern"},
        {"hold", "Hold text without exiting the --More-- prompt"},
        {"last", "Display end of output only"},
        {"match", "Show only text that matches a pattern"},
        {"no-more", "Don't paginate output"},
        {"save", "Save output text to file"},
        {"trim", "Trim specified number of columns from start of line"},
    };
    return known;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

std::regex make_regex(const std::vector<std::string>& args) {
    std::string pattern;
    for (const auto& a : args) {
        if (!pattern.empty())
            pattern += ' ';
        pattern += a;
    }
    try {
        return std::regex(pattern, std::regex::extended);
    } catch (const std::regex_error&) {
        return std::regex(std::regex_replace(pattern, std::regex(R"([\^$.|?*+()\[\]{}\\])"), R"(\$&)"));
    }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> pipe_help() {
    return pipes_known();
}

std::vector<std::pair<std::string, std::string>> pipe_completions(const std::vector<std::string>& words,
                                                                  const std::string& partial) {
    using Items = std::vector<std::pair<std::string, std::string>>;
    auto fitting = [&](const Items& items) {
        Items out;
        for (const auto& item : items) {
            if (item.first.compare(0, partial.size(), partial) == 0 || item.first[0] == '<')
                out.push_back(item);
        }
        return out;
    };
    const Items run_it = {{"<[Enter]>", "Execute this command"}, {"|", "Pipe through a command"}};
    if (words.empty())
        return fitting(pipes_known());
    std::string pipe;
    for (const auto& [name, help] : pipes_known()) {
        if (name.compare(0, words[0].size(), words[0]) == 0) {
            if (!pipe.empty() && name != words[0])
                return {};  // ambiguous pipe name
            pipe = name;
        }
    }
    if (pipe.empty())
        return {};
    const size_t given = words.size() - 1;  // words after the pipe's name
    if (pipe == "display") {
        if (given == 0)
            return fitting({{"inheritance", "Show inherited configuration data and source group"},
                            {"set", "Show 'set' commands that create configuration"},
                            {"xml", "Show output as XML tags"}});
        return partial.empty() ? run_it : Items{};
    }
    if (pipe == "compare") {
        if (given == 0)
            return fitting({{"<[Enter]>", "Execute this command"},
                            {"rollback", "Index of rollback configuration"},
                            {"|", "Pipe through a command"}});
        if (given == 1)
            return {{"<number>", "Index of rollback configuration (0..49)"}};
        return partial.empty() ? run_it : Items{};
    }
    static const std::map<std::string, std::pair<std::string, std::string>> argument = {
        {"match", {"<pattern>", "Pattern to match against"}},
        {"except", {"<pattern>", "Pattern to avoid"}},
        {"find", {"<pattern>", "Pattern to search for"}},
        {"last", {"<lines>", "Number of lines to display"}},
        {"trim", {"<columns>", "Number of columns to trim"}},
        {"save", {"<filename>", "Output file name"}},
    };
    if (auto it = argument.find(pipe); it != argument.end() && given == 0)
        return {it->second};
    return partial.empty() ? run_it : Items{};
}

std::optional<PipeError> split_pipes(const std::string& line, PipedCommand& out) {
    std::vector<std::pair<std::string, size_t>> segments;  // text and start offset
    bool quoted = false;
    size_t start = 0;
    for (size_t i = 0; i <= line.size(); ++i) {
        if (i < line.size() && line[i] == '"')
            quoted = !quoted;
        if (i == line.size() || (line[i] == '|' && !quoted)) {
            segments.emplace_back(line.substr(start, i - start), start);
            start = i + 1;
        }
    }
    out.command = segments[0].first;
    for (size_t s = 1; s < segments.size(); ++s) {
        const auto words = split_words(segments[s].first);
        const size_t at = segments[s].second + segments[s].first.find_first_not_of(' ');
        if (words.empty()) {
            return PipeError{"syntax error, expecting <command>.",
                             segments[s].second + segments[s].first.size() + 1};
        }
        std::vector<std::string> hits;
        for (const auto& [name, help] : pipes_known()) {
            if (name == words[0]) {
                hits = {name};
                break;
            }
            if (name.compare(0, words[0].size(), words[0]) == 0)
                hits.push_back(name);
        }
        if (hits.size() != 1) {
            return PipeError{
                hits.empty() ? "syntax error, expecting <command>." : "'" + words[0] + "' is ambiguous.", at};
        }
        Pipe p{hits[0], std::vector<std::string>(words.begin() + 1, words.end()), {}};
        if (p.name == "display") {
            if (p.args.empty())
                return PipeError{"syntax error, expecting <command>.", line.size() + 1};
            for (std::string what : {"set", "xml", "inheritance", "detail", "changed"}) {
                if (what.rfind(p.args[0], 0) == 0) {
                    out.display = what;
                    break;
                }
            }
            if (out.display.empty())
                return PipeError{"syntax error.", at + segments[s].first.find(p.args[0]) - 1};
            continue;
        }
        if (p.name == "compare") {
            out.compare = "";
            if (!p.args.empty()) {
                if (std::string("rollback").rfind(p.args[0], 0) != 0 || p.args.size() != 2) {
                    return PipeError{"syntax error.", at};
                }
                // The same check and words as `rollback N`: a number outside 0..49 is refused here, with
                // the caret under it; a number in range whose file is missing is refused by mgd
                // (`error: Rollback file N does not exist`).
                const std::string& n = p.args[1];
                if (n.empty() || n.size() > 2 || n.find_first_not_of("0123456789") != std::string::npos ||
                    std::stoi(n) > 49) {
                    const size_t word_at =
                        segments[s].first.find(n, segments[s].first.find(p.args[0]) + p.args[0].size());
                    return PipeError{"Value " + n + " is not within range (0..49)",
                                     segments[s].second + word_at};
                }
                out.compare = n;
            }
            continue;
        }
        if ((p.name == "match" || p.name == "except" || p.name == "find" || p.name == "save") &&
            p.args.empty()) {
            return PipeError{"missing argument.", line.size() + 1};
        }
        if (p.name == "last" || p.name == "trim") {
            if (p.args.empty())
                return PipeError{"missing argument.", line.size() + 1};
            const std::string& n = p.args[0];
            const size_t word_at =
                segments[s].second +
                segments[s].first.find(n, segments[s].first.find(words[0]) + words[0].size());
            if (n.find_first_not_of("0123456789") != std::string::npos || n.size() > 9)
                return PipeError{"invalid numeric value: '" + n + "'", word_at};
            if (p.args.size() > 1) {
                const auto& extra = p.args[1];
                return PipeError{"syntax error, expecting <command>.",
                                 segments[s].second +
                                     segments[s].first.find(extra, word_at - segments[s].second + n.size())};
            }
        }
        if (p.name == "no-more")
            out.no_more = true;
        out.pipes.push_back(std::move(p));
    }
    return std::nullopt;
}

std::string apply_text_pipes(const std::string& text, const std::vector<Pipe>& pipes) {
    std::vector<std::string> lines = lines_of(text);
    for (const auto& p : pipes) {
        if (p.name == "match" || p.name == "except") {
            const auto re = make_regex(p.args);
            std::vector<std::string> kept;
            for (auto& l : lines) {
                if (std::regex_search(l, re) == (p.name == "match"))
                    kept.push_back(l);
            }
            lines = std::move(kept);
        } else if (p.name == "count") {
            lines = {"Count: " + std::to_string(lines.size()) + " lines"};
        } else if (p.name == "last") {
            const size_t n = std::stoul(p.args[0]);
            if (lines.size() > n)
                lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
        } else if (p.name == "find") {
            const auto re = make_regex(p.args);
            auto it = std::find_if(lines.begin(), lines.end(),
                                   [&](const std::string& l) { return std::regex_search(l, re); });
            if (it == lines.end()) {
                lines = {"Pattern not found"};
            } else {
                lines.erase(lines.begin(), it);
            }
        } else if (p.name == "trim") {
            const size_t n = std::stoul(p.args[0]);
            for (auto& l : lines)
                l = l.size() > n ? l.substr(n) : std::string();
        } else if (p.name == "save") {
            std::ofstream out(p.target.empty() ? p.args[0] : p.target, std::ios::trunc);
            if (!out) {
                return "error: could not open file: " + p.args[0] + "\n";
            }
            out << join_lines(lines);
            return "Wrote " + std::to_string(lines.size()) + " lines of output to '" + p.args[0] + "'\n";
        }
    }
    return join_lines(lines);
}

}  // namespace msim::shell
