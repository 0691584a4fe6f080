#include "msim/pkid/pkid_daemon.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <boost/asio/post.hpp>
#include <chrono>

#include "msim/common/hex.hpp"
#include "msim/common/xml.hpp"
#include "msim/config/secret.hpp"
#include "msim/pki/certificate_info.hpp"
#include "msim/pki/info_xml.hpp"
#include "msim/pki/scep.hpp"

namespace msim::pkid {

using namespace std::chrono_literals;

namespace {

// ---- configuration tree helpers ----

const config::Node* child(const config::Node& n, std::string_view keyword) {
    for (const auto& c : n.children()) {
        if (c->keyword() == keyword)
            return c.get();
    }
    return nullptr;
}

std::vector<const config::Node*> children(const config::Node& n, std::string_view keyword) {
    std::vector<const config::Node*> out;
    for (const auto& c : n.children()) {
        if (c->keyword() == keyword)
            out.push_back(c.get());
    }
    return out;
}

std::string value(const config::Node* n) {
    return n && !n->values().empty() ? n->values().front() : std::string();
}

// A secret statement's value ($9$ in the configuration, plain when a test or an older file has it so).
std::string secret(const config::Node* n) {
    std::string v = value(n);
    if (config::is_secret_encoded(v)) {
        if (auto plain = config::decode_secret(v))
            return *plain;
    }
    return v;
}

std::uint64_t number(const config::Node* n, std::uint64_t fallback) {
    if (!n || n->values().empty())
        return fallback;
    try {
        return std::stoull(n->values().front());
    } catch (const std::exception&) {
        return fallback;
    }
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

pki::ByteView bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The M-series file statements: relative names live in var/etc/ikecert (seed 002), absolute ones from the
// router's root.
std::filesystem::path ikecert_dir(const std::filesystem::path& root) {
    return root / "var" / "etc" / "ikecert";
}

// A file a configuration statement names must exist inside the router and be readable (at most 16 MiB,
// as the library's loaders accept).
std::string statement_file(const std::filesystem::path& root, const std::filesystem::path& base,
                           const std::string& name, const std::string& path, const std::string& statement) {
    if (name.find("://") != std::string::npos) {
        throw PkiConfigError(path, statement + ": only files on the router can be loaded, not URLs");
    }
    auto p = router_file(root, base, name);
    std::error_code ec;
    if (!p) {
        throw PkiConfigError(path, statement + ": file " + name + " is outside the router's file system");
    }
    if (!std::filesystem::is_regular_file(*p, ec)) {
        throw PkiConfigError(path, statement + ": file " + name + " does not exist");
    }
    if (std::filesystem::file_size(*p, ec) > 16u * 1024 * 1024) {
        throw PkiConfigError(path, statement + ": file " + name + " is too large");
    }
    return read_file(*p);
}

// ---- RPC helpers ----

// An error the operator caused (bad argument); replied as an rpc-error with this text.
struct RequestError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string required(const pugi::xml_node& request, const char* name) {
    std::string v = request.child_value(name);
    if (v.empty()) {
        throw RequestError(std::string("missing argument: ") + name);
    }
    return v;
}

pki::KeyAlgorithm algorithm_of(const std::string& type) {
    if (type.empty() || type == "rsa")
        return pki::KeyAlgorithm::rsa;
    if (type == "dsa")
        return pki::KeyAlgorithm::dsa;
    if (type == "ecdsa")
        return pki::KeyAlgorithm::ecdsa;
    throw RequestError("invalid key type " + type + ": expecting rsa, dsa or ecdsa");
}

unsigned size_of(const pugi::xml_node& request, pki::KeyAlgorithm algorithm) {
    const std::string s = request.child_value("size");
    if (s.empty())
        return pki::KeyPairSpec::with_default_size(algorithm).bits;
    if (s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
        throw RequestError("invalid key size " + s);
    return static_cast<unsigned>(std::stoul(s));
}

pki::AlternativeNames alternative_names(const pugi::xml_node& request) {
    pki::AlternativeNames names;
    for (auto n : request.children("domain-name"))
        names.domain_names.emplace_back(n.child_value());
    for (auto n : request.children("ip-address"))
        names.ip_addresses.emplace_back(n.child_value());
    for (auto n : request.children("email"))
        names.emails.emplace_back(n.child_value());
    return names;
}

// Writes `text` to `path` atomically with `mode` (temp file with that mode, fsync, rename).
void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    const std::string tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        throw RequestError("could not write file " + path.filename().string());
    ::fchmod(fd, mode);
    const bool ok =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw RequestError("could not write file " + path.filename().string());
    }
}

// SCEP enrollment up to the CA's final answer, on the enrollment thread: GetCACaps, GetCACert (the CA must
// be `ca`, else `ca_mismatch` is the error), PKCSReq, then while PENDING up to `retries` polls `interval`
// apart — with `retries` 0 until the CA answers (seed 002/003: "0, an infinite number of retries"), the
// operator's Ctrl-C (`cancel`) or the daemon's end. `note` gets a line per step; `waiting`, when set, is
// called every 5 s of a wait (the CLI's progress frames keep silence timeouts from expiring). `polls`
// counts the polls made. A cancel stops every transfer at once and throws RequestError.
struct ScepAttempt {
    std::string url;
    std::string ca_identity;
    pki::Certificate ca;
    std::string ca_mismatch;
    unsigned retries = 0;
    std::chrono::seconds interval{0};
};

pki::ScepResult scep_until_answer(const ScepAttempt& a, const pki::KeyPair& key,
                                  const pki::CertificateRequest& request, const std::atomic<bool>& cancel,
                                  const std::function<void(const std::string&)>& note,
                                  const std::function<void()>& waiting, unsigned& polls) {
    auto check = [&] {
        if (cancel)
            throw RequestError("cancelled");
    };
    pki::DownloadLimits limits;
    limits.cancel = &cancel;
    try {
        pki::ScepEnrollment e;
        e.url = a.url;
        e.limits = limits;
        e.capabilities = pki::scep_get_ca_caps(e.url, limits);
        // RA certificates come with the CA's; the CA must be the one stored locally.
        e.ca_certificates = pki::scep_get_ca_cert(e.url, a.ca_identity, limits);
        if (e.ca_certificates.front().sha1_fingerprint() != a.ca.sha1_fingerprint())
            throw RequestError(a.ca_mismatch);
        note("Sending the certificate request to " + e.url);
        pki::ScepResult result = pki::scep_pkcs_req(e, key, request);
        polls = 0;
        while (result.status == pki::ScepStatus::pending && (a.retries == 0 || polls < a.retries)) {
            check();
            note("The CA has not issued the certificate yet; retrying in " +
                 std::to_string(a.interval.count()) + " seconds (" + std::to_string(polls + 1) +
                 (a.retries == 0 ? std::string() : " of " + std::to_string(a.retries)) + ")");
            const auto start = std::chrono::steady_clock::now();
            const auto until = start + a.interval;
            auto next_note = start + std::chrono::seconds(5);
            while (std::chrono::steady_clock::now() < until) {
                check();
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (waiting && std::chrono::steady_clock::now() >= next_note) {
                    waiting();
                    next_note += std::chrono::seconds(5);
                }
            }
            ++polls;
            result = pki::scep_get_cert_initial(e, key, request, result.transaction_id);
        }
        return result;
    } catch (const pki::PkiError&) {
        check();  // a transfer the cancel stopped says "cancelled", not what libcurl saw
        throw;
    }
}

// One SCEP exchange for automatic re-enrollment, on the enrollment thread: GetCACaps, GetCACert (checked
// against the stored CA), then PKCSReq — or CertPoll for `poll_transaction` when the CA left the request
// PENDING. The polling itself is paced by the I/O thread, so a PENDING CA never holds the enrollment
// thread (an operator's enrollment can run meanwhile).
pki::ScepResult scep_once(const ScepAttempt& a, const pki::KeyPair& key,
                          const pki::CertificateRequest& request, const std::atomic<bool>& cancel,
                          const std::string& poll_transaction) {
    pki::DownloadLimits limits;
    limits.cancel = &cancel;
    pki::ScepEnrollment e;
    e.url = a.url;
    e.limits = limits;
    e.capabilities = pki::scep_get_ca_caps(e.url, limits);
    e.ca_certificates = pki::scep_get_ca_cert(e.url, a.ca_identity, limits);
    if (e.ca_certificates.front().sha1_fingerprint() != a.ca.sha1_fingerprint())
        throw RequestError(a.ca_mismatch);
    return poll_transaction.empty() ? pki::scep_pkcs_req(e, key, request)
                                    : pki::scep_get_cert_initial(e, key, request, poll_transaction);
}

// `enrollment retry-interval` 0 (the default) has no wait of its own: PENDING is polled every 30 seconds
// then, as the M-series form (which has no retry-interval) does.
std::chrono::seconds poll_interval(unsigned configured) {
    return std::chrono::seconds(configured == 0 ? 30 : configured);
}

pki::Detail detail_of(const pugi::xml_node& request) {
    return request.child("detail") ? pki::Detail::detail : pki::Detail::brief;
}

pugi::xml_node results(pugi::xml_document& doc, const char* root, const std::string& message) {
    auto r = doc.append_child(root);
    xml::append_text(r, "message", message);
    return r;
}

}  // namespace

std::optional<std::filesystem::path> router_file(const std::filesystem::path& root,
                                                 const std::filesystem::path& base, const std::string& name) {
    if (name.empty() || name.find('\0') != std::string::npos)
        return std::nullopt;
    std::filesystem::path p = name[0] == '/' ? root / name.substr(1) : base / name;
    std::error_code ec;
    // Symbolic links are followed before the check, so none can lead outside.
    auto real = std::filesystem::weakly_canonical(p, ec);
    auto real_root = std::filesystem::weakly_canonical(root, ec);
    if (ec)
        return std::nullopt;
    auto r = real_root.begin();
    auto it = real.begin();
    for (; r != real_root.end(); ++r, ++it) {
        if (it == real.end() || *it != *r)
            return std::nullopt;
    }
    return real;
}

PkiSettings read_settings(const config::Node& tree, const std::filesystem::path& root, bool check) {
    PkiSettings s;
    const config::Node* security = child(tree, "security");
    if (!security)
        return s;
    if (const config::Node* certs = child(*security, "certificates")) {
        s.path_length = static_cast<unsigned>(number(child(*certs, "path-length"), 15));
        s.cache_size = number(child(*certs, "cache-size"), s.cache_size);
        s.cache_timeout_negative =
            static_cast<std::uint32_t>(number(child(*certs, "cache-timeout-negative"), 20));
        s.maximum_certificates = number(child(*certs, "maximum-certificates"), s.maximum_certificates);
        s.enrollment_retry = static_cast<unsigned>(number(child(*certs, "enrollment-retry"), 0));
        if (s.path_length < 2 || s.path_length > 15) {
            throw PkiConfigError("[edit security certificates]", "path-length must be 2..15");
        }
        // security certificates local NAME load-key-file F: F holds the certificate and its unencrypted
        // private key in PEM (seed 002); both must be there and belong together.
        for (const config::Node* local : children(*certs, "local")) {
            const std::string name = value(local);
            const std::string path = "[edit security certificates local " + name + "]";
            const std::string file = value(child(*local, "load-key-file"));
            if (file.empty() || !check)
                continue;
            const std::string text =
                statement_file(root, root / "var" / "tmp", file, path, "load-key-file " + file);
            try {
                auto cert = pki::Certificate::from_bytes(bytes_of(text));
                auto key = pki::KeyPair::from_private_pem(text);
                if (!key.matches(cert)) {
                    throw PkiConfigError(
                        path, "load-key-file " + file + ": the private key does not match the certificate");
                }
            } catch (const pki::PkiError& e) {
                throw PkiConfigError(path, "load-key-file " + file + ": " + e.what());
            }
        }
        // The M-series CA profiles: `file` (the CA certificate) and `crl` name files in var/etc/ikecert.
        for (const config::Node* ca : children(*certs, "certification-authority")) {
            const std::string name = value(ca);
            const std::string path = "[edit security certificates certification-authority " + name + "]";
            CaProfileSettings profile;
            profile.ca_identity = value(child(*ca, "ca-name"));
            profile.enrollment_url = value(child(*ca, "enrollment-url"));
            profile.ca_file = value(child(*ca, "file"));
            profile.pem_encoding = value(child(*ca, "encoding")) == "pem";
            profile.enrollment_retry = s.enrollment_retry;
            if (const std::string ldap = value(child(*ca, "ldap-url")); !ldap.empty())
                profile.revocation.urls.push_back(ldap);
            for (const char* statement : {"file", "crl"}) {
                const std::string file = value(child(*ca, statement));
                if (file.empty() || !check)
                    continue;
                const std::string text =
                    statement_file(root, ikecert_dir(root), file, path, std::string(statement) + " " + file);
                try {
                    if (std::string_view(statement) == "file")
                        pki::Certificate::from_bytes(bytes_of(text));
                    else
                        pki::Crl::from_bytes(bytes_of(text));
                } catch (const pki::PkiError& e) {
                    throw PkiConfigError(path, std::string(statement) + " " + file + ": " + e.what());
                }
            }
            s.ca_profiles[name] = std::move(profile);
        }
    }
    if (const config::Node* pki_node = child(*security, "pki")) {
        for (const config::Node* ca : children(*pki_node, "ca-profile")) {
            const std::string name = value(ca);
            const std::string path = "[edit security pki ca-profile " + name + "]";
            if (check && s.ca_profiles.count(name)) {
                throw PkiConfigError(path, "CA profile " + name +
                                               " is also configured under security certificates "
                                               "certification-authority");
            }
            CaProfileSettings profile;
            profile.ca_identity = value(child(*ca, "ca-identity"));
            if (const config::Node* enroll = child(*ca, "enrollment")) {
                profile.enrollment_url = value(child(*enroll, "url"));
                profile.enrollment_retry = static_cast<unsigned>(number(child(*enroll, "retry"), 0));
                profile.enrollment_retry_interval =
                    static_cast<unsigned>(number(child(*enroll, "retry-interval"), 0));
            }
            if (const config::Node* rc = child(*ca, "revocation-check")) {
                const config::Node* crl = child(*rc, "crl");
                if (child(*rc, "disable")) {
                    if (check && crl) {
                        throw PkiConfigError(path + " revocation-check",
                                             "'disable' and 'crl' are mutually exclusive");
                    }
                    profile.revocation.enabled = false;
                }
                if (crl) {
                    for (const config::Node* url : children(*crl, "url")) {
                        profile.revocation.urls.push_back(value(url));
                        if (const config::Node* pw = child(*url, "password"))
                            profile.crl_passwords[value(url)] = secret(pw);
                    }
                    profile.refresh_interval_hours =
                        static_cast<unsigned>(number(child(*crl, "refresh-interval"), 24));
                    // `disable on-download-failure` (flattened in the schema)
                    if (const config::Node* d = child(*crl, "disable"); d && child(*d, "on-download-failure"))
                        profile.revocation.allow_on_download_failure = true;
                    if (child(*crl, "on-download-failure"))
                        profile.revocation.allow_on_download_failure = true;
                }
            }
            s.ca_profiles[name] = std::move(profile);
        }
        // auto-re-enrollment certificate-id ID, and the same under `scep` (the later Junos form)
        if (const config::Node* are = child(*pki_node, "auto-re-enrollment")) {
            std::vector<const config::Node*> entries = children(*are, "certificate-id");
            if (const config::Node* scep = child(*are, "scep")) {
                for (const config::Node* e : children(*scep, "certificate-id"))
                    entries.push_back(e);
            }
            for (const config::Node* e : entries) {
                const std::string id = value(e);
                const std::string path = "[edit security pki auto-re-enrollment certificate-id " + id + "]";
                AutoReenrollment a;
                a.ca_profile = value(child(*e, "ca-profile"));
                a.challenge_password = secret(child(*e, "challenge-password"));
                a.trigger_percentage =
                    static_cast<unsigned>(number(child(*e, "re-enroll-trigger-time-percentage"), 0));
                a.regenerate_key_pair = child(*e, "re-generate-keypair") != nullptr;
                if (const config::Node* v = child(*e, "validity-period"))
                    a.validity_days = static_cast<unsigned>(number(v, 0));
                if (check && s.auto_reenrollment.count(id)) {
                    throw PkiConfigError(
                        path, "certificate-id " + id + " is configured both with and without scep");
                }
                // Seed 003: automatic re-enrollment is of "a specified existing router certificate".
                std::error_code ec;
                if (check &&
                    !std::filesystem::exists(root / "var" / "db" / "certs" / "local" / (id + ".crt"), ec)) {
                    throw PkiConfigError(path, "certificate-id " + id + ": no local certificate " + id +
                                                   " is loaded (enroll or load it first)");
                }
                s.auto_reenrollment[id] = std::move(a);
            }
        }
    }
    return s;
}

pki::TimePoint reenrollment_trigger(const pki::Certificate& certificate, const AutoReenrollment& settings) {
    const pki::TimePoint start = certificate.not_before();
    const pki::TimePoint end = settings.validity_days
                                   ? start + std::chrono::hours(24) * *settings.validity_days
                                   : certificate.not_after();
    if (end <= start)
        return start;
    // lifetime × (100 − p) / 100 after the start, in seconds (no overflow for lifetimes up to ~2.9e8 years)
    const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(end - start);
    const auto elapsed = lifetime * (100 - std::min(settings.trigger_percentage, 100u)) / 100;
    return start + elapsed;
}

Pkid::Pkid(Daemon& daemon, std::shared_ptr<const config::Schema> schema)
    : daemon_(daemon),
      owned_(std::move(schema)),
      store_(daemon.paths().certs_dir()),
      crl_cache_(crl_download_, [&daemon] { return daemon.clock().now(); }),
      config_timer_(daemon.io()),
      reenroll_timer_(daemon.io()),
      clock_offset_seen_(daemon.clock().offset()) {}

void Pkid::configure_crl_cache() {
    crl_cache_.clear();
    crl_cache_.clear_refresh_intervals();
    crl_cache_.set_negative_timeout(std::chrono::seconds(settings_.cache_timeout_negative));
    crl_download_.clear_passwords();
    for (const auto& [name, p] : settings_.ca_profiles) {
        for (const auto& url : p.revocation.urls)
            crl_cache_.set_refresh_interval_for(url, std::chrono::hours(p.refresh_interval_hours));
        for (const auto& [url, password] : p.crl_passwords)
            crl_download_.set_password(url, password);
    }
    peer_cache_.set_limits({settings_.cache_size, settings_.maximum_certificates,
                            std::chrono::seconds(settings_.cache_timeout_negative)});
    peer_cache_.clear();
}

void Pkid::forget_verdicts() {
    peer_cache_.clear();
}

Pkid::~Pkid() {
    if (enroll_cancel_)
        *enroll_cancel_ = true;
    if (enroll_thread_.joinable())
        enroll_thread_.join();
}

void Pkid::run_enrollment(std::function<std::function<void()>(const CancelFlag&)> work,
                          const ipc::Responder* cancellable) {
    if (enrolling_.exchange(true))
        throw RequestError("another certificate enrollment is in progress; try again when it ends");
    if (enroll_thread_.joinable())
        enroll_thread_.join();  // the previous one has ended (enrolling_ was false)
    enroll_cancel_ = std::make_shared<std::atomic<bool>>(false);
    if (cancellable != nullptr) {
        // The CLI's Ctrl-C arrives here (mgd relays <cancel-rpc>); the enrollment thread sees the flag.
        cancellable->on_cancel([flag = enroll_cancel_] { *flag = true; });
    }
    enroll_thread_ = std::thread([this, work = std::move(work), cancel = enroll_cancel_] {
        std::function<void()> done = work(cancel);
        boost::asio::post(daemon_.io(), [this, done = std::move(done)] {
            enrolling_ = false;
            done();
        });
    });
}

std::map<std::string, pki::RevocationSettings> Pkid::revocation() const {
    std::map<std::string, pki::RevocationSettings> out;
    for (const auto& [name, p] : settings_.ca_profiles)
        out[name] = p.revocation;
    return out;
}

void Pkid::start() {
    const auto root = daemon_.paths().root;
    daemon_.on_validate_configuration([this, root](const pugi::xml_node& changes, ipc::Responder r) {
        try {
            auto staged = owned_.stage(changes);  // undone when it goes: validate only looks
            read_settings(owned_.tree(), root);
            r.reply_ok();
        } catch (const PkiConfigError& e) {
            r.error(e.what(), e.path);
        } catch (const std::exception& e) {
            r.error(e.what());
        }
    });
    daemon_.on_apply_configuration([this, root](const pugi::xml_node& changes, ipc::Responder r) {
        try {
            auto staged = owned_.stage(changes);
            // validate checked the files; apply only takes the settings (a file removed since then does
            // not make the commit fail half-way).
            settings_ = read_settings(owned_.tree(), root, false);
            configure_crl_cache();  // also empties the peer certificate cache
            staged.keep();
            have_configuration_ = true;
            r.reply_ok();
        } catch (const std::exception& e) {
            r.error(std::string("pkid could not apply the configuration: ") + e.what());
        }
    });

    // Every handler runs the same way: PkiError and RequestError are the operator's errors (replied as
    // rpc-errors with their message); nothing a request carries can take the daemon down.
    auto handle = [this](const char* rpc, std::function<void(const pugi::xml_node&, ipc::Responder&)> body) {
        daemon_.register_rpc(rpc, [body](const pugi::xml_node& request, ipc::Responder r) {
            try {
                body(request, r);
            } catch (const pki::PkiError& e) {
                r.error(e.what());
            } catch (const RequestError& e) {
                r.error(e.what());
            } catch (const std::exception& e) {
                r.error(std::string("pkid: ") + e.what());
            }
        });
    };
    // Every validity judgement is on the router's clock (`set date`).
    auto now = [this] { return daemon_.clock().now(); };
    auto require_profile = [this](const std::string& profile) {
        if (!settings_.ca_profiles.count(profile)) {
            throw RequestError("CA profile " + profile + " is not configured");
        }
    };
    auto tmp = [this](const std::string& name) {
        auto p = router_file(daemon_.paths().root, daemon_.paths().tmp_dir(), name);
        if (!p)
            throw RequestError("could not resolve file: " + name);
        return *p;
    };
    auto read_input = [tmp](const std::string& name) {
        auto p = tmp(name);
        std::error_code ec;
        if (!std::filesystem::is_regular_file(p, ec))
            throw RequestError("file " + name + " does not exist");
        if (std::filesystem::file_size(p, ec) > 16u * 1024 * 1024)
            throw RequestError("file " + name + " is too large");
        return read_file(p);
    };

    // ---- request security pki … ----
    handle("request-pki-generate-key-pair", [this](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string id = required(req, "certificate-id");
        const auto algorithm = algorithm_of(req.child_value("type"));
        pki::KeyPairSpec spec{algorithm, size_of(req, algorithm)};
        auto key = store_.generate_key_pair(id, spec);
        daemon_.log().log("pkid: key pair " + id + " generated (" + std::string(pki::to_string(algorithm)) +
                          ", " + std::to_string(key.bits()) + " bits)");
        pugi::xml_document doc;
        auto res = results(doc, "pki-key-pair-results",
                           "Generated key pair " + id + ", key size " + std::to_string(key.bits()) + " bits");
        xml::append_text(res, "certificate-id", id);
        xml::append_text(res, "key-size", std::to_string(key.bits()));
        xml::append_text(res, "key-type", pki::to_string(algorithm));
        r.reply(doc);
    });
    handle("request-pki-generate-certificate-request",
           [this, tmp](const pugi::xml_node& req, ipc::Responder& r) {
               const std::string id = required(req, "certificate-id");
               pki::RequestParams params{required(req, "subject"), alternative_names(req), std::nullopt};
               std::optional<std::filesystem::path> out;
               const std::string filename = req.child_value("filename");
               if (!filename.empty())
                   out = tmp(filename);  // checked before anything is made
               auto csr = store_.generate_certificate_request(id, params);
               pugi::xml_document doc;
               auto res = doc.append_child("pki-certificate-request-results");
               xml::append_text(res, "certificate-id", id);
               xml::append_text(res, "certificate-request", csr.to_pem());
               xml::append_text(res, "sha1-fingerprint", csr.sha1_fingerprint());
               xml::append_text(res, "md5-fingerprint", csr.md5_fingerprint());
               if (out) {
                   write_file(*out, csr.to_pem(), 0644);
                   xml::append_text(res, "filename", filename);
               }
               daemon_.log().log("pkid: certificate request " + id + " generated");
               r.reply(doc);
           });
    handle("request-pki-local-certificate-generate-self-signed",
           [this, now](const pugi::xml_node& req, ipc::Responder& r) {
               const std::string id = required(req, "certificate-id");
               pki::SelfSignedParams params;
               params.subject = required(req, "subject");
               params.alternative_names = alternative_names(req);
               params.not_before = now();
               params.add_ca_constraint = bool(req.child("add-ca-constraint"));
               store_.generate_self_signed_certificate(id, params);
               daemon_.log().log("pkid: self-signed local certificate " + id + " generated");
               pugi::xml_document doc;
               results(doc, "pki-local-certificate-results",
                       "Self-signed certificate generated and loaded successfully");
               r.reply(doc);
           });
    handle("request-pki-local-certificate-load",
           [this, now, read_input](const pugi::xml_node& req, ipc::Responder& r) {
               const std::string id = required(req, "certificate-id");
               const std::string text = read_input(required(req, "filename"));
               store_.load_local_certificate(id, bytes_of(text), now());
               daemon_.log().log("pkid: local certificate " + id + " loaded");
               pugi::xml_document doc;
               results(doc, "pki-local-certificate-results", "Local certificate loaded successfully");
               r.reply(doc);
           });
    // The CA certificate is shown (fingerprints) and loaded only when the request carries <confirmed/>:
    // the CLI asks the operator in between (yes/no).
    handle("request-pki-ca-certificate-load", [this, now, read_input, require_profile](
                                                  const pugi::xml_node& req, ipc::Responder& r) {
        const std::string profile = required(req, "ca-profile");
        pki::check_object_name(profile, "CA profile");
        require_profile(profile);
        const std::string text = read_input(required(req, "filename"));
        auto cert = pki::CertificateStore::parse_ca_certificate(bytes_of(text));
        pugi::xml_document doc;
        auto res = doc.append_child("pki-ca-certificate-results");
        xml::append_text(res, "ca-profile", profile);
        xml::append_text(res, "sha1-fingerprint", cert.sha1_fingerprint());
        xml::append_text(res, "md5-fingerprint", cert.md5_fingerprint());
        if (!req.child("confirmed")) {
            xml::append_text(res, "confirm-question",
                             "Do you want to load this CA certificate ? [yes,no] (no) ");
            r.reply(doc);
            return;
        }
        store_.store_ca_certificate(profile, cert, now());
        forget_verdicts();
        daemon_.log().log("pkid: CA certificate for profile " + profile + " loaded");
        xml::append_text(res, "message", "CA certificate for profile " + profile + " loaded successfully");
        r.reply(doc);
    });
    handle("request-pki-crl-load",
           [this, now, read_input, require_profile](const pugi::xml_node& req, ipc::Responder& r) {
               const std::string profile = required(req, "ca-profile");
               pki::check_object_name(profile, "CA profile");
               require_profile(profile);
               const std::string text = read_input(required(req, "filename"));
               store_.load_crl(profile, bytes_of(text), now());
               forget_verdicts();
               daemon_.log().log("pkid: CRL for CA profile " + profile + " loaded");
               pugi::xml_document doc;
               results(doc, "pki-crl-results", "CRL for CA profile " + profile + " loaded successfully");
               r.reply(doc);
           });
    handle("request-pki-ca-certificate-verify", [this, now](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string profile = required(req, "ca-profile");
        auto result =
            store_.verify_ca_certificate(profile, now(), settings_.path_length, revocation(), &crl_cache_);
        if (!result.ok()) {
            throw RequestError("CA certificate " + profile + " verification failed: " + result.reason);
        }
        pugi::xml_document doc;
        results(doc, "pki-verify-results", "CA certificate " + profile + " verified successfully");
        r.reply(doc);
    });
    handle("request-pki-local-certificate-verify", [this, now](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string id = required(req, "certificate-id");
        auto result =
            store_.verify_local_certificate(id, now(), settings_.path_length, revocation(), &crl_cache_);
        if (!result.ok()) {
            throw RequestError("Local certificate " + id + " verification failed: " + result.reason);
        }
        pugi::xml_document doc;
        results(doc, "pki-verify-results", "Local certificate " + id + " verification success");
        r.reply(doc);
    });
    // ---- SCEP enrollment (RFC 8894), on the enrollment thread ----
    // The profile's enrollment url and ca-identity, checked on the I/O thread.
    auto enrollment_of = [this, require_profile](const std::string& profile) {
        pki::check_object_name(profile, "CA profile");
        require_profile(profile);
        const CaProfileSettings& p = settings_.ca_profiles.at(profile);
        if (p.enrollment_url.empty())
            throw RequestError("CA profile " + profile + " has no enrollment url");
        return p;
    };
    handle("request-pki-ca-certificate-enroll", [this, now, enrollment_of](const pugi::xml_node& req,
                                                                           ipc::Responder& r) {
        const std::string profile = required(req, "ca-profile");
        const CaProfileSettings p = enrollment_of(profile);
        const bool confirmed = static_cast<bool>(req.child("confirmed"));
        const std::string expected_sha1 = req.child_value("sha1-fingerprint");
        daemon_.log().log("pkid: SCEP GetCACert for CA profile " + profile + " from " + p.enrollment_url);
        run_enrollment(
            [this, p, profile, confirmed, expected_sha1, r,
             now](const CancelFlag& cancel) -> std::function<void()> {
                std::vector<pki::Certificate> certs;
                std::string error;
                try {
                    pki::DownloadLimits limits;
                    limits.cancel = cancel.get();
                    certs = pki::scep_get_ca_cert(p.enrollment_url,
                                                  p.ca_identity.empty() ? profile : p.ca_identity, limits);
                } catch (const std::exception& e) {
                    error = *cancel ? "cancelled" : e.what();
                }
                return [this, certs, error, profile, confirmed, r, now] {
                    if (!error.empty()) {
                        daemon_.log().log("pkid: SCEP GetCACert for CA profile " + profile +
                                          " failed: " + error);
                        r.error("CA certificate enrollment for profile " + profile + " failed: " + error);
                        return;
                    }
                    const pki::Certificate& ca = certs.front();
                    pugi::xml_document doc;
                    auto res = doc.append_child("pki-ca-certificate-results");
                    xml::append_text(res, "ca-profile", profile);
                    xml::append_text(res, "sha1-fingerprint", ca.sha1_fingerprint());
                    xml::append_text(res, "md5-fingerprint", ca.md5_fingerprint());
                    if (!confirmed) {
                        xml::append_text(res, "confirm-question",
                                         "Do you want to load this CA certificate ? [yes,no] (no) ");
                        r.reply(doc);
                        return;
                    }
                    try {
                        store_.store_ca_certificate(profile, ca, now());
                        forget_verdicts();
                    } catch (const std::exception& e) {
                        r.error(e.what());
                        return;
                    }
                    daemon_.log().log("pkid: CA certificate for profile " + profile + " enrolled (SCEP)");
                    xml::append_text(res, "message",
                                     "CA certificate for profile " + profile + " loaded successfully");
                    r.reply(doc);
                };
            },
            &r);
    });
    handle("request-pki-local-certificate-enroll", [this, now, enrollment_of](const pugi::xml_node& req,
                                                                              ipc::Responder& r) {
        const std::string profile = required(req, "ca-profile");
        const std::string id = required(req, "certificate-id");
        const CaProfileSettings p = enrollment_of(profile);
        auto key = store_.key_pair(id);
        if (key.algorithm() != pki::KeyAlgorithm::rsa)
            throw RequestError("key pair " + id + " is not RSA: SCEP enrollment needs an RSA key pair");
        if (!store_.has_ca_certificate(profile))
            throw RequestError("no CA certificate is loaded for CA profile " + profile +
                               " (request security pki ca-certificate enroll ca-profile " + profile + ")");
        const pki::Certificate ca = store_.ca_certificate(profile);
        pki::RequestParams params{required(req, "subject"), alternative_names(req),
                                  std::string(required(req, "challenge-password"))};
        const pki::CertificateRequest request = pki::create_certificate_request(key, params);
        daemon_.log().log("pkid: SCEP enrollment of local certificate " + id + " with CA profile " + profile +
                          " started (" + p.enrollment_url + ")");
        run_enrollment(
            [this, p, profile, id, key, request, ca, r,
             now](const CancelFlag& cancel) -> std::function<void()> {
                // Progress frames keep the CLI's and mgd's silence timeouts from expiring during a long
                // enrollment and tell the operator what happens.
                auto progress = [this, r](const std::string& text) {
                    boost::asio::post(daemon_.io(), [r, text] {
                        pugi::xml_document d;
                        xml::append_text(d.append_child("pki-enroll-progress"), "message", text);
                        r.progress(d.document_element());
                    });
                };
                std::optional<pki::ScepResult> result;
                std::string error;
                unsigned polls = 0;
                try {
                    const ScepAttempt attempt{
                        p.enrollment_url,
                        p.ca_identity.empty() ? profile : p.ca_identity,
                        ca,
                        "the SCEP server's CA certificate is not the one loaded for CA profile " + profile,
                        p.enrollment_retry,
                        poll_interval(p.enrollment_retry_interval)};
                    result = scep_until_answer(
                        attempt, key, request, *cancel, progress,
                        [&progress] { progress("Waiting to poll the CA"); }, polls);
                } catch (const std::exception& ex) {
                    error = ex.what();
                }
                return [this, result, error, profile, id, r, now, polls] {
                    const std::string what =
                        "Local certificate " + id + " enrollment with CA profile " + profile;
                    if (!error.empty()) {
                        daemon_.log().log("pkid: " + what + " failed: " + error);
                        r.error(what + " failed: " + error);
                        return;
                    }
                    if (result->status == pki::ScepStatus::failure) {
                        daemon_.log().log("pkid: " + what + " rejected by the CA (" + result->fail_info +
                                          ")");
                        r.error(what + " rejected by the CA (failInfo " + result->fail_info +
                                "); check the challenge password");
                        return;
                    }
                    if (result->status == pki::ScepStatus::pending) {
                        daemon_.log().log("pkid: " + what + " still pending after " + std::to_string(polls) +
                                          " polls");
                        r.error(what + " is still pending at the CA after " + std::to_string(polls) +
                                " retries (enrollment retry / retry-interval)");
                        return;
                    }
                    try {
                        const auto der = result->certificate->to_der();
                        store_.load_local_certificate(id, der, now());
                    } catch (const std::exception& e) {
                        r.error(what + ": the issued certificate cannot be loaded: " + e.what());
                        return;
                    }
                    daemon_.log().log("pkid: " + what + " succeeded");
                    pugi::xml_document doc;
                    auto res = results(doc, "pki-enroll-results",
                                       "Received following certificates:\n  Certificate: " +
                                           result->certificate->subject_string() +
                                           "\n  Issuer: " + result->certificate->issuer_string() +
                                           "\nLocal certificate " + id + " loaded successfully");
                    xml::append_text(res, "certificate-id", id);
                    r.reply(doc);
                };
            },
            &r);
    });
    // ---- the M-series family: request security certificate enroll … (seed 002) ----
    // As on the M-series, the command only starts the enrollment: the reply echoes the parameters and points
    // to the kmd log, where the progress and the outcome appear (pkid appends to var/log/kmd with its own
    // tag; Logger's single O_APPEND writes keep kmd's and pkid's lines whole). The result is a file in
    // var/etc/ikecert: the CA certificate (CA form) or the issued local certificate (local form), DER for
    // `encoding binary` (the default), PEM for `encoding pem`.
    handle("request-security-certificate-enroll", [this](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string filename = required(req, "filename");
        pki::check_object_name(filename, "file name");
        const std::string encoding = req.child_value("encoding");
        if (!encoding.empty() && encoding != "binary" && encoding != "pem")
            throw RequestError("invalid encoding " + encoding + ": expecting binary or pem");
        const bool local_form = req.child("certification-authority") || req.child("subject");
        const auto dir = ikecert_dir(daemon_.paths().root);
        const auto out = dir / filename;
        auto kmd_log =
            std::make_shared<Logger>(daemon_.paths().log_dir() / "kmd", daemon_.log().host(), "pkid");
        kmd_log->set_time_source([this] { return daemon_.clock().now(); });
        auto save = [out](const pki::Certificate& cert, bool pem) {
            const auto der = cert.to_der();
            write_file(out, pem ? cert.to_pem() : std::string(der.begin(), der.end()), 0644);
        };
        std::string echo;
        if (!local_form) {
            const std::string url = required(req, "url");
            const std::string ca_name = required(req, "ca-name");
            const std::string ca_file = required(req, "ca-file");
            const bool pem = encoding == "pem";
            echo = "URL: " + url + " CA name: " + ca_name + " CA file: " + ca_file +
                   " Encoding: " + (pem ? "pem" : "binary") + "\n";
            run_enrollment([this, url, ca_name, filename, pem, save,
                            kmd_log](const CancelFlag& cancel) -> std::function<void()> {
                std::string outcome;
                try {
                    kmd_log->log("CA certificate enrollment: GetCACert for " + ca_name + " from " + url);
                    pki::DownloadLimits limits;
                    limits.cancel = cancel.get();
                    const auto certs = pki::scep_get_ca_cert(url, ca_name, limits);
                    save(certs.front(), pem);
                    outcome = "CA certificate enrollment: received CA certificate " +
                              certs.front().subject_string() + " (sha1 " + certs.front().sha1_fingerprint() +
                              "), saved to " + filename;
                } catch (const std::exception& e) {
                    outcome = "CA certificate enrollment from " + url + " failed: " + e.what();
                }
                return [this, outcome, kmd_log] {
                    kmd_log->log(outcome);
                    daemon_.log().log("pkid: " + outcome);
                };
            });
        } else {
            const std::string profile_name = required(req, "certification-authority");
            const std::string subject = required(req, "subject");
            const std::string key_file = required(req, "key-file");
            auto it = settings_.ca_profiles.find(profile_name);
            if (it == settings_.ca_profiles.end())
                throw RequestError("certification-authority " + profile_name + " is not configured");
            const CaProfileSettings p = it->second;
            if (p.enrollment_url.empty())
                throw RequestError("certification-authority " + profile_name + " has no enrollment-url");
            if (p.ca_file.empty())
                throw RequestError("certification-authority " + profile_name +
                                   " has no file (the CA certificate; request security certificate enroll "
                                   "... ca-file ... first)");
            pki::check_object_name(key_file, "key file name");
            std::error_code ec;
            if (!std::filesystem::is_regular_file(dir / key_file, ec))
                throw RequestError("key file " + key_file + " does not exist (request security key-pair " +
                                   key_file + ")");
            if (!std::filesystem::is_regular_file(dir / p.ca_file, ec))
                throw RequestError("CA certificate file " + p.ca_file + " of certification-authority " +
                                   profile_name + " does not exist");
            auto key = pki::KeyPair::from_private_pem(read_file(dir / key_file));
            if (key.algorithm() != pki::KeyAlgorithm::rsa)
                throw RequestError("key file " + key_file + " is not RSA: SCEP enrollment needs an RSA key");
            const pki::Certificate ca = pki::Certificate::from_bytes(bytes_of(read_file(dir / p.ca_file)));
            pki::AlternativeNames names;
            if (auto d = std::string(req.child_value("domain-name")); !d.empty())
                names.domain_names.push_back(d);
            if (auto a = std::string(req.child_value("alternative-subject")); !a.empty())
                names.ip_addresses.push_back(a);
            const pki::CertificateRequest request =
                pki::create_certificate_request(key, pki::RequestParams{subject, names, std::nullopt});
            const bool pem = encoding.empty() ? p.pem_encoding : encoding == "pem";
            const std::string ca_identity = p.ca_identity.empty() ? profile_name : p.ca_identity;
            echo = "CA name: " + ca_identity + " CA file: " + p.ca_file +
                   "\nlocal pub/private key pair: " + key_file + "\nsubject: " + subject +
                   " domain name: " + req.child_value("domain-name") +
                   "\nalternative subject: " + req.child_value("alternative-subject") +
                   "\nEncoding: " + (pem ? "pem" : "binary") + "\n";
            run_enrollment([this, p, ca_identity, ca, key, request, filename, pem, save,
                            kmd_log](const CancelFlag& cancel) -> std::function<void()> {
                std::string outcome;
                try {
                    // M-series profiles have no retry-interval: poll every 30 s, `enrollment-retry` times.
                    const ScepAttempt attempt{
                        p.enrollment_url,
                        ca_identity,
                        ca,
                        "the SCEP server's CA certificate is not the one in file " + p.ca_file,
                        p.enrollment_retry,
                        std::chrono::seconds(30)};
                    unsigned polls = 0;
                    const auto result = scep_until_answer(
                        attempt, key, request, *cancel,
                        [&kmd_log](const std::string& line) {
                            kmd_log->log("Local certificate enrollment: " + line);
                        },
                        nullptr, polls);
                    if (result.status == pki::ScepStatus::failure)
                        outcome = "Local certificate enrollment rejected by the CA (failInfo " +
                                  result.fail_info + ")";
                    else if (result.status == pki::ScepStatus::pending)
                        outcome = "Local certificate enrollment still pending at the CA (enrollment-retry " +
                                  std::to_string(p.enrollment_retry) + ")";
                    else {
                        save(*result.certificate, pem);
                        outcome = "Local certificate enrollment succeeded: received " +
                                  result.certificate->subject_string() + " issued by " +
                                  result.certificate->issuer_string() + ", saved to " + filename;
                    }
                } catch (const std::exception& ex) {
                    outcome = std::string("Local certificate enrollment failed: ") + ex.what();
                }
                return [this, outcome, kmd_log] {
                    kmd_log->log(outcome);
                    daemon_.log().log("pkid: " + outcome);
                };
            });
        }
        pugi::xml_document doc;
        results(doc, "security-certificate-enroll-results",
                echo +
                    "Certificate enrollment has started. To see the certificate enrollment status, check\n"
                    "the key management process (kmd) log file at /var/log/kmd.");
        r.reply(doc);
    });

    // ---- clear security pki … ----
    // Without a name, every object of that kind goes (as Junos' `clear security pki key-pair all`).
    struct ClearKind {
        const char* rpc;
        const char* element;
        std::vector<std::string> (pki::CertificateStore::*list)() const;
        void (pki::CertificateStore::*clear)(const std::string&);
    };
    for (const ClearKind& k : {
             ClearKind{"clear-pki-key-pair", "certificate-id", &pki::CertificateStore::key_pair_ids,
                       &pki::CertificateStore::clear_key_pair},
             ClearKind{"clear-pki-local-certificate", "certificate-id",
                       &pki::CertificateStore::local_certificate_ids,
                       &pki::CertificateStore::clear_local_certificate},
             ClearKind{"clear-pki-certificate-request", "certificate-id",
                       &pki::CertificateStore::certificate_request_ids,
                       &pki::CertificateStore::clear_certificate_request},
             ClearKind{"clear-pki-ca-certificate", "ca-profile", &pki::CertificateStore::ca_profiles,
                       &pki::CertificateStore::clear_ca_certificate},
             ClearKind{"clear-pki-crl", "ca-profile", &pki::CertificateStore::crl_profiles,
                       &pki::CertificateStore::clear_crl},
         }) {
        handle(k.rpc, [this, k](const pugi::xml_node& req, ipc::Responder& r) {
            const std::string name = req.child_value(k.element);
            std::vector<std::string> names =
                name.empty() ? (store_.*k.list)() : std::vector<std::string>{name};
            for (const auto& n : names) {
                (store_.*k.clear)(n);
            }
            forget_verdicts();
            daemon_.log().log(std::string("pkid: ") + k.rpc + " " + (name.empty() ? "all" : name));
            r.reply_ok();
        });
    }

    // ---- show security pki … ----
    auto show_certificates = [this](const pugi::xml_node& req, ipc::Responder& r, bool ca) {
        const std::string wanted = req.child_value(ca ? "ca-profile" : "certificate-id");
        std::vector<std::string> names = ca ? store_.ca_profiles() : store_.local_certificate_ids();
        if (!wanted.empty()) {
            if (std::find(names.begin(), names.end(), wanted) == names.end()) {
                throw RequestError(ca ? "CA profile " + wanted + " has no CA certificate"
                                      : "certificate-id " + wanted + " does not exist");
            }
            names = {wanted};
        }
        pugi::xml_document doc;
        auto list = doc.append_child("x509-pki-certificate-info-list");
        if (detail_of(req) == pki::Detail::detail)
            list.append_child("detail");
        for (const auto& n : names) {
            auto cert = ca ? store_.ca_certificate(n) : store_.local_certificate(n);
            auto info = pki::describe_certificate(cert, n);
            if (auto a = settings_.auto_reenrollment.find(n); !ca && a != settings_.auto_reenrollment.end()) {
                info.auto_reenrollment = true;
                info.next_trigger_text = pki::junos_time(reenrollment_trigger(cert, a->second));
            }
            pki::append_certificate_info(list, info);
        }
        r.reply(doc);
    };
    handle("get-pki-local-certificate", [show_certificates](const pugi::xml_node& req, ipc::Responder& r) {
        show_certificates(req, r, false);
    });
    handle("get-pki-ca-certificate", [show_certificates](const pugi::xml_node& req, ipc::Responder& r) {
        show_certificates(req, r, true);
    });
    handle("get-pki-crl", [this](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string wanted = req.child_value("ca-profile");
        std::vector<std::string> names = store_.crl_profiles();
        if (!wanted.empty()) {
            if (std::find(names.begin(), names.end(), wanted) == names.end())
                throw RequestError("CA profile " + wanted + " has no CRL");
            names = {wanted};
        }
        pugi::xml_document doc;
        auto list = doc.append_child("pki-crl-information-list");
        if (detail_of(req) == pki::Detail::detail)
            list.append_child("detail");
        for (const auto& n : names) {
            if (auto crl = store_.crl(n))
                pki::append_crl_info(list, pki::describe_crl(*crl, n));
        }
        r.reply(doc);
    });
    handle("get-pki-certificate-request", [this](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string wanted = req.child_value("certificate-id");
        std::vector<std::string> names = store_.certificate_request_ids();
        if (!wanted.empty()) {
            if (std::find(names.begin(), names.end(), wanted) == names.end())
                throw RequestError("certificate request " + wanted + " does not exist");
            names = {wanted};
        }
        pugi::xml_document doc;
        auto list = doc.append_child("pki-certificate-request-information-list");
        if (detail_of(req) == pki::Detail::detail)
            list.append_child("detail");
        for (const auto& n : names) {
            pki::append_request_info(list, pki::describe_request(store_.certificate_request(n), n));
        }
        r.reply(doc);
    });

    // ---- the M-series family: request security key-pair NAME [size N] [type rsa|dsa] ----
    // The key pair goes to var/etc/ikecert/NAME (PEM private key, mode 0600), where seed 002 keeps the files
    // of the `request security certificate` commands.
    handle("request-security-key-pair", [this](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string name = required(req, "key-pair-name");
        pki::check_object_name(name, "key pair file name");
        const std::string type = req.child_value("type");
        if (!type.empty() && type != "rsa" && type != "dsa")
            throw RequestError("invalid key type " + type + ": expecting rsa or dsa");
        const auto algorithm = algorithm_of(type);
        const unsigned size = size_of(req, algorithm);
        if (size != 512 && size != 1024 && size != 1596 && size != 2048)
            throw RequestError("invalid key size " + std::to_string(size) +
                               ": expecting 512, 1024, 1596 or 2048");
        const auto path = ikecert_dir(daemon_.paths().root) / name;
        std::error_code ec;
        if (std::filesystem::exists(path, ec))
            throw RequestError("key pair file " + name + " already exists");
        auto key = pki::KeyPair::generate({algorithm, size});
        write_file(path, key.private_pem(), 0600);
        daemon_.log().log("pkid: key pair file " + name + " generated");
        pugi::xml_document doc;
        results(doc, "security-key-pair-results",
                "Generated key pair, key size " + std::to_string(key.bits()) + ", file " + name +
                    " Algorithm " + std::string(pki::to_string(algorithm)));
        r.reply(doc);
    });

    // ---- kmd's RPCs (services/pkid/README.md: the kmd contract) ----
    handle("validate-peer-certificate", [this, now](const pugi::xml_node& req, ipc::Responder& r) {
        auto decode = [](const pugi::xml_node& n) {
            auto bytes = from_hex_lenient(n.child_value());
            if (!bytes || bytes->empty())
                throw RequestError("certificate is not hexadecimal");
            return pki::Certificate::from_bytes(*bytes);
        };
        pugi::xml_document doc;
        auto res = doc.append_child("peer-certificate-validation");
        auto verdict = [&](const std::string& status, const std::string& reason) {
            xml::append_text(res, "status", status);
            if (!reason.empty())
                xml::append_text(res, "reason", reason);
        };
        std::optional<pki::Certificate> peer;
        std::vector<pki::Certificate> chain;
        try {
            peer = decode(req.child("certificate"));
            for (auto c : req.child("chain").children("certificate"))
                chain.push_back(decode(c));
        } catch (const pki::PkiError& e) {
            verdict("malformed", e.what());
            r.reply(doc);
            return;
        }
        const std::string hint = req.child_value("ca-profile");
        const std::string cache_key = pki::PeerCertificateCache::key_of(*peer, chain, hint);
        pki::ValidationRequest v{*peer, std::move(chain), {}, store_.all_crls(), settings_.path_length, {}};
        v.trusted = store_.trusted_cas(revocation());
        if (!hint.empty()) {
            std::erase_if(v.trusted, [&](const pki::TrustedCa& t) { return t.profile != hint; });
            if (v.trusted.empty()) {
                verdict("issuer-not-found", "no CA certificate is loaded for CA profile " + hint);
                r.reply(doc);
                return;
            }
        }
        if (auto id = req.child("identity")) {
            pki::PeerIdentity identity;
            const std::string type = id.child_value("type");
            if (type == "ip-address")
                identity.kind = pki::PeerIdentity::Kind::ip_address;
            else if (type == "fqdn")
                identity.kind = pki::PeerIdentity::Kind::fqdn;
            else if (type == "user-fqdn")
                identity.kind = pki::PeerIdentity::Kind::user_fqdn;
            else if (type == "distinguished-name")
                identity.kind = pki::PeerIdentity::Kind::distinguished_name;
            else
                throw RequestError("identity type " + type +
                                   " is not one of ip-address, fqdn, user-fqdn, "
                                   "distinguished-name");
            identity.value = id.child_value("value");
            identity.dn_match = std::string_view(id.child_value("dn-match")) == "wildcard"
                                    ? pki::DnMatch::wildcard
                                    : pki::DnMatch::container;
            v.identity = identity;
        }
        // The chain's verdict comes from the peer certificate cache when it holds one (seed 002's cache and
        // negative cache); the identity is checked every time, as validate_certificate does after the chain.
        const pki::TimePoint at = now();
        std::optional<pki::ValidationResult> cached = peer_cache_.find(cache_key, at);
        pki::ValidationResult result;
        if (cached) {
            result = *cached;
        } else {
            const auto identity = v.identity;
            v.identity.reset();
            result = pki::validate_certificate(v, at, &crl_cache_);
            pki::TimePoint until = at;
            std::uint64_t bytes = 0;
            if (result.ok()) {
                until = pki::TimePoint::max();
                for (const auto& c : result.chain)
                    until = std::min(until, c.not_after());
                // a revocation published later must be seen: keep it no longer than the anchor profile's
                // CRL refresh-interval when it checks revocation
                if (auto it = settings_.ca_profiles.find(result.anchor_profile);
                    it != settings_.ca_profiles.end() && it->second.revocation.enabled)
                    until = std::min(until, at + std::chrono::hours(it->second.refresh_interval_hours));
            }
            bytes = peer->to_der().size();
            for (const auto& c : v.peer_chain)
                bytes += c.to_der().size();
            peer_cache_.store(cache_key, result, at, until, bytes, 1 + v.peer_chain.size());
            v.identity = identity;
        }
        if (result.ok() && v.identity) {
            if (std::string mismatch = pki::identity_mismatch(*peer, *v.identity); !mismatch.empty()) {
                result.status = pki::ValidationStatus::identity_mismatch;
                result.reason = mismatch;
                result.error_depth = 0;
            }
        }
        verdict(std::string(pki::to_string(result.status)), result.reason);
        if (!result.anchor_profile.empty())
            xml::append_text(res, "ca-profile", result.anchor_profile);
        xml::append_text(res, "subject", peer->subject_string());
        if (result.error_depth >= 0)
            xml::append_text(res, "error-depth", std::to_string(result.error_depth));
        if (result.revocation_skipped)
            res.append_child("revocation-skipped");
        if (cached)
            res.append_child("cached");
        daemon_.log().log("pkid: peer certificate " + peer->subject_string() + ": " +
                          (result.ok() ? std::string("valid") : result.reason));
        r.reply(doc);
    });
    handle("sign-hash", [this](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string id = required(req, "certificate-id");
        auto hash = from_hex_lenient(required(req, "hash"));
        if (!hash || hash->empty())
            throw RequestError("hash is not hexadecimal");
        const auto format = std::string_view(req.child_value("format")) == "concatenated"
                                ? pki::SignatureFormat::concatenated
                                : pki::SignatureFormat::der;
        auto key = store_.key_pair(id);
        auto sig = key.sign_hash(*hash, format);
        pugi::xml_document doc;
        auto res = doc.append_child("hash-signature");
        xml::append_text(res, "certificate-id", id);
        xml::append_text(res, "key-type", pki::to_string(key.algorithm()));
        xml::append_text(res, "signature", to_hex(sig));
        r.reply(doc);
    });
    handle("get-local-certificate", [this](const pugi::xml_node& req, ipc::Responder& r) {
        const std::string id = required(req, "certificate-id");
        auto cert = store_.local_certificate(id);
        auto key = store_.key_pair(id);
        pugi::xml_document doc;
        auto res = doc.append_child("local-certificate");
        xml::append_text(res, "certificate-id", id);
        xml::append_text(res, "certificate", to_hex(cert.to_der()));
        xml::append_text(res, "key-type", pki::to_string(key.algorithm()));
        xml::append_text(res, "subject", cert.subject_string());
        r.reply(doc);
    });

    fetch_configuration();
    schedule_reenrollment_check();
}

// ---- automatic re-enrollment (security pki auto-re-enrollment) ----
// A one-second check on the I/O thread: a certificate whose trigger time (reenrollment_trigger) has come on
// the router's clock is re-enrolled by SCEP with its own subject and subjectAltNames and the configured
// challenge password, with a new key pair when re-generate-keypair says so; the new certificate (and key)
// replace the old ones in one step (CertificateStore::replace_local_certificate). One exchange at a time
// runs on the enrollment thread; a PENDING answer is polled every retry-interval (30 s when 0), `retry`
// times (0: until the CA answers); a failure is retried after the same interval. Everything is logged
// to var/log/messages.
void Pkid::schedule_reenrollment_check() {
    reenroll_timer_.expires_after(1000ms);
    reenroll_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec)
            return;
        check_reenrollment();
        schedule_reenrollment_check();
    });
}

