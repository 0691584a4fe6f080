// The proof: two in-process sessions negotiate phase 1 and quick mode with each other.
#include <doctest/doctest.h>

#include "msim/kmd/proposals.hpp"
#include "session_harness.hpp"

#include <cstdlib>
#include <fstream>

using namespace msim::kmd;
using namespace msim::kmd::test;

namespace {

Bytes text(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

Endpoint ep(const char* addr, std::uint16_t port = 500) {
    return *Endpoint::parse(addr, port);
}

std::pair<Phase1Config, Phase1Config> configs(IkeProposal p, Phase1Mode mode = Phase1Mode::Main) {
    Phase1Config i, r;
    i.mode = r.mode = mode;
    i.proposals = r.proposals = {p};
    i.pre_shared_key = r.pre_shared_key = text("juniper123");
    i.local = r.remote = ep("192.0.2.1");
    i.remote = r.local = ep("192.0.2.2");
    return {i, r};
}

IkeProposal ike_3des_sha1_g2() {
    return IkeProposal{};
}
IkeProposal ike_des_md5_g1() {
    IkeProposal p;
    p.encryption = EncryptionAlgorithm::DesCbc;
    p.hash = HashAlgorithm::Md5;
    p.group = DhGroup::Modp768;
    return p;
}

IpsecProposal esp(EspCipher c, AuthAlgorithm a) {
    IpsecProposal p;
    p.encryption = c;
    p.authentication = a;
    return p;
}

const IpsecSaKeys* find_sa(const ChildSa& c, IpsecProtocol proto, std::uint32_t spi, bool inbound) {
    for (const auto& k : c.sas)
        if (k.protocol == proto && k.spi == spi && k.inbound == inbound)
            return &k;
    return nullptr;
}

// Every outbound SA of one side is the other side's inbound SA with the same SPI and keys.
void check_mirrored(const ChildSa& a, const ChildSa& b) {
    REQUIRE(a.sas.size() == b.sas.size());
    REQUIRE_FALSE(a.sas.empty());
    for (const auto& k : a.sas) {
        const auto* peer = find_sa(b, k.protocol, k.spi, !k.inbound);
        REQUIRE(peer != nullptr);
        CHECK(peer->encryption_key == k.encryption_key);
        CHECK(peer->authentication_key == k.authentication_key);
        CHECK(peer->cipher == k.cipher);
        CHECK(peer->authentication == k.authentication);
        CHECK(peer->mode == k.mode);
        CHECK(peer->lifetime_seconds == k.lifetime_seconds);
        CHECK(k.authentication_key.size() == auth_key_size(k.authentication));
        if (k.protocol == IpsecProtocol::Esp)
            CHECK(k.encryption_key.size() == esp_key_size(k.cipher, k.key_bits));
    }
    // Inbound and outbound keys differ (different SPIs in KEYMAT).
    for (const auto& k : a.sas)
        for (const auto& other : a.sas)
            if (&k != &other && k.protocol == other.protocol)
                CHECK(k.authentication_key != other.authentication_key);
}

void check_established(const Phase1Run& run) {
    REQUIRE(run.initiator->established());
    REQUIRE(run.responder);
    REQUIRE(run.responder->established());
    const IkeSa* i = run.initiator->ike_sa();
    const IkeSa* r = run.responder->ike_sa();
    REQUIRE(i);
    REQUIRE(r);
    CHECK(i->initiator_cookie == r->initiator_cookie);
    CHECK(i->responder_cookie == r->responder_cookie);
    CHECK(i->skeyid_d == r->skeyid_d);
    CHECK(i->skeyid_a == r->skeyid_a);
    CHECK(i->encryption_key == r->encryption_key);
    CHECK(i->last_phase1_block == r->last_phase1_block);
    CHECK(i->remote_id == r->local_id);
    CHECK(r->remote_id == i->local_id);
    CHECK(run.ievents.find(EventType::IkeSaEstablished));
    CHECK(run.revents.find(EventType::IkeSaEstablished));
}

struct Full {
    Phase1Run p1;
    QuickRun qm;
    CountingSpis ispis{0x1000};
    CountingSpis rspis{0x2000};
};

void negotiate(Full& f, const CryptoProvider& c, IkeProposal ike, QuickModeConfig qi, QuickModeConfig qr,
               Phase1Mode mode = Phase1Mode::Main) {
    auto [i, r] = configs(ike, mode);
    run_phase1(f.p1, c, i, r);
    check_established(f.p1);
    run_quick(f.qm, c, *f.p1.initiator->ike_sa(), *f.p1.responder->ike_sa(), qi, {qr}, f.ispis, f.rspis);
}

}  // namespace

TEST_CASE("main mode + quick mode, PSK 3des-cbc/sha1/group2, without and with PFS") {
    auto c = make_crypto();
    for (bool pfs : {false, true}) {
        CAPTURE(pfs);
        Full f;
        QuickModeConfig q;
        q.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
        if (pfs)
            q.pfs_group = DhGroup::Modp1024;
        negotiate(f, *c, ike_3des_sha1_g2(), q, q);
        REQUIRE(f.qm.initiator->established());
        REQUIRE(f.qm.responder->established());
        const ChildSa* ci = f.qm.initiator->child_sa();
        const ChildSa* cr = f.qm.responder->child_sa();
        check_mirrored(*ci, *cr);
        CHECK(ci->sas.size() == 2);
        CHECK(ci->sas[0].encryption_key.size() == 24);
        CHECK(ci->sas[0].authentication_key.size() == 20);
        CHECK(ci->pfs_group == q.pfs_group);
        CHECK(f.p1.initiator->ike_sa()->proposal == ike_3des_sha1_g2());
        CHECK(f.qm.revents.find(EventType::ChildSaEstablished));
        // The initial-contact notification travelled inside message 5.
        CHECK(f.p1.responder->ike_sa()->initial_contact_received);
        // 6 phase 1 messages and 3 quick mode messages.
        CHECK(f.p1.wire.all.size() == 6);
        CHECK(f.qm.all.size() == 3);
    }
}

TEST_CASE("main mode + quick mode, PSK des-cbc/md5/group1, without and with PFS (group1)") {
    auto c = make_crypto();
    for (bool pfs : {false, true}) {
        CAPTURE(pfs);
        Full f;
        QuickModeConfig q;
        q.proposals = {esp(EspCipher::Des, AuthAlgorithm::HmacMd5)};
        if (pfs)
            q.pfs_group = DhGroup::Modp768;
        negotiate(f, *c, ike_des_md5_g1(), q, q);
        REQUIRE(f.qm.initiator->established());
        REQUIRE(f.qm.responder->established());
        check_mirrored(*f.qm.initiator->child_sa(), *f.qm.responder->child_sa());
        CHECK(f.qm.initiator->child_sa()->sas[0].encryption_key.size() == 8);
        CHECK(f.qm.initiator->child_sa()->sas[0].authentication_key.size() == 16);
    }
}

TEST_CASE("aggressive mode + quick mode with PSK") {
    auto c = make_crypto();
    Full f;
    QuickModeConfig q;
    q.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
    q.pfs_group = DhGroup::Modp1024;
    negotiate(f, *c, ike_3des_sha1_g2(), q, q, Phase1Mode::Aggressive);
    CHECK(f.p1.wire.all.size() == 3);
    REQUIRE(f.qm.initiator->established());
    REQUIRE(f.qm.responder->established());
    check_mirrored(*f.qm.initiator->child_sa(), *f.qm.responder->child_sa());
}

TEST_CASE("AES-128 IKE, AH-only and AH+ESP bundle child SAs") {
    auto c = make_crypto();
    IkeProposal aes;
    aes.encryption = EncryptionAlgorithm::AesCbc;
    aes.key_bits = 128;
    aes.group = DhGroup::Modp2048;
    for (auto proto : {IpsecProposal::Protocol::Ah, IpsecProposal::Protocol::Bundle}) {
        Full f;
        QuickModeConfig q;
        IpsecProposal p = esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1);
        p.protocol = proto;
        q.proposals = {p};
        negotiate(f, *c, aes, q, q);
        REQUIRE(f.qm.initiator->established());
        REQUIRE(f.qm.responder->established());
        check_mirrored(*f.qm.initiator->child_sa(), *f.qm.responder->child_sa());
        CHECK(f.qm.initiator->child_sa()->sas.size() == (proto == IpsecProposal::Protocol::Bundle ? 4u : 2u));
    }
}

