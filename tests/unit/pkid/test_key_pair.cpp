#include <doctest/doctest.h>

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
