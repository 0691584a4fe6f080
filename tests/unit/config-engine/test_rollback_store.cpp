#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include "msim/config/error.hpp"
#include "msim/config/rollback_store.hpp"

using namespace msim::config;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-rollback-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};
}  // namespace

TEST_CASE("rollback store: rotation, 49 rollbacks, history and atomic files") {
    TempDir t;
    RollbackStore store(t.path / "config");
    CHECK_FALSE(store.read(0));
    CHECK_THROWS_WITH_AS(store.read_or_throw(3), "error: Rollback file 3 does not exist", ConfigError);
    for (int i = 0; i < 55; ++i) {
        CommitRecord r;
        r.user = "admin";
        r.time = 1795398052 + i;  // 2026-11-23 ...
        r.comment = i == 54 ? "added ike gateway" : "";
        store.commit("system { host-name r" + std::to_string(i) + "; }\n", r);
    }
    CHECK(store.read(0) == std::optional<std::string>("system { host-name r54; }\n"));
    CHECK(store.read(1) == std::optional<std::string>("system { host-name r53; }\n"));
    CHECK(store.read(49) == std::optional<std::string>("system { host-name r5; }\n"));
    CHECK_FALSE(store.read(50));
    CHECK_FALSE(fs::exists(t.path / "config" / "juniper.conf.50"));
    // No temp files left behind.
    for (auto& e : fs::directory_iterator(t.path / "config"))
        CHECK(e.path().string().find(".tmp.") == std::string::npos);

    auto rec = store.record(0);
    REQUIRE(rec);
    CHECK(rec->comment == "added ike gateway");
    const std::string hist = store.show_system_commit();
    CHECK(hist.find("0   " + RollbackStore::format_time(1795398052 + 54) +
                    " by admin via cli\n    added ike gateway\n1   ") == 0);
    CHECK(hist.find("\n49  ") != std::string::npos);
    CHECK(RollbackStore::format_time(0) == "1970-01-01 00:00:00 UTC");
}

TEST_CASE("rollback store: write_file_atomically replaces content") {
    TempDir t;
    write_file_atomically(t.path / "x.conf", "one\n");
    write_file_atomically(t.path / "x.conf", "two\n");
    RollbackStore store(t.path);
    CHECK(fs::file_size(t.path / "x.conf") == 4);
    CHECK_THROWS_AS(write_file_atomically(t.path / "missing-dir" / "x.conf", "z"), ConfigError);
}
