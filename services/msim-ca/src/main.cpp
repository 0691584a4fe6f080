// msim-ca: the small certification authority shipped for labs (services/msim-ca/README.md).
#include <iostream>

#include "msim/ca/cli.hpp"

int main(int argc, char** argv) {
    return msim::ca::run_cli(argc, argv, std::cout, std::cerr);
}
