// kmd end to end over real IPC, two routers in one process: per router a stand-in mgd (the committed
// configuration), a stand-in pfed (es- bindings, subscribe-ike, IKE packet frames relayed to the other
// router's subscriber as packet frames; sa-acquire sent by the test) and a stand-in ipsecd (allocate-spi,
// install-dynamic-sas and delete-dynamic-sas recorded), and the real kmd. Gateway a initiates on an acquire,
// b responds; both hand matching SAs to their ipsecd.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "msim/common/daemon.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/xml.hpp"
#include "msim/config/owned_configuration.hpp"
#include "msim/config/schema.hpp"
#include "msim/config/tree.hpp"
#include "msim/ipsec/sa_xml.hpp"
#include "msim/kmd/daemon_config.hpp"
#include "msim/kmd/kmd_daemon.hpp"
#include "msim/kmd/trace_file.hpp"
#include "msim/shell/command_tree.hpp"

using namespace msim;
using namespace std::chrono_literals;

namespace {

std::string gateway_config(const std::string& peer, const std::string& local_net,
                           const std::string& remote_net, const std::string& psk,
                           const std::string& extra = "") {
    return R"(security {
    ike {
        proposal ike-prop {
            authentication-method pre-shared-keys;
            dh-group group2;
            authentication-algorithm sha1;
            encryption-algorithm 3des-cbc;
        }
        policy )" +
           peer + R"( {
            mode main;
            proposals ike-prop;
            pre-shared-key ascii-text )" +
           psk + R"(;
        }
    }
    ipsec {
        proposal esp-prop {
            protocol esp;
            authentication-algorithm hmac-sha1-96;
            encryption-algorithm 3des-cbc;
        }
        policy ipsec-pol {
            perfect-forward-secrecy {
                keys group2;
            }
            proposals esp-prop;
        }
        security-association sa-dyn {
            dynamic {
                replay-window-size 64;
                ipsec-policy ipsec-pol;
            }
        }
    }
)" + extra +
           R"(}
firewall {
    filter ipsec-encrypt-policy-filter {
        term term1 {
            from {
                source-address {
                    )" +
           local_net + R"(;
                }
                destination-address {
                    )" +
           remote_net + R"(;
                }
            }
            then ipsec-sa sa-dyn;
        }
        term default {
            then accept;
        }
    }
}
)";
}

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-kmd-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

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

// What a stand-in pfed knows: its subscribers (touched on its own thread only) and its router's link.
struct PfedState {
    Daemon* daemon = nullptr;
    std::vector<std::weak_ptr<ipc::Connection>> subscribers;
    std::atomic<int> subscriptions{0};
    std::atomic<int> sent{0};
    bool drop_all = false;  // the wire is cut
    int nat_offset = 0;     // a NAT in front of this router maps its UDP ports to port + nat_offset
    PfedState* other = nullptr;

    // Sends a notification to every subscriber (on this pfed's thread).
    void notify(std::shared_ptr<pugi::xml_document> doc) {
        boost::asio::post(daemon->io(), [this, doc] {
            for (auto& w : subscribers) {
                if (auto c = w.lock()) {
                    c->notify(doc->document_element());
                }
            }
        });
    }
    // Gives every subscriber an IKE datagram from `remote`:`remote_port` to `local`:`local_port`, as pfed
    // does: a packet frame on the IKE channel (on this pfed's thread).
    void deliver(const std::string& local, std::uint16_t local_port, const std::string& remote,
                 std::uint16_t remote_port, std::vector<std::uint8_t> data) {
        ipc::PacketMeta meta;
        meta.channel = static_cast<std::uint16_t>(ipc::PacketChannel::ike);
        meta.source_address = *ipsec::parse_ipv4(remote);
        meta.destination_address = *ipsec::parse_ipv4(local);
        meta.source_port = remote_port;
        meta.destination_port = local_port;
        boost::asio::post(daemon->io(), [this, meta, data = std::move(data)] {
            for (auto& w : subscribers) {
                if (auto c = w.lock()) {
                    c->send_packet(meta, data);
                }
            }
        });
    }
};

struct IpsecdState {
    std::mutex mutex;
    std::vector<ipsec::SaConfig> installed;
    std::vector<ipsec::SaKey> deleted;
    std::uint32_t next_spi;
    explicit IpsecdState(std::uint32_t first) : next_spi(first) {}
    size_t installs() {
        std::lock_guard lock(mutex);
        return installed.size();
    }
};

struct Router {
    TempDir dir;
    RouterPaths paths;
    std::string config;
    PfedState pfed_state;
    IpsecdState ipsecd_state;
    std::atomic<long long> clock_offset_s{0};  // kmd's clock runs this far ahead (lifetimes)
    std::unique_ptr<Running> mgd, pfed, ipsecd, kmd;

