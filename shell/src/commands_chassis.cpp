// show chassis …, request chassis … (answered by chassisd).
#include "msim/shell/command_tree.hpp"

namespace msim::shell {

void add_chassis_commands(CommandTree& tree) {
    (void)tree;
}

}  // namespace msim::shell
