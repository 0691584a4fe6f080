// ipsecd: the IPsec SA manager; the IPsec issue gives it the SA database and installs into the ES PIC.
#include "msim/common/daemon.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "ipsecd", [](msim::Daemon&) {});
}