    Router(const std::string& name, std::string config_text, const std::string& source,
           const std::string& destination, std::uint32_t first_spi)
        : paths{name, dir.path / name}, config(std::move(config_text)), ipsecd_state(first_spi) {
        paths.create_layout();
        mgd = std::make_unique<Running>("mgd", paths, [this](Daemon& d) {
            d.register_rpc("get-owned-configuration", [this](const pugi::xml_node&, ipc::Responder r) {
                pugi::xml_document doc;
                xml::append_text(doc.append_child("configuration-text"), "configuration-output", config);
                r.reply(doc);
            });
        });
        pfed = std::make_unique<Running>("pfed", paths, [this, source, destination](Daemon& d) {
            pfed_state.daemon = &d;
            d.register_rpc("get-es-bindings", [source, destination](const pugi::xml_node&, ipc::Responder r) {
                pugi::xml_document doc;
                auto root = doc.append_child("es-bindings");
                xml::append_text(root, "epoch", "1");
                auto b = root.append_child("binding");
                xml::append_text(b, "unit", "es-0/1/0.0");
                xml::append_text(b, "pic", "es-0/1/0");
                xml::append_text(b, "ipsec-sa", "sa-dyn");
                xml::append_text(b, "source", source);
                xml::append_text(b, "destination", destination);
                b.append_child("online");
                r.reply(doc);
            });
            d.register_session_rpc("subscribe-ike",
                                   [this](ipc::Connection& conn, const pugi::xml_node&, ipc::Responder r) {
                                       pfed_state.subscribers.push_back(conn.shared_from_this());
                                       ++pfed_state.subscriptions;
                                       r.reply_ok();
                                   });
            // kmd's datagrams: packet frames on the IKE channel, relayed across the "wire" to the other
            // router's subscribers (with this router's NAT, if any, applied to the source port).
            d.on_packet(
                [this](ipc::Connection&, const ipc::PacketMeta& meta, std::span<const std::uint8_t> bytes) {
                    if (meta.channel != static_cast<std::uint16_t>(ipc::PacketChannel::ike)) {
                        return;
                    }
                    ++pfed_state.sent;
                    if (!pfed_state.drop_all && pfed_state.other) {
                        ipc::PacketMeta in;
                        in.channel = meta.channel;
                        in.source_address = meta.source_address;
                        in.destination_address = meta.destination_address;
                        in.source_port = static_cast<std::uint16_t>(meta.source_port + pfed_state.nat_offset);
                        in.destination_port =
                            static_cast<std::uint16_t>(meta.destination_port - pfed_state.other->nat_offset);
                        PfedState* other = pfed_state.other;
                        std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
                        boost::asio::post(other->daemon->io(), [other, in, data = std::move(data)] {
                            for (auto& w : other->subscribers) {
                                if (auto c = w.lock()) {
                                    c->send_packet(in, data);
                                }
                            }
                        });
                    }
                });
        });
        ipsecd = std::make_unique<Running>("ipsecd", paths, [this](Daemon& d) {
            d.register_rpc("allocate-spi", [this](const pugi::xml_node& req, ipc::Responder r) {
                if (std::string(req.child_value("sa-name")) != "sa-dyn") {
                    r.error("no online es- interface names security association " +
                            std::string(req.child_value("sa-name")));
                    return;
                }
                std::lock_guard lock(ipsecd_state.mutex);
                pugi::xml_document doc;
                xml::append_text(doc, "spi", std::to_string(ipsecd_state.next_spi++));
                r.reply(doc);
            });
            d.register_rpc("install-dynamic-sas", [this](const pugi::xml_node& req, ipc::Responder r) {
                std::lock_guard lock(ipsecd_state.mutex);
                if (std::string(req.child_value("owner")) != "kmd") {
                    r.error("no owner");
                    return;
                }
                for (auto sa : req.children("sa")) {
                    std::string error;
                    auto c = ipsec::parse_sa_config(sa, error);
                    if (!c) {
                        r.error("bad SA: " + error);
                        return;
                    }
                    ipsecd_state.installed.push_back(*c);
                }
                r.reply_ok();
            });
            d.register_rpc("delete-dynamic-sas", [this](const pugi::xml_node& req, ipc::Responder r) {
                std::lock_guard lock(ipsecd_state.mutex);
                for (auto k : req.children("sa-key")) {
                    std::string error;
                    if (auto key = ipsec::parse_sa_key(k, error)) {
                        ipsecd_state.deleted.push_back(*key);
                    }
                }
                pugi::xml_document doc;
                xml::append_text(doc, "deleted", "1");
                r.reply(doc);
            });
        });
    }

    void start_kmd() {
        kmd = std::make_unique<Running>("kmd", paths, [this](Daemon& d) {
            auto k = std::make_shared<kmd::Kmd>(d, config::Schema::load(MSIM_YANG_DIR), [this] {
                return std::chrono::steady_clock::now() + std::chrono::seconds(clock_offset_s.load());
            });
            k->start();
            d.keep(k);
        });
    }

    void acquire() {
        auto doc = std::make_shared<pugi::xml_document>();
        auto a = doc->append_child("sa-acquire");
        xml::append_text(a, "sa-name", "sa-dyn");
        xml::append_text(a, "pic", "es-0/1/0");
        xml::append_text(a, "source", "10.1.1.10");
        xml::append_text(a, "destination", "10.2.2.10");
        xml::append_text(a, "protocol", "1");
        pfed_state.notify(doc);
    }

    ipc::Reply kmd_call(const pugi::xml_document& req) {
        ipc::SyncClient client(paths.socket("kmd"), "kmd");
        return client.call(req);
    }

    std::string messages() const {
        std::ifstream in(paths.messages_log());
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
};

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = 10000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (f())
            return true;
        std::this_thread::sleep_for(50ms);
    }
    return f();
}

