// pkid: the PKI daemon (services/pkid/include/msim/pkid/pkid_daemon.hpp).
#include "msim/common/daemon.hpp"

// The daemon logic is libmsim_pkid_daemon (services/pkid/daemon/meson.build). Until the top-level
// meson.build builds that folder and libexec/msim/meson.build links it into pkid (see
// services/pkid/README.md, "Build wiring"), its headers are not on this program's include path and pkid stays
// the bare skeleton.
#if __has_include("msim/pkid/pkid_daemon.hpp")
#include "msim/config/schema.hpp"
#include "msim/pkid/pkid_daemon.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "pkid", [](msim::Daemon& d) {
        auto pkid = std::make_shared<msim::pkid::Pkid>(d, msim::config::Schema::load(MSIM_YANG_DIR));
        pkid->start();
        d.keep(pkid);
    });
}
#else
int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "pkid", [](msim::Daemon&) {});
}
#endif
