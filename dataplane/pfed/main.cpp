// pfed: the packet forwarding engine daemon (interfaces, forwarding, wires); the logic is in msim_pfed.
#include "msim/common/daemon.hpp"
#include "msim/pfed/pfed.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "pfed",
                             [](msim::Daemon& daemon) { msim::pfed::setup_pfed(daemon); });
}
