// `load merge|override|replace|update|set|patch`: each all-or-nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "msim/config/commands.hpp"
#include "msim/config/tree.hpp"

namespace msim::config {

enum class LoadMode { merge, override, replace, update, set, patch };

struct LoadOptions {
    std::string file_name = "terminal";  // for error positions
    std::vector<std::string> edit_path;  // `load ... relative`: text is relative to this level
};

// Applies `text` to `root`. On any error throws ConfigError (file/line/column, Junos wording) and
// leaves `root` unchanged. Warnings (e.g. `delete` of a missing statement in `load set`) are returned.
CommandResult load_config(const Schema& schema, Node& root, LoadMode mode, std::string_view text,
                          const LoadOptions& options = {});

// Reads the file a `load ... FILE` names. A file that cannot be opened or read, or is not a regular file
// (a directory would otherwise read as an empty configuration), throws ConfigError
// "error: Could not open configuration file: FILE".
std::string read_config_file(const std::string& path);

}  // namespace msim::config
