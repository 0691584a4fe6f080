// Key pairs by certificate-id: generation (RSA, DSA, ECDSA), PEM serialisation for the store, and the match
// between a key pair and a certificate's public key. Private keys never leave this type except as the PEM
// the store writes with mode 0600; nothing here prints or logs them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "msim/pki/basics.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace msim::pki {

class Certificate;

enum class KeyAlgorithm { rsa, dsa, ecdsa };

std::string_view to_string(KeyAlgorithm algorithm);  // "RSA", "DSA", "ECDSA"

struct KeyPairSpec {
    KeyAlgorithm algorithm = KeyAlgorithm::rsa;
    // RSA: 512, 1024, 1596, 2048, 4096. DSA: 1024, 2048. ECDSA: 256 (P-256), 384 (P-384).
    unsigned bits = 1024;
};

// Throws PkiError(invalid_argument) naming the accepted sizes when the spec is not one Junos offers.
void check_key_pair_spec(const KeyPairSpec& spec);

class KeyPair {
  public:
    static KeyPair generate(const KeyPairSpec& spec);
    // Parses a PEM private key (PKCS#8 or traditional); throws malformed_input.
    static KeyPair from_private_pem(std::string_view pem);

    KeyAlgorithm algorithm() const;
    unsigned bits() const;

    std::string private_pem() const;  // PKCS#8, unencrypted: for the store's 0600 file only
    std::string public_pem() const;   // SubjectPublicKeyInfo

    // True when the certificate carries this key pair's public key.
    bool matches(const Certificate& certificate) const;

    EVP_PKEY* native() const noexcept { return key_.get(); }

  private:
    explicit KeyPair(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
    std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace msim::pki
