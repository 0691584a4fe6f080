#include "msim/pki/validation.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "ossl.hpp"

namespace msim::pki {
namespace {

// Shared with the verify callback through the store context's app data.
struct CallbackState {
    bool checking_crls = false;
    std::set<int> fail_open_depths;  // CRL could not be obtained and the profile allows fail-open
    bool skipped = false;
};

bool is_crl_availability_error(int err) {
    return err == X509_V_ERR_UNABLE_TO_GET_CRL || err == X509_V_ERR_CRL_HAS_EXPIRED ||
           err == X509_V_ERR_CRL_NOT_YET_VALID || err == X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER;
}

// OpenSSL asks for revocation data of every certificate in the chain, the trust anchor included. The anchor
// is a CA loaded into local storage, which Junos trusts as such; with a partial chain its issuer's CRL cannot
// exist here, so CRL-availability errors at the anchor are forgiven. Fail-open profiles forgive them for the
// certificates whose CRL could not be obtained. Everything else stays an error.
int verify_callback(int ok, X509_STORE_CTX* ctx) {
    if (ok == 1) {
        return 1;
    }
    auto* state = static_cast<CallbackState*>(X509_STORE_CTX_get_app_data(ctx));
    int err = X509_STORE_CTX_get_error(ctx);
    if (state == nullptr || !state->checking_crls || !is_crl_availability_error(err)) {
        return 0;
    }
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    int top = chain == nullptr ? -1 : sk_X509_num(chain) - 1;
    if (depth == top) {
        return 1;
    }
    if (state->fail_open_depths.count(depth) != 0) {
        state->skipped = true;
        return 1;
    }
    return 0;
}

struct Verdict {
    bool ok = false;
    int error = 0;
    int depth = -1;
    std::vector<Certificate> chain;
};

Verdict run_openssl(const ValidationRequest& request, TimePoint now, unsigned long flags,
                    STACK_OF(X509_CRL) * crls, CallbackState* state) {
    detail::StorePtr store(X509_STORE_new());
    detail::X509StackPtr untrusted(sk_X509_new_null());
    detail::StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!store || !untrusted || !ctx) {
        detail::throw_crypto("cannot allocate verification context");
    }
    for (const auto& ca : request.trusted) {
        if (X509_STORE_add_cert(store.get(), ca.certificate.native()) != 1) {
            detail::take_openssl_errors();  // duplicates are harmless
        }
    }
    for (const auto& cert : request.peer_chain) {
        if (X509_up_ref(cert.native()) != 1 || sk_X509_push(untrusted.get(), cert.native()) <= 0) {
            detail::throw_crypto("cannot build untrusted chain");
        }
    }
    if (X509_STORE_CTX_init(ctx.get(), store.get(), request.peer.native(), untrusted.get()) != 1) {
        detail::throw_crypto("cannot initialise verification");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    // CHECK_SS_SIGNATURE: a self-signed anchor's own signature is checked too (a corrupted root is refused).
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_CHECK_SS_SIGNATURE | flags);
    X509_VERIFY_PARAM_set_time(param, detail::to_time_t(now));
    // Junos path-length counts every certificate, the anchor included; OpenSSL's depth counts the
    // intermediate CAs only (neither the end entity nor the anchor).
    X509_VERIFY_PARAM_set_depth(param, static_cast<int>(request.path_length) - 2);
    if (crls != nullptr) {
        X509_STORE_CTX_set0_crls(ctx.get(), crls);
    }
    X509_STORE_CTX_set_app_data(ctx.get(), state);
    X509_STORE_CTX_set_verify_cb(ctx.get(), verify_callback);

    Verdict verdict;
    verdict.ok = X509_verify_cert(ctx.get()) == 1;
    if (!verdict.ok) {
        verdict.error = X509_STORE_CTX_get_error(ctx.get());
        verdict.depth = X509_STORE_CTX_get_error_depth(ctx.get());
    }
    detail::take_openssl_errors();
    if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get())) {
        for (int i = 0; i < sk_X509_num(chain); ++i) {
            X509* x = sk_X509_value(chain, i);
            if (X509_up_ref(x) == 1) {
                verdict.chain.push_back(Certificate::adopt(x));
            }
        }
    }
    return verdict;
}