void Pkid::log_reenrollment(const std::string& text) {
    daemon_.log().log("pkid: " + text);
}

void Pkid::check_reenrollment() {
    // `set date` (mgd wrote the offset): verdicts and downloaded CRLs judged on the old time go.
    if (const auto offset = daemon_.clock().offset(); offset != clock_offset_seen_) {
        clock_offset_seen_ = offset;
        peer_cache_.clear();
        crl_cache_.clear();
        daemon_.log().log("pkid: the router's clock was set; cached certificate verdicts and CRLs dropped");
    }
    if (!have_configuration_)
        return;
    std::erase_if(reenrollment_,
                  [this](const auto& e) { return settings_.auto_reenrollment.count(e.first) == 0; });
    if (enrolling_)
        return;
    const auto steady = std::chrono::steady_clock::now();
    for (const auto& [id, a] : settings_.auto_reenrollment) {
        Reenrollment& st = reenrollment_[id];
        if (steady < st.retry_after)
            continue;
        if (st.pending) {
            if (steady >= st.pending->next_poll) {
                poll_reenrollment(id);
                return;
            }
            continue;
        }
        std::optional<pki::Certificate> cert;
        try {
            if (store_.has_local_certificate(id))
                cert = store_.local_certificate(id);
        } catch (const std::exception&) {
        }
        if (!cert || st.settled == cert->sha1_fingerprint())
            continue;
        if (daemon_.clock().now() < reenrollment_trigger(*cert, a))
            continue;
        start_reenrollment(id, a);
        return;  // one enrollment at a time
    }
}

