// pkid: the PKI daemon; the PKI issue puts libmsim_pki behind its RPCs.
#include "msim/common/daemon.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "pkid", [](msim::Daemon&) {});
}