pugi::xml_document show_request(bool detail, const std::string& peer = {}) {
    pugi::xml_document req;
    auto s = req.append_child("get-ike-security-associations-information");
    if (detail)
        s.append_child("detail");
    if (!peer.empty())
        xml::append_text(s, "peer-address", peer);
    return req;
}

// The IKE SA blocks of `show ike security-associations` (brief).
std::vector<std::pair<std::string, std::string>> ike_sas(Router& r) {  // (state, initiator cookie)
    std::vector<std::pair<std::string, std::string>> out;
    auto show = r.kmd_call(show_request(false));
    for (auto b : show.root()
                      .child("ike-security-associations-information")
                      .children("ike-security-associations-block")) {
        out.emplace_back(b.child_value("ike-sa-state"), b.child_value("ike-sa-initiator-cookie"));
    }
    return out;
}

void link(Router& a, Router& b) {
    a.pfed_state.other = &b.pfed_state;
    b.pfed_state.other = &a.pfed_state;
}

const ipsec::SaConfig* find_sa(IpsecdState& s, ipsec::Direction d, size_t nth = 0) {
    for (const auto& c : s.installed) {
        if (c.direction == d && nth-- == 0) {
            return &c;
        }
    }
    return nullptr;
}

}  // namespace

TEST_CASE("kmd negotiates a dynamic SA between two gateways and hands it to ipsecd") {
    const std::string trace = R"(    traceoptions {
        file kmd-trace size 20k;
        flag ike;
        flag database;
    }
)";
    Router a("gateway-a", gateway_config("10.6.6.6", "10.1.1.0/24", "10.2.2.0/24", "shared-secret", trace),
             "10.5.5.5", "10.6.6.6", 1000);
    Router b("gateway-b", gateway_config("10.5.5.5", "10.2.2.0/24", "10.1.1.0/24", "shared-secret"),
             "10.6.6.6", "10.5.5.5", 5000);
    link(a, b);
    a.start_kmd();
    b.start_kmd();
    REQUIRE(eventually([&] { return a.pfed_state.subscriptions > 0 && b.pfed_state.subscriptions > 0; }));

    // pfed sends an acquire at most once a second while traffic waits: so does this test.
    const bool up = eventually(
        [&] {
            if (a.ipsecd_state.installs() >= 2 && b.ipsecd_state.installs() >= 2)
                return true;
            a.acquire();
            std::this_thread::sleep_for(500ms);
            return false;
        },
        15000ms);
    if (!up) {
        MESSAGE("gateway-a: " << a.messages() << "\ngateway-b: " << b.messages());
    }
    REQUIRE(up);

    {
        std::lock_guard la(a.ipsecd_state.mutex), lb(b.ipsecd_state.mutex);
        CHECK(a.ipsecd_state.installed.size() == 2);
        CHECK(b.ipsecd_state.installed.size() == 2);
        auto* a_out = find_sa(a.ipsecd_state, ipsec::Direction::outbound);
        auto* a_in = find_sa(a.ipsecd_state, ipsec::Direction::inbound);
        auto* b_out = find_sa(b.ipsecd_state, ipsec::Direction::outbound);
        auto* b_in = find_sa(b.ipsecd_state, ipsec::Direction::inbound);
        REQUIRE(a_out);
        REQUIRE(a_in);
        REQUIRE(b_out);
        REQUIRE(b_in);
        // SPIs come from each side's ipsecd (allocate-spi); what a sends with, b receives with.
        CHECK(a_in->spi >= 1000);
        CHECK(a_in->spi < 5000);
        CHECK(b_in->spi >= 5000);
        CHECK(a_out->spi == b_in->spi);
        CHECK(b_out->spi == a_in->spi);
        CHECK(a_out->cipher_key == b_in->cipher_key);
        CHECK(a_out->integrity_key == b_in->integrity_key);
        CHECK(b_out->cipher_key == a_in->cipher_key);
        CHECK(a_out->cipher_key != a_in->cipher_key);
        CHECK(a_out->cipher == ipsec::Cipher::des3_cbc);
        CHECK(a_out->integrity == ipsec::Integrity::hmac_sha1_96);
        CHECK(a_out->cipher_key.size() == 24);
        CHECK(a_out->integrity_key.size() == 20);
        CHECK(a_out->name == "sa-dyn");
        CHECK(b_in->name == "sa-dyn");
        CHECK(a_out->replay_window == 64);
        CHECK(a_out->destination == 0);  // the es- unit's endpoints
        CHECK(!a_out->udp_encapsulation);
        CHECK(a_out->lifetime.hard_seconds == 28800);
        // The initiator's soft lifetime comes first: it rekeys, the responder does not race it.
        CHECK(a_out->lifetime.soft_seconds < b_out->lifetime.soft_seconds);
        CHECK(b_out->lifetime.soft_seconds < b_out->lifetime.hard_seconds);
    }

    // show ike security-associations on both sides.
    auto show_a = a.kmd_call(show_request(true));
    REQUIRE(show_a.ok());
    auto block =
        show_a.root().child("ike-security-associations-information").child("ike-security-associations-block");
    CHECK(std::string(block.child_value("ike-sa-remote-address")) == "10.6.6.6");
    CHECK(std::string(block.child_value("ike-sa-state")) == "Matured");
    CHECK(std::string(block.child_value("ike-sa-exchange-type")) == "Main");
    CHECK(std::string(block.child_value("ike-sa-role")) == "Initiator");
    CHECK(std::string(block.child_value("ike-sa-encryption-algorithm")) == "3des-cbc");
    CHECK(std::string(block.child_value("ike-sa-authentication-algorithm")) == "sha1");
    CHECK(std::string(block.child_value("ike-sa-dhgroup")) == "DH-group-2");
    CHECK(std::string(block.child_value("ike-sa-ipsec-sas-created")) == "1");
    CHECK(std::string(block.child_value("ike-sa-initiator-cookie")).size() == 16);
    auto show_b = b.kmd_call(show_request(false, "10.5.5.5"));
    REQUIRE(show_b.ok());
    auto block_b =
        show_b.root().child("ike-security-associations-information").child("ike-security-associations-block");
    CHECK(std::string(block_b.child_value("ike-sa-state")) == "Matured");
    CHECK(std::string(block_b.child_value("ike-sa-initiator-cookie")) ==
          std::string(block.child_value("ike-sa-initiator-cookie")));
    // The CLI's renderers (Junos ES PIC layout).
    {
        auto tree = shell::make_operational_tree();
        auto detail = tree.match({"show", "ike", "security-associations", "detail"});
        REQUIRE(detail.command);
        const std::string text = detail.command->render(show_a.root());
        CHECK(text.find("IKE peer 10.6.6.6\n  Role: Initiator, State: Matured\n") != std::string::npos);
        CHECK(text.find("  Exchange type: Main, Authentication method: Pre-shared-keys\n") !=
              std::string::npos);
        CHECK(text.find("  Local: 10.5.5.5:500, Remote: 10.6.6.6:500\n") != std::string::npos);
        CHECK(text.find("  Algorithms:\n   Authentication        : sha1\n   Encryption            : 3des-cbc\n"
                        "   Pseudo random function: hmac-sha1\n  Traffic statistics:\n") != std::string::npos);
        CHECK(text.find("  IPSec security associations: 1 created, 0 deleted\n") != std::string::npos);
        auto brief = tree.match({"show", "ike", "security-associations"});
        REQUIRE(brief.command);
        const std::string table = brief.command->render(show_b.root());
        CHECK(table.find("Remote Address  State         Initiator cookie  Responder cookie  Exchange type\n"
                         "10.5.5.5        Matured       ") == 0);
        CHECK(table.find(" Main\n") != std::string::npos);
    }
    auto none = b.kmd_call(show_request(false, "10.9.9.9"));
    REQUIRE(none.ok());
    CHECK(
        !none.root().child("ike-security-associations-information").child("ike-security-associations-block"));

    // var/log/messages: the tunnel is up on both sides.
    CHECK(a.messages().find("KMD_VPN_UP_ALARM_USER: VPN sa-dyn from 10.6.6.6 is up") != std::string::npos);
    CHECK(b.messages().find("KMD_VPN_UP_ALARM_USER: VPN sa-dyn from 10.5.5.5 is up") != std::string::npos);
    // traceoptions flag ike: the library's events in var/log/kmd-trace.
    std::ifstream tracefile(a.paths.log_dir() / "kmd-trace");
    std::stringstream traced;
    traced << tracefile.rdbuf();
    CHECK(traced.str().find("ike: ike-sa-up peer 10.6.6.6") != std::string::npos);
    CHECK(traced.str().find("database: IPsec SA sa-dyn installed") != std::string::npos);

    // A soft lifetime on a's SA: a new quick mode over the same IKE SA (rekey), the new SAs installed.
    {
        pugi::xml_document req;
        auto n = req.append_child("sa-expiry-notice");
        xml::append_text(n, "sa-name", "sa-dyn");
        ipsec::SaKey key;
        {
            std::lock_guard la(a.ipsecd_state.mutex);
            key = ipsec::key_of(*find_sa(a.ipsecd_state, ipsec::Direction::outbound));
        }
        ipsec::append_sa_key(n, key);
        xml::append_text(n, "kind", "soft");
        REQUIRE(a.kmd_call(req).ok());
    }
    REQUIRE(eventually([&] { return a.ipsecd_state.installs() >= 4 && b.ipsecd_state.installs() >= 4; }));
    {
        std::lock_guard la(a.ipsecd_state.mutex), lb(b.ipsecd_state.mutex);
        auto* a_out2 = find_sa(a.ipsecd_state, ipsec::Direction::outbound, 1);
        auto* b_in2 = find_sa(b.ipsecd_state, ipsec::Direction::inbound, 1);
        REQUIRE(a_out2);
        REQUIRE(b_in2);
        CHECK(a_out2->spi == b_in2->spi);
        CHECK(a_out2->spi != find_sa(a.ipsecd_state, ipsec::Direction::outbound)->spi);
        CHECK(a_out2->cipher_key == b_in2->cipher_key);
    }
    auto show_again = a.kmd_call(show_request(true));
    auto block2 = show_again.root()
                      .child("ike-security-associations-information")
                      .child("ike-security-associations-block");
    CHECK(std::string(block2.child_value("ike-sa-ipsec-sas-created")) == "2");

    // clear ike security-associations: the IKE SA goes on both sides (a tells b), the IPsec SAs stay.
    {
        pugi::xml_document req;
        req.append_child("clear-ike-security-associations");
        REQUIRE(a.kmd_call(req).ok());
    }
    CHECK(eventually([&] {
        auto s = b.kmd_call(show_request(false));
        return s.ok() && !s.root()
                              .child("ike-security-associations-information")
                              .child("ike-security-associations-block");
    }));
    auto cleared = a.kmd_call(show_request(false));
    CHECK(!cleared.root()
               .child("ike-security-associations-information")
               .child("ike-security-associations-block"));

    // The peer deletes its SAs (PIC offline on b): b tells a, a asks its ipsecd to delete them.
    {
        // A new IKE SA first (the old one was cleared): the next acquire... is not needed, the rekey
        // path is covered; sa-pic-offline without an IKE SA just drops local state.
        pugi::xml_document req;
        auto n = req.append_child("sa-pic-offline");
        xml::append_text(n, "sa-name", "sa-dyn");
        REQUIRE(b.kmd_call(req).ok());
        CHECK(eventually([&] {
            std::lock_guard lb(b.ipsecd_state.mutex);
            return b.ipsecd_state.deleted.size() >= 4;  // two children, two directions each
        }));
    }
    CHECK(b.messages().find("KMD_VPN_DOWN_ALARM_USER: VPN sa-dyn from 10.5.5.5 is down") !=
          std::string::npos);
}

