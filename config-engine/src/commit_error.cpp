#include "msim/config/commit_error.hpp"

namespace msim::config {

std::string render(const CommitError& e) {
    std::string out;
    if (!e.edit_path.empty() || !e.statement.empty()) {
        out += "[edit";
        for (const auto& w : e.edit_path) {
            out += ' ';
            out += w;
        }
        out += "]\n";
        if (!e.statement.empty())
            out += "  '" + e.statement + "'\n";
        out += "    ";
    }
    if (e.severity == Severity::warning)
        out += "warning: ";
    out += e.message;
    out += '\n';
    return out;
}

}  // namespace msim::config
