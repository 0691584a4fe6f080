#include "msim/pki/distinguished_name.hpp"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "msim/pki/basics.hpp"
#include "ossl.hpp"

namespace msim::pki {
namespace {

struct KnownAttribute {
    std::string_view name;
    int nid;
};

// The attributes the Junos subject string offers (seed 003), by the names Junos uses. SN is the device
// serial number (serialNumber), not OpenSSL's "SN" (surname).
constexpr std::array<KnownAttribute, 8> known_attributes{{
    {"DC", NID_domainComponent},
    {"CN", NID_commonName},
    {"SN", NID_serialNumber},
    {"OU", NID_organizationalUnitName},
    {"O", NID_organizationName},
    {"L", NID_localityName},
    {"ST", NID_stateOrProvinceName},
    {"C", NID_countryName},
}};

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

bool same_type(std::string_view a, std::string_view b) {
    return upper(a) == upper(b);
}

int nid_for(std::string_view type) {
    std::string t = upper(type);
    for (const auto& known : known_attributes) {
        if (known.name == t) {
            return known.nid;
        }
    }
    return NID_undef;
}

std::string name_for(int nid) {
    for (const auto& known : known_attributes) {
        if (known.nid == nid) {
            return std::string(known.name);
        }
    }
    if (nid == NID_surname) {
        return "surname";
    }
    if (nid != NID_undef) {
        if (const char* sn = OBJ_nid2sn(nid)) {
            return sn;
        }
    }
    return {};
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

[[noreturn]] void bad_dn(const std::string& message) {
    throw PkiError(ErrorCode::invalid_argument, "Invalid subject: " + message);
}

}  // namespace

DistinguishedName parse_distinguished_name(std::string_view text) {
    DistinguishedName dn;
    std::size_t i = 0;
    const std::size_t n = text.size();
    auto skip_blanks = [&] {
        while (i < n && is_blank(text[i])) {
            ++i;
        }
    };
    skip_blanks();
    if (i == n) {
        bad_dn("subject is empty");
    }
    while (i < n) {
        skip_blanks();
        std::size_t type_start = i;
        while (i < n && text[i] != '=' && text[i] != ',') {
            ++i;
        }
        std::string type(text.substr(type_start, i - type_start));
        while (!type.empty() && is_blank(type.back())) {
            type.pop_back();
        }
        if (i == n || text[i] != '=') {
            bad_dn("'" + type + "' is not of the form NAME=VALUE");
        }
        if (type.empty()) {
            bad_dn("attribute name missing before '='");
        }
        if (nid_for(type) == NID_undef) {
            bad_dn("unknown attribute '" + type + "' (expected DC, CN, SN, OU, O, L, ST or C)");
        }
        ++i;  // '='
        skip_blanks();
        std::string value;
        std::size_t kept = 0;  // length of value up to its last character that must be kept (escaped/quoted)
        bool quoted = false;
        if (i < n && text[i] == '"') {
            quoted = true;
            ++i;
            while (i < n && text[i] != '"') {
                if (text[i] == '\\' && i + 1 < n) {
                    ++i;
                }
                value.push_back(text[i++]);
            }
            if (i == n) {
                bad_dn("unterminated quote in the value of " + type);
            }
            ++i;  // closing quote
            kept = value.size();
            skip_blanks();
            if (i < n && text[i] != ',') {
                bad_dn("unexpected text after the quoted value of " + type);
            }
        } else {
            while (i < n && text[i] != ',') {
                if (text[i] == '=') {
                    bad_dn("unescaped '=' in the value of " + type);
                }
                if (text[i] == '\\') {
                    if (i + 1 == n) {
                        bad_dn("dangling '\\' at the end of the value of " + type);
                    }
                    value.push_back(text[i + 1]);
                    i += 2;
                    kept = value.size();
                    continue;
                }
                value.push_back(text[i++]);
                if (!is_blank(value.back())) {
                    kept = value.size();
                }
            }
            value.resize(kept);
        }
        if (value.empty() && !quoted) {
            bad_dn("empty value for " + type);
        }
        if (value.empty()) {
            bad_dn("empty value for " + type);
        }
        std::string canonical = name_for(nid_for(type));
        if (canonical == "C" && (value.size() != 2 || !std::isalpha(static_cast<unsigned char>(value[0])) ||
                                 !std::isalpha(static_cast<unsigned char>(value[1])))) {
            bad_dn("country 'C=" + value + "' must be a two-letter code");
        }
        dn.push_back({canonical, value});
        if (i < n) {
            ++i;  // ','
            skip_blanks();
            if (i == n) {
                bad_dn("trailing ','");
            }
        }
    }
    return dn;
}

std::string format_distinguished_name(const DistinguishedName& dn) {
    std::string out;
    for (const auto& attr : dn) {
        if (!out.empty()) {
            out += ", ";
        }
        out += attr.type;
        out += '=';
        for (char c : attr.value) {
            if (c == ',' || c == '=' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
    }
    return out;
}

X509_NAME* to_x509_name(const DistinguishedName& dn) {
    detail::NamePtr name(X509_NAME_new());
    if (!name) {
        detail::throw_crypto("cannot allocate name");
    }
    for (const auto& attr : dn) {
        int nid = nid_for(attr.type);
        if (nid == NID_undef) {
            bad_dn("unknown attribute '" + attr.type + "'");
        }
        if (attr.value.size() > 1024) {
            bad_dn("value of " + attr.type + " is too long");
        }
        if (X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(attr.value.data()),
                                       static_cast<int>(attr.value.size()), -1, 0) != 1) {
            detail::take_openssl_errors();
            bad_dn("value '" + attr.value + "' is not allowed for " + attr.type +
                   (nid == NID_commonName ? " (at most 64 characters)" : ""));
        }
    }
    return name.release();
}

DistinguishedName from_x509_name(const X509_NAME* name) {
    DistinguishedName dn;
    if (name == nullptr) {
        return dn;
    }
    int count = X509_NAME_entry_count(name);
    for (int i = 0; i < count; ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        const ASN1_OBJECT* object = X509_NAME_ENTRY_get_object(entry);
        int nid = OBJ_obj2nid(object);
        std::string type = name_for(nid);
        if (type.empty()) {
            char buf[128];
            OBJ_obj2txt(buf, sizeof buf, object, 1);
            type = buf;
        }
        unsigned char* utf8 = nullptr;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
        std::string value;
        if (len >= 0 && utf8 != nullptr) {
            value.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
        }
        OPENSSL_free(utf8);
        dn.push_back({std::move(type), std::move(value)});
    }
    return dn;
}

bool dn_matches(const DistinguishedName& pattern, const DistinguishedName& subject, DnMatch mode) {
    if (pattern.empty()) {
        return false;
    }
    if (mode == DnMatch::container) {
        if (pattern.size() > subject.size()) {
            return false;
        }
        for (std::size_t start = 0; start + pattern.size() <= subject.size(); ++start) {
            bool all = true;
            for (std::size_t k = 0; k < pattern.size() && all; ++k) {
                const auto& want = pattern[k];
                const auto& have = subject[start + k];
                all = same_type(want.type, have.type) && want.value == have.value;
            }
            if (all) {
                return true;
            }
        }
        return false;
    }
    for (const auto& want : pattern) {
        const DnAttribute* found = nullptr;
        int count = 0;
        for (const auto& have : subject) {
            if (same_type(want.type, have.type)) {
                found = &have;
                ++count;
            }
        }
        if (count != 1) {
            return false;
        }
        if (!want.value.empty() && want.value != found->value) {
            return false;
        }
    }
    return true;
}

}  // namespace msim::pki