TEST_CASE("a wrong pre-shared key fails authentication on both sides and creates no SA") {
    auto c = make_crypto();
    for (auto mode : {Phase1Mode::Main, Phase1Mode::Aggressive}) {
        CAPTURE(mode == Phase1Mode::Main);
        auto [i, r] = configs(ike_3des_sha1_g2(), mode);
        r.pre_shared_key = text("not-the-same");
        Phase1Run run;
        run_phase1(run, *c, i, r);
        CHECK(run.initiator->failed());
        REQUIRE(run.responder);
        CHECK(run.responder->failed());
        CHECK(run.initiator->ike_sa() == nullptr);
        CHECK(run.responder->ike_sa() == nullptr);
        // The side that detects the mismatch reports AUTHENTICATION-FAILED and notifies the other.
        const Recorder& detector = mode == Phase1Mode::Main ? run.revents : run.ievents;
        const Recorder& notified = mode == Phase1Mode::Main ? run.ievents : run.revents;
        const Event* fail = detector.find(EventType::IkeSaFailed);
        REQUIRE(fail);
        REQUIRE(fail->error);
        CHECK(fail->error->code == ErrorCode::AuthenticationFailed);
        CHECK(detector.has_notify(EventType::NotifySent, isakmp::notify::AuthenticationFailed));
        CHECK(notified.has_notify(EventType::NotifyReceived, isakmp::notify::AuthenticationFailed));
        CHECK(notified.find(EventType::IkeSaFailed));
        CHECK_FALSE(run.ievents.find(EventType::IkeSaEstablished));
        CHECK_FALSE(run.revents.find(EventType::IkeSaEstablished));
        // A failed session answers nothing, not even a retransmission (strongSwan retransmits message 5).
        for (const auto& [to_responder, datagram] : run.wire.all)
            if (to_responder)
                CHECK(run.responder->handle(datagram).send.empty());
    }
}

