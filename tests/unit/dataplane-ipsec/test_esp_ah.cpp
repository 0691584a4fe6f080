#include <doctest/doctest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "msim/ipsec/engine.hpp"
#include "test_support.hpp"

using namespace msim::ipsec;
using namespace msim::ipsec::test;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::uint32_t be32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// An independent reference: one-shot OpenSSL calls in a library context of the test's own, used to
// check what the engine produced without going through the engine's code.
class Reference {
  public:
    Reference()
        : ctx_(OSSL_LIB_CTX_new()),
          default_(OSSL_PROVIDER_load(ctx_, "default")),
          legacy_(OSSL_PROVIDER_load(ctx_, "legacy")) {}
    ~Reference() {
        OSSL_PROVIDER_unload(legacy_);
        OSSL_PROVIDER_unload(default_);
        OSSL_LIB_CTX_free(ctx_);
    }

    Bytes hmac(Integrity integrity, const Bytes& key, const std::uint8_t* data, std::size_t n) {
        const char* digest = integrity == Integrity::hmac_md5_96    ? "MD5"
                             : integrity == Integrity::hmac_sha1_96 ? "SHA1"
                                                                    : "SHA256";
        std::uint8_t out[64];
        std::size_t length = 0;
        REQUIRE(EVP_Q_mac(ctx_, "HMAC", nullptr, digest, nullptr, key.data(), key.size(), data, n, out,
                          sizeof out, &length) != nullptr);
        return Bytes(out, out + (integrity == Integrity::hmac_sha256_128 ? 16 : 12));
    }

    Bytes cbc(Cipher cipher, const Bytes& key, const std::uint8_t* iv, const std::uint8_t* data,
              std::size_t n, bool encrypt) {
        const char* name = cipher == Cipher::des_cbc      ? "DES-CBC"
                           : cipher == Cipher::des3_cbc   ? "DES-EDE3-CBC"
                           : cipher == Cipher::aes128_cbc ? "AES-128-CBC"
                                                          : "AES-256-CBC";
        EVP_CIPHER* c = EVP_CIPHER_fetch(ctx_, name, nullptr);
        REQUIRE(c != nullptr);
        EVP_CIPHER_CTX* x = EVP_CIPHER_CTX_new();
        Bytes out(n + 32);
        int l1 = 0;
        int l2 = 0;
        REQUIRE(EVP_CipherInit_ex2(x, c, key.data(), iv, encrypt ? 1 : 0, nullptr) == 1);
        EVP_CIPHER_CTX_set_padding(x, 0);
        REQUIRE(EVP_CipherUpdate(x, out.data(), &l1, data, static_cast<int>(n)) == 1);
        REQUIRE(EVP_CipherFinal_ex(x, out.data() + l1, &l2) == 1);
        out.resize(static_cast<std::size_t>(l1 + l2));
        EVP_CIPHER_CTX_free(x);
        EVP_CIPHER_free(c);
        return out;
    }

  private:
    OSSL_LIB_CTX* ctx_;
    OSSL_PROVIDER* default_;
    OSSL_PROVIDER* legacy_;
};

std::size_t iv_length(Cipher c) {
    return c == Cipher::null ? 0 : (c == Cipher::des_cbc || c == Cipher::des3_cbc) ? 8 : 16;
}

Bytes bytes(const Packet& p) {
    return Bytes(p.data(), p.data() + p.size());
}

void set_checksum(Bytes& d) {
    d[10] = d[11] = 0;
    std::uint16_t c = checksum(d.data(), (d[0] & 0xf) * 4u);
    d[10] = static_cast<std::uint8_t>(c >> 8);
    d[11] = static_cast<std::uint8_t>(c);
}

struct Pair {
    IpsecEngine a;  // sender
    IpsecEngine b;  // receiver
    SaConfig out;
    SaConfig in;
    explicit Pair(const SaConfig& config) : out(config), in(inbound_twin(config)) {
        REQUIRE(a.add_sa(out).ok());
        REQUIRE(b.add_sa(in).ok());
    }
    Bytes send(const Bytes& datagram) {
        Packet p(datagram);
        REQUIRE(a.protect(out.name, p).ok());
        return bytes(p);
    }
    InboundResult receive(const Bytes& wire, Bytes* inner = nullptr) {
        Packet p(wire);
        InboundResult r = b.unprotect(p);
        if (inner != nullptr) {
            *inner = bytes(p);
        }
        return r;
    }
    SaCounters received_counters() { return b.query_sa(key_of(in))->counters; }
};

