// ping, traceroute and monitor traffic end to end: a Daemon running pfed's op tools over a forwarding engine
// ("r1", the router under test) wired in memory to a second router and a host, called through its socket
// exactly as mgd calls it (streaming, with cancel).
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"
#include "msim/common/daemon.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/xml.hpp"
#include "msim/pfed/context.hpp"
#include "render_dataplane.hpp"

using namespace msim;
using namespace msim::dataplane;
using namespace msim::dataplane::test;
using namespace std::chrono_literals;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-pfed-tools.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

// The seam pfed gives its op tools: the engine, the loop, and fan-out of the single tap and ICMP handler.
class TestContext final : public pfed::PfedContext {
  public:
    TestContext(boost::asio::io_context& io, ForwardingEngine& engine) : io_(io), engine_(engine) {
        engine_.set_icmp_handler([this](const IcmpEvent& ev) {
            auto copy = icmp_;
            for (auto& [id, h] : copy) {
                h(ev);
            }
        });
        engine_.set_packet_tap([this](const std::string& ifname, TapDirection d, std::span<const uint8_t> f) {
            auto copy = taps_;
            for (auto& [id, t] : copy) {
                t(ifname, d, f);
            }
        });
    }
    ForwardingEngine& engine() override { return engine_; }
    boost::asio::io_context& io() override { return io_; }
    uint64_t add_packet_tap(ForwardingEngine::PacketTap tap) override {
        taps_[++next_] = std::move(tap);
        return next_;
    }
    void remove_packet_tap(uint64_t id) override { taps_.erase(id); }
    uint64_t add_icmp_listener(ForwardingEngine::IcmpHandler handler) override {
        icmp_[++next_] = std::move(handler);
        return next_;
    }
    void remove_icmp_listener(uint64_t id) override { icmp_.erase(id); }
    std::optional<InterfaceKind> interface_kind(std::string_view interface) const override {
        auto i = engine_.interface(interface);
        if (!i) {
            return std::nullopt;
        }
        return i->kind;
    }
    size_t listeners() const { return taps_.size() + icmp_.size(); }

  private:
    boost::asio::io_context& io_;
    ForwardingEngine& engine_;
    uint64_t next_ = 0;
    std::map<uint64_t, ForwardingEngine::PacketTap> taps_;
    std::map<uint64_t, ForwardingEngine::IcmpHandler> icmp_;
};

// r1 fe-0/0/0 (10.5.5.5/24) -- r2 fe-0/0/0 (10.5.5.6/24); r2 fe-0/0/1 (10.2.2.254/24) -- host fe-0/0/0
// (10.2.2.10/24). r1 routes 10.2.2.0/24 via r2. Frames cross the wires as posted handlers on the daemon's
// loop, the engines' timers tick on it: every engine call happens on the daemon's thread.
struct Lab {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    std::unique_ptr<Daemon> daemon;
    std::map<std::string, std::unique_ptr<ForwardingEngine>> nodes;
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> wires;
    std::unique_ptr<TestContext> ctx;
    std::unique_ptr<boost::asio::steady_timer> ticker;
    std::thread runner;

    ForwardingEngine& node(const std::string& n) { return *nodes.at(n); }

