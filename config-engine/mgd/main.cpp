// mgd: the management daemon (see mgd.hpp).
#include "mgd.hpp"

int main(int argc, char** argv) {
    std::unique_ptr<msim::mgd::Mgd> mgd;
    return msim::daemon_main(argc, argv, "mgd",
                             [&mgd](msim::Daemon& d) { mgd = std::make_unique<msim::mgd::Mgd>(d); });
}
