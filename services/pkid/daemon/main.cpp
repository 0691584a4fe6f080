// pkid: the PKI daemon (services/pkid/include/msim/pkid/pkid_daemon.hpp).
#include "msim/common/daemon.hpp"
#include "msim/config/schema.hpp"
#include "msim/pkid/pkid_daemon.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "pkid", [](msim::Daemon& d) {
        auto pkid = std::make_shared<msim::pkid::Pkid>(d, msim::config::Schema::load(MSIM_YANG_DIR));
        pkid->start();
        d.keep(pkid);
    });
}
