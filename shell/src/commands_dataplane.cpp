// show interfaces/arp/route/firewall, clear …, ping, traceroute, monitor traffic (answered by pfed).
#include "msim/shell/command_tree.hpp"

namespace msim::shell {

void add_dataplane_commands(CommandTree& tree) {
    (void)tree;
}

}  // namespace msim::shell
