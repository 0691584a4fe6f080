// cli: the operator shell process (`msim cli`). Interactive on a terminal, batch otherwise.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "msim/shell/cli.hpp"

int main(int argc, char** argv) {
    msim::shell::CliOptions options;
    std::string state, router = "default", commands, file;
    bool have_commands = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "cli: %s needs a value\n", arg.c_str());
                std::exit(2);
            }
            out = argv[++i];
        };
        if (arg == "--state")
            value(state);
        else if (arg == "--router")
            value(router);
        else if (arg == "--user")
            value(options.user);
        else if (arg == "-c") {
            value(commands);
            have_commands = true;
        } else if (arg == "-f")
            value(file);
        else if (arg == "--stop-on-error")
            options.stop_on_error = true;
        else {
            std::fprintf(stderr, "cli: unknown argument '%s'\n", arg.c_str());
            return 2;
        }
    }
    if (state.empty()) {
        std::fprintf(stderr, "usage: cli --state DIR [--router NAME] [--user NAME] [-c CMDS] [-f FILE]\n");
        return 2;
    }
    options.paths = msim::RouterPaths{router, state};
    try {
        msim::shell::Cli cli(options, std::cout, std::cerr);
        if (have_commands) {
            return cli.run_batch(msim::shell::split_command_list(commands));
        }
        if (!file.empty()) {
            std::ifstream in(file);
            if (!in) {
                std::fprintf(stderr, "error: could not open command file: %s\n", file.c_str());
                return 1;
            }
            std::stringstream text;
            text << in.rdbuf();
            return cli.run_batch(msim::shell::split_command_list(text.str(), false));
        }
        if (!::isatty(0)) {
            std::stringstream text;
            text << std::cin.rdbuf();
            return cli.run_batch(msim::shell::split_command_list(text.str(), false));
        }
        return cli.run_interactive();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