const Cipher all_ciphers[] = {Cipher::des_cbc, Cipher::des3_cbc, Cipher::aes128_cbc, Cipher::aes256_cbc};
const Integrity all_integrity[] = {Integrity::hmac_md5_96, Integrity::hmac_sha1_96,
                                   Integrity::hmac_sha256_128};

}  // namespace

TEST_CASE("round trip for every algorithm, protocol and mode") {
    int combinations = 0;
    for (Mode mode : {Mode::tunnel, Mode::transport}) {
        for (Integrity integrity : all_integrity) {
            std::vector<SaConfig> configs;
            for (Cipher cipher : all_ciphers) {
                configs.push_back(outbound_sa(Protocol::esp, cipher, integrity, mode));
                configs.push_back(outbound_sa(Protocol::bundle, cipher, integrity, mode));
            }
            configs.push_back(outbound_sa(Protocol::ah, Cipher::null, integrity, mode));
            configs.push_back(outbound_sa(Protocol::esp, Cipher::null, integrity, mode));  // RFC 2410
            for (const SaConfig& config : configs) {
                CAPTURE(to_string(config.protocol));
                CAPTURE(to_string(config.cipher));
                CAPTURE(to_string(integrity));
                CAPTURE(to_string(mode));
                Pair pair(config);
                Ipv4Address dst = mode == Mode::tunnel ? host_b : gateway_b;
                Ipv4Address src = mode == Mode::tunnel ? host_a : gateway_a;
                for (std::size_t payload : {0, 1, 13, 64, 512, 1400}) {
                    Bytes datagram = udp_datagram(src, dst, payload);
                    Bytes wire = pair.send(datagram);
                    CHECK(checksum(wire.data(), 20) == 0);
                    Bytes inner;
                    InboundResult r = pair.receive(wire, &inner);
                    REQUIRE(r.kind == InboundKind::delivered);
                    CHECK(r.mode == mode);
                    CHECK(inner == datagram);
                }
                SaCounters c = pair.received_counters();
                CHECK(c.packets_decrypted == 6);
                CHECK(c.bytes_decrypted == 6 * 28 + 0 + 1 + 13 + 64 + 512 + 1400);
                CHECK(pair.a.query_sa(key_of(pair.out))->counters.packets_encrypted == 6);
                ++combinations;
            }
        }
    }
    CHECK(combinations == 2 * 3 * 10);
}

TEST_CASE("ESP tunnel packets decode with plain OpenSSL (RFC 4303 layout)") {
    Reference ref;
    for (Cipher cipher : all_ciphers) {
        for (Integrity integrity : all_integrity) {
            CAPTURE(to_string(cipher));
            CAPTURE(to_string(integrity));
            SaConfig out = outbound_sa(Protocol::esp, cipher, integrity, Mode::tunnel);
            IpsecEngine engine;
            REQUIRE(engine.add_sa(out).ok());
            Bytes datagram = udp_datagram(host_a, host_b, 100, true, 0x2a);
            Bytes previous_iv;
            for (std::uint32_t seq = 1; seq <= 3; ++seq) {
                Packet p(datagram);
                REQUIRE(engine.protect(out.name, p).ok());
                Bytes w = bytes(p);
                // Outer header: from the SA, protocol 50, TTL 64, TOS and DF copied, valid checksum.
                CHECK(w[0] == 0x45);
                CHECK(w[1] == 0x2a);
                CHECK((w[6] & 0x40) == 0x40);
                CHECK(w[8] == 64);
                CHECK(w[9] == 50);
                CHECK(be32(&w[12]) == gateway_a);
                CHECK(be32(&w[16]) == gateway_b);
                CHECK((std::size_t{w[2]} << 8 | w[3]) == w.size());
                CHECK(checksum(w.data(), 20) == 0);
                const std::uint8_t* esp = &w[20];
                std::size_t esp_length = w.size() - 20;
                CHECK(be32(esp) == 2312);
                CHECK(be32(esp + 4) == seq);
                std::size_t iv = iv_length(cipher);
                std::size_t icv = integrity == Integrity::hmac_sha256_128 ? 16 : 12;
                Bytes expected_icv = ref.hmac(integrity, out.integrity_key, esp, esp_length - icv);
                CHECK(Bytes(esp + esp_length - icv, esp + esp_length) == expected_icv);
                Bytes this_iv(esp + 8, esp + 8 + iv);
                CHECK(this_iv != previous_iv);  // a fresh IV per packet
                previous_iv = this_iv;
                Bytes plain =
                    ref.cbc(cipher, out.cipher_key, esp + 8, esp + 8 + iv, esp_length - 8 - iv - icv, false);
                std::size_t pad = plain[plain.size() - 2];
                CHECK(plain.back() == 4);  // next header: IPv4
                CHECK(plain.size() % (iv == 8 ? 8 : 16) == 0);
                CHECK(pad < (iv == 8 ? 8u : 16u));
                for (std::size_t i = 0; i < pad; ++i) {
                    CHECK(plain[datagram.size() + i] == i + 1);
                }
                CHECK(Bytes(plain.begin(), plain.begin() + static_cast<long>(datagram.size())) == datagram);
            }
        }
    }
}