TEST_CASE("a proposal mismatch fails with NO-PROPOSAL-CHOSEN in phase 1 and in quick mode") {
    auto c = make_crypto();
    SUBCASE("phase 1") {
        auto [i, r] = configs(ike_3des_sha1_g2());
        r.proposals = {ike_des_md5_g1()};
        Phase1Run run;
        run_phase1(run, *c, i, r);
        CHECK(run.initiator->failed());
        CHECK(run.responder->failed());
        CHECK(run.revents.find(EventType::IkeSaFailed)->error->code == ErrorCode::NoProposalChosen);
        CHECK(run.ievents.has_notify(EventType::NotifyReceived, isakmp::notify::NoProposalChosen));
        CHECK(run.wire.all.size() == 2);
    }
    SUBCASE("quick mode") {
        Full f;
        QuickModeConfig qi, qr;
        qi.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
        qr.proposals = {esp(EspCipher::Des, AuthAlgorithm::HmacMd5)};
        negotiate(f, *c, ike_3des_sha1_g2(), qi, qr);
        CHECK(f.qm.responder->failed());
        CHECK(f.qm.initiator->failed());
        CHECK(f.qm.informational_to_initiator ==
              std::vector<std::uint16_t>{isakmp::notify::NoProposalChosen});
        CHECK(f.qm.initiator->child_sa() == nullptr);
    }
    SUBCASE("quick mode PFS on one side only") {
        Full f;
        QuickModeConfig qi, qr;
        qi.proposals = qr.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
        qr.pfs_group = DhGroup::Modp1024;
        negotiate(f, *c, ike_3des_sha1_g2(), qi, qr);
        CHECK(f.qm.responder->failed());
        CHECK(f.qm.initiator->failed());
    }
}

TEST_CASE("proxy identities select the responder's policy; unknown ones give INVALID-ID-INFORMATION") {
    auto c = make_crypto();
    TrafficSelector a{{10, 1, 0, 0}, 24}, b{{10, 2, 0, 0}, 24}, other{{10, 9, 0, 0}, 16};
    QuickModeConfig qi, qr, qr_other;
    qi.proposals = qr.proposals = qr_other.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
    qi.local_selector = a;
    qi.remote_selector = b;
    qr.local_selector = b;
    qr.remote_selector = a;
    qr_other.local_selector = other;
    qr_other.remote_selector = a;
    {
        Full f;
        auto [i, r] = configs(ike_3des_sha1_g2());
        run_phase1(f.p1, *c, i, r);
        run_quick(f.qm, *c, *f.p1.initiator->ike_sa(), *f.p1.responder->ike_sa(), qi, {qr_other, qr}, f.ispis,
                  f.rspis);
        REQUIRE(f.qm.responder->established());
        REQUIRE(f.qm.initiator->established());
        CHECK(f.qm.responder->child_sa()->local_selector == b);
        CHECK(f.qm.responder->child_sa()->remote_selector == a);
    }
    {
        Full f;
        auto [i, r] = configs(ike_3des_sha1_g2());
        run_phase1(f.p1, *c, i, r);
        run_quick(f.qm, *c, *f.p1.initiator->ike_sa(), *f.p1.responder->ike_sa(), qi, {qr_other}, f.ispis,
                  f.rspis);
        CHECK(f.qm.responder->failed());
        CHECK(f.qm.initiator->failed());
        CHECK(f.qm.informational_to_initiator ==
              std::vector<std::uint16_t>{isakmp::notify::InvalidIdInformation});
    }
}

