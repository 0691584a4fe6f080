// Key pairs by certificate-id: generation (RSA, DSA, ECDSA), PEM serialisation for the store, and the match
// between a key pair and a certificate's public key. Private keys never leave this type except as the PEM
// the store writes with mode 0600; nothing here prints or logs them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "msim/pki/basics.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace msim::pki {

class Certificate;

enum class KeyAlgorithm { rsa, dsa, ecdsa };

// How DSA/ECDSA signatures travel: DER SEQUENCE {r, s} (X.509, CMS) or r||s, each padded to the group
// order's size (RFC 4754 for IKE). RSA signatures have one form and ignore this.
enum class SignatureFormat { der, concatenated };

std::string_view to_string(KeyAlgorithm algorithm);  // "RSA", "DSA", "ECDSA"

struct KeyPairSpec {
    KeyAlgorithm algorithm = KeyAlgorithm::rsa;
    // RSA: 512, 1024, 1596, 2048, 4096. DSA: 1024, 2048. ECDSA: 256 (P-256), 384 (P-384).
    unsigned bits = 1024;

    // The size Junos uses when the operator gives none: 1024 for RSA and DSA (seed 002), 256 for ECDSA.
    static KeyPairSpec with_default_size(KeyAlgorithm algorithm) {
        return {algorithm, algorithm == KeyAlgorithm::ecdsa ? 256u : 1024u};
    }
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

    // Signs an already computed hash, as IKE does with HASH_I/HASH_R (RFC 2409 §5.1): RSA applies PKCS#1
    // v1.5 type 1 padding to the raw hash (no DigestInfo); DSA/ECDSA sign the hash value. Throws
    // invalid_argument when the hash is too long for the key (RSA: modulus bytes − 11).
    std::vector<std::uint8_t> sign_hash(ByteView hash, SignatureFormat format = SignatureFormat::der) const;

    EVP_PKEY* native() const noexcept { return key_.get(); }

  private:
    explicit KeyPair(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
    std::shared_ptr<EVP_PKEY> key_;
};

// Verifies a sign_hash signature with the public key of the signer's certificate (or a bare key).
bool verify_hash_signature(const Certificate& signer, ByteView hash, ByteView signature,
                           SignatureFormat format = SignatureFormat::der);
bool verify_hash_signature(EVP_PKEY* public_key, ByteView hash, ByteView signature,
                           SignatureFormat format = SignatureFormat::der);

}  // namespace msim::pki
