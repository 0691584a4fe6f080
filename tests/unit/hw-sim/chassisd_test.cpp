// chassisd in-process: RPCs over its socket, subscribe-pic-state with notifications, the FPC restart
// timer, log lines, saved state, and the refusal of a bad hardware.conf.
#include <doctest/doctest.h>

#include <boost/asio/post.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "msim/common/daemon.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/hwsim/chassisd.hpp"

using namespace msim;
using namespace std::chrono_literals;

namespace {
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-chassisd-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

pugi::xml_document rpc(const std::string& text) {
    pugi::xml_document doc;
    doc.load_string(text.c_str());
    return doc;
}

// Runs a chassisd on its own thread for the lifetime of the object.
struct RunningChassisd {
    RouterPaths paths;
    Daemon daemon;
    std::thread runner;
    explicit RunningChassisd(const std::filesystem::path& dir)
        : paths{"r1", dir / "r1"}, daemon("chassisd", paths) {
        daemon.keep(std::make_shared<hwsim::Chassisd>(daemon, 200ms));
        runner = std::thread([this] { daemon.run(); });
        for (int i = 0; i < 200 && !std::filesystem::exists(paths.socket("chassisd")); ++i)
            std::this_thread::sleep_for(10ms);
    }
    ~RunningChassisd() {
        boost::asio::post(daemon.io(), [this] { daemon.stop(); });
        runner.join();
    }
};

RouterPaths layout(const std::filesystem::path& dir) {
    RouterPaths paths{"r1", dir / "r1"};
    paths.create_layout();
    return paths;
}
}  // namespace

TEST_CASE("chassisd answers, notifies subscribers and restarts FPCs") {
    TempDir dir;
    layout(dir.path);
    RunningChassisd cd(dir.path);
    ipc::SyncClient client(cd.paths.socket("chassisd"), "chassisd");

    auto model = client.call("get-product-model");
    REQUIRE(model.ok());
    CHECK(std::string(model.root().child_value("product-model")) == "m10");

    std::vector<std::string> notes;
    client.on_notification([&](const pugi::xml_node& n) {
        auto pic = n.child("pic-state-change").child("pic");
        notes.push_back(std::string(pic.child_value("fpc-slot")) + "/" + pic.child_value("pic-slot") + " " +
                        pic.child_value("state"));
    });
    auto sub = client.call("subscribe-pic-state");
    REQUIRE(sub.ok());
    CHECK(std::string(sub.root().child("pic-states").child("pic").child_value("interface")) == "fe-0/0/0");
    REQUIRE(client.call("subscribe-pic-state").ok());  // harmless twice

    auto r =
        client.call(rpc("<request-chassis-pic><fpc-slot>0</fpc-slot><pic-slot>1</pic-slot><offline/>"
                        "</request-chassis-pic>"));
    REQUIRE(r.ok());
    CHECK(std::string(r.root().child_value("output")).starts_with("fpc 0 pic 1 offline initiated"));
    client.poll();
    CHECK(notes == std::vector<std::string>{"0/1 offline"});

    auto empty =
        client.call(rpc("<request-chassis-pic><fpc-slot>0</fpc-slot><pic-slot>3</pic-slot><online/>"
                        "</request-chassis-pic>"));
    CHECK(empty.status == ipc::Reply::Status::rpc_error);
    CHECK(empty.error_message == "FPC 0 PIC 3 not present");

    notes.clear();
    REQUIRE(client.call(rpc("<request-chassis-fpc><slot>1</slot><restart/></request-chassis-fpc>")).ok());
    client.poll();
    CHECK(notes == std::vector<std::string>{"1/0 present", "1/1 present"});
    for (int i = 0; i < 100 && notes.size() < 4; ++i) {
        std::this_thread::sleep_for(20ms);
        client.poll();
    }
    CHECK(notes == std::vector<std::string>{"1/0 present", "1/1 present", "1/0 online", "1/1 online"});
    auto fpcs = client.call(rpc("<get-fpc-information/>"));
    REQUIRE(fpcs.ok());
    CHECK(
        std::string(fpcs.root().child("fpc-information").child("fpc").next_sibling().child_value("state")) ==
        "Online");

    const std::string log = slurp(cd.paths.messages_log());
    const auto offline =
        log.find("CHASSISD_FRU_OFFLINE_NOTICE: Taking FPC 0 PIC 1 offline: Offlined by cli command");
    const auto detach = log.find("CHASSISD_IFDEV_DETACH_PIC: ifdev_detach_pic(0/1)");
    CHECK(offline != std::string::npos);
    CHECK(detach > offline);
    CHECK(log.find("CHASSISD_FRU_ONLINE_NOTICE: Taking FPC 1 online: Restarted by cli command") !=
          std::string::npos);
    CHECK(log.find("created interface device for sp-1/0/0") != std::string::npos);

    // The operator's offline PIC is kept for a chassisd started by the same parent (init).
    CHECK(slurp(cd.paths.root / "var/db/chassisd.state").ends_with("\npic 0/1 offline\n"));
}

TEST_CASE("a restarted chassisd takes the saved state back") {
    TempDir dir;
    layout(dir.path);
    {
        RunningChassisd cd(dir.path);
        ipc::SyncClient client(cd.paths.socket("chassisd"), "chassisd");
        REQUIRE(client.call(rpc("<request-chassis-fpc><slot>0</slot><offline/></request-chassis-fpc>")).ok());
    }
    RunningChassisd cd(dir.path);
    ipc::SyncClient client(cd.paths.socket("chassisd"), "chassisd");
    auto fpcs = client.call(rpc("<get-fpc-information><pic-status/></get-fpc-information>"));
    REQUIRE(fpcs.ok());
    auto f0 = fpcs.root().child("fpc-information").child("fpc");
    CHECK(std::string(f0.child_value("state")) == "Offline");
    CHECK(std::string(f0.child("pic").child_value("pic-state")) == "Present");
}

TEST_CASE("a bad hardware.conf stops chassisd with the error in var/log/messages") {
    TempDir dir;
    auto paths = layout(dir.path);
    std::ofstream(paths.hardware_conf()) << "chassis m5\npic 0/0 4x-fe\npic 1/0 es\n";
    Daemon daemon("chassisd", paths);
    CHECK_THROWS_WITH(hwsim::Chassisd{daemon},
                      doctest::Contains("hardware.conf:3: PIC 1/0: FPC slot 1 does not exist on an M5"));
    CHECK(slurp(paths.messages_log())
              .find("CHASSISD_CONFIG_INIT_ERROR: Problems with hardware configuration file: ") !=
          std::string::npos);
}
