// ipsecd end to end over real IPC: a stand-in mgd serves the committed configuration, a stand-in pfed
// carries a real ES PIC model behind the SA RPCs (register_sa_rpcs), and ipsecd installs the manual SA,
// reinstalls it after pfed restarts, and removes it when a commit deletes it.
#include <doctest/doctest.h>
#include <atomic>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <mutex>
#include <thread>

#include "msim/common/daemon.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/xml.hpp"
#include "msim/config/schema.hpp"
#include "msim/ipsec/sa_xml.hpp"
#include "msim/ipsecd/ipsecd.hpp"
#include "msim/pfed/sa_service.hpp"
#include "msim/shell/command_tree.hpp"

using namespace msim;
using namespace std::chrono_literals;

namespace {

const char* const configuration = R"(security {
    ipsec {
        security-association manual-sa1 {
            manual {
                direction bidirectional {
                    protocol esp;
                    spi 2312;
                    authentication {
                        algorithm hmac-md5-96;
                        key ascii-text 1234123412341234;
                    }
                    encryption {
                        algorithm 3des-cbc;
                        key ascii-text 123456789009876543211234;
                    }
                }
            }
        }
    }
}
)";

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-ipsecd-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

struct FakeHost : pfed::SaHost {
    dataplane::EsPic pic{"es-0/1/0"};
    std::atomic<bool> online{true};  // the PIC's state, flipped by tests
    dataplane::EsPic* es_pic(const std::string& name) override { return name == "es-0/1/0" ? &pic : nullptr; }
    std::vector<std::string> es_pics() const override { return {"es-0/1/0"}; }
    bool es_pic_online(const std::string& name) const override { return name == "es-0/1/0" && online; }
    std::vector<pfed::EsUnitBinding> es_bindings() const override {
        return {{"es-0/1/0.0", "es-0/1/0", "manual-sa1", "10.5.5.5", "10.6.6.6", online},
                {"es-0/1/0.1", "es-0/1/0", "sa-dyn", "10.5.5.5", "10.7.7.7", online}};
    }
};

const char* const dynamic_configuration = R"(security {
    ipsec {
        proposal p1 {
            protocol esp;
            authentication-algorithm hmac-sha1-96;
            encryption-algorithm 3des-cbc;
        }
        policy pol1 {
            proposals p1;
        }
        security-association sa-dyn {
            dynamic {
                ipsec-policy pol1;
            }
        }
    }
}
)";

// What kmd hands ipsecd after a quick mode: the inbound and outbound SA of `sa-dyn` (endpoints from the
// es- unit that names it).
pugi::xml_document dynamic_sas(uint32_t spi_in, uint32_t spi_out, uint64_t soft, uint64_t hard) {
    pugi::xml_document req;
    auto install = req.append_child("install-dynamic-sas");
    xml::append_text(install, "owner", "kmd");
    for (auto [direction, spi] :
         {std::pair{ipsec::Direction::inbound, spi_in}, {ipsec::Direction::outbound, spi_out}}) {
        ipsec::SaConfig c;
        c.name = "sa-dyn";
        c.direction = direction;
        c.spi = spi;
        c.cipher = ipsec::Cipher::des3_cbc;
        c.cipher_key = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                        13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
        c.integrity = ipsec::Integrity::hmac_sha1_96;
        c.integrity_key = std::vector<uint8_t>(20, 7);
        c.replay_window = 64;
        c.lifetime.soft_seconds = soft;
        c.lifetime.hard_seconds = hard;
        ipsec::append_sa_config(install, c);
    }
    return req;
}

// A daemon running on its own thread until the object goes.
struct Running {
    std::unique_ptr<Daemon> daemon;
    std::thread thread;
    Running(const std::string& name, const RouterPaths& paths, const std::function<void(Daemon&)>& setup)
        : daemon(std::make_unique<Daemon>(name, paths)) {
        setup(*daemon);
        thread = std::thread([this] { daemon->run(); });
        for (int i = 0; i < 300 && !std::filesystem::exists(paths.socket(name)); ++i) {
            std::this_thread::sleep_for(10ms);
        }
    }
    ~Running() {
        boost::asio::post(daemon->io(), [d = daemon.get()] { d->stop(); });
        thread.join();
    }
};

