// pfed's IKE service for kmd over real IPC (the issue 7 contract "pfed <-> kmd"): a Pfed running in its
// Daemon on its own thread, a client that subscribes with <subscribe-ike/> and exchanges IKE datagrams as
// binary packet frames (ipc::PacketChannel::ike), frames injected into the engine's wires and frames the
// engine sends watched through pfed's packet tap.
#include <doctest/doctest.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "../dataplane/helpers.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/xml.hpp"
#include "msim/ipsec/sa_xml.hpp"
#include "msim/pfed/pfed.hpp"

using namespace msim;
using namespace std::chrono_literals;
namespace dp = msim::dataplane;
using dp::test::Bytes;
using dp::test::ip;

namespace {

struct TempRouter {
    std::filesystem::path dir;
    RouterPaths paths;
    TempRouter() {
        char tmpl[] = "/tmp/pfed-ike.XXXXXX";
        dir = ::mkdtemp(tmpl);
        paths = RouterPaths{"r1", dir};
        paths.create_layout();
    }
    ~TempRouter() { std::filesystem::remove_all(dir); }
    std::string messages() const {
        std::ifstream in(paths.messages_log());
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
};

pugi::xml_node pic(pugi::xml_document& doc, int fpc, int slot, const char* type,
                   std::vector<std::string> interfaces) {
    auto p = doc.append_child("pic");
    p.append_child("fpc-slot").text().set(fpc);
    p.append_child("pic-slot").text().set(slot);
    p.append_child("pic-type").text().set(type);
    p.append_child("state").text().set("online");
    for (const auto& i : interfaces) {
        p.append_child("interface").text().set(i.c_str());
    }
    return p;
}

dp::UnitConfig unit(const char* address, const char* destination = nullptr) {
    dp::UnitConfig u;
    u.addresses.push_back(
        {dp::test::pfx(address), destination ? std::optional(ip(destination)) : std::nullopt});
    return u;
}

// The seed's gateway A: LAN fe-0/0/1 whose input filter steers 10.1.1/24 -> 10.2.2/24 into the dynamic SA
// sa-dyn, so-0/2/0 (10.5.5.5 <-> 10.6.6.6) to the peer, es-0/1/0.0 naming sa-dyn.
void configure(pfed::Pfed& pfed) {
    pugi::xml_document doc;
    pfed.pic_state(pic(doc, 0, 0, "4x-fe", {"fe-0/0/0", "fe-0/0/1"}));
    pfed.pic_state(pic(doc, 0, 1, "es", {"es-0/1/0"}));
    pfed.pic_state(pic(doc, 0, 2, "oc3", {"so-0/2/0"}));
    auto& e = pfed.engine();
    dp::FirewallFilter encrypt{"ipsec-encrypt-policy-filter", {}};
    dp::FilterTerm t;
    t.name = "term1";
    t.source_addresses = {{dp::test::pfx("10.1.1.0/24"), false}};
    t.destination_addresses = {{dp::test::pfx("10.2.2.0/24"), false}};
    t.action = dp::FilterAction::kIpsecSa;
    t.ipsec_sa = "sa-dyn";
    dp::FilterTerm rest;
    rest.name = "default";
    encrypt.terms = {t, rest};
    REQUIRE(e.set_filter(encrypt).ok());
    dp::UnitConfig lan = unit("10.1.1.254/24");
    lan.input_filter = "ipsec-encrypt-policy-filter";
    REQUIRE(e.configure_unit("fe-0/0/1", lan).ok());
    REQUIRE(e.configure_unit("so-0/2/0", unit("10.5.5.5/32", "10.6.6.6")).ok());
    dp::UnitConfig es = unit("10.1.1.8/32", "10.1.1.9");
    es.tunnel_source = ip("10.5.5.5");
    es.tunnel_destination = ip("10.6.6.6");
    es.ipsec_sa = "sa-dyn";
    REQUIRE(e.configure_unit("es-0/1/0", es).ok());
    REQUIRE(e.set_link_up("fe-0/0/1", true).ok());
    REQUIRE(e.set_link_up("so-0/2/0", true).ok());
}

ipsec::SaConfig dyn_sa(ipsec::Direction direction, const char* src, const char* dst, bool natt) {
    ipsec::SaConfig c;
    c.name = "sa-dyn";
    c.direction = direction;
    c.spi = direction == ipsec::Direction::outbound ? 0x1001 : 0x2002;
    c.source = *ipsec::parse_ipv4(src);
    c.destination = *ipsec::parse_ipv4(dst);
    c.cipher = ipsec::Cipher::des3_cbc;
    c.cipher_key = std::vector<uint8_t>(24, 0x33);
    c.integrity = ipsec::Integrity::hmac_sha1_96;
    c.integrity_key = std::vector<uint8_t>(20, 0x44);
    if (natt) {
        c.udp_encapsulation = ipsec::UdpEncapsulation{};
    }
    return c;
}

Bytes hdlc(const Bytes& datagram) {
    Bytes b{0x0f, 0x00, 0x08, 0x00};
    b.insert(b.end(), datagram.begin(), datagram.end());
    return b;
}

// Frames pfed's engine sends, seen through its packet tap (on the daemon's thread).
struct Wire {
    std::mutex mutex;
    std::vector<std::pair<std::string, Bytes>> out;
    std::vector<Bytes> on(const std::string& ifname) {
        std::lock_guard lock(mutex);
        std::vector<Bytes> r;
        for (const auto& [i, f] : out) {
            if (i == ifname) {
                r.push_back(f);
            }
        }
        return r;
    }
    void clear() {
        std::lock_guard lock(mutex);
        out.clear();
    }
};

struct RunningPfed {
    TempRouter router;
    std::unique_ptr<Daemon> daemon;
    std::shared_ptr<pfed::Pfed> pfed;
    Wire wire;
    std::thread thread;

