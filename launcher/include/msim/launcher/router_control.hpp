// What `msim start|stop|status|cli` do to one router. Each returns the process exit code and prints what a
// person needs to read (errors to stderr).
#pragma once

#include <string>
#include <vector>

#include "msim/common/paths.hpp"

namespace msim::launcher {

// True while `pid` exists and is not a zombie (an exited process nobody reaped yet counts as gone).
bool process_alive(int pid);

// The pid of the router's running init, or 0.
int running_init_pid(const RouterPaths& paths);

int start_router(const RouterPaths& paths, bool quiet = false);
int stop_router(const RouterPaths& paths);
int router_status(const RouterPaths& paths);
// Replaces this process with the CLI of the router (arguments after `cli` are passed on).
int exec_cli(const RouterPaths& paths, const std::vector<std::string>& cli_args);

// Processes whose command line names this router's state directory (daemons, init); used by stop to
// make sure nothing is left behind.
std::vector<int> router_processes(const RouterPaths& paths);

}  // namespace msim::launcher