size_t installed_sas(const RouterPaths& paths) {
    try {
        ipc::SyncClient pfed(paths.socket("pfed"), "pfed");
        auto reply = pfed.call("get-sa-states");
        size_t n = 0;
        for (auto pic : reply.root().child("sa-states").children("pic-sas")) {
            for ([[maybe_unused]] auto st : pic.children("sa-state")) {
                ++n;
            }
        }
        return n;
    } catch (const std::exception&) {
        return 0;
    }
}

bool wait_for_sas(const RouterPaths& paths, size_t n) {
    for (int i = 0; i < 100; ++i) {
        if (installed_sas(paths) == n) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

}  // namespace

TEST_CASE("ipsecd installs manual SAs into the ES PIC, survives pfed restarting, follows commits") {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    paths.create_layout();
    Running mgd("mgd", paths, [](Daemon& d) {
        d.register_rpc("get-owned-configuration", [](const pugi::xml_node&, ipc::Responder r) {
            pugi::xml_document doc;
            xml::append_text(doc.append_child("configuration-text"), "configuration-output", configuration);
            r.reply(doc);
        });
    });
    auto host = std::make_unique<FakeHost>();
    auto pfed =
        std::make_unique<Running>("pfed", paths, [&](Daemon& d) { pfed::register_sa_rpcs(d, *host); });
    Running ipsecd("ipsecd", paths, [](Daemon& d) {
        auto m = std::make_shared<ipsecd::Ipsecd>(d, config::Schema::load(MSIM_YANG_DIR));
        m->start();
        d.keep(m);
    });
    REQUIRE(wait_for_sas(paths, 2));  // inbound and outbound of the bidirectional SA

    {
        ipc::SyncClient client(paths.socket("ipsecd"), "ipsecd");
        auto show = client.call("get-security-associations-information");
        REQUIRE(show.ok());
        auto block = show.root()
                         .child("ipsec-security-associations-information")
                         .child("ipsec-security-associations-block");
        CHECK(std::string(block.child_value("sa-name")) == "manual-sa1");
        CHECK(std::string(block.child_value("sa-block-state")) == "up");
        int directions = 0;
        for (auto sa : block.children("ipsec-security-associations")) {
            ++directions;
            CHECK(std::string(sa.child_value("sa-spi")) == "2312");
            CHECK(std::string(sa.child_value("sa-pic")) == "es-0/1/0");
        }
        CHECK(directions == 2);

        // The CLI's renderers: brief (the ES PIC table) and detail.
        auto tree = shell::make_operational_tree();
        auto brief = tree.match({"show", "ipsec", "security-associations"});
        REQUIRE(brief.command);
        const std::string text = brief.command->render(show.root());
        CHECK(text.find("Security association: manual-sa1, Interface family: Up") != std::string::npos);
        CHECK(text.find("  Local gateway: 10.5.5.5, Remote gateway: 10.6.6.6") != std::string::npos);
        CHECK(text.find("    Direction SPI         AUX-SPI     Mode       Type     Protocol") !=
              std::string::npos);
        CHECK(text.find("    inbound   2312        0           tunnel     manual   ESP") !=
              std::string::npos);
        pugi::xml_document req;
        auto detail = tree.match({"show", "ipsec", "security-associations", "detail", "manual-sa1"});
        REQUIRE(detail.command);
        auto r = req.append_child(detail.command->rpc.c_str());
        CHECK(detail.command->fill(r, detail.args).empty());
        auto show_detail = client.call(req);
        REQUIRE(show_detail.ok());
        const std::string dtext = detail.command->render(show_detail.root());
        CHECK(dtext.find("    Protocol: ESP, Authentication: hmac-md5-96, Encryption: 3des-cbc") !=
              std::string::npos);
        CHECK(dtext.find("    Anti-replay service: Disabled") != std::string::npos);
        CHECK(dtext.find("    Packets encrypted: 0, Bytes encrypted: 0") != std::string::npos);
        CHECK(dtext.find("    Bad SPI on this PIC: 0") != std::string::npos);
    }

    // pfed restarts with an empty ES PIC: ipsecd notices the new epoch and installs again.
    pfed.reset();
    host = std::make_unique<FakeHost>();
    pfed = std::make_unique<Running>("pfed", paths, [&](Daemon& d) { pfed::register_sa_rpcs(d, *host); });
    CHECK(wait_for_sas(paths, 2));

    // A commit deleting the SA removes it from the PIC.
    {
        ipc::SyncClient client(paths.socket("ipsecd"), "ipsecd");
        pugi::xml_document req;
        auto change = req.append_child("apply-configuration")
                          .append_child("configuration-changes")
                          .append_child("change");
        change.append_attribute("operation").set_value("delete");
        xml::append_text(change, "path", "security ipsec security-association manual-sa1");
        xml::append_text(
            change, "configuration",
            "security {\n    ipsec {\n        security-association manual-sa1 {\n            manual {\n"
            "                direction bidirectional {\n                    protocol esp;\n"
            "                    spi 2312;\n                }\n            }\n        }\n    }\n}\n");
        CHECK(client.call(req).ok());
    }
    CHECK(wait_for_sas(paths, 0));
}

TEST_CASE(
    "dynamic SAs from kmd: installed on the PIC that names them, expiry told to kmd, kept across restarts") {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    paths.create_layout();
    Running mgd("mgd", paths, [](Daemon& d) {
        d.register_rpc("get-owned-configuration", [](const pugi::xml_node&, ipc::Responder r) {
            pugi::xml_document doc;
            xml::append_text(doc.append_child("configuration-text"), "configuration-output",
                             dynamic_configuration);
            r.reply(doc);
        });
    });
    std::vector<std::string> notices;
    std::mutex notices_mutex;
    Running kmd("kmd", paths, [&](Daemon& d) {
        d.register_rpc("sa-expiry-notice", [&](const pugi::xml_node& n, ipc::Responder r) {
            std::lock_guard lock(notices_mutex);
            notices.push_back(std::string(n.child_value("sa-name")) + " " +
                              n.child("sa-key").child_value("spi") + " " + n.child_value("kind"));
            r.reply_ok();
        });
        d.register_rpc("sa-pic-offline", [&](const pugi::xml_node& n, ipc::Responder r) {
            std::lock_guard lock(notices_mutex);
            notices.push_back(std::string("pic-offline ") + n.child_value("sa-name"));
            r.reply_ok();
        });
        d.register_rpc("sa-cleared", [&](const pugi::xml_node& n, ipc::Responder r) {
            std::lock_guard lock(notices_mutex);
            notices.push_back(std::string("cleared ") + n.child_value("sa-name"));
            r.reply_ok();
        });
    });
    auto host = std::make_unique<FakeHost>();
    auto pfed =
        std::make_unique<Running>("pfed", paths, [&](Daemon& d) { pfed::register_sa_rpcs(d, *host); });
    auto start_ipsecd = [&] {
        return std::make_unique<Running>("ipsecd", paths, [](Daemon& d) {
            auto m = std::make_shared<ipsecd::Ipsecd>(d, config::Schema::load(MSIM_YANG_DIR));
            m->start();
            d.keep(m);
        });
    };
    auto ipsecd = start_ipsecd();
    // ipsecd needs its configuration and pfed's bindings before it accepts SAs for sa-dyn.
    bool accepted = false;
    for (int i = 0; i < 100 && !accepted; ++i) {
        ipc::SyncClient client(paths.socket("ipsecd"), "ipsecd");
        accepted = client.call(dynamic_sas(5000, 6000, 1, 2)).ok();
        if (!accepted)
            std::this_thread::sleep_for(50ms);
    }
    REQUIRE(accepted);
    CHECK(wait_for_sas(paths, 2));
    // Soft, then hard lifetimes reach kmd; hard-expired SAs leave the PIC.
    for (int i = 0; i < 100; ++i) {
        {
            std::lock_guard lock(notices_mutex);
            if (notices.size() >= 4)
                break;
        }
        std::this_thread::sleep_for(50ms);
    }
    {
        std::lock_guard lock(notices_mutex);
        CHECK(std::find(notices.begin(), notices.end(), "sa-dyn 5000 soft") != notices.end());
        CHECK(std::find(notices.begin(), notices.end(), "sa-dyn 6000 hard") != notices.end());
    }
    CHECK(wait_for_sas(paths, 0));

    // A pair with long lifetimes survives ipsecd and pfed restarting (ipsecd's database on disk).
    {
        ipc::SyncClient client(paths.socket("ipsecd"), "ipsecd");
        REQUIRE(client.call(dynamic_sas(5001, 6001, 3000, 3600)).ok());
    }
    CHECK(wait_for_sas(paths, 2));
    ipsecd.reset();
    pfed.reset();
    host = std::make_unique<FakeHost>();
    pfed = std::make_unique<Running>("pfed", paths, [&](Daemon& d) { pfed::register_sa_rpcs(d, *host); });
    ipsecd = start_ipsecd();
    CHECK(wait_for_sas(paths, 2));
    {
        ipc::SyncClient client(paths.socket("ipsecd"), "ipsecd");
        auto show = client.call("get-security-associations-information");
        REQUIRE(show.ok());
        auto block = show.root()
                         .child("ipsec-security-associations-information")
                         .child("ipsec-security-associations-block");
        CHECK(std::string(block.child_value("sa-type")) == "dynamic");
        CHECK(std::string(block.child_value("sa-block-state")) == "up");
        // kmd deletes them (a rekey's old SAs, or a delete payload from the peer).
        pugi::xml_document del;
        auto d = del.append_child("delete-dynamic-sas");
        ipsec::append_sa_key(d, ipsec::SaKey{ipsec::Direction::inbound, ipsec::Protocol::esp, 5001, 0});
        ipsec::append_sa_key(d, ipsec::SaKey{ipsec::Direction::outbound, ipsec::Protocol::esp, 6001, 0});
        auto reply = client.call(del);
        REQUIRE(reply.ok());
        CHECK(std::string(reply.root().child_value("deleted")) == "2");
    }
    CHECK(wait_for_sas(paths, 0));

    // clear ipsec security-associations: dynamic SAs are deleted and kmd is told; an unknown name is an
    // error.
    {
        ipc::SyncClient client(paths.socket("ipsecd"), "ipsecd");
        REQUIRE(client.call(dynamic_sas(5003, 6003, 3000, 3600)).ok());
        REQUIRE(wait_for_sas(paths, 2));
        pugi::xml_document bad;
        xml::append_text(bad.append_child("clear-ipsec-security-associations"), "sa-name", "nope");
        auto reply = client.call(bad);
        CHECK_FALSE(reply.ok());
        CHECK(reply.error_message.find("security association nope does not exist") != std::string::npos);
        pugi::xml_document clear;
        xml::append_text(clear.append_child("clear-ipsec-security-associations"), "sa-name", "sa-dyn");
        CHECK(client.call(clear).ok());
    }
    CHECK(wait_for_sas(paths, 0));
    {
        std::lock_guard lock(notices_mutex);
        CHECK(std::find(notices.begin(), notices.end(), "cleared sa-dyn") != notices.end());
    }

    // The PIC goes offline: its dynamic SAs are gone for good and kmd is told, to negotiate afresh; they do
    // not come back with the PIC.
    {
        ipc::SyncClient client(paths.socket("ipsecd"), "ipsecd");
        REQUIRE(client.call(dynamic_sas(5002, 6002, 3000, 3600)).ok());
    }
    CHECK(wait_for_sas(paths, 2));
    host->online = false;
    bool told = false;
    for (int i = 0; i < 100 && !told; ++i) {
        {
            std::lock_guard lock(notices_mutex);
            told = std::find(notices.begin(), notices.end(), "pic-offline sa-dyn") != notices.end();
        }
        std::this_thread::sleep_for(50ms);
    }
    CHECK(told);
    CHECK(wait_for_sas(paths, 0));
    host->online = true;
    std::this_thread::sleep_for(1500ms);  // more than a poll of pfed's bindings
    CHECK(installed_sas(paths) == 0);
}