namespace {
// What a re-enrollment exchange needs from the configuration, taken on the I/O thread.
std::optional<ScepAttempt> reenrollment_attempt(const PkiSettings& settings,
                                                const pki::CertificateStore& store, const AutoReenrollment& a,
                                                std::string& problem) {
    const auto it = settings.ca_profiles.find(a.ca_profile);
    if (it == settings.ca_profiles.end() || it->second.enrollment_url.empty()) {
        problem = "CA profile " + a.ca_profile + " has no enrollment url";
        return std::nullopt;
    }
    if (!store.has_ca_certificate(a.ca_profile)) {
        problem = "no CA certificate is loaded for CA profile " + a.ca_profile;
        return std::nullopt;
    }
    const CaProfileSettings& p = it->second;
    return ScepAttempt{
        p.enrollment_url,
        p.ca_identity.empty() ? a.ca_profile : p.ca_identity,
        store.ca_certificate(a.ca_profile),
        "the SCEP server's CA certificate is not the one loaded for CA profile " + a.ca_profile,
        p.enrollment_retry,
        poll_interval(p.enrollment_retry_interval)};
}
}  // namespace

void Pkid::start_reenrollment(const std::string& id, const AutoReenrollment& a) {
    Reenrollment& st = reenrollment_[id];
    const std::string what = "automatic re-enrollment of local certificate " + id;
    auto later = [&](const std::string& why, std::chrono::seconds interval) {
        log_reenrollment(what + " failed: " + why + "; retrying in " + std::to_string(interval.count()) +
                         " seconds");
        st.retry_after = std::chrono::steady_clock::now() + interval;
    };
    std::string problem;
    const auto attempt = reenrollment_attempt(settings_, store_, a, problem);
    if (!attempt) {
        later(problem, poll_interval(0));
        return;
    }
    std::optional<pki::KeyPair> old_key;
    std::optional<pki::Certificate> old_cert;
    try {
        old_key = store_.key_pair(id);
        old_cert = store_.local_certificate(id);
    } catch (const std::exception& e) {
        later(e.what(), attempt->interval);
        return;
    }
    if (old_key->algorithm() != pki::KeyAlgorithm::rsa) {
        later("key pair " + id + " is not RSA: SCEP needs an RSA key pair", attempt->interval);
        return;
    }
    // The CA must give back the same subject and alternative names (seed 003): the request repeats them.
    pki::AlternativeNames names;
    names.domain_names = old_cert->dns_names();
    names.ip_addresses = old_cert->ip_addresses();
    names.emails = old_cert->email_addresses();
    const pki::RequestParams params{pki::format_distinguished_name(old_cert->subject()), names,
                                    a.challenge_password};
    const bool regenerate = a.regenerate_key_pair;
    const std::string replaced = old_cert->sha1_fingerprint();
    log_reenrollment(what + " started: " + std::to_string(a.trigger_percentage) +
                     "% of its lifetime is left (CA profile " + a.ca_profile + ", " +
                     (regenerate ? "new key pair" : "same key pair") + ")");
    try {
        run_enrollment([this, id, attempt = *attempt, params, regenerate, replaced, key = *old_key,
                        bits = old_key->bits()](const CancelFlag& cancel) -> std::function<void()> {
            std::optional<pki::KeyPair> new_key;
            std::optional<pki::CertificateRequest> request;
            std::optional<pki::ScepResult> result;
            std::string error;
            try {
                new_key = regenerate ? pki::KeyPair::generate({pki::KeyAlgorithm::rsa, bits}) : key;
                request = pki::create_certificate_request(*new_key, params);
                result = scep_once(attempt, *new_key, *request, *cancel, {});
            } catch (const std::exception& e) {
                error = e.what();
            }
            return [this, id, attempt, replaced, new_key, request, result, error] {
                std::optional<Reenrollment::Pending> pending;
                if (new_key && request)
                    pending = Reenrollment::Pending{*new_key, *request, {}, replaced, 0, {}};
                reenrollment_answer(id, pending, result, error, attempt.interval, attempt.retries);
            };
        });
    } catch (const RequestError&) {
        // an operator's enrollment started first; the next check tries again
    }
}

