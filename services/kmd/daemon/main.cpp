// kmd: the IKE key management daemon (services/kmd/include/msim/kmd/kmd_daemon.hpp).
#include "msim/common/daemon.hpp"
#include "msim/config/schema.hpp"
#include "msim/kmd/kmd_daemon.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "kmd", [](msim::Daemon& d) {
        auto kmd = std::make_shared<msim::kmd::Kmd>(d, msim::config::Schema::load(MSIM_YANG_DIR));
        kmd->start();
        d.keep(kmd);
    });
}
