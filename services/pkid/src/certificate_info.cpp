#include "msim/pki/certificate_info.hpp"

#include <openssl/objects.h>

#include <array>

#include "ossl.hpp"

namespace msim::pki {
namespace {

std::string long_name(int nid) {
    const char* name = nid == NID_undef ? nullptr : OBJ_nid2ln(nid);
    return name != nullptr ? name : "unknown";
}

// Junos labels of the subject/issuer listing, in the order Junos lists them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 8> name_labels{{
    {"DC", "Domain component"},
    {"O", "Organization"},
    {"OU", "Organizational unit"},
    {"C", "Country"},
    {"ST", "State"},
    {"L", "Locality"},
    {"CN", "Common name"},
    {"SN", "Serial number"},
}};

// "Organization: X, Organizational unit: Y, Country: C, State: S,\n      Locality: L, Common name: N"
std::string labelled_name(const DistinguishedName& dn, const std::string& indent) {
    std::vector<std::string> items;
    for (const auto& [type, label] : name_labels) {
        for (const auto& attr : dn) {
            if (attr.type == type) {
                items.push_back(std::string(label) + ": " + attr.value);
            }
        }
    }
    for (const auto& attr : dn) {
        bool known = false;
        for (const auto& entry : name_labels) {
            known = known || attr.type == entry.first;
        }
        if (!known) {
            items.push_back(attr.type + ": " + attr.value);
        }
    }
    std::string out = indent;
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += items[i];
        if (i + 1 < items.size()) {
            out += (i % 4 == 3) ? ",\n" + indent : ", ";
        }
    }
    return out + "\n";
}

std::string spaced_name(const DistinguishedName& dn) {
    std::string out;
    for (const auto& attr : dn) {
        if (!out.empty()) {
            out += ", ";
        }
        out += attr.type + " = " + attr.value;
    }
    return out;
}

std::string common_name(const DistinguishedName& dn, const std::string& fallback) {
    for (const auto& attr : dn) {
        if (attr.type == "CN") {
            return attr.value;
        }
    }
    return fallback;
}

std::string hex_block(const std::string& colon_hex_text, const std::string& indent, std::size_t per_line) {
    std::string out;
    std::size_t count = 0;
    std::size_t i = 0;
    while (i < colon_hex_text.size()) {
        if (count % per_line == 0) {
            if (count != 0) {
                out += "\n";
            }
            out += indent;
        }
        out += colon_hex_text.substr(i, 2);
        i += 2;
        ++count;
        if (i < colon_hex_text.size()) {
            out += ":";
            ++i;
        }
    }
    return out + "\n";
}

std::string quoted_or_empty(const std::vector<std::string>& values, const char* kind, bool quote) {
    if (values.empty()) {
        return std::string(kind) + " empty";
    }
    std::string out;
    for (const auto& v : values) {
        if (!out.empty()) {
            out += ", ";
        }
        out += quote ? "\"" + v + "\"" : v;
    }
    return out;
}

}  // namespace