    RunningPfed() : daemon(std::make_unique<Daemon>("pfed", router.paths)) {
        pfed = std::make_shared<pfed::Pfed>(*daemon, config::Schema::load(MSIM_YANG_DIR));
        daemon->keep(pfed);
        pfed::register_sa_rpcs(*daemon, *pfed);
        configure(*pfed);
        pfed->add_packet_tap(
            [this](const std::string& ifname, dp::TapDirection dir, std::span<const uint8_t> f) {
                if (dir == dp::TapDirection::kOut) {
                    std::lock_guard lock(wire.mutex);
                    wire.out.emplace_back(ifname, Bytes(f.begin(), f.end()));
                }
            });
        // start(): the engine's 100 ms tick (chassisd and mgd are absent here: pfed keeps retrying them).
        boost::asio::post(daemon->io(), [p = pfed.get()] { p->start(); });
        thread = std::thread([this] { daemon->run(); });
        for (int i = 0; i < 300 && !std::filesystem::exists(router.paths.socket("pfed")); ++i) {
            std::this_thread::sleep_for(10ms);
        }
    }
    ~RunningPfed() {
        boost::asio::post(daemon->io(), [d = daemon.get()] { d->stop(); });
        thread.join();
    }

    // Runs `f` on the daemon's thread and returns its result.
    template <typename F>
    auto run(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        boost::asio::post(daemon->io(), [&task] { task(); });
        return result.get();
    }

