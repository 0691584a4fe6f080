#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "msim/pki/key_pair.hpp"
#include "msim/pki/request.hpp"
#include "test_ca.hpp"

using namespace msim::pki;

TEST_CASE("RSA key pairs in every Junos size, including 1596") {
    for (unsigned bits : {512u, 1024u, 1596u, 2048u}) {
        KeyPair key = KeyPair::generate({KeyAlgorithm::rsa, bits});
        CHECK(key.algorithm() == KeyAlgorithm::rsa);
        CHECK(key.bits() == bits);
    }
}

TEST_CASE("RSA 4096, DSA and ECDSA key pairs") {
    CHECK(KeyPair::generate({KeyAlgorithm::rsa, 4096}).bits() == 4096);
    KeyPair dsa = KeyPair::generate({KeyAlgorithm::dsa, 1024});
    CHECK(dsa.algorithm() == KeyAlgorithm::dsa);
    CHECK(dsa.bits() == 1024);
    CHECK(KeyPair::generate({KeyAlgorithm::dsa, 2048}).bits() == 2048);
    KeyPair p256 = KeyPair::generate({KeyAlgorithm::ecdsa, 256});
    CHECK(p256.algorithm() == KeyAlgorithm::ecdsa);
    CHECK(p256.bits() == 256);
    CHECK(KeyPair::generate({KeyAlgorithm::ecdsa, 384}).bits() == 384);
    CHECK(to_string(KeyAlgorithm::dsa) == "DSA");
    CHECK(to_string(KeyAlgorithm::ecdsa) == "ECDSA");
    CHECK(to_string(KeyAlgorithm::rsa) == "RSA");
}

TEST_CASE("unsupported sizes are refused with the accepted list") {
    auto message = [](KeyPairSpec spec) {
        try {
            KeyPair::generate(spec);
        } catch (const PkiError& e) {
            CHECK(e.code() == ErrorCode::invalid_argument);
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(message({KeyAlgorithm::rsa, 1000}).find("512, 1024, 1596, 2048 or 4096") != std::string::npos);
    CHECK(message({KeyAlgorithm::dsa, 512}).find("1024 or 2048") != std::string::npos);
    CHECK(message({KeyAlgorithm::ecdsa, 521}).find("256 or 384") != std::string::npos);
    CHECK_THROWS_AS(check_key_pair_spec({static_cast<KeyAlgorithm>(9), 1024}), PkiError);
}

TEST_CASE("PEM round trip keeps the key; garbage is refused") {
    KeyPair key = KeyPair::generate({KeyAlgorithm::ecdsa, 256});
    std::string pem = key.private_pem();
    CHECK(pem.find("-----BEGIN PRIVATE KEY-----") == 0);
    KeyPair again = KeyPair::from_private_pem(pem);
    CHECK(again.public_pem() == key.public_pem());
    CHECK(key.public_pem().find("-----BEGIN PUBLIC KEY-----") == 0);
    CHECK_THROWS_AS(KeyPair::from_private_pem("not a key"), PkiError);
    CHECK_THROWS_AS(KeyPair::from_private_pem(key.public_pem()), PkiError);
    CHECK_THROWS_AS(KeyPair::from_private_pem(""), PkiError);
}

TEST_CASE("a key pair matches only certificates carrying its public key") {
    KeyPair key = test::test_key();
    Certificate own = create_self_signed_certificate(key, {"CN=r1", {}, test::reference_time()});
    CHECK(key.matches(own));
    CHECK_FALSE(test::test_key().matches(own));
}

TEST_CASE("IKE-style hash signatures: RSA raw PKCS#1, DSA and ECDSA in DER and r||s form") {
    std::vector<std::uint8_t> hash(20);
    for (std::size_t i = 0; i < hash.size(); ++i) {
        hash[i] = static_cast<std::uint8_t>(i * 7 + 1);
    }
    std::vector<std::uint8_t> other = hash;
    other[0] ^= 1;

    KeyPair rsa = KeyPair::generate({KeyAlgorithm::rsa, 1024});
    Certificate rsa_cert = create_self_signed_certificate(rsa, {"CN=rsa", {}, test::reference_time()});
    auto sig = rsa.sign_hash(hash);
    CHECK(sig.size() == 128);
    CHECK(verify_hash_signature(rsa_cert, hash, sig));
    CHECK_FALSE(verify_hash_signature(rsa_cert, other, sig));
    // Independent check: the RSA public operation recovers exactly the hash (no DigestInfo around it).
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, rsa.native(), nullptr);
    REQUIRE(EVP_PKEY_verify_recover_init(ctx) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1);
    std::vector<std::uint8_t> recovered(128);
    std::size_t len = recovered.size();
    REQUIRE(EVP_PKEY_verify_recover(ctx, recovered.data(), &len, sig.data(), sig.size()) == 1);
    EVP_PKEY_CTX_free(ctx);
    recovered.resize(len);
    CHECK(recovered == hash);
    auto tampered = sig;
    tampered[5] ^= 0x10;
    CHECK_FALSE(verify_hash_signature(rsa_cert, hash, tampered));
    KeyPair small = KeyPair::generate({KeyAlgorithm::rsa, 512});
    CHECK_THROWS_AS(small.sign_hash(std::vector<std::uint8_t>(64, 1)), PkiError);
    CHECK_THROWS_AS(rsa.sign_hash({}), PkiError);

    for (KeyPairSpec spec : {KeyPairSpec{KeyAlgorithm::dsa, 1024}, KeyPairSpec{KeyAlgorithm::ecdsa, 256},
                             KeyPairSpec{KeyAlgorithm::ecdsa, 384}}) {
        CAPTURE(spec.bits);
        KeyPair key = KeyPair::generate(spec);
        Certificate cert = create_self_signed_certificate(key, {"CN=k", {}, test::reference_time()});
        auto der = key.sign_hash(hash);
        CHECK(der[0] == 0x30);
        CHECK(verify_hash_signature(cert, hash, der));
        CHECK_FALSE(verify_hash_signature(cert, other, der));
        auto raw = key.sign_hash(hash, SignatureFormat::concatenated);
        std::size_t half = spec.algorithm == KeyAlgorithm::dsa ? 20 : spec.bits / 8;
        CHECK(raw.size() == 2 * half);
        CHECK(verify_hash_signature(cert, hash, raw, SignatureFormat::concatenated));
        CHECK_FALSE(verify_hash_signature(cert, other, raw, SignatureFormat::concatenated));
        raw.pop_back();
        CHECK_FALSE(verify_hash_signature(cert, hash, raw, SignatureFormat::concatenated));
        CHECK_FALSE(verify_hash_signature(cert, hash, {}, SignatureFormat::der));
    }
    CHECK_FALSE(verify_hash_signature(static_cast<EVP_PKEY*>(nullptr), hash, sig));
}

TEST_CASE("Junos default key sizes") {
    CHECK(KeyPairSpec::with_default_size(KeyAlgorithm::rsa).bits == 1024);
    CHECK(KeyPairSpec::with_default_size(KeyAlgorithm::dsa).bits == 1024);
    CHECK(KeyPairSpec::with_default_size(KeyAlgorithm::ecdsa).bits == 256);
    CHECK_NOTHROW(check_key_pair_spec(KeyPairSpec::with_default_size(KeyAlgorithm::ecdsa)));
}
