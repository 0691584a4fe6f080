// kmd: the IKE key management daemon; the IKE issue gives it phase 1 and 2 over libmsim_kmd.
#include "msim/common/daemon.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "kmd", [](msim::Daemon&) {});
}
