// `msim lab up|down|status|console|capture`: labs of several routers and Linux hosts wired together (the
// lab file format is in lab_file.hpp and launcher/README.md). Routers are ordinary msim routers under
// $MSIM_HOME/<node>; hosts are network namespaces named after the node with one TAP device each; what a lab
// created is recorded in $MSIM_HOME/.labs/<lab>.yaml so every other command works from any directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace msim::launcher {

// Runs `msim lab ARGS...` (ARGS without the word `lab`) and returns the exit code. `console` replaces the
// process (exec) when it succeeds.
int lab_main(const std::vector<std::string>& args);

// Where the lab state files live: $MSIM_HOME/.labs
std::filesystem::path lab_state_dir();

}  // namespace msim::launcher
