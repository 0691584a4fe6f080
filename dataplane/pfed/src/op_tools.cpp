// ping, traceroute and monitor traffic as streaming RPCs on pfed (to be written).
#include "msim/pfed/context.hpp"

namespace msim::pfed {

void register_operational_tools(Daemon& daemon, PfedContext& context) {
    (void)daemon;
    (void)context;
}

}  // namespace msim::pfed
