#include "msim/pki/scep_message.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cctype>

#include "ossl.hpp"

namespace msim::pki::scep {

const AttributeNids& attribute_nids() {
    // OIDs of the Verisign arc SCEP has always used (RFC 8894 §3.2.1).
    static const AttributeNids nids = [] {
        auto make = [](const char* oid, const char* name) {
            int nid = OBJ_txt2nid(oid);
            if (nid == NID_undef)
                nid = OBJ_create(oid, name, name);
            if (nid == NID_undef)
                detail::throw_crypto("cannot register SCEP attribute " + std::string(name));
            return nid;
        };
        return AttributeNids{make("2.16.840.1.113733.1.9.2", "scepMessageType"),
                             make("2.16.840.1.113733.1.9.3", "scepPkiStatus"),
                             make("2.16.840.1.113733.1.9.4", "scepFailInfo"),
                             make("2.16.840.1.113733.1.9.5", "scepSenderNonce"),
                             make("2.16.840.1.113733.1.9.6", "scepRecipientNonce"),
                             make("2.16.840.1.113733.1.9.7", "scepTransactionID")};
    }();
    return nids;
}

std::string fail_info_name(const std::string& code) {
    if (code == "0")
        return "badAlg";
    if (code == "1")
        return "badMessageCheck";
    if (code == "2")
        return "badRequest";
    if (code == "3")
        return "badTime";
    if (code == "4")
        return "badCertId";
    return code.empty() ? "unspecified" : code;
}

void add_string_attribute(PKCS7_SIGNER_INFO* si, int nid, int asn1_type, const std::string& value) {
    ASN1_STRING* s = ASN1_STRING_type_new(asn1_type);
    if (s == nullptr || ASN1_STRING_set(s, value.data(), static_cast<int>(value.size())) != 1 ||
        PKCS7_add_signed_attribute(si, nid, asn1_type, s) != 1) {
        ASN1_STRING_free(s);
        detail::throw_crypto("cannot add a SCEP attribute");
    }
}

std::string string_attribute(PKCS7_SIGNER_INFO* si, int nid) {
    ASN1_TYPE* t = PKCS7_get_signed_attribute(si, nid);
    if (t == nullptr || (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_OCTET_STRING &&
                         t->type != V_ASN1_UTF8STRING && t->type != V_ASN1_IA5STRING))
        return {};
    const ASN1_STRING* s = t->value.asn1_string;
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string der_sequence(const std::string& content) {
    std::string out(1, '\x30');
    const std::size_t n = content.size();
    if (n < 0x80) {
        out.push_back(static_cast<char>(n));
    } else {
        std::string len;
        for (std::size_t v = n; v != 0; v >>= 8)
            len.insert(len.begin(), static_cast<char>(v & 0xff));
        out.push_back(static_cast<char>(0x80 | len.size()));
        out += len;
    }
    return out + content;
}

std::string der_of_name(const X509_NAME* name) {
    unsigned char* out = nullptr;
    const int n = i2d_X509_NAME(name, &out);
    if (n <= 0)
        detail::throw_crypto("cannot encode a name");
    std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
    OPENSSL_free(out);
    return der;
}

std::string transaction_id_of(EVP_PKEY* key) {
    unsigned char* spki = nullptr;
    const int n = i2d_PUBKEY(key, &spki);
    if (n <= 0)
        detail::throw_crypto("cannot encode the public key");
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const int ok = EVP_Digest(spki, static_cast<std::size_t>(n), digest, &len, EVP_sha256(), nullptr);
    OPENSSL_free(spki);
    if (ok != 1)
        detail::throw_crypto("cannot hash the public key");
    static const char* hex = "0123456789ABCDEF";
    std::string id;
    for (unsigned i = 0; i < len; ++i) {
        id.push_back(hex[digest[i] >> 4]);
        id.push_back(hex[digest[i] & 15]);
    }
    return id;
}

std::string base64_encode(const std::string& bytes) {
    std::string b64(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    b64.resize(static_cast<std::size_t>(n));
    return b64;
}

std::string base64_decode(const std::string& text) {
    std::string clean;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c)))
            clean.push_back(c);
    }
    if (clean.empty() || clean.size() % 4 != 0 || clean.size() > detail::max_input_size)
        throw PkiError(ErrorCode::malformed_input, "the SCEP message is not base64");
    std::string out(clean.size() / 4 * 3, '\0');
    const int n =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
    if (n < 0)
        throw PkiError(ErrorCode::malformed_input, "the SCEP message is not base64");
    std::size_t len = static_cast<std::size_t>(n);
    // EVP_DecodeBlock counts the padding as zero bytes
    if (clean.ends_with("=="))
        len -= 2;
    else if (clean.ends_with("="))
        len -= 1;
    out.resize(len);
    return out;
}

std::string percent_encode(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::string percent_decode(const std::string& text) {
    auto value = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        // '+' stays '+': the only value SCEP carries in a query is base64, where '+' is a digit (some
        // clients leave it unescaped) and a space never occurs.
        if (text[i] == '%' && i + 2 < text.size() && value(text[i + 1]) >= 0 && value(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(value(text[i + 1]) * 16 + value(text[i + 2])));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

}  // namespace msim::pki::scep
