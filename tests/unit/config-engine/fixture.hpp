#pragma once

#include <memory>

#include "msim/config/schema.hpp"

namespace msim::config::test {

inline std::shared_ptr<const Schema> schema() {
    static std::shared_ptr<const Schema> s = Schema::load(MSIM_TEST_YANG_DIR);
    return s;
}

}  // namespace msim::config::test