ValidationStatus status_of(int err) {
    switch (err) {
        case X509_V_OK:
            return ValidationStatus::valid;
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return ValidationStatus::not_yet_valid;
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return ValidationStatus::expired;
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
        case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        case X509_V_ERR_EE_KEY_TOO_SMALL:
        case X509_V_ERR_CA_KEY_TOO_SMALL:
        case X509_V_ERR_CA_MD_TOO_WEAK:
            return ValidationStatus::bad_signature;
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            return ValidationStatus::issuer_not_found;
        case X509_V_ERR_CERT_CHAIN_TOO_LONG:
        case X509_V_ERR_PATH_LENGTH_EXCEEDED:
            return ValidationStatus::path_too_long;
        case X509_V_ERR_INVALID_CA:
            return ValidationStatus::not_a_ca;
        case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
        case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
        case X509_V_ERR_INVALID_PURPOSE:
            return ValidationStatus::key_usage;
        case X509_V_ERR_CERT_REVOKED:
            return ValidationStatus::revoked;
        case X509_V_ERR_UNABLE_TO_GET_CRL:
            return ValidationStatus::crl_unavailable;
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_CRL_NOT_YET_VALID:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
        case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
        case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
        case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
        case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
        case X509_V_ERR_DIFFERENT_CRL_SCOPE:
        case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
            return ValidationStatus::crl_invalid;
        default:
            return ValidationStatus::other;
    }
}

std::string describe_failure(ValidationStatus status, int err, unsigned path_length) {
    switch (status) {
        case ValidationStatus::not_yet_valid:
            return "certificate is not yet valid";
        case ValidationStatus::expired:
            return "certificate has expired";
        case ValidationStatus::bad_signature:
            return "certificate signature verification failed";
        case ValidationStatus::issuer_not_found:
            return "unable to find the issuer CA certificate in local storage";
        case ValidationStatus::path_too_long:
            return err == X509_V_ERR_CERT_CHAIN_TOO_LONG
                       ? "certificate path is longer than path-length " + std::to_string(path_length)
                       : "CA basic constraints path length exceeded";
        case ValidationStatus::not_a_ca:
            return "issuer certificate is not a valid CA (basic constraints or key usage)";
        case ValidationStatus::key_usage:
            return "issuer key usage does not permit certificate or CRL signing";
        case ValidationStatus::revoked:
            return "certificate has been revoked";
        case ValidationStatus::crl_unavailable:
            return "no CRL available for revocation check";
        case ValidationStatus::crl_invalid:
            return std::string("CRL rejected: ") + X509_verify_cert_error_string(err);
        default:
            return std::string("certificate validation failed: ") + X509_verify_cert_error_string(err);
    }
}

ValidationResult failure(const Verdict& verdict, unsigned path_length,
                         const std::string& override_reason = {}) {
    ValidationResult result;
    result.status = status_of(verdict.error);
    if (result.status == ValidationStatus::valid) {
        result.status = ValidationStatus::other;
    }
    result.openssl_error = verdict.error;
    result.error_depth = verdict.depth;
    result.chain = verdict.chain;
    std::string what = override_reason.empty() ? describe_failure(result.status, verdict.error, path_length)
                                               : override_reason;
    std::string subject;
    if (verdict.depth >= 0 && static_cast<std::size_t>(verdict.depth) < verdict.chain.size()) {
        subject = verdict.chain[static_cast<std::size_t>(verdict.depth)].subject_string();
    }
    result.reason = what + (subject.empty() ? "" : " (" + subject + ")");
    return result;
}

bool crl_current(const Crl& crl, TimePoint now) {
    try {
        crl.check_validity(now);
        return true;
    } catch (const PkiError&) {
        return false;
    }
}