TEST_CASE("a NAT in front of the initiator: IKE moves to UDP 4500, the SAs are UDP-encapsulated") {
    Router a("gateway-a", gateway_config("10.6.6.6", "10.1.1.0/24", "10.2.2.0/24", "shared-secret"),
             "10.5.5.5", "10.6.6.6", 1000);
    Router b("gateway-b", gateway_config("10.5.5.5", "10.2.2.0/24", "10.1.1.0/24", "shared-secret"),
             "10.6.6.6", "10.5.5.5", 5000);
    a.pfed_state.nat_offset = 1000;  // b sees a's port 500 as 1500 and 4500 as 5500
    link(a, b);
    a.start_kmd();
    b.start_kmd();
    REQUIRE(eventually([&] { return a.pfed_state.subscriptions > 0 && b.pfed_state.subscriptions > 0; }));
    const bool up = eventually(
        [&] {
            if (a.ipsecd_state.installs() >= 2 && b.ipsecd_state.installs() >= 2)
                return true;
            a.acquire();
            std::this_thread::sleep_for(500ms);
            return false;
        },
        15000ms);
    if (!up) {
        MESSAGE("gateway-a: " << a.messages() << "\ngateway-b: " << b.messages());
    }
    REQUIRE(up);
    std::lock_guard la(a.ipsecd_state.mutex), lb(b.ipsecd_state.mutex);
    auto* a_out = find_sa(a.ipsecd_state, ipsec::Direction::outbound);
    auto* b_out = find_sa(b.ipsecd_state, ipsec::Direction::outbound);
    auto* b_in = find_sa(b.ipsecd_state, ipsec::Direction::inbound);
    REQUIRE(a_out);
    REQUIRE(b_out);
    REQUIRE(b_in);
    REQUIRE(a_out->udp_encapsulation);
    CHECK(a_out->udp_encapsulation->source_port == 4500);
    CHECK(a_out->udp_encapsulation->destination_port == 4500);
    CHECK(a_out->source == *ipsec::parse_ipv4("10.5.5.5"));
    CHECK(a_out->destination == *ipsec::parse_ipv4("10.6.6.6"));
    // b sends to the port the NAT showed it, and expects ESP from there.
    REQUIRE(b_out->udp_encapsulation);
    CHECK(b_out->udp_encapsulation->source_port == 4500);
    CHECK(b_out->udp_encapsulation->destination_port == 5500);
    REQUIRE(b_in->udp_encapsulation);
    CHECK(b_in->udp_encapsulation->source_port == 5500);
    CHECK(b_in->udp_encapsulation->destination_port == 4500);
    CHECK(a_out->spi == b_in->spi);
    CHECK(a_out->cipher_key == b_in->cipher_key);
}