    void receive(const std::string& ifname, const Bytes& frame) {
        run([&] {
            pfed->engine().receive(ifname, frame);
            return 0;
        });
    }
    uint64_t drops(dp::DropReason r) {
        return run([&] { return pfed->engine().global_counters().drops(r); });
    }
    dp::EsPic::Counters pic_counters() {
        return run([&] { return pfed->es_pic("es-0/1/0")->counters(); });
    }
};

// An IKE datagram as kmd receives it from pfed: a packet frame's header and bytes.
struct IkePacket {
    ipc::PacketMeta meta;
    Bytes data;
};

// A client (kmd's part) that collects notifications and IKE packet frames.
struct Kmd {
    ipc::SyncClient client;
    std::vector<std::shared_ptr<pugi::xml_document>> notes;
    std::vector<IkePacket> packets;
    explicit Kmd(const RouterPaths& paths) : client(paths.socket("pfed"), "pfed") {
        client.on_notification([this](const pugi::xml_node& n) {
            auto doc = std::make_shared<pugi::xml_document>();
            doc->append_copy(n);
            notes.push_back(doc);
        });
        client.on_packet([this](const ipc::PacketMeta& meta, std::span<const uint8_t> bytes) {
            packets.push_back({meta, Bytes(bytes.begin(), bytes.end())});
        });
    }
    // Polls for `wait`, returning the IKE packet frames received so far.
    const std::vector<IkePacket>& ike(std::chrono::milliseconds wait = 300ms) {
        for (auto waited = 0ms; waited < wait; waited += 10ms) {
            client.poll();
            std::this_thread::sleep_for(10ms);
        }
        client.poll();
        return packets;
    }
    // Waits (at most 3 s) until `n` IKE packet frames arrived.
    const std::vector<IkePacket>& wait_for_ike(size_t n) {
        for (int i = 0; i < 30 && packets.size() < n; ++i) {
            ike(100ms);
        }
        return packets;
    }
    // Sends an IKE datagram from local:local_port to remote:remote_port, as kmd does.
    void send(const char* local, uint16_t local_port, const char* remote, uint16_t remote_port,
              const Bytes& data) {
        ipc::PacketMeta meta;
        meta.channel = static_cast<uint16_t>(ipc::PacketChannel::ike);
        meta.source_address = ip(local).value;
        meta.destination_address = ip(remote).value;
        meta.source_port = local_port;
        meta.destination_port = remote_port;
        client.send_packet(meta, data);
    }
    // Polls for `wait`, returning the notifications named `name` seen so far.
    std::vector<pugi::xml_node> collect(const char* name, std::chrono::milliseconds wait = 300ms) {
        for (auto waited = 0ms; waited < wait; waited += 10ms) {
            client.poll();
            std::this_thread::sleep_for(10ms);
        }
        client.poll();
        std::vector<pugi::xml_node> out;
        for (const auto& d : notes) {
            for (auto n = d->first_child(); n; n = n.next_sibling()) {
                if (std::string_view(n.name()) == name) {
                    out.push_back(n);
                } else if (auto c = n.child(name)) {  // wrapped in <notification>
                    out.push_back(c);
                }
            }
        }
        return out;
    }
    // Waits (at most 3 s) until `n` notifications named `name` arrived.
    std::vector<pugi::xml_node> wait_for(const char* name, size_t n) {
        for (int i = 0; i < 30; ++i) {
            auto got = collect(name, 100ms);
            if (got.size() >= n) {
                return got;
            }
        }
        return collect(name, 0ms);
    }
    ipc::Reply call(const pugi::xml_document& doc) { return client.call(doc); }
};

Bytes udp_from_peer(uint16_t sport, uint16_t dport, const Bytes& payload) {
    return hdlc(dp::test::ipv4(ip("10.6.6.6"), ip("10.5.5.5"), 17,
                               dp::test::udp(ip("10.6.6.6"), ip("10.5.5.5"), sport, dport, payload)));
}

// The IPv4 datagram of an HDLC frame.
Bytes ip_of_hdlc(const Bytes& frame) {
    return Bytes(frame.begin() + 4, frame.end());
}

bool is_port_unreachable(const Bytes& frame) {
    const Bytes d = ip_of_hdlc(frame);
    return d.size() >= 22 && d[9] == 1 && d[20] == 3 && d[21] == 3;
}

}  // namespace

TEST_CASE("pfed IKE: without a subscriber UDP 500 is port unreachable; with one it is an IKE packet frame") {
    RunningPfed r;
    const Bytes isakmp = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xab, 0xcd};

