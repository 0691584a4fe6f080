// Prints a Junos-text configuration as libyang XML instance data of msim's YANG, so yanglint can validate
// exactly what mgd validates (the reference figure of the configuration benchmark).
#include <libyang/libyang.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "msim/config/error.hpp"
#include "msim/config/groups.hpp"
#include "msim/config/text_format.hpp"
#include "msim/config/validate.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: config_to_xml CONFIG.conf OUT.xml\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    std::stringstream text;
    text << in.rdbuf();
    try {
        auto schema = msim::config::Schema::load(MSIM_YANG_DIR);
        auto tree = msim::config::expand_groups(msim::config::parse_text(*schema, text.str()));
        auto v = msim::config::validate(*schema, tree);
        if (!v.ok()) {
            std::fprintf(stderr, "config_to_xml: the configuration does not validate: %s\n",
                         v.errors.front().message.c_str());
            return 1;
        }
        char* xml = nullptr;
        lyd_print_mem(&xml, v.tree.get(), LYD_XML, LYD_PRINT_WITHSIBLINGS);
        std::ofstream(argv[2]) << (xml ? xml : "");
        std::free(xml);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "config_to_xml: %s\n", e.what());
        return 1;
    }
    return 0;
}
