// ESP tunnel-mode throughput of libmsim_ipsec_crypto on one core, next to raw OpenSSL EVP doing the same
// cipher and MAC work over the same sizes in the same run; plus the SA install rate.
//
// "payload" is the inner IPv4 datagram handed to the ES PIC. The raw reference per packet: re-IV a keyed
// CBC context and encrypt the padded payload + ESP trailer, then HMAC-SHA1 over ESP header, IV and
// ciphertext with a keyed MAC context; i.e. exactly the crypto an ESP packet needs, without any packet
// handling. ratio = ESP packets/s / raw packets/s (target >= 0.7 at 1400 bytes). Inbound is compared
// with the same (encrypting) reference: CBC decryption pipelines with AES-NI, so it may exceed 1.
//
// usage: bench_esp [seconds-per-measurement]   (default 0.5)
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "msim/ipsec/engine.hpp"

using namespace msim::ipsec;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::uint8_t> datagram(std::size_t size) {
    std::vector<std::uint8_t> d(size, 0xa5);
    d[0] = 0x45;
    d[2] = static_cast<std::uint8_t>(size >> 8);
    d[3] = static_cast<std::uint8_t>(size);
    d[8] = 64;
    d[9] = 17;
    d[12] = 10, d[13] = 1, d[14] = 1, d[15] = 5;
    d[16] = 10, d[17] = 2, d[18] = 2, d[19] = 5;
    return d;
}

// Runs `body` in batches until `seconds` have passed; returns operations per second.
template <typename Body>
double rate(double seconds, Body body) {
    const auto budget = std::chrono::duration<double>(seconds);
    std::uint64_t done = 0;
    auto start = Clock::now();
    auto now = start;
    do {
        for (int i = 0; i < 256; ++i) {
            body();
        }
        done += 256;
        now = Clock::now();
    } while (now - start < budget);
    return static_cast<double>(done) / std::chrono::duration<double>(now - start).count();
}

struct RawEvp {
    OSSL_LIB_CTX* ctx = OSSL_LIB_CTX_new();
    OSSL_PROVIDER* provider = OSSL_PROVIDER_load(ctx, "default");
    EVP_CIPHER* cipher = nullptr;
    EVP_CIPHER_CTX* cctx = EVP_CIPHER_CTX_new();
    EVP_MAC* mac = nullptr;
    EVP_MAC_CTX* mctx = nullptr;
    std::vector<std::uint8_t> buffer;
    std::size_t text = 0;
    std::size_t iv = 0;

    RawEvp(const char* cipher_name, std::size_t key_length, std::size_t payload) {
        cipher = EVP_CIPHER_fetch(ctx, cipher_name, nullptr);
        mac = EVP_MAC_fetch(ctx, "HMAC", nullptr);
        mctx = EVP_MAC_CTX_new(mac);
        std::vector<std::uint8_t> key(key_length, 0x11);
        std::vector<std::uint8_t> mac_key(20, 0x22);
        if (cipher == nullptr || mctx == nullptr ||
            EVP_CipherInit_ex2(cctx, cipher, key.data(), nullptr, 1, nullptr) != 1) {
            std::fprintf(stderr, "bench_esp: OpenSSL setup failed\n");
            std::exit(1);
        }
        EVP_CIPHER_CTX_set_padding(cctx, 0);
        char digest[] = "SHA1";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
        EVP_MAC_init(mctx, mac_key.data(), mac_key.size(), params);
        std::size_t block = static_cast<std::size_t>(EVP_CIPHER_get_block_size(cipher));
        iv = static_cast<std::size_t>(EVP_CIPHER_get_iv_length(cipher));
        text = (payload + 2 + block - 1) / block * block;
        buffer.assign(8 + iv + text + 20, 0x5a);
    }
    ~RawEvp() {
        EVP_MAC_CTX_free(mctx);
        EVP_MAC_free(mac);
        EVP_CIPHER_CTX_free(cctx);
        EVP_CIPHER_free(cipher);
        OSSL_PROVIDER_unload(provider);
        OSSL_LIB_CTX_free(ctx);
    }
    void packet() {
        std::uint8_t* p = buffer.data();
        int out = 0;
        EVP_CipherInit_ex2(cctx, nullptr, nullptr, p + 8, -1, nullptr);
        EVP_CipherUpdate(cctx, p + 8 + iv, &out, p + 8 + iv, static_cast<int>(text));
        std::uint8_t icv[EVP_MAX_MD_SIZE];
        std::size_t length = 0;
        EVP_MAC_init(mctx, nullptr, 0, nullptr);
        EVP_MAC_update(mctx, p, 8 + iv + text);
        EVP_MAC_final(mctx, icv, &length, sizeof icv);
    }
};