    Lab() {
        paths.create_layout();
        daemon = std::make_unique<Daemon>("pfed", paths);
        for (const char* n : {"r1", "r2", "host"}) {
            EngineOptions o;
            o.base_mac.bytes[3] = static_cast<uint8_t>(nodes.size() + 1);
            o.arp_retry_interval = 100ms;  // unresolvable next hops give up after 0.3 s
            nodes[n] = std::make_unique<ForwardingEngine>(o);
        }
        auto& r1 = node("r1");
        auto& r2 = node("r2");
        auto& host = node("host");
        REQUIRE(r1.add_interface("fe-0/0/0").ok());
        REQUIRE(r1.add_interface("fe-0/0/1").ok());
        REQUIRE(r1.configure_unit("fe-0/0/0", unit0("10.5.5.5/24")).ok());
        REQUIRE(r1.add_static_route({pfx("10.2.2.0/24"), StaticRoute::Kind::kNextHop, {{ip("10.5.5.6"), ""}}})
                    .ok());
        REQUIRE(r2.add_interface("fe-0/0/0").ok());
        REQUIRE(r2.add_interface("fe-0/0/1").ok());
        REQUIRE(r2.configure_unit("fe-0/0/0", unit0("10.5.5.6/24")).ok());
        REQUIRE(r2.configure_unit("fe-0/0/1", unit0("10.2.2.254/24")).ok());
        REQUIRE(host.add_interface("fe-0/0/0").ok());
        REQUIRE(host.configure_unit("fe-0/0/0", unit0("10.2.2.10/24")).ok());
        REQUIRE(
            host.add_static_route({pfx("0.0.0.0/0"), StaticRoute::Kind::kNextHop, {{ip("10.2.2.254"), ""}}})
                .ok());
        link("r1", "fe-0/0/0", "r2", "fe-0/0/0");
        link("r2", "fe-0/0/1", "host", "fe-0/0/0");
        for (auto& [name, engine] : nodes) {
            engine->set_frame_sink([this, name = name](const std::string& ifname,
                                                       std::span<const uint8_t> f) {
                auto it = wires.find({name, ifname});
                if (it == wires.end()) {
                    return;
                }
                boost::asio::post(daemon->io(), [this, to = it->second, frame = Bytes(f.begin(), f.end())] {
                    node(to.first).receive(to.second, frame);
                });
            });
        }
        ctx = std::make_unique<TestContext>(daemon->io(), r1);
        pfed::register_operational_tools(*daemon, *ctx);
        ticker = std::make_unique<boost::asio::steady_timer>(daemon->io());
        tick();
        runner = std::thread([this] { daemon->run(); });
        for (int i = 0; i < 300 && !std::filesystem::exists(paths.socket("pfed")); ++i) {
            std::this_thread::sleep_for(10ms);
        }
    }

    ~Lab() {
        boost::asio::post(daemon->io(), [this] {
            ticker->cancel();
            daemon->stop();
        });
        runner.join();
    }

    void link(const std::string& a, const std::string& a_if, const std::string& b, const std::string& b_if) {
        wires[{a, a_if}] = {b, b_if};
        wires[{b, b_if}] = {a, a_if};
        REQUIRE(node(a).set_link_up(a_if, true).ok());
        REQUIRE(node(b).set_link_up(b_if, true).ok());
    }

    void tick() {
        ticker->expires_after(20ms);
        ticker->async_wait([this](const boost::system::error_code& ec) {
            if (ec) {
                return;
            }
            for (auto& [n, e] : nodes) {
                e->tick();
            }
            tick();
        });
    }

    // Runs a streaming call; `on_progress` may set the interrupt flag (Ctrl-C).
    struct Result {
        ipc::Reply reply;
        std::vector<std::string> names;  // progress element names
        std::string text;                // rendered progress + result, as the CLI prints them
    };
    template <class Renderer>
    Result call(const std::string& request_xml, Renderer renderer,
                std::function<void(const pugi::xml_node&, volatile std::sig_atomic_t&)> on_progress = {}) {
        pugi::xml_document req;
        REQUIRE(req.load_string(request_xml.c_str()));
        ipc::SyncClient client(paths.socket("pfed"), "pfed");
        Result r;
        static volatile std::sig_atomic_t interrupted;
        interrupted = 0;
        r.reply = client.call_streaming(
            req.document_element(), 15000ms,
            [&](const pugi::xml_node& body) {
                r.names.emplace_back(body.name());
                r.text += renderer.progress(body);
                if (on_progress) {
                    on_progress(body, interrupted);
                }
            },
            &interrupted);
        if (r.reply.ok()) {
            r.text += renderer.result(r.reply.root());
        }
        return r;
    }

    size_t listeners() {
        std::atomic<size_t> n{1000};
        boost::asio::post(daemon->io(), [&] { n = ctx->listeners(); });
        for (int i = 0; i < 200 && n == 1000; ++i) {
            std::this_thread::sleep_for(5ms);
        }
        return n;
    }
};

size_t count_of(const std::vector<std::string>& v, const std::string& what) {
    return static_cast<size_t>(std::count(v.begin(), v.end(), what));
}

