// The show data of libmsim_pki as RPC XML, both ways: pkid answers `show security pki …` with these elements
// and the CLI reads them back into the same structs to render the Junos text (render_certificate, render_crl,
// render_request), so `| display xml` shows what the daemon sent. Element names follow junos-cli.md §5.5
// (x509-pki-certificate-info-list/pkid-x509-certificate-information/{identifier, version,
// serial-number-list/serial-number-x509, issuer-name/distinguished-name/…, subject-name/…,
// subject-string-list/subject-string, validity/{not-before, not-after}, public-key/{public-key-algorithm,
// public-key-length}, signature-algorithm}); what that capture does not name uses Junos-like names.
#pragma once

#include <pugixml.hpp>

#include "msim/pki/certificate_info.hpp"

namespace msim::pki {

// A distinguished name as <distinguished-name> with one element per attribute, in certificate order
// (organization-name, organizational-unit-name, common-name, country-name, state-or-province-name,
// locality-name, domain-component, serial-number; others as <attribute type="…">).
void append_distinguished_name(pugi::xml_node parent, const char* element, const DistinguishedName& dn);
DistinguishedName read_distinguished_name(const pugi::xml_node& element);

void append_certificate_info(pugi::xml_node list, const CertificateInfo& info);  // one certificate
CertificateInfo read_certificate_info(const pugi::xml_node& element);            // the same element

void append_crl_info(pugi::xml_node list, const CrlInfo& info);
CrlInfo read_crl_info(const pugi::xml_node& element);

void append_request_info(pugi::xml_node list, const RequestInfo& info);
RequestInfo read_request_info(const pugi::xml_node& element);

}  // namespace msim::pki