TEST_CASE("a wrong pre-shared key: both sides fail, AUTHENTICATION-FAILED is logged, no SA") {
    Router a("gateway-a", gateway_config("10.6.6.6", "10.1.1.0/24", "10.2.2.0/24", "shared-secret"),
             "10.5.5.5", "10.6.6.6", 1000);
    Router b("gateway-b", gateway_config("10.5.5.5", "10.2.2.0/24", "10.1.1.0/24", "another-secret"),
             "10.6.6.6", "10.5.5.5", 5000);
    link(a, b);
    a.start_kmd();
    b.start_kmd();
    REQUIRE(eventually([&] { return a.pfed_state.subscriptions > 0 && b.pfed_state.subscriptions > 0; }));
    const bool failed = eventually([&] {
        if (b.messages().find("AUTHENTICATION-FAILED") != std::string::npos)
            return true;
        a.acquire();
        std::this_thread::sleep_for(500ms);
        return false;
    });
    if (!failed) {
        MESSAGE("gateway-a: " << a.messages() << "\ngateway-b: " << b.messages());
    }
    REQUIRE(failed);
    CHECK(eventually([&] { return a.messages().find("AUTHENTICATION-FAILED") != std::string::npos; }));
    std::this_thread::sleep_for(500ms);
    CHECK(a.ipsecd_state.installs() == 0);
    CHECK(b.ipsecd_state.installs() == 0);
    auto show = a.kmd_call(show_request(false));
    REQUIRE(show.ok());
    CHECK(
        !show.root().child("ike-security-associations-information").child("ike-security-associations-block"));
    // Garbage and a foreign first message never hurt kmd: it still answers.
    a.pfed_state.deliver("10.5.5.5", 500, "10.7.7.7", 500, {0x00, 0x11, 0x22, 0x33});
    a.pfed_state.deliver("10.5.5.5", 500, "10.7.7.7", 500, std::vector<std::uint8_t>(28, 0));
    a.pfed_state.deliver("10.5.5.5", 500, "10.7.7.7", 500, {});
    std::this_thread::sleep_for(200ms);
    CHECK(a.kmd_call(show_request(false)).ok());
}

