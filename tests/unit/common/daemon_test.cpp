// The daemon skeleton: built-in RPCs, unknown RPCs and handlers that throw, driven in-process.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <boost/asio/post.hpp>

#include "msim/common/daemon.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/paths.hpp"

using namespace msim;
using namespace std::chrono_literals;

namespace {
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-daemon-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST_CASE("router paths and names") {
    RouterPaths p{"gw", "/x/gw"};
    CHECK(p.socket("kmd") == "/x/gw/var/run/kmd.sock");
    CHECK(p.committed_config() == "/x/gw/config/juniper.conf");
    CHECK(valid_router_name("gateway-a"));
    CHECK_FALSE(valid_router_name("../etc"));
    CHECK_FALSE(valid_router_name(""));
    CHECK_FALSE(valid_router_name("a b"));
}

TEST_CASE("a daemon answers ping, package information, unknown RPCs and survives a throwing handler") {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    paths.create_layout();
    Daemon daemon("kmd", paths);
    daemon.register_rpc("explode",
                        [](const pugi::xml_node&, ipc::Responder) { throw std::runtime_error("boom"); });
    std::thread runner([&] { daemon.run(); });
    // Wait for the socket.
    for (int i = 0; i < 200 && !std::filesystem::exists(paths.socket("kmd")); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    {
        ipc::SyncClient client(paths.socket("kmd"), "kmd");
        auto pong = client.call("ping");
        REQUIRE(pong.ok());
        CHECK(std::string(pong.root().child("pong").child_value("daemon")) == "kmd");

        auto pkg = client.call("get-package-information");
        REQUIRE(pkg.ok());
        const std::string comment = pkg.root().child("package-information").child_value("comment");
        CHECK(comment.find("JUNOS Key Management Daemon (kmd) [") == 0);

        auto unknown = client.call("get-nothing");
        CHECK(unknown.status == ipc::Reply::Status::rpc_error);
        CHECK(unknown.error_message.find("does not know the RPC <get-nothing>") != std::string::npos);

        auto boom = client.call("explode");
        CHECK(boom.status == ipc::Reply::Status::rpc_error);
        CHECK(boom.error_message.find("boom") != std::string::npos);

        // Still alive after the throwing handler.
        CHECK(client.call("ping").ok());
    }
    boost::asio::post(daemon.io(), [&] { daemon.stop(); });
    runner.join();
    CHECK_FALSE(std::filesystem::exists(paths.socket("kmd")));
}

TEST_CASE("call_peer to a daemon that is not running completes as closed") {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    paths.create_layout();
    Daemon daemon("mgd", paths);
    std::optional<ipc::Reply> r;
    daemon.call_peer("kmd", "ping", 500ms, [&](ipc::Reply reply) {
        r = std::move(reply);
        daemon.stop();
    });
    daemon.io().run_for(2s);
    REQUIRE(r);
    CHECK(r->status == ipc::Reply::Status::closed);
    CHECK(r->error_message.find("kmd is not running") != std::string::npos);
}

TEST_CASE("a request gate refuses RPCs before their handler runs") {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    paths.create_layout();
    Daemon daemon("mgd", paths);
    int ran = 0;
    daemon.register_rpc("guarded", [&ran](const pugi::xml_node&, ipc::Responder r) {
        ++ran;
        pugi::xml_document doc;
        doc.append_child("ok");
        r.reply(doc);
    });
    daemon.on_request([](ipc::Connection&, const pugi::xml_node& request) -> std::optional<std::string> {
        if (std::string_view(request.name()) == "guarded")
            return "permission denied";
        return std::nullopt;
    });
    std::thread runner([&] { daemon.run(); });
    for (int i = 0; i < 200 && !std::filesystem::exists(paths.socket("mgd")); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    {
        ipc::SyncClient client(paths.socket("mgd"), "mgd");
        auto refused = client.call("guarded");
        CHECK(refused.status == ipc::Reply::Status::rpc_error);
        CHECK(refused.error_message == "permission denied");
        CHECK(client.call("ping").ok());
    }
    boost::asio::post(daemon.io(), [&] { daemon.stop(); });
    runner.join();
    CHECK(ran == 0);
}