TEST_CASE("phase 1 identities: a configured remote identity must match") {
    auto c = make_crypto();
    auto [i, r] = configs(ike_3des_sha1_g2());
    i.local_id = Identity::fqdn("gw-a.example.net");
    r.remote_id = Identity::fqdn("gw-a.example.net");
    r.local_id = Identity::user_fqdn("admin@gw-b.example.net");
    Phase1Run ok;
    run_phase1(ok, *c, i, r);
    check_established(ok);
    CHECK(ok.initiator->ike_sa()->remote_id == Identity::user_fqdn("admin@gw-b.example.net"));
    r.remote_id = Identity::fqdn("someone-else.example.net");
    Phase1Run bad;
    run_phase1(bad, *c, i, r);
    CHECK(bad.responder->failed());
    CHECK(bad.revents.find(EventType::IkeSaFailed)->error->code == ErrorCode::InvalidIdInformation);
    CHECK(bad.initiator->failed());
}

TEST_CASE("the shorter lifetime wins in phase 1 and in quick mode") {
    auto c = make_crypto();
    IkeProposal long_ike, short_ike;
    long_ike.lifetime_seconds = 86400;
    short_ike.lifetime_seconds = 600;
    auto [i, r] = configs(long_ike);
    r.proposals = {short_ike};
    Full f;
    run_phase1(f.p1, *c, i, r);
    check_established(f.p1);
    CHECK(f.p1.responder->ike_sa()->proposal.lifetime_seconds == 600);
    QuickModeConfig qi, qr;
    qi.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
    qr.proposals = qi.proposals;
    qi.proposals[0].lifetime_seconds = 28800;
    qr.proposals[0].lifetime_seconds = 3600;
    run_quick(f.qm, *c, *f.p1.initiator->ike_sa(), *f.p1.responder->ike_sa(), qi, {qr}, f.ispis, f.rspis);
    REQUIRE(f.qm.initiator->established());
    CHECK(f.qm.initiator->child_sa()->lifetime_seconds == 3600);
    CHECK(f.qm.responder->child_sa()->lifetime_seconds == 3600);
    CHECK(f.qm.ievents.has_notify(EventType::NotifyReceived, isakmp::notify::ResponderLifetime));
}

TEST_CASE("NAT-D detects a NAT between the peers and quick mode uses UDP-encapsulated tunnel mode") {
    auto c = make_crypto();
    auto [i, r] = configs(ike_3des_sha1_g2());
    i.local = ep("10.0.0.1");             // behind a NAT...
    r.remote = ep("198.51.100.7", 4500);  // ...which the responder sees as this address and port
    Full f;
    run_phase1(f.p1, *c, i, r);
    check_established(f.p1);
    CHECK(f.p1.initiator->ike_sa()->local_behind_nat);
    CHECK_FALSE(f.p1.initiator->ike_sa()->remote_behind_nat);
    CHECK(f.p1.responder->ike_sa()->remote_behind_nat);
    CHECK(f.p1.initiator->float_to_nat_t_port());
    CHECK(f.p1.ievents.find(EventType::NatDetected));
    QuickModeConfig q;
    q.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
    run_quick(f.qm, *c, *f.p1.initiator->ike_sa(), *f.p1.responder->ike_sa(), q, {q}, f.ispis, f.rspis);
    REQUIRE(f.qm.responder->established());
    CHECK(f.qm.responder->child_sa()->sas[0].mode == EncapsulationMode::UdpTunnel);
    check_mirrored(*f.qm.initiator->child_sa(), *f.qm.responder->child_sa());
}

