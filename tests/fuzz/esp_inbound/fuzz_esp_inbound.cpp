// Fuzz target for the ES PIC inbound path (IpsecEngine::unprotect) with a handful of SAs installed:
// ESP tunnel with a replay window, AH transport, an AH+ESP bundle, NAT-T ESP, DES transport, ESP-NULL.
//
// An input whose first byte looks like IPv4 (0x4?) is a received packet. Any other input is a round
// trip: byte 0 picks an outbound SA, the rest is a datagram to protect; whatever protect() accepts must
// come back out of unprotect() unchanged (a transport-mode ESP dummy packet, next header 59, discarded),
// or the target aborts.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "msim/ipsec/engine.hpp"

using namespace msim::ipsec;

namespace {

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> k(n);
    for (std::size_t i = 0; i < n; ++i) {
        k[i] = static_cast<std::uint8_t>(seed + i);
    }
    return k;
}

// Kept in step with gen_seeds.py, which produces the seed packets with esp_tool.
std::vector<SaConfig> fuzz_sas() {
    auto sa = [](Protocol p, std::uint32_t spi, Mode m, Cipher c, Integrity i, std::uint32_t window) {
        SaConfig s;
        s.protocol = p;
        s.spi = spi;
        s.auxiliary_spi = p == Protocol::bundle ? spi + 1 : 0;
        s.mode = m;
        s.source = 0x0a050505;
        s.destination = 0x0a060606;
        s.cipher = p == Protocol::ah ? Cipher::null : c;
        s.cipher_key = pattern(key_length(s.cipher), 0x10);
        s.integrity = i;
        s.integrity_key = pattern(key_length(i), 0x40);
        s.replay_window = window;
        return s;
    };
    std::vector<SaConfig> sas = {
        sa(Protocol::esp, 2312, Mode::tunnel, Cipher::des3_cbc, Integrity::hmac_md5_96, 64),
        sa(Protocol::ah, 3000, Mode::transport, Cipher::null, Integrity::hmac_sha1_96, 32),
        sa(Protocol::bundle, 4000, Mode::tunnel, Cipher::aes128_cbc, Integrity::hmac_sha256_128, 0),
        sa(Protocol::esp, 5000, Mode::tunnel, Cipher::aes128_cbc, Integrity::hmac_sha1_96, 0),
        sa(Protocol::esp, 6000, Mode::transport, Cipher::des_cbc, Integrity::hmac_md5_96, 0),
        sa(Protocol::esp, 7000, Mode::tunnel, Cipher::null, Integrity::hmac_sha1_96, 0),
    };
    sas[3].udp_encapsulation = UdpEncapsulation{4500, 4500};
    return sas;
}

struct Harness {
    IpsecEngine engine;
    std::vector<SaConfig> sas = fuzz_sas();
    Packet packet{4096};

    // Every input starts from freshly installed SAs, so replay windows do not carry state between inputs.
    void reset() {
        engine.flush_sas();
        for (SaConfig s : sas) {
            s.direction = Direction::inbound;
            if (s.mode == Mode::transport) {
                s.destination = 0;  // any local address: transport datagrams keep their own destination
            }
            if (!engine.add_sa(s).ok()) {
                std::abort();
            }
            s.direction = Direction::outbound;
            s.name = "sa" + std::to_string(s.spi);
            if (!engine.add_sa(s).ok()) {
                std::abort();
            }
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Harness harness;  // provider loading is too slow to repeat per input
    harness.reset();
    if (size == 0) {
        return 0;
    }
    Packet& packet = harness.packet;
    if ((data[0] >> 4) == 4) {
        packet.assign({data, size});
        InboundResult r = harness.engine.unprotect(packet);
        if (r.kind == InboundKind::delivered && packet.size() < 20) {
            std::abort();  // a delivered packet always holds at least an IPv4 header
        }
        return 0;
    }
    const SaConfig& sa = harness.sas[data[0] % harness.sas.size()];
    packet.assign({data + 1, size - 1});
    if (!harness.engine.protect("sa" + std::to_string(sa.spi), packet).ok()) {
        return 0;
    }
    // What protect() accepted, trimmed to its total length, must come back unchanged.
    std::size_t total = std::size_t{data[1 + 2]} << 8 | data[1 + 3];
    InboundResult r = harness.engine.unprotect(packet);
    if (sa.protocol == Protocol::esp && sa.mode == Mode::transport && data[1 + 9] == 59) {
        // ESP next header 59 marks a dummy packet (RFC 4303 §2.6): the receiver discards it.
        if (r.kind != InboundKind::dropped || r.drop != DropReason::dummy_packet) {
            std::abort();
        }
        return 0;
    }
    if (r.kind != InboundKind::delivered || packet.size() != total ||
        (sa.mode == Mode::tunnel && std::memcmp(packet.data(), data + 1, total) != 0) ||
        (sa.mode == Mode::transport && std::memcmp(packet.data() + 20, data + 1 + 20, total - 20) != 0)) {
        std::abort();
    }
    return 0;
}
