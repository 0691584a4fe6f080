// mgd: the management daemon (see mgd.hpp).
#include "mgd.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "mgd",
                             [](msim::Daemon& d) { d.keep(std::make_shared<msim::mgd::Mgd>(d)); });
}