TEST_CASE("without NAT-T announced no NAT-D is exchanged and plain tunnel mode is used") {
    auto c = make_crypto();
    auto [i, r] = configs(ike_3des_sha1_g2());
    i.nat_traversal = false;
    Full f;
    run_phase1(f.p1, *c, i, r);
    check_established(f.p1);
    CHECK_FALSE(f.p1.responder->ike_sa()->nat_t);
    CHECK_FALSE(f.p1.initiator->float_to_nat_t_port());
}

TEST_CASE("retransmissions: data-driven schedule, duplicate requests re-answered, limit reached") {
    auto c = make_crypto();
    auto [i, r] = configs(ike_3des_sha1_g2());
    i.retransmit.intervals = {std::chrono::milliseconds(500), std::chrono::milliseconds(1000)};
    Recorder ev;
    Phase1Session s(i, *c, ev);
    Step first = s.start();
    REQUIRE(first.send.size() == 1);
    CHECK(s.retransmit_delay() == std::chrono::milliseconds(500));
    Step again = s.on_retransmit_timer();
    REQUIRE(again.send.size() == 1);
    CHECK(again.send[0] == first.send[0]);
    CHECK(s.retransmit_delay() == std::chrono::milliseconds(1000));
    CHECK(s.on_retransmit_timer().send.size() == 1);
    Step last = s.on_retransmit_timer();
    CHECK(last.send.empty());
    REQUIRE(last.error);
    CHECK(last.error->code == ErrorCode::RetransmitsExhausted);
    CHECK(s.failed());
    CHECK_FALSE(s.retransmit_delay());

    // A responder answers a retransmitted message 3 with the same message 4.
    Recorder ie, re;
    Phase1Session init(i, *c, ie);
    auto m1 = init.start().send.at(0);
    auto [resp, m2] = Phase1Session::respond(r, *c, re, m1);
    auto m2_again = resp->handle(m1);  // a retransmitted message 1 (zero responder cookie)
    REQUIRE(m2_again.send.size() == 1);
    CHECK(m2_again.send[0] == m2.send.at(0));
    auto m3 = init.handle(m2.send.at(0)).send.at(0);
    auto m4 = resp->handle(m3).send.at(0);
    auto m4_again = resp->handle(m3);
    REQUIRE(m4_again.send.size() == 1);
    CHECK(m4_again.send[0] == m4);
    CHECK(resp->state() == Phase1State::ResponderSentKe);
}

TEST_CASE("hostile input never breaks a running session") {
    auto c = make_crypto();
    auto [i, r] = configs(ike_3des_sha1_g2());
    Recorder ie, re;
    Phase1Session init(i, *c, ie);
    auto m1 = init.start().send.at(0);
    auto [resp, m2] = Phase1Session::respond(r, *c, re, m1);
    // Garbage, a wrong cookie and a truncated copy are dropped; the exchange then completes.
    CHECK_FALSE(init.handle(Bytes(50, 0xab)).ok());
    Bytes wrong = m2.send.at(0);
    wrong[0] ^= 1;
    CHECK_FALSE(init.handle(wrong).ok());
    Bytes cut(m2.send[0].begin(), m2.send[0].end() - 5);
    CHECK_FALSE(init.handle(cut).ok());
    CHECK(init.state() == Phase1State::InitiatorSentSa);
    auto m3 = init.handle(m2.send.at(0));
    REQUIRE(m3.ok());
    auto m4 = resp->handle(m3.send.at(0));
    auto m5 = init.handle(m4.send.at(0));
    auto m6 = resp->handle(m5.send.at(0));
    auto done = init.handle(m6.send.at(0));
    CHECK(done.ok());
    CHECK(init.established());
    CHECK(resp->established());
    // A responder refuses first messages that are not main mode 1.
    auto [bad, step] = Phase1Session::respond(r, *c, re, m6.send.at(0));
    CHECK(bad->failed());
    CHECK_FALSE(step.ok());
}

