// pfed: the packet forwarding engine daemon; the router issue gives it interfaces, forwarding and wires.
#include "msim/common/daemon.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "pfed", [](msim::Daemon&) {});
}
