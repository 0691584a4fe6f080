// chassisd: the chassis daemon (hw-sim). The logic is in msim_hwsim (Chassisd).
#include "msim/common/daemon.hpp"
#include "msim/hwsim/chassisd.hpp"

int main(int argc, char** argv) {
    return msim::daemon_main(argc, argv, "chassisd",
                             [](msim::Daemon& d) { msim::hwsim::Chassisd::attach(d); });
}