TEST_CASE("a flood of new initiations: half-open phase 1 state is bounded per peer") {
    Router a("gateway-a", gateway_config("10.6.6.6", "10.1.1.0/24", "10.2.2.0/24", "shared-secret"),
             "10.5.5.5", "10.6.6.6", 1000);
    a.start_kmd();
    REQUIRE(eventually([&] { return a.pfed_state.subscriptions > 0; }));
    // 3x the bound of main mode message 1s from the configured peer, each with new cookies.
    auto crypto = std::move(*kmd::CryptoProvider::create());
    kmd::NullEventSink sink;
    for (size_t i = 0; i < 3 * kmd::max_half_open_per_peer; ++i) {
        kmd::Phase1Config cfg;
        cfg.proposals = {kmd::IkeProposal{}};
        cfg.pre_shared_key = {1, 2, 3};
        cfg.local = *kmd::Endpoint::parse("10.6.6.6");
        cfg.remote = *kmd::Endpoint::parse("10.5.5.5");
        kmd::Phase1Session peer(cfg, *crypto, sink);
        auto first = peer.start();
        REQUIRE(first.send.size() == 1);
        a.pfed_state.deliver("10.5.5.5", 500, "10.6.6.6", 500, first.send.front());
    }
    // kmd answered the first ones (main mode 2 each) and dropped the rest.
    REQUIRE(eventually([&] { return a.pfed_state.sent >= int(kmd::max_half_open_per_peer); }));
    std::this_thread::sleep_for(300ms);
    CHECK(a.pfed_state.sent == int(kmd::max_half_open_per_peer));
    auto show = a.kmd_call(show_request(false));
    REQUIRE(show.ok());
    size_t blocks = 0;
    for ([[maybe_unused]] auto b : show.root()
                                       .child("ike-security-associations-information")
                                       .children("ike-security-associations-block")) {
        ++blocks;
        CHECK(std::string(b.child_value("ike-sa-state")) == "Not matured");
    }
    CHECK(blocks == kmd::max_half_open_per_peer);
}

// Brings the tunnel up: a acquires until both ipsecds have the two SAs of the first child.
bool bring_up(Router& a, Router& b) {
    REQUIRE(eventually([&] { return a.pfed_state.subscriptions > 0 && b.pfed_state.subscriptions > 0; }));
    const bool up = eventually(
        [&] {
            if (a.ipsecd_state.installs() >= 2 && b.ipsecd_state.installs() >= 2)
                return true;
            a.acquire();
            std::this_thread::sleep_for(500ms);
            return false;
        },
        15000ms);
    if (!up) {
        MESSAGE("gateway-a: " << a.messages() << "\ngateway-b: " << b.messages());
    }
    return up;
}

