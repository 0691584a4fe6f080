#include <doctest/doctest.h>

#include "msim/ipsec/replay_window.hpp"

using msim::ipsec::ReplayWindow;
using V = ReplayWindow::Verdict;

namespace {
void take(ReplayWindow& w, std::uint32_t s) {
    REQUIRE(w.check(s) == V::ok);
    w.accept(s);
}
}  // namespace

TEST_CASE("replay window disabled accepts everything, including repeats") {
    ReplayWindow w(0);
    for (std::uint32_t s : {5u, 5u, 1u, 0u, 1000u, 3u}) {
        CHECK(w.check(s) == V::ok);
        w.accept(s);
    }
}

TEST_CASE("replay window rejects sequence number zero") {
    ReplayWindow w(32);
    CHECK(w.check(0) == V::zero);
}

TEST_CASE("replay window edges for sizes 32 and 64") {
    for (std::uint32_t size : {32u, 64u}) {
        CAPTURE(size);
        ReplayWindow w(size);
        take(w, 1);
        CHECK(w.check(1) == V::duplicate);
        take(w, 100);
        CHECK(w.highest() == 100);
        // The oldest sequence still inside the window is top - size + 1.
        CHECK(w.check(100 - size + 1) == V::ok);
        CHECK(w.check(100 - size) == V::too_old);
        take(w, 100 - size + 1);
        CHECK(w.check(100 - size + 1) == V::duplicate);
        // Out of order inside the window is fine once, then a duplicate.
        take(w, 99);
        CHECK(w.check(99) == V::duplicate);
        CHECK(w.check(98) == V::ok);
        // Advancing by one slides the oldest slot out.
        take(w, 101);
        CHECK(w.check(100 - size + 1) == V::too_old);
        CHECK(w.check(100) == V::duplicate);
        // A jump larger than the window forgets everything but the new top.
        take(w, 100000);
        CHECK(w.check(100000) == V::duplicate);
        CHECK(w.check(99999) == V::ok);
        CHECK(w.check(100000 - size) == V::too_old);
    }
}

TEST_CASE("replay window slots reused after wrap of the bitmap are cleared") {
    ReplayWindow w(64);
    for (std::uint32_t s = 1; s <= 3000; ++s) {
        take(w, s);
        CHECK(w.check(s) == V::duplicate);
    }
    // Every sequence in the window was seen; everything older is too old.
    for (std::uint32_t s = 3000 - 63; s <= 3000; ++s) {
        CHECK(w.check(s) == V::duplicate);
    }
    CHECK(w.check(3000 - 64) == V::too_old);
    // Jump by exactly 1024 and by 1023 (whole-word clearing paths).
    take(w, 4024);
    CHECK(w.check(4023) == V::ok);
    take(w, 5047);
    CHECK(w.check(5046) == V::ok);
    CHECK(w.check(5047 - 63) == V::ok);
}

TEST_CASE("replay window near the top of the sequence space") {
    ReplayWindow w(1024);
    take(w, 0xfffffff0u);
    take(w, 0xffffffffu);
    CHECK(w.check(0xffffffffu) == V::duplicate);
    CHECK(w.check(0xfffffff0u) == V::duplicate);
    CHECK(w.check(0xfffffff1u) == V::ok);
}
