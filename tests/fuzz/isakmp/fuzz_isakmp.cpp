// Fuzz target over the ISAKMP decoder and over sessions fed arbitrary messages: a phase 1 responder
// (main and aggressive mode), a phase 1 initiator waiting for message 2, and a quick mode responder on a
// fixed IKE SA (exercising decryption of arbitrary ciphertext). Nothing here may crash or leak.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "msim/kmd/isakmp.hpp"
#include "msim/kmd/phase1.hpp"
#include "msim/kmd/quick_mode.hpp"

using namespace msim::kmd;

namespace {

struct FixedSpis : SpiAllocator {
    std::uint32_t allocate(IpsecProtocol) override { return 0x12345678; }
};

const CryptoProvider& crypto() {
    static const std::unique_ptr<CryptoProvider> provider = std::move(*CryptoProvider::create());
    return *provider;
}

Phase1Config config(Phase1Mode mode) {
    Phase1Config c;
    c.mode = mode;
    IkeProposal des;
    des.encryption = EncryptionAlgorithm::DesCbc;
    des.hash = HashAlgorithm::Md5;
    des.group = DhGroup::Modp768;
    c.proposals = {IkeProposal{}, des};
    c.pre_shared_key = {'k', 'e', 'y'};
    c.local = *Endpoint::parse("192.0.2.2");
    c.remote = *Endpoint::parse("192.0.2.1");
    return c;
}

IkeSa fixed_ike_sa() {
    IkeSa sa;
    sa.initiator_cookie = {1, 2, 3, 4, 5, 6, 7, 8};
    sa.responder_cookie = {8, 7, 6, 5, 4, 3, 2, 1};
    sa.role = Role::Responder;
    sa.skeyid_d = Bytes(20, 0x11);
    sa.skeyid_a = Bytes(20, 0x22);
    sa.skeyid_e = Bytes(20, 0x33);
    sa.encryption_key = Bytes(24, 0x44);
    sa.last_phase1_block = Bytes(8, 0x55);
    return sa;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const std::uint8_t> input(data, size);
    NullEventSink events;

    (void)isakmp::decode(input);
    if (size > 1) {
        (void)isakmp::decode_payloads(static_cast<isakmp::PayloadType>(data[0]), input.subspan(1), true);
        (void)isakmp::decode_attributes(input.subspan(1));
        (void)isakmp::classify_vendor_id(input.subspan(1));
    }

    for (auto mode : {Phase1Mode::Main, Phase1Mode::Aggressive}) {
        auto [session, step] = Phase1Session::respond(config(mode), crypto(), events, input);
        if (!session->failed())
            (void)session->handle(input);
    }

    // An initiator waiting for main mode message 2: the input gets the initiator's cookie.
    if (size >= isakmp::kHeaderSize) {
        Phase1Session initiator(config(Phase1Mode::Main), crypto(), events);
        (void)initiator.start();
        Bytes msg(input.begin(), input.end());
        std::copy(initiator.initiator_cookie().begin(), initiator.initiator_cookie().end(), msg.begin());
        (void)initiator.handle(msg);

        // A quick mode responder on a fixed IKE SA: the input gets its cookies.
        IkeSa sa = fixed_ike_sa();
        std::copy(sa.initiator_cookie.begin(), sa.initiator_cookie.end(), msg.begin());
        std::copy(sa.responder_cookie.begin(), sa.responder_cookie.end(), msg.begin() + 8);
        FixedSpis spis;
        QuickModeConfig q;
        q.proposals = {IpsecProposal{}};
        (void)QuickModeSession::respond(sa, {q}, crypto(), events, spis, msg);
        (void)open_informational(crypto(), sa, msg);
    }
    return 0;
}