TEST_CASE("an IKE SA that carries IPsec SAs is renegotiated before it expires; the IPsec SAs stay") {
    Router a("gateway-a", gateway_config("10.6.6.6", "10.1.1.0/24", "10.2.2.0/24", "shared-secret"),
             "10.5.5.5", "10.6.6.6", 1000);
    Router b("gateway-b", gateway_config("10.5.5.5", "10.2.2.0/24", "10.1.1.0/24", "shared-secret"),
             "10.6.6.6", "10.5.5.5", 5000);
    link(a, b);
    a.start_kmd();
    b.start_kmd();
    REQUIRE(bring_up(a, b));
    auto before = ike_sas(a);
    REQUIRE(before.size() == 1);
    CHECK(before[0].first == "Matured");
    // The first phase 1 with b was a first contact; b saw INITIAL-CONTACT (nothing of a's to drop).
    CHECK(b.messages().find("IKE SA with 10.5.5.5 rekeyed") == std::string::npos);

    // 86% of the 3600 s lifetime later: past the initiator's rekey point (85%), not the responder's (92%).
    a.clock_offset_s = 3100;
    b.clock_offset_s = 3100;
    const bool replaced = eventually(
        [&] {
            auto now_a = ike_sas(a), now_b = ike_sas(b);
            return now_a.size() == 1 && now_b.size() == 1 && now_a[0].first == "Matured" &&
                   now_a[0].second != before[0].second && now_b[0].second == now_a[0].second;
        },
        15000ms);
    if (!replaced) {
        MESSAGE("gateway-a: " << a.messages() << "\ngateway-b: " << b.messages());
    }
    REQUIRE(replaced);
    CHECK(a.messages().find("IKE SA with 10.6.6.6 reaches its lifetime soon: renegotiating") !=
          std::string::npos);
    CHECK(a.messages().find("IKE SA with 10.6.6.6 rekeyed") != std::string::npos);
    CHECK(b.messages().find("IKE SA with 10.5.5.5 rekeyed") != std::string::npos);
    // The old IKE SA is gone on both sides: one of them deleted it (and told the other).
    CHECK(a.messages().find("IKE SA with 10.6.6.6 deleted (") != std::string::npos);
    CHECK(b.messages().find("IKE SA with 10.5.5.5 deleted (") != std::string::npos);
    CHECK((a.messages().find("deleted (replaced by a newer IKE SA)") != std::string::npos ||
           b.messages().find("deleted (replaced by a newer IKE SA)") != std::string::npos));
    // No INITIAL-CONTACT in the rekey: nothing was deleted, no tunnel went down, no new quick mode.
    {
        std::lock_guard la(a.ipsecd_state.mutex), lb(b.ipsecd_state.mutex);
        CHECK(a.ipsecd_state.deleted.empty());
        CHECK(b.ipsecd_state.deleted.empty());
        CHECK(a.ipsecd_state.installed.size() == 2);
        CHECK(b.ipsecd_state.installed.size() == 2);
    }
    CHECK(a.messages().find("KMD_VPN_DOWN_ALARM_USER") == std::string::npos);
    CHECK(b.messages().find("KMD_VPN_DOWN_ALARM_USER") == std::string::npos);

    // An IPsec rekey now runs over the new IKE SA at once, with no phase 1 first.
    {
        pugi::xml_document req;
        auto n = req.append_child("sa-expiry-notice");
        xml::append_text(n, "sa-name", "sa-dyn");
        ipsec::SaKey key;
        {
            std::lock_guard la(a.ipsecd_state.mutex);
            key = ipsec::key_of(*find_sa(a.ipsecd_state, ipsec::Direction::outbound));
        }
        ipsec::append_sa_key(n, key);
        xml::append_text(n, "kind", "soft");
        REQUIRE(a.kmd_call(req).ok());
    }
    REQUIRE(eventually([&] { return a.ipsecd_state.installs() >= 4 && b.ipsecd_state.installs() >= 4; }));
    auto after = ike_sas(a);
    REQUIRE(after.size() == 1);
    CHECK(after[0].second == ike_sas(b)[0].second);
}

TEST_CASE("INITIAL-CONTACT: a peer that starts afresh makes kmd drop what it had with it") {
    Router a("gateway-a", gateway_config("10.6.6.6", "10.1.1.0/24", "10.2.2.0/24", "shared-secret"),
             "10.5.5.5", "10.6.6.6", 1000);
    Router b("gateway-b", gateway_config("10.5.5.5", "10.2.2.0/24", "10.1.1.0/24", "shared-secret"),
             "10.6.6.6", "10.5.5.5", 5000);
    link(a, b);
    a.start_kmd();
    b.start_kmd();
    REQUIRE(bring_up(a, b));
    const auto old_cookie = ike_sas(a).at(0).second;
    // b's kmd restarts with nothing: its next negotiation is a first contact.
    b.kmd.reset();
    b.start_kmd();
    const bool again = eventually(
        [&] {
            if (a.ipsecd_state.installs() >= 4 && b.ipsecd_state.installs() >= 4)
                return true;
            b.acquire();
            std::this_thread::sleep_for(500ms);
            return false;
        },
        15000ms);
    if (!again) {
        MESSAGE("gateway-a: " << a.messages() << "\ngateway-b: " << b.messages());
    }
    REQUIRE(again);
    CHECK(a.messages().find("IKE SA with 10.6.6.6 deleted (peer sent INITIAL-CONTACT)") != std::string::npos);
    {
        std::lock_guard la(a.ipsecd_state.mutex);
        CHECK(a.ipsecd_state.deleted.size() == 2);  // the old child's inbound and outbound SA
    }
    auto now_a = ike_sas(a);
    REQUIRE(now_a.size() == 1);
    CHECK(now_a[0].second != old_cookie);
    CHECK(now_a[0].first == "Matured");
}

TEST_CASE("a flood of first messages from many configured peers does not lock a real peer out") {
    // gateway-a has a policy for b and for 600 other addresses; the flood comes from those.
    std::string policies;
    std::vector<std::string> flooders;
    for (int i = 0; i < 600; ++i) {
        flooders.push_back("10.9." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1));
        policies += "        policy " + flooders.back() +
                    " {\n            mode main;\n            proposals ike-prop;\n"
                    "            pre-shared-key ascii-text flood;\n        }\n";
    }
    std::string config_a = gateway_config("10.6.6.6", "10.1.1.0/24", "10.2.2.0/24", "shared-secret");
    config_a.replace(config_a.find("    ike {\n") + 10, 0, policies);
    Router a("gateway-a", config_a, "10.5.5.5", "10.6.6.6", 1000);
    Router b("gateway-b", gateway_config("10.5.5.5", "10.2.2.0/24", "10.1.1.0/24", "shared-secret"),
             "10.6.6.6", "10.5.5.5", 5000);
    link(a, b);
    a.start_kmd();
    b.start_kmd();
    REQUIRE(eventually([&] { return a.pfed_state.subscriptions > 0 && b.pfed_state.subscriptions > 0; }));
    auto crypto = std::move(*kmd::CryptoProvider::create());
    kmd::NullEventSink sink;
    for (const auto& peer : flooders) {
        kmd::Phase1Config cfg;
        cfg.proposals = {kmd::IkeProposal{}};
        cfg.pre_shared_key = {1, 2, 3};
        cfg.local = *kmd::Endpoint::parse(peer);
        cfg.remote = *kmd::Endpoint::parse("10.5.5.5");
        kmd::Phase1Session spoofed(cfg, *crypto, sink);
        a.pfed_state.deliver("10.5.5.5", 500, peer, 500, spoofed.start().send.front());
    }
    // Every first message was answered (main mode 2), but no more than the bound is kept.
    REQUIRE(eventually([&] { return a.pfed_state.sent >= 600; }));
    auto half_open = ike_sas(a);
    CHECK(half_open.size() == kmd::max_half_open_total);
    // b initiates now: a makes room for it and the tunnel comes up.
    const bool up = eventually(
        [&] {
            if (a.ipsecd_state.installs() >= 2 && b.ipsecd_state.installs() >= 2)
                return true;
            b.acquire();
            std::this_thread::sleep_for(300ms);
            return false;
        },
        10000ms);
    if (!up) {
        MESSAGE("gateway-a: " << a.messages() << "\ngateway-b: " << b.messages());
    }
    CHECK(up);
    size_t matured = 0;
    auto all = ike_sas(a);
    for (const auto& [state, cookie] : all) {
        matured += state == "Matured";
    }
    CHECK(matured == 1);
    CHECK(all.size() <= kmd::max_half_open_total + 1);
}