TEST_CASE("protected informational: delete payloads are authenticated with HASH(1)") {
    auto c = make_crypto();
    auto [i, r] = configs(ike_3des_sha1_g2());
    Phase1Run run;
    run_phase1(run, *c, i, r);
    check_established(run);
    isakmp::DeletePayload del{1, isakmp::ProtocolId::Esp, 4, {{0, 0, 0x10, 0}}};
    auto msg = make_informational(*c, *run.initiator->ike_sa(), {del}, 0x55667788);
    REQUIRE(msg.ok());
    auto opened = open_informational(*c, *run.responder->ike_sa(), *msg);
    REQUIRE(opened.ok());
    REQUIRE(opened->size() == 1);
    CHECK(std::get<isakmp::DeletePayload>((*opened)[0]) == del);
    Bytes tampered = *msg;
    tampered[tampered.size() - 9] ^= 0x01;  // flips a bit in the second to last cipher block
    CHECK_FALSE(open_informational(*c, *run.responder->ike_sa(), tampered).ok());
}

// Writes the fuzz seed corpus (tests/fuzz/isakmp/seeds) when KMD_WRITE_SEEDS names a folder: the messages
// of real exchanges produced by these sessions, plus mangled copies. A no-op in ordinary test runs.
TEST_CASE("fuzz seed corpus writer (KMD_WRITE_SEEDS)") {
    const char* dir = std::getenv("KMD_WRITE_SEEDS");
    if (!dir)
        return;
    auto c = make_crypto();
    auto write = [&](const std::string& name, const Bytes& b) {
        std::ofstream out(std::string(dir) + "/" + name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    };
    Full f;
    QuickModeConfig q;
    q.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
    q.pfs_group = DhGroup::Modp1024;
    negotiate(f, *c, ike_3des_sha1_g2(), q, q);
    int n = 1;
    for (const auto& [from_i, d] : f.p1.wire.all)
        write("main-" + std::to_string(n++), d);
    n = 1;
    for (const auto& [from_i, d] : f.qm.all)
        write("quick-" + std::to_string(n++), d);
    Full a;
    negotiate(a, *c, ike_des_md5_g1(), q, q, Phase1Mode::Aggressive);
    n = 1;
    for (const auto& [from_i, d] : a.p1.wire.all)
        write("aggressive-" + std::to_string(n++), d);
    // Quick mode and informational messages valid under the fuzz target's fixed IKE SA.
    IkeSa sa;
    sa.initiator_cookie = {1, 2, 3, 4, 5, 6, 7, 8};
    sa.responder_cookie = {8, 7, 6, 5, 4, 3, 2, 1};
    sa.skeyid_d = Bytes(20, 0x11);
    sa.skeyid_a = Bytes(20, 0x22);
    sa.skeyid_e = Bytes(20, 0x33);
    sa.encryption_key = Bytes(24, 0x44);
    sa.last_phase1_block = Bytes(8, 0x55);
    Recorder ev;
    CountingSpis spis(0x100);
    QuickModeConfig fixed;
    fixed.proposals = {IpsecProposal{}};
    QuickModeSession qi(sa, fixed, *c, ev, spis);
    write("quick-1-fixed-sa", qi.start().send.at(0));
    auto info =
        make_informational(*c, sa, {isakmp::DeletePayload{1, isakmp::ProtocolId::Esp, 4, {{1, 2, 3, 4}}}}, 7);
    write("informational-fixed-sa", *info);
    // Mangled copies.
    Bytes m1 = f.p1.wire.all.at(0).second;
    write("bad-truncated", Bytes(m1.begin(), m1.begin() + 40));
    Bytes longer = m1;
    longer[27] += 1;
    write("bad-header-length", longer);
    Bytes big_payload = m1;
    big_payload[30] = 0xff;
    big_payload[31] = 0xff;
    write("bad-payload-length", big_payload);
    Bytes zero_payload = m1;
    zero_payload[30] = 0;
    zero_payload[31] = 0;
    write("bad-payload-length-zero", zero_payload);
    std::vector<isakmp::Payload> many(70, isakmp::VendorIdPayload{Bytes(16, 1)});
    isakmp::Header h;
    h.initiator_cookie = {9, 9, 9, 9, 9, 9, 9, 9};
    write("bad-too-many-payloads", isakmp::encode(h, many));
    write("unknown-payloads",
          isakmp::encode(h, {isakmp::UnknownPayload{99, {1, 2}}, make_ike_sa({IkeProposal{}}),
                             isakmp::VendorIdPayload{Bytes(20, 3)}}));
    Bytes flipped = f.p1.wire.all.at(2).second;
    for (std::size_t i = 28; i < flipped.size(); i += 7)
        flipped[i] ^= 0x5a;
    write("bad-bitflips", flipped);
    Bytes attr = m1;
    attr[m1.size() - 4 - 3 * 20] ^= 0x80;  // a basic attribute turned variable inside the SA (fuzzed length)
    write("bad-attribute", attr);
}

TEST_CASE("a draft-only NAT-T peer gets NAT-D payload type 130 and draft UDP encapsulation 61443") {
    auto c = make_crypto();
    auto [i, r] = configs(ike_3des_sha1_g2());
    i.local = ep("10.0.0.1");
    r.remote = ep("198.51.100.7", 4500);
    Recorder ie, re;
    Phase1Session init(i, *c, ie);
    // Message 1 without the RFC 3947 vendor ID, as an older peer sends it.
    auto m1 = isakmp::decode(init.start().send.at(0));
    REQUIRE(m1.ok());
    std::erase_if(m1->payloads, [](const isakmp::Payload& p) {
        const auto* v = std::get_if<isakmp::VendorIdPayload>(&p);
        return v && isakmp::classify_vendor_id(v->data) == isakmp::KnownVendor::NatTraversalRfc3947;
    });
    auto [resp, m2] = Phase1Session::respond(r, *c, re, isakmp::encode(m1->header, m1->payloads));
    REQUIRE(m2.ok());
    auto m3 = init.handle(m2.send.at(0));
    REQUIRE(m3.ok());
    auto decoded3 = isakmp::decode(m3.send.at(0));
    REQUIRE(decoded3.ok());
    CHECK(isakmp::payload_type(decoded3->payloads.back()) == isakmp::PayloadType::NatDDraft);
    auto m4 = resp->handle(m3.send.at(0));
    auto m5 = init.handle(m4.send.at(0));
    auto m6 = resp->handle(m5.send.at(0));
    REQUIRE(init.handle(m6.send.at(0)).ok());
    REQUIRE(init.established());
    REQUIRE(resp->established());
    CHECK(init.ike_sa()->nat_t_draft);
    CHECK(init.ike_sa()->local_behind_nat);
    QuickModeConfig q;
    q.proposals = {esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1)};
    QuickRun run;
    CountingSpis si(1), sr(100);
    run_quick(run, *c, *init.ike_sa(), *resp->ike_sa(), q, {q}, si, sr);
    REQUIRE(run.responder->established());
    CHECK(run.responder->child_sa()->sas[0].mode == EncapsulationMode::UdpTunnelDraft);
}