CertificateInfo describe_certificate(const Certificate& certificate, std::string identifier) {
    X509* x = certificate.native();
    CertificateInfo info;
    info.identifier = std::move(identifier);
    info.version = static_cast<int>(X509_get_version(x)) + 1;
    info.serial_hex = certificate.serial_hex();
    info.issuer = certificate.issuer();
    info.subject = certificate.subject();
    info.subject_string = format_distinguished_name(info.subject);
    info.alt_emails = certificate.email_addresses();
    info.alt_fqdns = certificate.dns_names();
    info.alt_ips = certificate.ip_addresses();
    info.not_before = certificate.not_before();
    info.not_after = certificate.not_after();
    info.not_before_text = detail::junos_time_of(X509_get0_notBefore(x));
    info.not_after_text = detail::junos_time_of(X509_get0_notAfter(x));
    if (EVP_PKEY* key = X509_get0_pubkey(x)) {
        info.public_key_bits = static_cast<unsigned>(EVP_PKEY_get_bits(key));
        info.public_key_algorithm = long_name(EVP_PKEY_get_base_id(key));
    } else {
        detail::take_openssl_errors();
        info.public_key_algorithm = "unknown";
    }
    if (const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(x)) {
        info.public_key_hex = colon_hex(ByteView(ASN1_STRING_get0_data(bits), ASN1_STRING_length(bits)));
    }
    info.signature_algorithm = long_name(X509_get_signature_nid(x));
    info.sha1_fingerprint = certificate.sha1_fingerprint();
    info.md5_fingerprint = certificate.md5_fingerprint();
    info.distribution_crls = certificate.crl_distribution_points();
    std::uint32_t usage = X509_get_key_usage(x);
    if (usage != UINT32_MAX) {
        // Junos lists the usages from the highest bit named to the lowest.
        static constexpr std::array<std::pair<std::uint32_t, std::string_view>, 9> words{{
            {KU_DECIPHER_ONLY, "Decipher only"},
            {KU_ENCIPHER_ONLY, "Encipher only"},
            {KU_CRL_SIGN, "CRL signing"},
            {KU_KEY_CERT_SIGN, "Certificate signing"},
            {KU_KEY_AGREEMENT, "Key agreement"},
            {KU_DATA_ENCIPHERMENT, "Data encipherment"},
            {KU_KEY_ENCIPHERMENT, "Key encipherment"},
            {KU_NON_REPUDIATION, "Non repudiation"},
            {KU_DIGITAL_SIGNATURE, "Digital signature"},
        }};
        for (const auto& [bit, word] : words) {
            if ((usage & bit) != 0) {
                info.key_usages.emplace_back(word);
            }
        }
    }
    info.is_ca = certificate.is_ca();
    return info;
}

std::string render_certificate(const CertificateInfo& info, CertificateRole role, Detail detail) {
    std::string out = "Certificate identifier: " + info.identifier + "\n";
    if (detail == Detail::brief) {
        out += "  Issued to: " + common_name(info.subject, info.subject_string) +
               ", Issued by: " + spaced_name(info.issuer) + "\n";
        out += "  Validity:\n";
        out += "    Not before: " + info.not_before_text + "\n";
        out += "    Not after: " + info.not_after_text + "\n";
        out += "  Public key algorithm: " + info.public_key_algorithm + "(" +
               std::to_string(info.public_key_bits) + " bits)\n";
        if (role == CertificateRole::local) {
            out += "  Keypair Location: Keypair generated locally\n";
        }
        return out;
    }
    out += "  Certificate version: " + std::to_string(info.version) + "\n";
    out += "  Serial number: " + info.serial_hex + "\n";
    out += "  Issuer:\n" + labelled_name(info.issuer, "    ");
    out += "  Subject:\n" + labelled_name(info.subject, "    ");
    out += "  Subject string:\n    " + info.subject_string + "\n";
    out += "  Alternate subject: " + quoted_or_empty(info.alt_emails, "email", true) + ", " +
           quoted_or_empty(info.alt_fqdns, "fqdn", true) + ", " + quoted_or_empty(info.alt_ips, "ip", false) +
           "\n";
    out += "  Validity:\n";
    out += "    Not before: " + info.not_before_text + "\n";
    out += "    Not after: " + info.not_after_text + "\n";
    out += "  Public key algorithm: " + info.public_key_algorithm + "(" +
           std::to_string(info.public_key_bits) + " bits)\n";
    out += hex_block(info.public_key_hex, "    ", 16);
    out += "  Signature algorithm: " + info.signature_algorithm + "\n";
    if (!info.distribution_crls.empty()) {
        out += "  Distribution CRL:\n";
        for (const auto& url : info.distribution_crls) {
            out += "    " + url + "\n";
        }
    }
    out += "  Fingerprint:\n";
    out += "    " + info.sha1_fingerprint + " (sha1)\n";
    out += "    " + info.md5_fingerprint + " (md5)\n";
    if (!info.key_usages.empty()) {
        out += "  Use for key: ";
        for (std::size_t i = 0; i < info.key_usages.size(); ++i) {
            out += (i == 0 ? "" : ", ") + info.key_usages[i];
        }
        out += "\n";
    }
    if (role == CertificateRole::local) {
        out += std::string("  Auto-re-enrollment:\n    Status: ") +
               (info.auto_reenrollment ? "Enabled" : "Disabled") +
               "\n    Next trigger time: " + info.next_trigger_text + "\n";
    }
    return out;
}

