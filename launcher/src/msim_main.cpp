// msim: the entry point. `msim` alone starts the default router if needed and opens its CLI.
#include <cstdio>
#include <string>
#include <vector>

#include "msim/launcher/lab.hpp"
#include "msim/launcher/router_control.hpp"

namespace {

void usage(std::FILE* out) {
    std::fputs(
        "usage: msim                                   start the default router if needed and open its CLI\n"
        "       msim start  [--router NAME]            start a router (its daemons, supervised by init)\n"
        "       msim stop   [--router NAME]            stop a router and every process of it\n"
        "       msim status [--router NAME]            list a router's daemons: PID, uptime, restarts\n"
        "       msim cli    [--router NAME] [--user NAME] [-c 'CMD; CMD...'] [-f FILE] [--stop-on-error]\n"
        "                                              open the router's CLI, or run commands in batch mode\n"
        "       msim lab up FILE | down | status | console NODE | capture NODE:IF OUT.pcap  [-t FILE]\n"
        "                                              labs of routers and Linux hosts (msim lab --help)\n"
        "Routers keep their state in $MSIM_HOME/<router>/ (default ~/.local/share/msim).\n",
        out);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")) {
        usage(stdout);
        return 0;
    }
    const std::string command = args.empty() ? "" : args[0];
    if (command == "lab") {
        // The lab runner has its own options (-t, -c); --router means nothing there.
        return msim::launcher::lab_main(std::vector<std::string>(args.begin() + 1, args.end()));
    }
    std::string router = "default";
    std::vector<std::string> rest;
    for (size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--router" && i + 1 < args.size()) {
            router = args[++i];
        } else if (args[i].rfind("--router=", 0) == 0) {
            router = args[i].substr(9);
        } else {
            rest.push_back(args[i]);
        }
    }
    if (!msim::valid_router_name(router)) {
        std::fprintf(stderr, "msim: invalid router name '%s'\n", router.c_str());
        return 2;
    }
    const auto paths = msim::router_paths(router);

    if (command.empty()) {
        if (msim::launcher::running_init_pid(paths) == 0) {
            std::printf("Starting router %s...\n", router.c_str());
            if (int rc = msim::launcher::start_router(paths, true); rc != 0) {
                return rc;
            }
        }
        return msim::launcher::exec_cli(paths, {});
    }
    if (command == "cli") {
        return msim::launcher::exec_cli(paths, rest);
    }
    if (!rest.empty()) {
        std::fprintf(stderr, "msim: unexpected argument '%s'\n", rest[0].c_str());
        usage(stderr);
        return 2;
    }
    if (command == "start")
        return msim::launcher::start_router(paths);
    if (command == "stop")
        return msim::launcher::stop_router(paths);
    if (command == "status")
        return msim::launcher::router_status(paths);
    std::fprintf(stderr, "msim: unknown command '%s'\n", command.c_str());
    usage(stderr);
    return 2;
}