TEST_CASE("tunnel DF policy: copy, set, clear") {
    for (auto [policy, inner_df, expect] : {std::tuple{DfPolicy::copy, false, false},
                                            {DfPolicy::copy, true, true},
                                            {DfPolicy::set, false, true},
                                            {DfPolicy::clear, true, false}}) {
        SaConfig out = outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel);
        out.df = policy;
        IpsecEngine engine;
        REQUIRE(engine.add_sa(out).ok());
        Packet p(udp_datagram(host_a, host_b, 10, inner_df));
        REQUIRE(engine.protect(out.name, p).ok());
        CHECK(((p.data()[6] & 0x40) != 0) == expect);
    }
}

TEST_CASE("ESP transport mode keeps the header and replaces the protocol") {
    Reference ref;
    SaConfig out = outbound_sa(Protocol::esp, Cipher::des3_cbc, Integrity::hmac_md5_96, Mode::transport);
    IpsecEngine engine;
    REQUIRE(engine.add_sa(out).ok());
    Bytes datagram = udp_datagram(gateway_a, gateway_b, 33);
    Packet p(datagram);
    REQUIRE(engine.protect(out.name, p).ok());
    Bytes w = bytes(p);
    CHECK(w[9] == 50);
    CHECK(w[8] == datagram[8]);  // TTL untouched
    CHECK(std::memcmp(&w[12], &datagram[12], 8) == 0);
    CHECK(checksum(w.data(), 20) == 0);
    const std::uint8_t* esp = &w[20];
    std::size_t length = w.size() - 20;
    Bytes plain = ref.cbc(Cipher::des3_cbc, out.cipher_key, esp + 8, esp + 16, length - 16 - 12, false);
    CHECK(plain.back() == 17);  // the transport protocol
    CHECK(Bytes(plain.begin(), plain.begin() + 41) == Bytes(datagram.begin() + 20, datagram.end()));
}

TEST_CASE("AH ICV covers the immutable fields only (RFC 4302 §3.3.3)") {
    Reference ref;
    for (Mode mode : {Mode::tunnel, Mode::transport}) {
        CAPTURE(to_string(mode));
        SaConfig config = outbound_sa(Protocol::ah, Cipher::null, Integrity::hmac_sha1_96, mode);
        Pair pair(config);
        Bytes datagram = udp_datagram(mode == Mode::tunnel ? host_a : gateway_a,
                                      mode == Mode::tunnel ? host_b : gateway_b, 50);
        Bytes w = pair.send(datagram);
        CHECK(w[9] == 51);
        const std::uint8_t* ah = &w[20];
        CHECK(ah[0] == (mode == Mode::tunnel ? 4 : 17));
        CHECK(ah[1] == 4);  // (12 + 12) / 4 - 2
        CHECK(be32(ah + 4) == 2312);
        CHECK(be32(ah + 8) == 1);
        Bytes zeroed = w;
        zeroed[1] = 0;
        zeroed[6] = zeroed[7] = zeroed[8] = 0;
        zeroed[10] = zeroed[11] = 0;
        std::fill(zeroed.begin() + 32, zeroed.begin() + 44, 0);
        CHECK(ref.hmac(Integrity::hmac_sha1_96, config.integrity_key, zeroed.data(), zeroed.size()) ==
              Bytes(ah + 12, ah + 24));

        // Routers may change TOS, TTL and flags on the way: still authentic.
        Bytes in_transit = w;
        in_transit[8] = 7;
        in_transit[1] = 0xb8;
        set_checksum(in_transit);
        Bytes inner;
        REQUIRE(pair.receive(in_transit, &inner).kind == InboundKind::delivered);
        if (mode == Mode::tunnel) {
            CHECK(inner == datagram);
        }
        // A changed source address is not.
        Bytes forged = w;
        forged[15] ^= 1;
        set_checksum(forged);
        InboundResult r = pair.receive(forged);
        CHECK(r.kind == InboundKind::dropped);
        CHECK(r.drop == DropReason::auth_failure);
        CHECK(pair.received_counters().auth_failures == 1);
    }
}

