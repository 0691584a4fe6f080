// Distinguished names the Junos way: the operator's string form "DC=…,CN=…,OU=…,O=…,L=…,ST=…,C=…" and the
// container / wildcard matching IKE uses for DN identities (seed 001).
#pragma once

#include <string>
#include <string_view>
#include <vector>

typedef struct X509_name_st X509_NAME;

namespace msim::pki {

struct DnAttribute {
    std::string
        type;  // Junos short name: DC, CN, SN (serial number), OU, O, L, ST, C; others as OpenSSL names
    std::string value;  // UTF-8
    bool operator==(const DnAttribute&) const = default;
};

// In the order written, which is also the order of the RDN sequence in the certificate.
using DistinguishedName = std::vector<DnAttribute>;

// Parses the Junos subject string. Attributes are separated by commas; a value may escape ',' '=' '\' with a
// backslash or be double-quoted; blanks around names and values are ignored. Throws
// PkiError(invalid_argument) with the offending part for an empty string, a part without '=', an unknown
// attribute, an empty value or a country that is not two letters.
DistinguishedName parse_distinguished_name(std::string_view text);

// "CN=a, OU=b, O=c" (values with ',' '=' '\' escaped), as Junos prints a subject string.
std::string format_distinguished_name(const DistinguishedName& dn);

// Builds an X509_NAME in the given order; caller owns the result.
X509_NAME* to_x509_name(const DistinguishedName& dn);
DistinguishedName from_x509_name(const X509_NAME* name);

enum class DnMatch {
    // Every configured attribute must equal the certificate's, in the same order, as one contiguous run of
    // the certificate's RDNs (the whole DN, or the part naming a container such as "O=…, C=…").
    container,
    // Each configured attribute must equal the certificate's single attribute of that type, in any order;
    // unconfigured attributes are ignored. A certificate with repeated attributes of a configured type does
    // not match (the seed requires container for those). An empty configured value matches any value.
    wildcard,
};

bool dn_matches(const DistinguishedName& pattern, const DistinguishedName& subject, DnMatch mode);

}  // namespace msim::pki
