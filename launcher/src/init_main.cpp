// init: the per-router supervisor process (see supervisor.hpp). `msim start` runs it detached.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "msim/launcher/supervisor.hpp"

int main(int argc, char** argv) {
    std::string state;
    std::string router = "default";
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--state" && i + 1 < argc) {
            state = argv[++i];
        } else if (arg == "--router" && i + 1 < argc) {
            router = argv[++i];
        } else {
            std::fprintf(stderr, "usage: init --state DIR [--router NAME]\n");
            return 2;
        }
    }
    if (state.empty()) {
        std::fprintf(stderr, "usage: init --state DIR [--router NAME]\n");
        return 2;
    }
    // The daemons live next to init (in libexec/msim), unless MSIM_LIBEXEC says otherwise.
    std::filesystem::path libexec = std::getenv("MSIM_LIBEXEC")
                                        ? std::filesystem::path(std::getenv("MSIM_LIBEXEC"))
                                        : std::filesystem::read_symlink("/proc/self/exe").parent_path();
    msim::launcher::Supervisor supervisor(msim::RouterPaths{router, state}, libexec);
    return supervisor.run();
}