TEST_CASE("delete payloads name the IKE SA by its cookies and a child SA by the sender's inbound SPIs") {
    auto c = make_crypto();
    Full f;
    QuickModeConfig q;
    IpsecProposal bundle = esp(EspCipher::TripleDes, AuthAlgorithm::HmacSha1);
    bundle.protocol = IpsecProposal::Protocol::Bundle;
    q.proposals = {bundle};
    negotiate(f, *c, ike_3des_sha1_g2(), q, q);
    REQUIRE(f.qm.responder->established());
    auto dels = delete_for(*f.qm.initiator->child_sa());
    REQUIRE(dels.size() == 2);
    CHECK(dels[0].protocol == isakmp::ProtocolId::Ah);
    CHECK(dels[1].protocol == isakmp::ProtocolId::Esp);
    // What the initiator deletes are the responder's outbound SAs.
    for (const auto& d : dels) {
        REQUIRE(d.spis.size() == 1);
        std::uint32_t spi = (std::uint32_t{d.spis[0][0]} << 24) | (std::uint32_t{d.spis[0][1]} << 16) |
                            (std::uint32_t{d.spis[0][2]} << 8) | d.spis[0][3];
        bool found = false;
        for (const auto& k : f.qm.responder->child_sa()->sas)
            found |= !k.inbound && k.spi == spi &&
                     static_cast<std::uint8_t>(k.protocol) == static_cast<std::uint8_t>(d.protocol);
        CHECK(found);
    }
    auto ike = delete_for(*f.p1.initiator->ike_sa());
    CHECK(ike.spi_size == 16);
    auto msg = make_informational(*c, *f.p1.initiator->ike_sa(), {ike}, 99);
    REQUIRE(msg.ok());
    auto opened = open_informational(*c, *f.p1.responder->ike_sa(), *msg);
    REQUIRE(opened.ok());
    CHECK(std::get<isakmp::DeletePayload>(opened->at(0)) == ike);
}
