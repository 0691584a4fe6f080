#include <doctest/doctest.h>

#include "mgd.hpp"

using msim::mgd::Mgd;

TEST_CASE("mgd's login classes: super-user everything, operator no configuration, read-only looks") {
    CHECK(Mgd::class_permits("super-user", "enter-configuration-mode"));
    CHECK(Mgd::class_permits("operator", "request-logout-user"));
    CHECK(Mgd::class_permits("operator", "clear-arp-table"));
    CHECK(Mgd::class_permits("operator", "get-configuration"));
    CHECK_FALSE(Mgd::class_permits("operator", "enter-configuration-mode"));
    CHECK_FALSE(Mgd::class_permits("operator", "run-configuration-command"));
    CHECK(Mgd::class_permits("read-only", "get-system-users-information"));
    CHECK(Mgd::class_permits("read-only", "complete-configuration-command"));
    CHECK_FALSE(Mgd::class_permits("read-only", "request-logout-user"));
    CHECK_FALSE(Mgd::class_permits("read-only", "file-show"));
    CHECK_FALSE(Mgd::class_permits("read-only", "clear-arp-table"));
    CHECK_FALSE(Mgd::class_permits("read-only", "enter-configuration-mode"));
}
