// The Pfed object in-process (no daemons spawned): chassis PIC states make interfaces appear and disappear,
// ES PIC models outlive their PIC going offline, listeners fan out.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "msim/pfed/pfed.hpp"

using namespace msim;
using namespace msim::pfed;
namespace dp = msim::dataplane;

namespace {

dp::UnitConfig unit0(const char* address) {
    dp::UnitConfig u;
    u.addresses.push_back({*dp::Ipv4Prefix::parse(address), std::nullopt});
    return u;
}

struct TempRouter {
    std::filesystem::path dir;
    RouterPaths paths;
    TempRouter() {
        char tmpl[] = "/tmp/pfed-unit.XXXXXX";
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

pugi::xml_node pic(pugi::xml_document& doc, int fpc, int slot, const char* type, const char* state,
                   std::vector<std::string> interfaces) {
    auto p = doc.append_child("pic");
    p.append_child("fpc-slot").text().set(fpc);
    p.append_child("pic-slot").text().set(slot);
    p.append_child("pic-type").text().set(type);
    p.append_child("state").text().set(state);
    for (const auto& i : interfaces) {
        p.append_child("interface").text().set(i.c_str());
    }
    return p;
}

}  // namespace

TEST_CASE("pfed: PIC states create and delete interfaces; the ES PIC model survives offline") {
    TempRouter router;
    Daemon daemon("pfed", router.paths);
    Pfed pfed(daemon, config::Schema::load(MSIM_YANG_DIR));
    CHECK(pfed.engine().interface("lo0"));

    pugi::xml_document doc;
    pfed.pic_state(pic(doc, 0, 0, "4x-fe", "online", {"fe-0/0/0", "fe-0/0/1", "fe-0/0/2", "fe-0/0/3"}));
    pfed.pic_state(pic(doc, 0, 1, "es", "online", {"es-0/1/0"}));
    CHECK(pfed.engine().interfaces().size() == 6);
    CHECK(pfed.interface_kind("fe-0/0/1") == dp::InterfaceKind::kFastEthernet);
    CHECK(pfed.interface_kind("fe-0/0/1.0") == dp::InterfaceKind::kFastEthernet);
    CHECK_FALSE(pfed.interface_kind("ge-1/1/0"));
    CHECK_FALSE(pfed.engine().interface("fe-0/0/0")->link_up);  // no wire: link down
    dp::EsPic* es = pfed.es_pic("es-0/1/0");
    REQUIRE(es != nullptr);
    CHECK(pfed.engine().interface("es-0/1/0")->service_pic_attached);

    pfed.pic_state(pic(doc, 0, 1, "es", "offline", {"es-0/1/0"}));
    CHECK_FALSE(pfed.engine().interface("es-0/1/0"));
    CHECK(pfed.es_pic("es-0/1/0") == es);  // kept: its SAs survive
    pfed.pic_state(pic(doc, 0, 1, "es", "online", {"es-0/1/0"}));
    CHECK(pfed.es_pic("es-0/1/0") == es);
    CHECK(pfed.engine().interface("es-0/1/0")->service_pic_attached);

    // `present` (FPC offline) is not online either.
    const auto before = *pfed.engine().interface("fe-0/0/1");
    pfed.pic_state(pic(doc, 0, 0, "4x-fe", "present", {"fe-0/0/0", "fe-0/0/1", "fe-0/0/2", "fe-0/0/3"}));
    CHECK_FALSE(pfed.engine().interface("fe-0/0/0"));
    // Back online, a port keeps its index and so its MAC (hosts on the wire keep it in their ARP cache).
    pfed.pic_state(pic(doc, 0, 0, "4x-fe", "online", {"fe-0/0/0", "fe-0/0/1", "fe-0/0/2", "fe-0/0/3"}));
    const auto after = *pfed.engine().interface("fe-0/0/1");
    CHECK(after.index == before.index);
    CHECK(after.snmp_index == before.snmp_index);
    CHECK(after.mac == before.mac);
    const std::string log = router.messages();
    CHECK(log.find("PIC 0/1 offline: interface es-0/1/0 deleted") != std::string::npos);
    CHECK(log.find("PIC 0/0 online: interface fe-0/0/3 created") != std::string::npos);
}

TEST_CASE("pfed: ICMP listeners and packet taps fan out and may remove themselves") {
    TempRouter router;
    Daemon daemon("pfed", router.paths);
    Pfed pfed(daemon, config::Schema::load(MSIM_YANG_DIR));
    REQUIRE(pfed.engine().configure_unit("lo0", unit0("10.255.0.1/32")).ok());
    int first = 0, second = 0;
    uint64_t id1 = 0;
    id1 = pfed.add_icmp_listener([&](const dp::IcmpEvent&) {
        ++first;
        pfed.remove_icmp_listener(id1);
    });
    pfed.add_icmp_listener([&](const dp::IcmpEvent&) { ++second; });
    for (uint16_t seq = 0; seq < 2; ++seq) {
        dp::EchoRequest req;
        req.destination = *dp::Ipv4Address::parse("10.255.0.1");  // ourselves: the reply comes back to us
        req.sequence = seq;
        pfed.engine().send_echo_request(req);
    }
    CHECK(first == 1);
    CHECK(second == 2);

    // A tap that removes itself on its first frame (monitor traffic count 1), then a new one.
    pugi::xml_document doc;
    pfed.pic_state(pic(doc, 0, 0, "4x-fe", "online", {"fe-0/0/0"}));
    REQUIRE(pfed.engine().configure_unit("fe-0/0/0", unit0("10.0.0.1/24")).ok());
    REQUIRE(pfed.engine().set_link_up("fe-0/0/0", true).ok());
    int taps = 0;
    uint64_t tap = 0;
    tap = pfed.add_packet_tap([&](const std::string& ifname, dp::TapDirection dir, std::span<const uint8_t>) {
        CHECK(ifname == "fe-0/0/0");
        CHECK(dir == dp::TapDirection::kOut);
        ++taps;
        pfed.remove_packet_tap(tap);
    });
    auto ping = [&](const char* to) {
        dp::EchoRequest req;
        req.destination = *dp::Ipv4Address::parse(to);
        pfed.engine().send_echo_request(req);  // an ARP request leaves fe-0/0/0 (to no wire)
    };
    ping("10.0.0.2");
    ping("10.0.0.3");
    CHECK(taps == 1);
    daemon.io().poll();  // the engine's tap is uninstalled outside the packet path
    int again = 0;
    pfed.add_packet_tap([&](const std::string&, dp::TapDirection, std::span<const uint8_t>) { ++again; });
    ping("10.0.0.4");
    CHECK(again == 1);
}