// Replaces every "time=N.NNN ms" / "N.NNN ms" figure by "T" so transcripts compare.
std::string without_times(std::string s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        if (std::isdigit(static_cast<unsigned char>(s[i])) &&
            (i == 0 || !std::isdigit(static_cast<unsigned char>(s[i - 1])))) {
            size_t j = i;
            while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
                ++j;
            }
            if (j + 4 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1])) &&
                std::isdigit(static_cast<unsigned char>(s[j + 2])) &&
                std::isdigit(static_cast<unsigned char>(s[j + 3]))) {
                out += "T";
                i = j + 4;
                continue;
            }
        }
        out += s[i++];
    }
    return out;
}

}  // namespace

TEST_CASE("ping count 3 through a router: three replies and the statistics") {
    Lab lab;
    auto r = lab.call("<ping><host>10.2.2.10</host><count>3</count><interval>0.2</interval></ping>",
                      shell::PingRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(count_of(r.names, "probe-result") == 3);
    auto sum = r.reply.root().child("ping-results").child("probe-results-summary");
    CHECK(sum.child("probes-sent").text().as_int() == 3);
    CHECK(sum.child("responses-received").text().as_int() == 3);
    CHECK(sum.child("packet-loss").text().as_int() == 0);
    CHECK(without_times(r.text) ==
          "PING 10.2.2.10 (10.2.2.10): 56 data bytes\n"
          "64 bytes from 10.2.2.10: icmp_seq=0 ttl=63 time=T ms\n"
          "64 bytes from 10.2.2.10: icmp_seq=1 ttl=63 time=T ms\n"
          "64 bytes from 10.2.2.10: icmp_seq=2 ttl=63 time=T ms\n"
          "\n"
          "--- 10.2.2.10 ping statistics ---\n"
          "3 packets transmitted, 3 packets received, 0% packet loss\n"
          "round-trip min/avg/max/stddev = T/T/T/T ms\n");
    CHECK(lab.listeners() == 0);
}

TEST_CASE("ping rapid and size") {
    Lab lab;
    auto r = lab.call("<ping><host>10.2.2.10</host><rapid/><size>100</size></ping>", shell::PingRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(without_times(r.text) ==
          "PING 10.2.2.10 (10.2.2.10): 100 data bytes\n"
          "!!!!!\n"
          "--- 10.2.2.10 ping statistics ---\n"
          "5 packets transmitted, 5 packets received, 0% packet loss\n"
          "round-trip min/avg/max/stddev = T/T/T/T ms\n");
}

TEST_CASE("ping the router's own address, normal and rapid") {
    Lab lab;
    auto r = lab.call("<ping><host>10.5.5.5</host><count>2</count><interval>0.1</interval></ping>",
                      shell::PingRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(without_times(r.text) ==
          "PING 10.5.5.5 (10.5.5.5): 56 data bytes\n"
          "64 bytes from 10.5.5.5: icmp_seq=0 ttl=64 time=T ms\n"
          "64 bytes from 10.5.5.5: icmp_seq=1 ttl=64 time=T ms\n"
          "\n"
          "--- 10.5.5.5 ping statistics ---\n"
          "2 packets transmitted, 2 packets received, 0% packet loss\n"
          "round-trip min/avg/max/stddev = T/T/T/T ms\n");
    r = lab.call("<ping><host>10.5.5.5</host><rapid/><count>20</count></ping>", shell::PingRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(r.text.find("\n!!!!!!!!!!!!!!!!!!!!\n--- 10.5.5.5 ping statistics ---\n"
                      "20 packets transmitted, 20 packets received, 0% packet loss\n") != std::string::npos);
}

TEST_CASE("ping to an address nobody answers: host unreachable from the router that gave up on ARP") {
    Lab lab;
    auto r =
        lab.call("<ping><host>10.2.2.99</host><count>2</count><interval>0.1</interval><wait>5</wait></ping>",
                 shell::PingRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(r.text.find("92 bytes from 10.5.5.6: Destination Host Unreachable\n"
                      "Vr HL TOS  Len   ID Flg  off TTL Pro  cks      Src      Dst\n"
                      " 4  5  00 0054 ") != std::string::npos);
    CHECK(r.text.find("2 packets transmitted, 0 packets received, 100% packet loss\n") != std::string::npos);
    CHECK(r.text.find("round-trip") == std::string::npos);
}

TEST_CASE("ping without a route: sendto errors, counted as sent") {
    Lab lab;
    auto r = lab.call("<ping><host>192.0.2.1</host><count>2</count><interval>0.1</interval></ping>",
                      shell::PingRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(r.text ==
          "PING 192.0.2.1 (192.0.2.1): 56 data bytes\n"
          "ping: sendto: No route to host\n"
          "ping: sendto: No route to host\n"
          "\n"
          "--- 192.0.2.1 ping statistics ---\n"
          "2 packets transmitted, 0 packets received, 100% packet loss\n");
}

TEST_CASE("ping names that are not addresses, and bad options, are rpc errors") {
    Lab lab;
    auto r = lab.call("<ping><host>host-b</host></ping>", shell::PingRenderer{});
    CHECK(r.reply.status == ipc::Reply::Status::rpc_error);
    CHECK(r.reply.error_message == "ping: cannot resolve host-b: Unknown host");
    r = lab.call("<ping><host>10.2.2.10</host><interval>0.01</interval></ping>", shell::PingRenderer{});
    CHECK(r.reply.status == ipc::Reply::Status::rpc_error);
    r = lab.call("<ping><host>10.2.2.10</host><source>10.9.9.9</source></ping>", shell::PingRenderer{});
    CHECK(r.reply.error_message == "ping: bind: Can't assign requested address");
    CHECK(lab.listeners() == 0);
    r = lab.call("<ping><host>10.2.2.10</host><count>1</count><source>10.5.5.5</source></ping>",
                 shell::PingRenderer{});
    CHECK(r.reply.ok());
    CHECK(r.text.find("64 bytes from 10.2.2.10: icmp_seq=0 ttl=63") != std::string::npos);
    // A bare <ping/> is still the daemon's liveness check.
    ipc::SyncClient client(lab.paths.socket("pfed"), "pfed");
    auto pong = client.call("ping");
    REQUIRE(pong.ok());
    CHECK(std::string(pong.root().child("pong").child_value("daemon")) == "pfed");
}

TEST_CASE("cancelling a ping that has no count still replies with the statistics") {
    Lab lab;
    int results = 0;
    auto r = lab.call("<ping><host>10.2.2.10</host><interval>0.1</interval></ping>", shell::PingRenderer{},
                      [&](const pugi::xml_node& body, volatile std::sig_atomic_t& interrupted) {
                          if (std::string(body.name()) == "probe-result" && ++results == 3) {
                              interrupted = 1;
                          }
                      });
    REQUIRE(r.reply.ok());
    auto sum = r.reply.root().child("ping-results").child("probe-results-summary");
    CHECK(sum.child("probes-sent").text().as_int() >= 3);
    CHECK(sum.child("responses-received").text().as_int() >= 3);
    CHECK(r.text.find("--- 10.2.2.10 ping statistics ---") != std::string::npos);
    CHECK(lab.listeners() == 0);
}

TEST_CASE("a caller that goes away ends its ping, and a quiet session sends keepalives") {
    Lab lab;
    {
        pugi::xml_document req;
        req.load_string("<monitor-traffic><interface>fe-0/0/1</interface></monitor-traffic>");
        ipc::SyncClient client(lab.paths.socket("pfed"), "pfed");
        std::vector<std::string> names;
        // Nothing crosses fe-0/0/1: only keepalives keep the call alive past its 3 s idle timeout.
        static volatile std::sig_atomic_t flag;
        flag = 0;
        auto reply = client.call_streaming(
            req.document_element(), 3000ms,
            [&](const pugi::xml_node& body) {
                names.emplace_back(body.name());
                if (names.size() == 4) {
                    flag = 1;
                }
            },
            &flag);
        CHECK(reply.ok());
        CHECK(count_of(names, "msim-keepalive") == 3);
    }
    {
        pugi::xml_document req;
        req.load_string("<ping><host>10.2.2.10</host></ping>");
        ipc::SyncClient client(lab.paths.socket("pfed"), "pfed");
        // The call times out on our side after the first reply; the client then goes away mid-ping.
        auto reply = client.call_streaming(req.document_element(), 300ms, [](const pugi::xml_node&) {});
        CHECK(reply.status == ipc::Reply::Status::timeout);
    }
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = lab.listeners() == 0;
        std::this_thread::sleep_for(10ms);
    }
    CHECK(gone);
}

TEST_CASE("traceroute through one router shows two hops") {
    Lab lab;
    auto r = lab.call("<traceroute><host>10.2.2.10</host><wait>2</wait></traceroute>",
                      shell::TracerouteRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(count_of(r.names, "hop") == 2);
    CHECK(without_times(r.text) ==
          "traceroute to 10.2.2.10 (10.2.2.10), 30 hops max, 40 byte packets\n"
          " 1  10.5.5.6 (10.5.5.6)  T ms  T ms  T ms\n"
          " 2  10.2.2.10 (10.2.2.10)  T ms  T ms  T ms\n");
    CHECK(lab.listeners() == 0);
}

TEST_CASE("traceroute to the router's own address: one hop, answered by its own port unreachable") {
    Lab lab;
    auto r =
        lab.call("<traceroute><host>10.5.5.5</host><wait>1</wait></traceroute>", shell::TracerouteRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(without_times(r.text) ==
          "traceroute to 10.5.5.5 (10.5.5.5), 30 hops max, 40 byte packets\n"
          " 1  10.5.5.5 (10.5.5.5)  T ms  T ms  T ms\n");
}

TEST_CASE("ping with ttl 1: time to live exceeded from the first router, with the returned header") {
    Lab lab;
    auto r =
        lab.call("<ping><host>10.2.2.10</host><count>1</count><ttl>1</ttl></ping>", shell::PingRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(r.text.find("92 bytes from 10.5.5.6: Time to live exceeded\n"
                      "Vr HL TOS  Len   ID Flg  off TTL Pro  cks      Src      Dst\n"
                      " 4  5  00 0054 ") != std::string::npos);
    CHECK(r.text.find(" 10.5.5.5  10.2.2.10 \n") != std::string::npos);
    CHECK(r.text.find("1 packets transmitted, 0 packets received, 100% packet loss\n") != std::string::npos);
}

TEST_CASE("traceroute to an address with no route") {
    Lab lab;
    auto r = lab.call("<traceroute><host>192.0.2.1</host><wait>1</wait></traceroute>",
                      shell::TracerouteRenderer{});
    REQUIRE(r.reply.ok());
    CHECK(r.text ==
          "traceroute to 192.0.2.1 (192.0.2.1), 30 hops max, 40 byte packets\n"
          "traceroute: sendto: No route to host\n"
          "traceroute: sendto: No route to host\n"
          "traceroute: sendto: No route to host\n"
          " 1  * * *\n");
}

TEST_CASE("monitor traffic count 2 sees a ping's request and reply") {
    Lab lab;
    auto r = lab.call("<monitor-traffic><interface>fe-0/0/0</interface><count>2</count></monitor-traffic>",
                      shell::MonitorRenderer{}, [&](const pugi::xml_node& body, volatile std::sig_atomic_t&) {
                          if (std::string(body.name()) == "monitor-start") {
                              // ARP is resolved first (its frames are seen too), so ping twice.
                              boost::asio::post(lab.daemon->io(), [&] {
                                  EchoRequest req;
                                  req.destination = ip("10.5.5.6");
                                  req.identifier = 7;
                                  (void)lab.node("r1").send_echo_request(req);
                              });
                          }
                      });
    REQUIRE(r.reply.ok());
    CHECK(count_of(r.names, "packet") == 2);
    CHECK(r.reply.root().child("monitor-traffic-results").child("packets").text().as_int() == 2);
    const std::string& t = r.text;
    CHECK(t.rfind("verbose output suppressed, use <detail> or <extensive> for full protocol decode\n"
                  "Address resolution is ON. Use <no-resolve> to avoid any reverse lookup delay.\n"
                  "Address resolution timeout is 4s.\n"
                  "Listening on fe-0/0/0, capture size 96 bytes\n\n",
                  0) == 0);
    CHECK(t.find(" Out arp who-has 10.5.5.6 tell 10.5.5.5\n") != std::string::npos);
    CHECK(t.find("  In arp reply 10.5.5.6 is-at ") != std::string::npos);
    CHECK(t.find("2 packets received by filter\n0 packets dropped by kernel\n") != std::string::npos);
    CHECK(lab.listeners() == 0);
}

TEST_CASE("monitor traffic on an interface that does not exist") {
    Lab lab;
    auto r = lab.call("<monitor-traffic><interface>ge-9/9/9</interface></monitor-traffic>",
                      shell::MonitorRenderer{});
    CHECK(r.reply.status == ipc::Reply::Status::rpc_error);
    CHECK(r.reply.error_message == "interface ge-9/9/9 not found");
}