void Pkid::poll_reenrollment(const std::string& id) {
    Reenrollment& st = reenrollment_[id];
    const auto a = settings_.auto_reenrollment.find(id);
    std::string problem;
    const auto attempt = a == settings_.auto_reenrollment.end()
                             ? std::nullopt
                             : reenrollment_attempt(settings_, store_, a->second, problem);
    if (!attempt) {
        st.pending.reset();
        return;
    }
    const Reenrollment::Pending pending = *st.pending;
    try {
        run_enrollment([this, id, attempt = *attempt,
                        pending](const CancelFlag& cancel) -> std::function<void()> {
            std::optional<pki::ScepResult> result;
            std::string error;
            try {
                result = scep_once(attempt, pending.key, pending.request, *cancel, pending.transaction_id);
            } catch (const std::exception& e) {
                error = e.what();
            }
            return [this, id, attempt, pending, result, error] {
                reenrollment_answer(id, pending, result, error, attempt.interval, attempt.retries);
            };
        });
    } catch (const RequestError&) {
    }
}

// The outcome of one re-enrollment exchange, on the I/O thread. `pending` holds the key pair and request the
// exchange used (its transaction id empty for the first PKCSReq).
void Pkid::reenrollment_answer(const std::string& id, const std::optional<Reenrollment::Pending>& sent,
                               const std::optional<pki::ScepResult>& result, const std::string& error,
                               std::chrono::seconds interval, unsigned retries) {
    Reenrollment& st = reenrollment_[id];
    const std::string what = "automatic re-enrollment of local certificate " + id;
    const auto steady = std::chrono::steady_clock::now();
    const std::string again = "; retrying in " + std::to_string(interval.count()) + " seconds";
    const bool polling = sent && !sent->transaction_id.empty();
    if (!error.empty() || !result || !sent) {
        if (polling && st.pending && (retries == 0 || ++st.pending->polls < retries)) {
            log_reenrollment(what + ": polling the CA failed: " + error);
            st.pending->next_poll = steady + interval;
            return;
        }
        log_reenrollment(what + " failed: " + error + again);
        st.pending.reset();
        st.retry_after = steady + interval;
        return;
    }
    if (result->status == pki::ScepStatus::pending) {
        if (!polling) {
            log_reenrollment(what + ": the CA has not issued the certificate yet; polling every " +
                             std::to_string(interval.count()) + " seconds");
            st.pending = *sent;
            st.pending->transaction_id = result->transaction_id;
            st.pending->next_poll = steady + interval;
        } else if (st.pending && retries != 0 && ++st.pending->polls >= retries) {
            log_reenrollment(what + " still pending after " + std::to_string(st.pending->polls) +
                             " polls (enrollment retry); starting over in " +
                             std::to_string(interval.count()) + " seconds");
            st.pending.reset();
            st.retry_after = steady + interval;
        } else if (st.pending) {
            st.pending->next_poll = steady + interval;
        }
        return;
    }
    st.pending.reset();
    if (result->status == pki::ScepStatus::failure) {
        log_reenrollment(what + " rejected by the CA (failInfo " + result->fail_info + ")" + again);
        st.retry_after = steady + interval;
        return;
    }
    // SUCCESS: the new certificate (and key pair) replace the old ones — unless an operator replaced the
    // certificate meanwhile.
    try {
        if (store_.local_certificate(id).sha1_fingerprint() != sent->certificate) {
            log_reenrollment(what + ": the certificate was replaced meanwhile; the new one is not used");
            return;
        }
        const auto der = result->certificate->to_der();
        const pki::Certificate cert =
            store_.replace_local_certificate(id, sent->key, der, daemon_.clock().now());
        forget_verdicts();
        log_reenrollment(what + " succeeded: serial " + cert.serial_hex() + ", not after " +
                         pki::junos_time(cert.not_after()));
        const auto a = settings_.auto_reenrollment.find(id);
        if (a != settings_.auto_reenrollment.end() &&
            daemon_.clock().now() >= reenrollment_trigger(cert, a->second)) {
            // The CA's clock is behind the router's (`set date`): the new certificate is due already.
            // Re-enrolling it again would never end; it stays until it is replaced or expires.
            st.settled = cert.sha1_fingerprint();
            log_reenrollment("local certificate " + id +
                             " is already past its re-enrollment trigger time; it is not re-enrolled again");
        }
    } catch (const std::exception& e) {
        log_reenrollment(what + ": the issued certificate cannot be stored: " + e.what() + again);
        st.retry_after = steady + interval;
    }
}

// At start (and after a restart) the committed configuration comes from mgd, which may not be up yet.
void Pkid::fetch_configuration() {
    pugi::xml_document req;
    xml::append_text(req.append_child("get-owned-configuration"), "daemon", "pkid");
    daemon_.call_peer("mgd", req.document_element(), 10000ms, [this](ipc::Reply reply) {
        if (!reply.ok()) {
            config_timer_.expires_after(1000ms);
            config_timer_.async_wait([this](const boost::system::error_code& ec) {
                if (!ec)
                    fetch_configuration();
            });
            return;
        }
        if (have_configuration_)
            return;  // a commit's apply arrived first: it is newer
        try {
            owned_.load(reply.root().child("configuration-text").child_value("configuration-output"));
            settings_ = read_settings(owned_.tree(), daemon_.paths().root, false);
            configure_crl_cache();
            have_configuration_ = true;
            daemon_.log().log("pkid: " + std::to_string(settings_.ca_profiles.size()) +
                              " CA profiles in the configuration");
        } catch (const std::exception& e) {
            daemon_.log().error(std::string("pkid: cannot use the committed configuration: ") + e.what());
        }
    });
}

}  // namespace msim::pkid