bool crl_names_issuer(const Crl& crl, const Certificate& issuer) {
    return X509_NAME_cmp(X509_CRL_get_issuer(crl.native()), X509_get_subject_name(issuer.native())) == 0;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string host_key(std::string s) {
    s = lower(std::move(s));
    if (!s.empty() && s.back() == '.') {
        s.pop_back();
    }
    return s;
}

std::optional<std::string> normalized_ip(const std::string& text) {
    unsigned char buf[16];
    char out[INET6_ADDRSTRLEN] = {};
    if (inet_pton(AF_INET, text.c_str(), buf) == 1) {
        inet_ntop(AF_INET, buf, out, sizeof out);
        return std::string(out);
    }
    if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
        inet_ntop(AF_INET6, buf, out, sizeof out);
        return std::string(out);
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(ValidationStatus status) {
    switch (status) {
        case ValidationStatus::valid:
            return "valid";
        case ValidationStatus::not_yet_valid:
            return "not-yet-valid";
        case ValidationStatus::expired:
            return "expired";
        case ValidationStatus::bad_signature:
            return "bad-signature";
        case ValidationStatus::issuer_not_found:
            return "issuer-not-found";
        case ValidationStatus::path_too_long:
            return "path-too-long";
        case ValidationStatus::not_a_ca:
            return "not-a-ca";
        case ValidationStatus::key_usage:
            return "key-usage";
        case ValidationStatus::revoked:
            return "revoked";
        case ValidationStatus::crl_unavailable:
            return "crl-unavailable";
        case ValidationStatus::crl_invalid:
            return "crl-invalid";
        case ValidationStatus::identity_mismatch:
            return "identity-mismatch";
        case ValidationStatus::other:
            return "other";
    }
    return "other";
}

std::string identity_mismatch(const Certificate& certificate, const PeerIdentity& identity) {
    switch (identity.kind) {
        case PeerIdentity::Kind::ip_address: {
            auto want = normalized_ip(identity.value);
            if (!want) {
                return "invalid IP address identity '" + identity.value + "'";
            }
            for (const auto& ip : certificate.ip_addresses()) {
                if (normalized_ip(ip) == want) {
                    return {};
                }
            }
            return "IP address " + identity.value + " not found in the certificate's subjectAltName";
        }
        case PeerIdentity::Kind::fqdn: {
            std::string want = host_key(identity.value);
            for (const auto& dns : certificate.dns_names()) {
                if (host_key(dns) == want) {
                    return {};
                }
            }
            return "FQDN " + identity.value + " not found in the certificate's subjectAltName";
        }
        case PeerIdentity::Kind::user_fqdn: {
            auto at = identity.value.find('@');
            if (at == std::string::npos) {
                return "invalid U-FQDN identity '" + identity.value + "'";
            }
            for (const auto& email : certificate.email_addresses()) {
                auto their_at = email.find('@');
                if (their_at != std::string::npos &&
                    email.substr(0, their_at) == identity.value.substr(0, at) &&
                    host_key(email.substr(their_at + 1)) == host_key(identity.value.substr(at + 1))) {
                    return {};
                }
            }
            return "U-FQDN " + identity.value + " not found in the certificate's subjectAltName";
        }
        case PeerIdentity::Kind::distinguished_name: {
            DistinguishedName pattern;
            try {
                pattern = parse_distinguished_name(identity.value);
            } catch (const PkiError& e) {
                return std::string("invalid DN identity: ") + e.what();
            }
            if (dn_matches(pattern, certificate.subject(), identity.dn_match)) {
                return {};
            }
            return "subject " + certificate.subject_string() + " does not match the " +
                   (identity.dn_match == DnMatch::container ? "container" : "wildcard") + " DN " +
                   identity.value;
        }
    }
    return "unknown identity type";
}

ValidationResult validate_certificate(const ValidationRequest& request, TimePoint now, CrlFetcher* fetcher) {
    if (request.path_length < 2 || request.path_length > 15) {
        throw PkiError(ErrorCode::invalid_argument,
                       "path-length " + std::to_string(request.path_length) + " is out of range (2..15)");
    }
    // First pass without revocation: builds the chain, so we know the anchor (and its profile's revocation
    // settings) and which issuers need a CRL.
    Verdict chain_only = run_openssl(request, now, 0, nullptr, nullptr);
    if (!chain_only.ok) {
        return failure(chain_only, request.path_length);
    }
    const Certificate& anchor = chain_only.chain.back();
    const TrustedCa* anchor_ca = nullptr;
    for (const auto& ca : request.trusted) {
        if (ca.certificate.same_as(anchor)) {
            anchor_ca = &ca;
            break;
        }
    }
    RevocationSettings revocation = anchor_ca != nullptr ? anchor_ca->revocation : RevocationSettings{};

    ValidationResult result;
    result.anchor_profile = anchor_ca != nullptr ? anchor_ca->profile : std::string{};
    Verdict verdict = chain_only;

    if (revocation.enabled) {
        std::vector<Crl> crls = request.crls;
        CallbackState state;
        state.checking_crls = true;
        std::set<int> missing;
        std::set<int> attempted;  // depths for which some URL was tried and failed
        const auto& chain = chain_only.chain;
        for (std::size_t depth = 0; depth + 1 < chain.size(); ++depth) {
            const Certificate& issuer = chain[depth + 1];
            bool have = std::any_of(crls.begin(), crls.end(), [&](const Crl& crl) {
                return crl_names_issuer(crl, issuer) && crl_current(crl, now);
            });
            if (have) {
                continue;
            }
            std::vector<std::string> urls = revocation.urls;
            for (auto& cdp : chain[depth].crl_distribution_points()) {
                urls.push_back(std::move(cdp));
            }
            bool fetched = false;
            for (const auto& url : urls) {
                if (fetcher == nullptr) {
                    break;
                }
                attempted.insert(static_cast<int>(depth));
                std::optional<Crl> crl;
                try {
                    crl = fetcher->fetch(url);
                } catch (...) {
                    crl.reset();  // a failing fetcher is a download failure, never a crash of the validator
                }
                if (crl && crl_names_issuer(*crl, issuer)) {
                    crls.push_back(*crl);
                    result.fetched_crls.push_back(*crl);
                    fetched = true;
                    break;
                }
            }
            if (!fetched) {
                missing.insert(static_cast<int>(depth));
            }
        }
        if (revocation.allow_on_download_failure) {
            state.fail_open_depths = missing;
        }
        detail::CrlStackPtr stack(sk_X509_CRL_new_null());
        if (!stack) {
            detail::throw_crypto("cannot allocate CRL list");
        }
        for (const auto& crl : crls) {
            if (X509_CRL_up_ref(crl.native()) != 1 || sk_X509_CRL_push(stack.get(), crl.native()) <= 0) {
                detail::throw_crypto("cannot build CRL list");
            }
        }
        verdict =
            run_openssl(request, now,
                        X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_EXTENDED_CRL_SUPPORT,
                        stack.get(), &state);
        if (!verdict.ok) {
            std::string reason;
            if (is_crl_availability_error(verdict.error) && attempted.count(verdict.depth) != 0) {
                reason = "CRL download failed";
            }
            ValidationResult failed = failure(verdict, request.path_length, reason);
            failed.anchor_profile = result.anchor_profile;
            failed.fetched_crls = std::move(result.fetched_crls);
            return failed;
        }
        result.revocation_skipped = state.skipped;
    }

    result.chain = verdict.chain;
    if (request.identity) {
        std::string mismatch = identity_mismatch(request.peer, *request.identity);
        if (!mismatch.empty()) {
            result.status = ValidationStatus::identity_mismatch;
            result.reason = mismatch;
            result.error_depth = 0;
            return result;
        }
    }
    result.status = ValidationStatus::valid;
    return result;
}

}  // namespace msim::pki