    // Nobody subscribed: dropped, counted, ICMP port unreachable as before.
    r.receive("so-0/2/0", udp_from_peer(500, 500, isakmp));
    CHECK(r.drops(dp::DropReason::kUdpNoListener) == 1);
    auto out = r.wire.on("so-0/2/0");
    REQUIRE(out.size() == 1);
    CHECK(is_port_unreachable(out[0]));
    r.wire.clear();

    {
        Kmd kmd(r.router.paths);
        REQUIRE(kmd.client.call("subscribe-ike").ok());
        REQUIRE(kmd.client.call("subscribe-ike").ok());  // again: harmless, no duplicates
        r.receive("so-0/2/0", udp_from_peer(500, 500, isakmp));
        auto got = kmd.wait_for_ike(1);
        REQUIRE(got.size() == 1);
        CHECK(got[0].meta.channel == static_cast<uint16_t>(ipc::PacketChannel::ike));
        CHECK(got[0].meta.destination_address == ip("10.5.5.5").value);
        CHECK(got[0].meta.destination_port == 500);
        CHECK(got[0].meta.source_address == ip("10.6.6.6").value);
        CHECK(got[0].meta.source_port == 500);
        CHECK(got[0].data == isakmp);
        // IKE is never XML between pfed and kmd: no notification carried it.
        CHECK(kmd.collect("ike-datagram", 0ms).empty());
        CHECK(r.drops(dp::DropReason::kUdpNoListener) == 1);
        CHECK(r.wire.on("so-0/2/0").empty());

        // UDP 4500 with the non-ESP marker: the marker is stripped.
        Bytes natt = {0, 0, 0, 0};
        natt.insert(natt.end(), isakmp.begin(), isakmp.end());
        r.receive("so-0/2/0", udp_from_peer(4501, 4500, natt));
        got = kmd.wait_for_ike(2);
        REQUIRE(got.size() == 2);
        CHECK(got[1].meta.destination_port == 4500);
        CHECK(got[1].meta.source_port == 4501);
        CHECK(got[1].data == isakmp);

        // A NAT-T keepalive (one 0xff byte) is consumed, not an IKE datagram.
        r.receive("so-0/2/0", udp_from_peer(4500, 4500, {0xff}));
        CHECK(kmd.ike().size() == 2);
        CHECK(r.run([&] { return r.pfed->ike().counters().keepalives_in; }) == 1);

        // A second subscriber gets them too.
        Kmd other(r.router.paths);
        REQUIRE(other.client.call("subscribe-ike").ok());
        r.receive("so-0/2/0", udp_from_peer(500, 500, isakmp));
        CHECK(other.wait_for_ike(1).size() == 1);
        CHECK(kmd.wait_for_ike(3).size() == 3);
    }
    // Both connections closed: the ports are closed again, and the answer is port unreachable again.
    bool closed = false;
    for (int i = 0; i < 100 && !closed; ++i) {
        std::this_thread::sleep_for(20ms);
        closed = r.run([&] { return r.pfed->ike().subscribers() == 0; });
    }
    REQUIRE(closed);
    std::this_thread::sleep_for(50ms);  // the posted unbind
    const std::string log = r.router.messages();
    CHECK(log.find("IKE subscriber connected: UDP 500 and 4500 open for kmd") != std::string::npos);
    CHECK(log.find("no IKE subscriber left: UDP 500 and 4500 closed") != std::string::npos);
    r.wire.clear();
    r.receive("so-0/2/0", udp_from_peer(500, 500, isakmp));
    CHECK(r.drops(dp::DropReason::kUdpNoListener) == 2);
    out = r.wire.on("so-0/2/0");
    REQUIRE(out.size() == 1);
    CHECK(is_port_unreachable(out[0]));
}