TEST_CASE("bundle is AH over ESP with the auxiliary SPI, ESP without its own ICV") {
    Reference ref;
    SaConfig config = outbound_sa(Protocol::bundle, Cipher::des3_cbc, Integrity::hmac_md5_96, Mode::tunnel);
    Pair pair(config);
    Bytes datagram = udp_datagram(host_a, host_b, 77);
    Bytes w = pair.send(datagram);
    CHECK(w[9] == 51);
    CHECK(w[20] == 50);  // AH next header: ESP
    CHECK(be32(&w[24]) == 2312);
    const std::uint8_t* esp = &w[44];
    CHECK(be32(esp) == 2313);
    CHECK(be32(esp + 4) == 1);
    std::size_t text = w.size() - 44 - 16;
    CHECK(text % 8 == 0);  // no ICV after the ESP trailer
    Bytes plain = ref.cbc(Cipher::des3_cbc, config.cipher_key, esp + 8, esp + 16, text, false);
    CHECK(plain.back() == 4);
    Bytes inner;
    REQUIRE(pair.receive(w, &inner).kind == InboundKind::delivered);
    CHECK(inner == datagram);
}

TEST_CASE("wrong key: authentication failures counted, nothing delivered") {
    for (Protocol protocol : {Protocol::esp, Protocol::ah, Protocol::bundle}) {
        CAPTURE(to_string(protocol));
        SaConfig out = outbound_sa(protocol, Cipher::des3_cbc, Integrity::hmac_md5_96, Mode::tunnel);
        IpsecEngine a;
        IpsecEngine b;
        REQUIRE(a.add_sa(out).ok());
        SaConfig in = inbound_twin(out);
        in.integrity_key[0] ^= 0x80;
        REQUIRE(b.add_sa(in).ok());
        for (int i = 0; i < 3; ++i) {
            Packet p(udp_datagram(host_a, host_b, 40));
            REQUIRE(a.protect(out.name, p).ok());
            InboundResult r = b.unprotect(p);
            CHECK(r.kind == InboundKind::dropped);
            CHECK(r.drop == DropReason::auth_failure);
        }
        SaCounters c = b.query_sa(key_of(in))->counters;
        CHECK(c.auth_failures == 3);
        CHECK(c.packets_decrypted == 0);
    }
}

TEST_CASE("replayed packets dropped with a window, accepted on a manual SA") {
    for (std::uint32_t window : {0u, 32u, 64u}) {
        CAPTURE(window);
        Pair pair(
            outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel, window));
        std::vector<Bytes> sent;
        for (int i = 0; i < 100; ++i) {
            sent.push_back(pair.send(udp_datagram(host_a, host_b, 20)));
        }
        CHECK(pair.receive(sent[99]).kind == InboundKind::delivered);
        CHECK(pair.receive(sent[98]).kind == InboundKind::delivered);  // late but in the window
        InboundResult again = pair.receive(sent[99]);
        InboundResult old = pair.receive(sent[10]);
        if (window == 0) {
            CHECK(again.kind == InboundKind::delivered);
            CHECK(old.kind == InboundKind::delivered);
        } else {
            CHECK(again.drop == DropReason::replay);
            CHECK(old.drop == DropReason::replay);  // seq 11 < 100 - window + 1
            CHECK(pair.received_counters().replay_drops == 2);
            // The oldest still acceptable: 100 - window + 1.
            CHECK(pair.receive(sent[100 - window]).kind == InboundKind::delivered);
            CHECK(pair.receive(sent[100 - window - 1]).drop == DropReason::replay);
        }
    }
}