SaConfig tunnel_sa(Cipher cipher, std::uint32_t spi, Direction direction) {
    SaConfig c;
    c.name = "bench-" + std::to_string(spi);
    c.direction = direction;
    c.protocol = Protocol::esp;
    c.spi = spi;
    c.mode = Mode::tunnel;
    c.source = 0x0a050505;
    c.destination = 0x0a060606;
    c.cipher = cipher;
    c.cipher_key.assign(key_length(cipher), 0x11);
    c.integrity = Integrity::hmac_sha1_96;
    c.integrity_key.assign(20, 0x22);
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
    if (seconds <= 0) {
        seconds = 0.5;
    }
    constexpr int slices = 5;
    std::printf(
        "ESP tunnel mode, outbound (protect) and inbound (unprotect), one core, best of 5 slices in %.2f s "
        "per figure\n",
        seconds);
    std::printf("%-28s %7s %12s %10s %12s %10s %7s %12s %7s\n", "cipher+MAC", "payload", "ESP out p/s",
                "Mbit/s", "raw EVP p/s", "Mbit/s", "ratio", "ESP in p/s", "ratio");
    struct Algo {
        Cipher cipher;
        const char* openssl;
        const char* label;
    };
    for (Algo algo : {Algo{Cipher::des3_cbc, "DES-EDE3-CBC", "3des-cbc+hmac-sha1-96"},
                      Algo{Cipher::aes128_cbc, "AES-128-CBC", "aes-128-cbc+hmac-sha1-96"}}) {
        for (std::size_t payload : {64, 512, 1400}) {
            IpsecEngine sender;
            IpsecEngine receiver;
            SaConfig out = tunnel_sa(algo.cipher, 1000, Direction::outbound);
            SaConfig in = tunnel_sa(algo.cipher, 1000, Direction::inbound);
            if (!sender.add_sa(out).ok() || !receiver.add_sa(in).ok()) {
                std::fprintf(stderr, "bench_esp: cannot install SAs\n");
                return 1;
            }
            std::vector<std::uint8_t> plain = datagram(payload);
            Packet packet(4096);
            // Inbound: a fixed set of distinct protected packets replayed (manual SA, no replay window).
            std::vector<std::vector<std::uint8_t>> wire;
            for (int i = 0; i < 64; ++i) {
                packet.assign(plain);
                sender.protect(out.name, packet);
                wire.emplace_back(packet.data(), packet.data() + packet.size());
            }
            std::size_t next = 0;
            RawEvp raw(algo.openssl, key_length(algo.cipher), payload);
            // The machine is shared: measure in alternating slices and keep each side's best slice, so a
            // burst of someone else's load does not land on one side of the ratio only.
            double esp = 0;
            double esp_in = 0;
            double reference = 0;
            for (int slice = 0; slice < slices; ++slice) {
                esp = std::max(esp, rate(seconds / slices, [&] {
                                   packet.assign(plain);
                                   if (!sender.protect(out.name, packet).ok()) {
                                       std::abort();
                                   }
                               }));
                reference = std::max(reference, rate(seconds / slices, [&] { raw.packet(); }));
                esp_in = std::max(esp_in, rate(seconds / slices, [&] {
                                      packet.assign(wire[next++ % wire.size()]);
                                      if (receiver.unprotect(packet).kind != InboundKind::delivered) {
                                          std::abort();
                                      }
                                  }));
            }
            auto mbit = [payload](double pps) { return pps * static_cast<double>(payload) * 8 / 1e6; };
            std::printf("%-28s %7zu %12.0f %10.1f %12.0f %10.1f %7.2f %12.0f %7.2f\n", algo.label, payload,
                        esp, mbit(esp), reference, mbit(reference), esp / reference, esp_in,
                        esp_in / reference);
        }
    }

    // SA install rate: 10,000 manual SAs (outbound + inbound each), then one packet through every one.
    IpsecEngine engine;
    constexpr std::uint32_t count = 10000;
    auto start = Clock::now();
    for (std::uint32_t i = 0; i < count; ++i) {
        SaConfig out = tunnel_sa(Cipher::des3_cbc, 256 + i, Direction::outbound);
        SaConfig in = tunnel_sa(Cipher::des3_cbc, 256 + i, Direction::inbound);
        if (!engine.add_sa(out).ok() || !engine.add_sa(in).ok()) {
            std::fprintf(stderr, "bench_esp: SA %u refused\n", i);
            return 1;
        }
    }
    auto installed = Clock::now();
    Packet packet(4096);
    std::vector<std::uint8_t> plain = datagram(64);
    for (std::uint32_t i = 0; i < count; ++i) {
        packet.assign(plain);
        if (!engine.protect("bench-" + std::to_string(256 + i), packet).ok() ||
            engine.unprotect(packet).kind != InboundKind::delivered) {
            std::fprintf(stderr, "bench_esp: SA %u not usable\n", i);
            return 1;
        }
    }
    auto usable = Clock::now();
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    std::printf(
        "SA install: %u SA pairs (3des-cbc+hmac-sha1-96) in %.1f ms (%.0f SAs/s); all %u used in %.1f ms\n",
        count, ms(installed - start), 2 * count / (ms(installed - start) / 1000), count,
        ms(usable - installed));
    return 0;
}