TEST_CASE("pfed IKE: ESP in UDP 4500 still goes to the ES PIC") {
    RunningPfed r;
    Kmd kmd(r.router.paths);
    REQUIRE(kmd.client.call("subscribe-ike").ok());
    // The peer's side: an ES PIC model with the outbound NAT-T SA produces the packet.
    struct Capture final : dp::PicContext {
        std::vector<Bytes> sent;
        void send_to_network(dp::Packet&& d) override {
            sent.emplace_back(d.bytes().begin(), d.bytes().end());
        }
        void receive_from_pic(dp::Packet&&, const std::string&) override {}
        std::chrono::steady_clock::time_point now() const override {
            return std::chrono::steady_clock::now();
        }
        std::string unit_for_sa(const std::string&) const override { return {}; }
        void report_once(const std::string&, const std::string&) override {}
    } peer_ctx;
    dp::EsPic peer("es-0/1/0");
    REQUIRE(peer.sa_backend().add_sa(dyn_sa(ipsec::Direction::outbound, "10.6.6.6", "10.5.5.5", true)).ok());
    auto inbound = dyn_sa(ipsec::Direction::inbound, "10.6.6.6", "10.5.5.5", true);
    inbound.spi = 0x1001;
    REQUIRE(r.run([&] { return r.pfed->es_pic("es-0/1/0")->sa_backend().add_sa(inbound).ok(); }));
    const Bytes inner =
        dp::test::ipv4(ip("10.2.2.10"), ip("10.1.1.10"), 1, dp::test::icmp(8, 0, 7, 1, Bytes(8, 1)));
    peer.outbound(dp::Packet(inner), "sa-dyn", peer_ctx);
    REQUIRE(peer_ctx.sent.size() == 1);
    const Bytes& esp_in_udp = peer_ctx.sent[0];
    REQUIRE(esp_in_udp[9] == 17);
    r.receive("so-0/2/0", hdlc(esp_in_udp));
    CHECK(r.pic_counters().inbound_packets == 1);  // decrypted by pfed's ES PIC
    CHECK(kmd.ike().empty());
}