TEST_CASE("a forged packet never moves the replay window") {
    Pair pair(outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel, 32));
    Bytes first = pair.send(udp_datagram(host_a, host_b, 20));
    Bytes forged = first;
    forged[24 + 3] = 0xff;  // sequence number 255 (low byte), ICV now wrong
    CHECK(pair.receive(forged).drop == DropReason::auth_failure);
    CHECK(pair.receive(first).kind == InboundKind::delivered);
}

TEST_CASE("truncated packets are dropped, never read past") {
    for (Protocol protocol : {Protocol::esp, Protocol::ah, Protocol::bundle}) {
        Pair pair(outbound_sa(protocol, Cipher::aes256_cbc, Integrity::hmac_sha256_128, Mode::tunnel));
        Bytes w = pair.send(udp_datagram(host_a, host_b, 100));
        for (std::size_t n = 0; n < w.size(); ++n) {
            Bytes cut(w.begin(), w.begin() + static_cast<long>(n));
            // As received (total length disagrees with the bytes) ...
            CHECK(pair.receive(cut).kind == InboundKind::dropped);
            // ... and with a header fixed up to match the shorter length.
            if (n >= 20) {
                cut[2] = static_cast<std::uint8_t>(n >> 8);
                cut[3] = static_cast<std::uint8_t>(n);
                set_checksum(cut);
                CHECK(pair.receive(cut).kind == InboundKind::dropped);
            }
        }
        CHECK(pair.receive(w).kind == InboundKind::delivered);
    }
}

TEST_CASE("bad padding with a good ICV is counted as bad padding") {
    Reference ref;
    SaConfig out = outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel);
    IpsecEngine b;
    SaConfig in = inbound_twin(out);
    REQUIRE(b.add_sa(in).ok());
    Bytes inner = udp_datagram(host_a, host_b, 30);  // 58 bytes: 58 + 4 pad + 2 = 64
    for (int variant = 0; variant < 2; ++variant) {
        Bytes plain = inner;
        for (std::uint8_t i = 1; i <= 4; ++i) {
            plain.push_back(variant == 0 && i == 3 ? 9 : i);  // variant 0: wrong padding byte
        }
        plain.push_back(variant == 1 ? 70 : 4);  // variant 1: pad length beyond the payload
        plain.push_back(4);
        Bytes iv(16, 0x42);
        Bytes cipher =
            ref.cbc(Cipher::aes128_cbc, out.cipher_key, iv.data(), plain.data(), plain.size(), true);
        Bytes esp = {0, 0, 0x09, 0x08, 0, 0, 0, 1};
        esp.insert(esp.end(), iv.begin(), iv.end());
        esp.insert(esp.end(), cipher.begin(), cipher.end());
        Bytes icv = ref.hmac(Integrity::hmac_sha1_96, out.integrity_key, esp.data(), esp.size());
        esp.insert(esp.end(), icv.begin(), icv.end());
        Bytes w = udp_datagram(gateway_a, gateway_b, 0);
        w.resize(20);
        w[9] = 50;
        w.insert(w.end(), esp.begin(), esp.end());
        w[2] = static_cast<std::uint8_t>(w.size() >> 8);
        w[3] = static_cast<std::uint8_t>(w.size());
        set_checksum(w);
        Packet p(w);
        InboundResult r = b.unprotect(p);
        CHECK(r.kind == InboundKind::dropped);
        CHECK(r.drop == DropReason::bad_padding);
    }
    CHECK(b.query_sa(key_of(in))->counters.bad_padding == 2);
}

