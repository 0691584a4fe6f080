#include "msim/pki/info_xml.hpp"

#include <array>
#include <string>
#include <string_view>

namespace msim::pki {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> dn_elements{{
    {"O", "organization-name"},
    {"OU", "organizational-unit-name"},
    {"CN", "common-name"},
    {"C", "country-name"},
    {"ST", "state-or-province-name"},
    {"L", "locality-name"},
    {"DC", "domain-component"},
    {"SN", "serial-number"},
}};

void text(pugi::xml_node parent, const char* name, std::string_view value) {
    parent.append_child(name).text().set(std::string(value).c_str());
}

std::string value(const pugi::xml_node& parent, const char* name) {
    return parent.child_value(name);
}

void append_list(pugi::xml_node parent, const char* name, const std::vector<std::string>& items) {
    for (const auto& item : items) {
        text(parent, name, item);
    }
}

std::vector<std::string> read_list(const pugi::xml_node& parent, const char* name) {
    std::vector<std::string> out;
    for (auto n : parent.children(name)) {
        out.emplace_back(n.child_value());
    }
    return out;
}

long long seconds_of(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The seconds="…" attribute of a date element (its text is the Junos form).
TimePoint time_of(const pugi::xml_node& n) {
    return TimePoint(std::chrono::seconds(n.attribute("seconds").as_llong()));
}

}  // namespace

void append_distinguished_name(pugi::xml_node parent, const char* element, const DistinguishedName& dn) {
    auto holder = parent.append_child(element).append_child("distinguished-name");
    for (const auto& attr : dn) {
        bool known = false;
        for (const auto& [type, name] : dn_elements) {
            if (attr.type == type) {
                text(holder, std::string(name).c_str(), attr.value);
                known = true;
                break;
            }
        }
        if (!known) {
            auto a = holder.append_child("attribute");
            a.append_attribute("type").set_value(attr.type.c_str());
            a.text().set(attr.value.c_str());
        }
    }
}

DistinguishedName read_distinguished_name(const pugi::xml_node& element) {
    DistinguishedName dn;
    for (auto n : element.child("distinguished-name").children()) {
        const std::string_view name = n.name();
        if (name == "attribute") {
            dn.push_back({n.attribute("type").value(), n.child_value()});
            continue;
        }
        for (const auto& [type, el] : dn_elements) {
            if (name == el) {
                dn.push_back({std::string(type), n.child_value()});
                break;
            }
        }
    }
    return dn;
}

void append_certificate_info(pugi::xml_node list, const CertificateInfo& info) {
    auto c = list.append_child("pkid-x509-certificate-information");
    text(c, "identifier", info.identifier);
    text(c, "version", std::to_string(info.version));
    text(c.append_child("serial-number-list"), "serial-number-x509", info.serial_hex);
    append_distinguished_name(c, "issuer-name", info.issuer);
    append_distinguished_name(c, "subject-name", info.subject);
    text(c.append_child("subject-string-list"), "subject-string", info.subject_string);
    auto alt = c.append_child("alternate-subject");
    append_list(alt, "email-address", info.alt_emails);
    append_list(alt, "fqdn", info.alt_fqdns);
    append_list(alt, "ip-address", info.alt_ips);
    auto validity = c.append_child("validity");
    auto nb = validity.append_child("not-before");
    nb.text().set(info.not_before_text.c_str());
    nb.append_attribute("seconds").set_value(seconds_of(info.not_before));
    auto na = validity.append_child("not-after");
    na.text().set(info.not_after_text.c_str());
    na.append_attribute("seconds").set_value(seconds_of(info.not_after));
    auto key = c.append_child("public-key");
    text(key, "public-key-algorithm", info.public_key_algorithm);
    text(key, "public-key-length", std::to_string(info.public_key_bits));
    text(key, "public-key-value", info.public_key_hex);
    text(c, "signature-algorithm", info.signature_algorithm);
    auto fp = c.append_child("fingerprint-information");
    text(fp, "sha1-fingerprint", info.sha1_fingerprint);
    text(fp, "md5-fingerprint", info.md5_fingerprint);
    auto cdp = c.append_child("distribution-crl-list");
    append_list(cdp, "distribution-crl", info.distribution_crls);
    auto usage = c.append_child("key-usage-list");
    append_list(usage, "key-usage", info.key_usages);
    if (info.is_ca) {
        c.append_child("ca-certificate");
    }
    auto reenroll = c.append_child("auto-re-enrollment");
    text(reenroll, "status", info.auto_reenrollment ? "Enabled" : "Disabled");
    text(reenroll, "next-trigger-time", info.next_trigger_text);
}

CertificateInfo read_certificate_info(const pugi::xml_node& c) {
    CertificateInfo info;
    info.identifier = value(c, "identifier");
    info.version = c.child("version").text().as_int(3);
    info.serial_hex = c.child("serial-number-list").child_value("serial-number-x509");
    info.issuer = read_distinguished_name(c.child("issuer-name"));
    info.subject = read_distinguished_name(c.child("subject-name"));
    info.subject_string = c.child("subject-string-list").child_value("subject-string");
    auto alt = c.child("alternate-subject");
    info.alt_emails = read_list(alt, "email-address");
    info.alt_fqdns = read_list(alt, "fqdn");
    info.alt_ips = read_list(alt, "ip-address");
    auto validity = c.child("validity");
    info.not_before_text = validity.child_value("not-before");
    info.not_after_text = validity.child_value("not-after");
    info.not_before = time_of(validity.child("not-before"));
    info.not_after = time_of(validity.child("not-after"));
    auto key = c.child("public-key");
    info.public_key_algorithm = value(key, "public-key-algorithm");
    info.public_key_bits = key.child("public-key-length").text().as_uint();
    info.public_key_hex = value(key, "public-key-value");
    info.signature_algorithm = value(c, "signature-algorithm");
    info.sha1_fingerprint = c.child("fingerprint-information").child_value("sha1-fingerprint");
    info.md5_fingerprint = c.child("fingerprint-information").child_value("md5-fingerprint");
    info.distribution_crls = read_list(c.child("distribution-crl-list"), "distribution-crl");
    info.key_usages = read_list(c.child("key-usage-list"), "key-usage");
    info.is_ca = bool(c.child("ca-certificate"));
    auto reenroll = c.child("auto-re-enrollment");
    info.auto_reenrollment = std::string_view(reenroll.child_value("status")) == "Enabled";
    if (reenroll.child("next-trigger-time"))
        info.next_trigger_text = reenroll.child_value("next-trigger-time");
    return info;
}

void append_crl_info(pugi::xml_node list, const CrlInfo& info) {
    auto c = list.append_child("pki-crl-information");
    text(c, "ca-profile", info.ca_profile);
    text(c, "crl-version", std::to_string(info.version));
    append_distinguished_name(c, "crl-issuer", info.issuer);
    auto eff = c.append_child("effective-date");
    eff.text().set(info.this_update_text.c_str());
    eff.append_attribute("seconds").set_value(seconds_of(info.this_update));
    auto next = c.append_child("next-update");
    next.text().set(info.next_update_text.c_str());
    if (info.next_update) {
        next.append_attribute("seconds").set_value(seconds_of(*info.next_update));
    }
    auto revoked = c.append_child("revocation-list");
    for (const auto& entry : info.revoked) {
        auto e = revoked.append_child("revoked-certificate");
        text(e, "serial-number", entry.serial_hex);
        auto d = e.append_child("revocation-date");
        d.text().set(junos_time(entry.revocation_date).c_str());
        d.append_attribute("seconds").set_value(seconds_of(entry.revocation_date));
    }
}

CrlInfo read_crl_info(const pugi::xml_node& c) {
    CrlInfo info;
    info.ca_profile = value(c, "ca-profile");
    info.version = c.child("crl-version").text().as_int(1);
    info.issuer = read_distinguished_name(c.child("crl-issuer"));
    info.this_update_text = value(c, "effective-date");
    info.this_update = time_of(c.child("effective-date"));
    info.next_update_text = value(c, "next-update");
    if (c.child("next-update").attribute("seconds")) {
        info.next_update = time_of(c.child("next-update"));
    }
    for (auto e : c.child("revocation-list").children("revoked-certificate")) {
        info.revoked.push_back({e.child_value("serial-number"), time_of(e.child("revocation-date"))});
    }
    return info;
}

void append_request_info(pugi::xml_node list, const RequestInfo& info) {
    auto c = list.append_child("pki-certificate-request-information");
    text(c, "identifier", info.identifier);
    append_distinguished_name(c, "subject-name", info.subject);
    text(c.append_child("subject-string-list"), "subject-string", info.subject_string);
    auto alt = c.append_child("alternate-subject");
    append_list(alt, "email-address", info.alternative_names.emails);
    append_list(alt, "fqdn", info.alternative_names.domain_names);
    append_list(alt, "ip-address", info.alternative_names.ip_addresses);
    auto key = c.append_child("public-key");
    text(key, "public-key-algorithm", info.public_key_algorithm);
    text(key, "public-key-length", std::to_string(info.public_key_bits));
    text(c, "public-key-verification-status", info.signature_valid ? "Passed" : "Failed");
    auto fp = c.append_child("fingerprint-information");
    text(fp, "sha1-fingerprint", info.sha1_fingerprint);
    text(fp, "md5-fingerprint", info.md5_fingerprint);
}

RequestInfo read_request_info(const pugi::xml_node& c) {
    RequestInfo info;
    info.identifier = value(c, "identifier");
    info.subject = read_distinguished_name(c.child("subject-name"));
    info.subject_string = c.child("subject-string-list").child_value("subject-string");
    auto alt = c.child("alternate-subject");
    info.alternative_names.emails = read_list(alt, "email-address");
    info.alternative_names.domain_names = read_list(alt, "fqdn");
    info.alternative_names.ip_addresses = read_list(alt, "ip-address");
    info.public_key_algorithm = c.child("public-key").child_value("public-key-algorithm");
    info.public_key_bits = c.child("public-key").child("public-key-length").text().as_uint();
    info.signature_valid = std::string_view(c.child_value("public-key-verification-status")) == "Passed";
    info.sha1_fingerprint = c.child("fingerprint-information").child_value("sha1-fingerprint");
    info.md5_fingerprint = c.child("fingerprint-information").child_value("md5-fingerprint");
    return info;
}

}  // namespace msim::pki