TEST_CASE("pfed IKE: kmd's packet frames go out as IPv4/UDP, with the marker on 4500; bad ones are refused") {
    RunningPfed r;
    Kmd kmd(r.router.paths);
    const Bytes isakmp = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd};
    auto wire_frames = [&](size_t n) {
        for (int i = 0; i < 100 && r.wire.on("so-0/2/0").size() < n; ++i) {
            std::this_thread::sleep_for(10ms);
        }
        return r.wire.on("so-0/2/0");
    };
    kmd.send("10.5.5.5", 500, "10.6.6.6", 500, isakmp);
    auto out = wire_frames(1);
    REQUIRE(out.size() == 1);
    Bytes d = ip_of_hdlc(out[0]);
    REQUIRE(d.size() == 20 + 8 + isakmp.size());
    CHECK(d[9] == 17);
    CHECK(dp::test::ref_checksum(d.data(), 20) == 0);
    CHECK(dp::test::get32(d, 12) == ip("10.5.5.5").value);
    CHECK(dp::test::get32(d, 16) == ip("10.6.6.6").value);
    CHECK(dp::test::get16(d, 20) == 500);
    CHECK(dp::test::get16(d, 22) == 500);
    CHECK(dp::test::get16(d, 24) == 8 + isakmp.size());
    CHECK(Bytes(d.begin() + 28, d.end()) == isakmp);
    // The UDP checksum verifies against the pseudo-header (written independently in helpers.hpp).
    CHECK(dp::test::udp(ip("10.5.5.5"), ip("10.6.6.6"), 500, 500, isakmp) == Bytes(d.begin() + 20, d.end()));

    r.wire.clear();
    const Bytes eight = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    kmd.send("10.5.5.5", 4500, "10.6.6.6", 4501, eight);
    out = wire_frames(1);
    REQUIRE(out.size() == 1);
    d = ip_of_hdlc(out[0]);
    REQUIRE(d.size() == 20 + 8 + 4 + 8);
    CHECK(dp::test::get16(d, 20) == 4500);
    CHECK(dp::test::get16(d, 22) == 4501);
    const Bytes with_marker = {0, 0, 0, 0, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    CHECK(Bytes(d.begin() + 28, d.end()) == with_marker);
    CHECK(dp::test::udp(ip("10.5.5.5"), ip("10.6.6.6"), 4500, 4501, with_marker) ==
          Bytes(d.begin() + 20, d.end()));

    // IKE is never steered into an SA, even by a term that takes everything leaving so-0/2/0.
    REQUIRE(r.run([&] {
        dp::FirewallFilter all{"all-encrypted", {}};
        dp::FilterTerm t;
        t.name = "all";
        t.action = dp::FilterAction::kIpsecSa;
        t.ipsec_sa = "sa-dyn";
        all.terms = {t};
        auto so = unit("10.5.5.5/32", "10.6.6.6");
        so.output_filter = "all-encrypted";
        return r.pfed->engine().set_filter(all).ok() && r.pfed->engine().configure_unit("so-0/2/0", so).ok();
    }));
    r.wire.clear();
    kmd.send("10.5.5.5", 500, "10.6.6.6", 500, eight);
    out = wire_frames(1);
    REQUIRE(out.size() == 1);
    CHECK(ip_of_hdlc(out[0])[9] == 17);
    CHECK(r.pic_counters().acquires == 0);

    // What cannot be sent is counted and told back as <ike-send-failed>, in order.
    struct Bad {
        const char* local;
        uint16_t local_port;
        const char* remote;
        uint16_t remote_port;
        Bytes data;
        std::string message;
    };
    const std::vector<Bad> bad = {
        {"10.9.9.9", 500, "10.6.6.6", 500, {0}, "10.9.9.9 is not a local address"},
        {"10.5.5.5", 501, "10.6.6.6", 500, {0}, "invalid local port 501 (500 or 4500)"},
        {"10.5.5.5", 500, "10.6.6.6", 0, {0}, "invalid remote port 0 (1-65535)"},
        {"10.5.5.5", 500, "0.0.0.0", 500, {0}, "invalid remote address 0.0.0.0"},
        {"10.5.5.5", 500, "192.0.2.1", 500, {0}, "no route to 192.0.2.1"},
        {"10.5.5.5", 500, "10.6.6.6", 500, {}, "empty IKE datagram"},
        {"10.5.5.5", 4500, "10.6.6.6", 4500, Bytes(65504, 0xaa),
         "datagram too big: 65504 bytes of IKE, at most 65503 on port 4500"},
    };
    r.wire.clear();
    for (const auto& b : bad) {
        kmd.send(b.local, b.local_port, b.remote, b.remote_port, b.data);
    }
    auto failed = kmd.wait_for("ike-send-failed", bad.size());
    REQUIRE(failed.size() == bad.size());
    for (size_t i = 0; i < bad.size(); ++i) {
        CAPTURE(bad[i].message);
        CHECK(std::string(failed[i].child_value("message")) == bad[i].message);
        CHECK(std::string(failed[i].child_value("remote")) == bad[i].remote);
    }
    CHECK(r.wire.on("so-0/2/0").empty());
    CHECK(r.run([&] { return r.pfed->ike().counters().send_failures; }) == bad.size());
    // 65503 bytes on 4500 is the largest that fits: sent (fragmented on the wire).
    kmd.send("10.5.5.5", 4500, "10.6.6.6", 4500, Bytes(65503, 0xaa));
    CHECK(wire_frames(2).size() > 1);
    // A packet frame on another channel is not for the IKE service: ignored, and the connection stays up.
    ipc::PacketMeta other;
    other.channel = static_cast<uint16_t>(ipc::PacketChannel::capture);
    kmd.client.send_packet(other, isakmp);
    CHECK(kmd.client.call("get-sa-states").ok());
}