TEST_CASE("unknown SPI and foreign traffic") {
    Pair pair(outbound_sa(Protocol::esp, Cipher::des3_cbc, Integrity::hmac_md5_96, Mode::tunnel));
    Bytes w = pair.send(udp_datagram(host_a, host_b, 20));
    Bytes other = w;
    other[23] ^= 1;  // SPI 2313
    set_checksum(other);
    InboundResult r = pair.receive(other);
    CHECK(r.drop == DropReason::unknown_spi);
    CHECK(!r.sa.has_value());
    Bytes elsewhere = w;
    elsewhere[19] = 99;  // another destination
    set_checksum(elsewhere);
    CHECK(pair.receive(elsewhere).drop == DropReason::unknown_spi);
    CHECK(pair.b.global_counters().unknown_spi == 2);

    Bytes plain_udp = udp_datagram(host_a, gateway_b, 20);
    CHECK(pair.receive(plain_udp).kind == InboundKind::not_ipsec);
    Bytes fragment = w;
    fragment[6] |= 0x20;  // more fragments
    set_checksum(fragment);
    CHECK(pair.receive(fragment).drop == DropReason::fragment);
    Bytes bad_checksum = w;
    bad_checksum[10] ^= 0xff;
    CHECK(pair.receive(bad_checksum).drop == DropReason::malformed);
    CHECK(pair.receive(w).kind == InboundKind::delivered);
}

TEST_CASE("NAT-T: ESP in UDP 4500, IKE marker and keepalives (RFC 3948)") {
    SaConfig config = outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel);
    config.udp_encapsulation = UdpEncapsulation{4500, 4500};
    Pair pair(config);
    Bytes datagram = udp_datagram(host_a, host_b, 64);
    Bytes w = pair.send(datagram);
    CHECK(w[9] == 17);
    CHECK((w[20] << 8 | w[21]) == 4500);
    CHECK((w[22] << 8 | w[23]) == 4500);
    CHECK((std::size_t{w[24]} << 8 | w[25]) == w.size() - 20);
    CHECK(w[26] == 0);
    CHECK(w[27] == 0);
    CHECK(be32(&w[28]) == 2312);
    Bytes inner;
    REQUIRE(pair.receive(w, &inner).kind == InboundKind::delivered);
    CHECK(inner == datagram);

    // IKE on the same port: non-ESP marker.
    Bytes ike = udp_datagram(gateway_a, gateway_b, 40);
    ike[22] = 0x11;
    ike[23] = 0x94;
    std::fill(ike.begin() + 28, ike.begin() + 32, 0);
    InboundResult r = pair.receive(ike);
    CHECK(r.kind == InboundKind::ike);
    CHECK(r.ike_offset == 32);
    Bytes keepalive = udp_datagram(gateway_a, gateway_b, 1);
    keepalive[22] = 0x11;
    keepalive[23] = 0x94;
    keepalive[28] = 0xff;
    CHECK(pair.receive(keepalive).kind == InboundKind::nat_keepalive);

    // The same SA without UDP is refused.
    SaConfig plain = config;
    plain.udp_encapsulation.reset();
    plain.name = "plain";
    IpsecEngine sender;
    REQUIRE(sender.add_sa(plain).ok());
    Packet p(datagram);
    REQUIRE(sender.protect("plain", p).ok());
    CHECK(pair.b.unprotect(p).drop == DropReason::encapsulation_mismatch);
}

TEST_CASE("lifetimes: kilobytes on the packet path, seconds by polling") {
    auto now = std::chrono::steady_clock::time_point{};
    std::vector<std::pair<SaKey, ExpiryKind>> events;
    IpsecEngine engine([&] { return now; });
    engine.set_expiry_listener([&](const SaKey& key, ExpiryKind kind) { events.emplace_back(key, kind); });
    SaConfig out = outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel);
    out.lifetime.soft_kilobytes = 2;
    out.lifetime.hard_kilobytes = 4;
    REQUIRE(engine.add_sa(out).ok());
    Bytes datagram = udp_datagram(host_a, host_b, 972);  // 1000 bytes
    int sent = 0;
    for (int i = 0; i < 6; ++i) {
        Packet p(datagram);
        if (engine.protect(out.name, p).ok()) {
            ++sent;
        }
    }
    CHECK(sent == 5);  // the packet crossing 4096 bytes still goes, the next does not
    REQUIRE(events.size() == 2);
    CHECK(events[0].second == ExpiryKind::soft);
    CHECK(events[1].second == ExpiryKind::hard);
    auto state = engine.query_sa(key_of(out));
    CHECK(state->hard_expired);
    CHECK(state->counters.expired_drops == 1);

    events.clear();
    SaConfig timed = out;
    timed.name = "timed";
    timed.spi = 3000;
    timed.lifetime = Lifetime{60, 120, 0, 0};
    REQUIRE(engine.add_sa(timed).ok());
    engine.poll_lifetimes();
    CHECK(events.empty());
    now += std::chrono::seconds(61);
    engine.poll_lifetimes();
    engine.poll_lifetimes();
    REQUIRE(events.size() == 1);
    CHECK(events[0].second == ExpiryKind::soft);
    Packet p(datagram);
    CHECK(engine.protect("timed", p).ok());
    now += std::chrono::seconds(60);
    Packet q(datagram);
    CHECK(engine.protect("timed", q).drop == DropReason::sa_expired);
    REQUIRE(events.size() == 2);
    CHECK(events[1].second == ExpiryKind::hard);
}

