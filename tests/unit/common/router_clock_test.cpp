// msim/common/router_clock.hpp: the router's clock (`set date`), shared by every process of a router
// through var/db/clock-offset.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "msim/common/router_clock.hpp"

using namespace std::chrono_literals;
using msim::RouterClock;

namespace {
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-clock-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::time_t local(int y, int mo, int d, int h, int mi, int s) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    return std::mktime(&tm);
}
}  // namespace

TEST_CASE("router clock: without an offset file it is the host's clock") {
    TempDir dir;
    RouterClock clock(dir.path / "var/db/clock-offset");
    CHECK(clock.offset() == std::chrono::nanoseconds(0));
    const auto diff = clock.now() - std::chrono::system_clock::now();
    CHECK(std::chrono::abs(diff) < 1s);
}

TEST_CASE("router clock: set moves it for every reader of the same router, and survives a new reader") {
    TempDir dir;
    const auto file = dir.path / "var/db/clock-offset";
    RouterClock writer(file);
    RouterClock reader(file);
    CHECK(reader.offset() == std::chrono::nanoseconds(0));  // caches the absent file
    const auto target = std::chrono::system_clock::now() + std::chrono::hours(24 * 400);
    writer.set(target);
    CHECK(std::filesystem::exists(file));
    // the other reader sees the change at once (the file was replaced)
    CHECK(std::chrono::abs(reader.now() - target) < 2s);
    CHECK(std::chrono::abs(reader.offset() - std::chrono::hours(24 * 400)) < 2s);
    RouterClock later(file);  // a daemon started afterwards
    CHECK(std::chrono::abs(later.now() - target) < 2s);
    // back into the past, then to the host's time again
    writer.set(std::chrono::system_clock::now() - std::chrono::hours(48));
    CHECK(std::chrono::abs(reader.now() - (std::chrono::system_clock::now() - std::chrono::hours(48))) < 2s);
    writer.set(std::chrono::system_clock::now());
    CHECK(std::chrono::abs(reader.offset()) < 2s);
}

TEST_CASE("router clock: a damaged offset file reads as no offset") {
    TempDir dir;
    const auto file = dir.path / "clock-offset";
    std::ofstream(file) << "garbage\n";
    RouterClock clock(file);
    CHECK(clock.offset() == std::chrono::nanoseconds(0));
}

TEST_CASE("set date's argument: YYYYMMDDhhmm[.ss] in local time") {
    auto t = msim::parse_junos_date("202703151230.45");
    REQUIRE(t);
    CHECK(std::chrono::system_clock::to_time_t(*t) == local(2027, 3, 15, 12, 30, 45));
    t = msim::parse_junos_date("202703151230");
    REQUIRE(t);
    CHECK(std::chrono::system_clock::to_time_t(*t) == local(2027, 3, 15, 12, 30, 0));
    for (const char* bad : {"", "2027", "2027031512301", "202713151230", "202702301230", "202703152430",
                            "202703151260", "202703151230.60", "202703151230x45", "2027-03-15 12:30",
                            "196912312359", "999912312359", "230101010000"}) {
        CAPTURE(bad);
        CHECK_FALSE(msim::parse_junos_date(bad).has_value());
    }
}

TEST_CASE("set date's answer: date(1)'s layout") {
    const auto t = std::chrono::system_clock::from_time_t(local(2027, 3, 5, 9, 7, 3));
    const std::string text = msim::date_text(t);
    CHECK(text.rfind("Fri Mar  5 09:07:03 ", 0) == 0);
    CHECK(text.size() > 25);
    CHECK(text.substr(text.size() - 4) == "2027");
}