TEST_CASE("pfed IKE: a packet steered into a dynamic SA without SA gives one sa-acquire; held 2 s at most") {
    RunningPfed r;
    Kmd kmd(r.router.paths);
    REQUIRE(kmd.client.call("subscribe-ike").ok());
    const dp::MacAddress host = dp::test::mac("02:00:00:00:01:0a");
    const dp::MacAddress router = *r.run([&] { return r.pfed->engine().interface("fe-0/0/1")->mac; });
    auto ping = [&](uint16_t seq) {
        r.receive("fe-0/0/1",
                  dp::test::ethernet(router, host, 0x0800,
                                     dp::test::ipv4(ip("10.1.1.10"), ip("10.2.2.10"), 1,
                                                    dp::test::icmp(8, 0, 7, seq, Bytes(16, 0x5a)))));
    };
    for (uint16_t seq = 1; seq <= 3; ++seq) {
        ping(seq);
    }
    auto acquires = kmd.wait_for("sa-acquire", 1);
    REQUIRE(acquires.size() == 1);
    CHECK(kmd.collect("sa-acquire", 200ms).size() == 1);  // one, not one per packet
    CHECK(std::string(acquires[0].child_value("sa-name")) == "sa-dyn");
    CHECK(std::string(acquires[0].child_value("pic")) == "es-0/1/0");
    CHECK(std::string(acquires[0].child_value("source")) == "10.1.1.10");
    CHECK(std::string(acquires[0].child_value("destination")) == "10.2.2.10");
    CHECK(std::string(acquires[0].child_value("protocol")) == "1");
    CHECK(r.wire.on("so-0/2/0").empty());

    // kmd's SAs arrive through ipsecd's sa-changes within the 2 s: the held packets leave as ESP.
    pugi::xml_document changes;
    auto add = changes.append_child("sa-changes").append_child("add");
    xml::append_text(add, "pic", "es-0/1/0");
    ipsec::append_sa_config(add, dyn_sa(ipsec::Direction::outbound, "10.5.5.5", "10.6.6.6", false));
    auto reply = kmd.call(changes);
    REQUIRE(reply.ok());
    CHECK(std::string(reply.root().child("sa-change-results").child_value("done")) == "1");
    auto out = r.wire.on("so-0/2/0");
    REQUIRE(out.size() == 3);
    for (const auto& f : out) {
        CHECK(ip_of_hdlc(f)[9] == 50);
    }
    CHECK(r.pic_counters().acquire_sent == 3);

    // The SA deleted; a second later traffic asks again, and unanswered it is dropped after 2 s.
    pugi::xml_document del;
    auto d = del.append_child("sa-changes").append_child("delete");
    xml::append_text(d, "pic", "es-0/1/0");
    ipsec::append_sa_key(d, ipsec::key_of(dyn_sa(ipsec::Direction::outbound, "10.5.5.5", "10.6.6.6", false)));
    REQUIRE(kmd.call(del).ok());
    std::this_thread::sleep_for(1100ms);
    r.wire.clear();
    const auto held_at = std::chrono::steady_clock::now();  // no later than the packets were held
    ping(4);
    ping(5);
    CHECK(kmd.wait_for("sa-acquire", 2).size() == 2);
    auto queued = [&] { return r.run([&] { return r.pfed->es_pic("es-0/1/0")->acquire_queued(); }); };
    std::this_thread::sleep_until(held_at + 1500ms);
    CHECK(queued() == 2);  // still held after 1.5 s
    // pfed's 100 ms tick drops what waited 2 s (polled: the machine may be busy).
    for (int i = 0; i < 60 && queued() != 0; ++i) {
        std::this_thread::sleep_for(50ms);
    }
    CHECK(std::chrono::steady_clock::now() - held_at >= 2000ms);
    auto c = r.pic_counters();
    CHECK(c.acquire_drops == 2);
    CHECK(c.outbound_drops == 2);
    CHECK(queued() == 0);
    // The drops are visible in get-sa-states' PIC counters.
    auto states = kmd.client.call("get-sa-states");
    REQUIRE(states.ok());
    auto pc = states.root().child("sa-states").child("pic-sas").child("pic-counters");
    CHECK(std::string(pc.child_value("acquire-drops")) == "2");
    CHECK(std::string(pc.child_value("outbound-drops")) == "2");
    // Adding the SA now sends nothing.
    REQUIRE(kmd.call(changes).ok());
    CHECK(r.wire.on("so-0/2/0").empty());
}