TEST_CASE("kmd's configuration: references, keys, proxy identities, trace options") {
    auto schema = config::Schema::load(MSIM_YANG_DIR);
    config::OwnedConfiguration owned(schema);
    owned.load(gateway_config("10.6.6.6", "10.1.1.0/24", "10.2.2.0/24", "shared-secret"));
    auto cfg = kmd::parse_kmd_config(owned.tree());
    REQUIRE(cfg.ike_policies.count("10.6.6.6"));
    const auto& p = cfg.ike_policies.at("10.6.6.6");
    CHECK(p.mode == kmd::Phase1Mode::Main);
    REQUIRE(p.proposals.size() == 1);
    CHECK(p.proposals[0].group == kmd::DhGroup::Modp1024);
    CHECK(p.proposals[0].hash == kmd::HashAlgorithm::Sha1);
    CHECK(p.proposals[0].encryption == kmd::EncryptionAlgorithm::TripleDesCbc);
    CHECK(std::string(p.pre_shared_key.begin(), p.pre_shared_key.end()) == "shared-secret");
    REQUIRE(cfg.dynamic_sas.count("sa-dyn"));
    const auto& sa = cfg.dynamic_sas.at("sa-dyn");
    CHECK(sa.usable);
    CHECK(sa.replay_window == 64);
    REQUIRE(sa.quick_mode.pfs_group);
    CHECK(*sa.quick_mode.pfs_group == kmd::DhGroup::Modp1024);
    REQUIRE(sa.quick_mode.local_selector);
    CHECK(sa.quick_mode.local_selector->to_string().find("10.1.1.0") != std::string::npos);
    CHECK(sa.quick_mode.local_selector->prefix_length == 24);
    CHECK(sa.quick_mode.remote_selector->prefix_length == 24);

    // A policy naming a proposal that does not exist.
    owned.load(R"(security {
    ike {
        policy 10.6.6.6 {
            proposals missing-prop;
            pre-shared-key ascii-text x;
        }
    }
}
)");
    try {
        kmd::parse_kmd_config(owned.tree());
        FAIL("accepted a policy naming a missing proposal");
    } catch (const kmd::KmdConfigError& e) {
        CHECK(e.path == "[edit security ike policy 10.6.6.6]");
        CHECK(std::string(e.what()).find("missing-prop") != std::string::npos);
    }
    // A dynamic SA naming a missing IPsec policy is ipsecd's to refuse: kmd keeps it, unusable.
    owned.load(R"(security {
    ipsec {
        security-association sa-x {
            dynamic {
                ipsec-policy nope;
            }
        }
    }
}
)");
    auto cfg2 = kmd::parse_kmd_config(owned.tree());
    REQUIRE(cfg2.dynamic_sas.count("sa-x"));
    CHECK(!cfg2.dynamic_sas.at("sa-x").usable);

    CHECK(kmd::parse_trace_size("10k") == 10240u);
    CHECK(kmd::parse_trace_size("2m") == 2u * 1024 * 1024);
    CHECK(kmd::parse_trace_size("12") == 12u);
    CHECK(!kmd::parse_trace_size("k"));
    CHECK(!kmd::parse_trace_size("10x"));
}

TEST_CASE("trace files rotate by size and keep the configured number of files") {
    TempDir dir;
    kmd::TraceFile t;
    t.open(dir.path / "kmd", 3, 200);
    for (int i = 0; i < 40; ++i) {
        t.write("line " + std::to_string(i) + " of some trace text");
    }
    CHECK(std::filesystem::exists(dir.path / "kmd"));
    CHECK(std::filesystem::exists(dir.path / "kmd.0"));
    CHECK(std::filesystem::exists(dir.path / "kmd.1"));
    CHECK(!std::filesystem::exists(dir.path / "kmd.2"));
    CHECK(std::filesystem::file_size(dir.path / "kmd") <= 200);
    std::ifstream in(dir.path / "kmd");
    std::stringstream s;
    s << in.rdbuf();
    CHECK(s.str().find("line 39 of some trace text") != std::string::npos);
}
