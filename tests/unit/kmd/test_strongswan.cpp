// Messages captured from a real strongSwan 5.9.8 charon (Debian 12, kernel-libipsec) initiating to a
// libmsim_kmd responder: kmd must parse exactly what strongSwan sends and answer it.
#include <doctest/doctest.h>

#include <string>

#include "msim/kmd/phase1.hpp"
#include "msim/kmd/proposals.hpp"
#include "session_harness.hpp"

using namespace msim::kmd;
using namespace msim::kmd::test;

namespace {
Bytes unhex(const std::string& s) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
    return out;
}
// charon: proposals = 3des-sha1-modp1024, main mode message 1.
const std::string kMainMode1 =
    "84faa663a71cd94600000000000000000110020000000000000000b00d0000340000000100000001000000280101000100000020"
    "0101000080010005800200028004000280030001800b0001800c3de00d00000c09002689dfd6b7120d000014afcad71368a1f1c9"
    "6b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d3800000000d0000144a131c81070358455c5728f20e95452f"
    "0000001490cb80913ebb696e086381b5ec427b1f";
// charon: aggressive = yes, proposals = 3des-sha1-modp1024, aggressive mode message 1 (id 10.231.77.2).
const std::string kAggressive1 =
    "e2f871438c32d5610000000000000000011004000000000000000164040000340000000100000001000000280101000100000020"
    "0101000080010005800200028004000280030001800b0001800c3de00a000084702688312656e4314d230a944f0f4198f43c490e"
    "e077718b458c2cbe508eb96411eca1f6891a261661d2045dca240b02ffcf19433e39e5243e011acdafa77fe541321cec2b3263ab"
    "ad2c6c7c82ed09f5f14321ebbfd4560b2e42111fb21cb730853a423e225aaeb7c9ec26c33c510ef03ad4a3e23037f978927130b7"
    "711fe4120500002416f41e94637abeeb9dbd39b7547cbcef00435bc54b101debc4f32745d0ab17300d00000c010000000ae74d02"
    "0d00000c09002689dfd6b7120d000014afcad71368a1f1c96b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d3"
    "800000000d0000144a131c81070358455c5728f20e95452f0000001490cb80913ebb696e086381b5ec427b1f";

Phase1Config responder(Phase1Mode mode) {
    Phase1Config c;
    c.mode = mode;
    c.proposals = {IkeProposal{}};
    c.pre_shared_key = {'j', 'u', 'n', 'i', 'p', 'e', 'r', '1', '2', '3'};
    c.local = *Endpoint::parse("10.231.77.1");
    c.remote = *Endpoint::parse("10.231.77.2");
    return c;
}
}  // namespace

TEST_CASE("strongSwan main mode message 1: vendor IDs, variable-length lifetime, proposal choice") {
    auto m = isakmp::decode(unhex(kMainMode1));
    REQUIRE(m.ok());
    std::vector<isakmp::KnownVendor> vendors;
    for (const auto& p : m->payloads)
        if (const auto* v = std::get_if<isakmp::VendorIdPayload>(&p))
            vendors.push_back(isakmp::classify_vendor_id(v->data));
    CHECK(vendors == std::vector<isakmp::KnownVendor>{
                         isakmp::KnownVendor::XAuth, isakmp::KnownVendor::DeadPeerDetection,
                         isakmp::KnownVendor::Fragmentation, isakmp::KnownVendor::NatTraversalRfc3947,
                         isakmp::KnownVendor::NatTraversalDraft02N});
    const auto& sa = std::get<isakmp::SaPayload>(m->payloads.front());
    auto choice = select_ike_proposal({IkeProposal{}}, sa);
    REQUIRE(choice.ok());
    CHECK(choice->proposal.lifetime_seconds == 3600);  // ours is shorter than charon's 15840 s

    auto c = make_crypto();
    Recorder events;
    auto [session, step] = Phase1Session::respond(responder(Phase1Mode::Main), *c, events, unhex(kMainMode1));
    REQUIRE(step.ok());
    CHECK(session->state() == Phase1State::ResponderSentSa);
    REQUIRE(step.send.size() == 1);
    auto reply = isakmp::decode(step.send[0]);
    REQUIRE(reply.ok());
    CHECK(std::get<isakmp::SaPayload>(reply->payloads[0]).proposals[0].transforms[0] ==
          sa.proposals[0].transforms[0]);  // the chosen transform goes back byte for byte
    CHECK(std::get<isakmp::VendorIdPayload>(reply->payloads[1]).data ==
          isakmp::vendor_id(isakmp::KnownVendor::NatTraversalRfc3947));
}

TEST_CASE("strongSwan aggressive mode message 1 is answered with SA, KE, NONCE, ID, HASH and NAT-D") {
    auto c = make_crypto();
    Recorder events;
    auto [session, step] =
        Phase1Session::respond(responder(Phase1Mode::Aggressive), *c, events, unhex(kAggressive1));
    REQUIRE(step.ok());
    CHECK(session->state() == Phase1State::ResponderSentAggr);
    auto reply = isakmp::decode(step.send.at(0));
    REQUIRE(reply.ok());
    std::vector<isakmp::PayloadType> types;
    for (const auto& p : reply->payloads)
        types.push_back(isakmp::payload_type(p));
    using T = isakmp::PayloadType;
    CHECK(types == std::vector<T>{T::SecurityAssociation, T::KeyExchange, T::Nonce, T::Identification,
                                  T::Hash, T::VendorId, T::NatD, T::NatD});
}