CrlInfo describe_crl(const Crl& crl, std::string ca_profile) {
    CrlInfo info;
    info.ca_profile = std::move(ca_profile);
    info.version = static_cast<int>(X509_CRL_get_version(crl.native())) + 1;
    info.issuer = crl.issuer();
    info.this_update = crl.this_update();
    info.next_update = crl.next_update();
    info.this_update_text = detail::junos_time_of(X509_CRL_get0_lastUpdate(crl.native()));
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.native());
    info.next_update_text = next != nullptr ? detail::junos_time_of(next) : "none";
    info.revoked = crl.revoked();
    return info;
}

std::string render_crl(const CrlInfo& info, Detail detail) {
    char version[16];
    std::snprintf(version, sizeof version, "V%08d", info.version);
    std::string out = "CA profile: " + info.ca_profile + "\n";
    out += "CRL version: " + std::string(version) + "\n";
    out += "CRL issuer: " + spaced_name(info.issuer) + "\n";
    out += "Effective date: " + info.this_update_text + "\n";
    out += "Next update: " + info.next_update_text + "\n";
    if (detail == Detail::detail) {
        out += "\nRevocation List:\n";
        out += "  Serial number                          Revocation date\n";
        for (const auto& entry : info.revoked) {
            std::string serial = entry.serial_hex;
            serial.resize(std::max<std::size_t>(serial.size(), 38), ' ');
            out += "  " + serial + " " + junos_time(entry.revocation_date) + "\n";
        }
    }
    return out;
}

RequestInfo describe_request(const CertificateRequest& request, std::string identifier) {
    RequestInfo info;
    info.identifier = std::move(identifier);
    info.subject = request.subject();
    info.subject_string = format_distinguished_name(info.subject);
    info.alternative_names = request.alternative_names();
    if (EVP_PKEY* key = X509_REQ_get0_pubkey(request.native())) {
        info.public_key_bits = static_cast<unsigned>(EVP_PKEY_get_bits(key));
        info.public_key_algorithm = long_name(EVP_PKEY_get_base_id(key));
    } else {
        detail::take_openssl_errors();
        info.public_key_algorithm = "unknown";
    }
    info.signature_valid = request.signature_valid();
    info.sha1_fingerprint = request.sha1_fingerprint();
    info.md5_fingerprint = request.md5_fingerprint();
    return info;
}

std::string render_request(const RequestInfo& info, Detail detail) {
    std::string out = "Certificate identifier: " + info.identifier + "\n";
    out += "  Issued to: " + common_name(info.subject, info.subject_string) + "\n";
    out += "  Public key algorithm: " + info.public_key_algorithm + "(" +
           std::to_string(info.public_key_bits) + " bits)\n";
    out += std::string("  Public key verification status: ") + (info.signature_valid ? "Passed" : "Failed") +
           "\n";
    if (detail == Detail::detail) {
        out += "  Subject:\n" + labelled_name(info.subject, "    ");
        out += "  Alternate subject: " + quoted_or_empty(info.alternative_names.emails, "email", true) +
               ", " + quoted_or_empty(info.alternative_names.domain_names, "fqdn", true) + ", " +
               quoted_or_empty(info.alternative_names.ip_addresses, "ip", false) + "\n";
        out += "  Fingerprint:\n";
        out += "    " + info.sha1_fingerprint + " (sha1)\n";
        out += "    " + info.md5_fingerprint + " (md5)\n";
    }
    return out;
}

}  // namespace msim::pki
