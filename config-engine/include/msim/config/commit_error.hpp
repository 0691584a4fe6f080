// A commit-time diagnostic in the Junos shape, shared by libyang translation (msim_config), the C++
// validators (cfgschema) and the mgd commit pipeline.
#pragma once

#include <string>
#include <vector>

namespace msim::config {

enum class Severity { error, warning };

// Rendered by render() as:
//   [edit security ipsec security-association sa-1]
//     'manual'
//       Either authentication or encryption must be configured
// edit_path holds the hierarchy words without "edit" (e.g. {"security", "ipsec", ...}); an empty
// edit_path renders as "[edit]". An empty statement omits the quoted line (errors without a path).
struct CommitError {
    std::vector<std::string> edit_path;
    std::string statement;
    std::string message;
    Severity severity = Severity::error;
};

// Junos text for one diagnostic, newline-terminated. Warnings render as "warning: <message>" after the
// path block, errors as the bare message (the caller prints "error: configuration check-out failed").
std::string render(const CommitError& e);

}  // namespace msim::config