TEST_CASE("a listener may delete the SA it is told about") {
    IpsecEngine engine;
    SaConfig out = outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel);
    out.lifetime.hard_kilobytes = 1;
    REQUIRE(engine.add_sa(out).ok());
    engine.set_expiry_listener([&](const SaKey& key, ExpiryKind) { CHECK(engine.del_sa(key).ok()); });
    Packet p(udp_datagram(host_a, host_b, 1100));
    CHECK(engine.protect(out.name, p).ok());
    CHECK(engine.list_sas().empty());
    Packet q(udp_datagram(host_a, host_b, 10));
    CHECK(engine.protect(out.name, q).drop == DropReason::no_sa);
    CHECK(engine.global_counters().no_outbound_sa == 1);
}

TEST_CASE("outbound input is validated and reqid lookup works") {
    IpsecEngine engine;
    SaConfig out = outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel);
    out.reqid = 7;
    REQUIRE(engine.add_sa(out).ok());
    Packet junk(Bytes{0x45, 0, 0});
    CHECK(engine.protect(out.name, junk).drop == DropReason::malformed);
    Packet good(udp_datagram(host_a, host_b, 10));
    CHECK(engine.protect(7u, good).ok());
    Packet big(udp_datagram(host_a, host_b, 65500 - 28));
    CHECK(engine.protect(7u, big).drop == DropReason::too_big);
    // A packet without headroom still works (the buffer grows).
    Packet tight(Packet::default_headroom);
    tight.assign(udp_datagram(host_a, host_b, 10));
    CHECK(engine.protect(7u, tight).ok());
}

TEST_CASE("outbound sequence numbers: no cycling with anti-replay, wrap without (RFC 4303 §3.3.3)") {
    for (std::uint32_t window : {0u, 64u}) {
        CAPTURE(window);
        SaConfig out =
            outbound_sa(Protocol::bundle, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel, window);
        out.initial_sequence = 0xfffffffeu;
        IpsecEngine engine;
        REQUIRE(engine.add_sa(out).ok());
        Packet p(udp_datagram(host_a, host_b, 10));
        REQUIRE(engine.protect(out.name, p).ok());
        CHECK(be32(p.data() + 28) == 0xffffffffu);      // AH sequence
        CHECK(be32(p.data() + 44 + 4) == 0xffffffffu);  // ESP sequence
        Packet q(udp_datagram(host_a, host_b, 10));
        OutboundResult r = engine.protect(out.name, q);
        if (window == 0) {
            REQUIRE(r.ok());
            CHECK(be32(q.data() + 28) == 1);
        } else {
            CHECK(r.drop == DropReason::sequence_overflow);
            CHECK(engine.query_sa(key_of(out))->counters.sequence_overflows == 1);
        }
    }
}

TEST_CASE("tunnel decapsulation carries congestion experienced into ECN-capable packets (RFC 6040)") {
    Pair pair(outbound_sa(Protocol::esp, Cipher::aes128_cbc, Integrity::hmac_sha1_96, Mode::tunnel));
    for (std::uint8_t inner_ecn : {0, 1, 2, 3}) {
        CAPTURE(int{inner_ecn});
        Bytes datagram = udp_datagram(host_a, host_b, 20, true, static_cast<std::uint8_t>(0x28 | inner_ecn));
        Bytes w = pair.send(datagram);
        CHECK((w[1] & 3) == inner_ecn);  // copied on encapsulation
        w[1] |= 3;                       // a router on the way marks congestion
        set_checksum(w);
        Bytes inner;
        REQUIRE(pair.receive(w, &inner).kind == InboundKind::delivered);
        CHECK((inner[1] & 3) == (inner_ecn == 0 ? 0 : 3));
        CHECK(checksum(inner.data(), 20) == 0);
    }
}
