// ipsecd: the IPsec SA manager (services/ipsecd/include/msim/ipsecd/ipsecd.hpp).
#include "msim/common/daemon.hpp"
#include "msim/config/schema.hpp"
#include "msim/ipsecd/ipsecd.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "ipsecd", [](msim::Daemon& d) {
        auto ipsecd = std::make_shared<msim::ipsecd::Ipsecd>(d, msim::config::Schema::load(MSIM_YANG_DIR));
        ipsecd->start();
        d.keep(ipsecd);
    });
}
