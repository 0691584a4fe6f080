#include "msim/ca/ca_store.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "msim/pki/distinguished_name.hpp"
#include "openssl_util.hpp"

namespace msim::ca {

namespace fs = std::filesystem;
using namespace detail;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        throw CaError("cannot read " + p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

pki::ByteView view(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Atomic replace (temporary file with the final mode, fsync, rename): a crash leaves the old or the new.
void write_file(const fs::path& p, const std::string& text, mode_t mode = 0644) {
    const std::string tmp = p.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        throw CaError("cannot write " + tmp + ": " + std::strerror(errno));
    ::fchmod(fd, mode);
    std::size_t done = 0;
    bool ok = true;
    while (ok && done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        ok = n > 0 || (n < 0 && errno == EINTR);
        done += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || std::rename(tmp.c_str(), p.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw CaError("cannot write " + p.string() + ": " + std::strerror(errno));
    }
}

// The directory's lock: every change of the state runs under it (the server and the commands are separate
// processes). Blocking: changes are short.
class Lock {
  public:
    explicit Lock(const fs::path& dir)
        : fd_(::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
        if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0)
            throw CaError("cannot lock " + (dir / "lock").string() + ": " + std::strerror(errno));
    }
    ~Lock() {
        if (fd_ >= 0)
            ::close(fd_);  // releases the flock
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

  private:
    int fd_;
};

// "key value" lines
std::map<std::string, std::string> read_pairs(const fs::path& p) {
    std::map<std::string, std::string> out;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
        const auto space = line.find(' ');
        if (space == std::string::npos)
            out[line] = "";
        else
            out[line.substr(0, space)] = line.substr(space + 1);
    }
    return out;
}

std::string settings_text(const CaSettings& s) {
    return "challenge-password " + s.challenge_password + "\napproval " +
           (s.manual_approval ? "manual" : "auto") + "\nvalidity-days " + std::to_string(s.validity_days) +
           "\ncrl-hours " + std::to_string(s.crl_hours) + "\ncrl-url " + s.crl_url + "\n";
}

unsigned to_unsigned(const std::string& s, unsigned fallback) {
    try {
        return static_cast<unsigned>(std::stoul(s));
    } catch (const std::exception&) {
        return fallback;
    }
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
        fail(std::string("cannot add extension ") + OBJ_nid2sn(nid));
}

constexpr std::pair<const char*, int> reasons[] = {
    {"unspecified", 0},        {"keyCompromise", 1},      {"cACompromise", 2},
    {"affiliationChanged", 3}, {"superseded", 4},         {"cessationOfOperation", 5},
    {"certificateHold", 6},    {"privilegeWithdrawn", 9}, {"aACompromise", 10},
};

// The next serial number or CRL number, one decimal number in its file (1 when there is none yet).
unsigned read_number(const fs::path& file) {
    std::ifstream in(file);
    unsigned n = 0;
    return in >> n && n > 0 ? n : 1;
}

}  // namespace

std::string to_string(RequestState state) {
    switch (state) {
        case RequestState::pending:
            return "pending";
        case RequestState::issued:
            return "issued";
        case RequestState::rejected:
            return "rejected";
    }
    return "pending";
}

std::optional<int> revocation_reason_code(const std::string& name) {
    for (const auto& [n, c] : reasons) {
        if (name == n)
            return c;
    }
    return std::nullopt;
}

CaStore::CaStore(fs::path dir, pki::KeyPair key, pki::Certificate certificate)
    : dir_(std::move(dir)), key_(std::move(key)), certificate_(std::move(certificate)) {}

CaStore::CaStore(fs::path dir)
    : CaStore([&] {
          if (!fs::exists(dir / "ca.crt") || !fs::exists(dir / "ca.key"))
              throw CaError("no CA in " + dir.string() + " (msim-ca init --dir " + dir.string() + ")");
          try {
              auto key = pki::KeyPair::from_private_pem(read_file(dir / "ca.key"));
              auto cert = pki::Certificate::from_bytes(view(read_file(dir / "ca.crt")));
              return CaStore(dir, std::move(key), std::move(cert));
          } catch (const pki::PkiError& e) {
              throw CaError("the CA in " + dir.string() + " is damaged: " + e.what());
          }
      }()) {}

CaStore CaStore::init(const fs::path& dir, const InitOptions& o, TimePoint now, bool replace) {
    std::error_code ec;
    if (fs::exists(dir / "ca.crt", ec) && !replace)
        throw CaError(dir.string() + " already holds a CA (--force replaces it)");
    fs::create_directories(dir, ec);
    if (ec)
        throw CaError("cannot create " + dir.string() + ": " + ec.message());
    Lock lock(dir);
    for (const char* old : {"requests", "issued"})
        fs::remove_all(dir / old, ec);
    for (const char* old : {"crl.der", "crl-number", "revoked", "serial"})
        fs::remove(dir / old, ec);
    fs::create_directories(dir / "requests", ec);
    fs::create_directories(dir / "issued", ec);

    pki::DistinguishedName subject;
    try {
        subject = pki::parse_distinguished_name(o.subject);
    } catch (const pki::PkiError& e) {
        throw CaError(std::string("invalid subject: ") + e.what());
    }
    pki::KeyPair key = pki::KeyPair::generate({pki::KeyAlgorithm::rsa, o.key_bits});
    X509Ptr x(X509_new());
    NamePtr name(pki::to_x509_name(subject));
    IntegerPtr serial(ASN1_INTEGER_new());
    unsigned char random[8];
    if (!x || !name || !serial || RAND_bytes(random, sizeof random) != 1)
        fail("cannot make the CA certificate");
    random[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(random, sizeof random, nullptr);
    const bool serial_ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, serial.get()) != nullptr;
    BN_free(bn);
    if (!serial_ok || X509_set_version(x.get(), 2) != 1 ||
        X509_set_serialNumber(x.get(), serial.get()) != 1 ||
        X509_set_subject_name(x.get(), name.get()) != 1 || X509_set_issuer_name(x.get(), name.get()) != 1 ||
        X509_set_pubkey(x.get(), key.native()) != 1)
        fail("cannot make the CA certificate");
    // an hour of slack back, for clocks slightly behind this host's
    set_time(X509_getm_notBefore(x.get()), now - std::chrono::hours(1));
    set_time(X509_getm_notAfter(x.get()), now + std::chrono::hours(24) * o.ca_validity_days);
    add_extension(x.get(), x.get(), NID_basic_constraints, "critical,CA:TRUE");
    // digitalSignature: it signs its CertReps; keyEncipherment: requests are encrypted to it (no RA)
    add_extension(x.get(), x.get(), NID_key_usage,
                  "critical,keyCertSign,cRLSign,digitalSignature,keyEncipherment");
    add_extension(x.get(), x.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(x.get(), key.native(), EVP_sha256()) <= 0)
        fail("cannot sign the CA certificate");
    pki::Certificate cert = pki::Certificate::adopt(x.release());

    write_file(dir / "ca.key", key.private_pem(), 0600);
    write_file(dir / "ca.crt", cert.to_pem());
    write_file(dir / "ca.conf", settings_text(o.settings), 0600);  // holds the challenge password
    write_file(dir / "serial", "1\n");
    CaStore store(dir, std::move(key), std::move(cert));
    store.sign_crl(now);
    return store;
}

CaSettings CaStore::settings() const {
    const auto pairs = read_pairs(dir_ / "ca.conf");
    CaSettings s;
    auto get = [&](const char* k) {
        auto it = pairs.find(k);
        return it == pairs.end() ? std::string() : it->second;
    };
    s.challenge_password = get("challenge-password");
    s.manual_approval = get("approval") == "manual";
    s.validity_days = to_unsigned(get("validity-days"), 365);
    s.crl_hours = to_unsigned(get("crl-hours"), 24);
    s.crl_url = get("crl-url");
    return s;
}

void CaStore::write_record(const RequestRecord& r) const {
    const fs::path d = dir_ / "requests" / std::to_string(r.id);
    std::error_code ec;
    fs::create_directories(d, ec);
    write_file(d / "meta", "state " + to_string(r.state) + "\ntransaction " + r.transaction_id +
                               "\nsubject " + r.subject + "\nreceived " +
                               std::to_string(std::chrono::system_clock::to_time_t(r.received)) +
                               "\nserial " + r.serial + "\nnote " + r.note + "\n");
}

std::optional<RequestRecord> CaStore::read_record(unsigned id) const {
    const fs::path meta = dir_ / "requests" / std::to_string(id) / "meta";
    std::error_code ec;
    if (!fs::exists(meta, ec))
        return std::nullopt;
    const auto pairs = read_pairs(meta);
    auto get = [&](const char* k) {
        auto it = pairs.find(k);
        return it == pairs.end() ? std::string() : it->second;
    };
    RequestRecord r;
    r.id = id;
    const std::string state = get("state");
    r.state = state == "issued"     ? RequestState::issued
              : state == "rejected" ? RequestState::rejected
                                    : RequestState::pending;
    r.transaction_id = get("transaction");
    r.subject = get("subject");
    r.received =
        std::chrono::system_clock::from_time_t(static_cast<std::time_t>(to_unsigned(get("received"), 0)));
    r.serial = get("serial");
    r.note = get("note");
    return r;
}

std::vector<RequestRecord> CaStore::requests() const {
    std::vector<unsigned> ids;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "requests", ec)) {
        const std::string n = e.path().filename().string();
        if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos && n.size() < 9)
            ids.push_back(static_cast<unsigned>(std::stoul(n)));
    }
    std::sort(ids.begin(), ids.end());
    std::vector<RequestRecord> out;
    for (unsigned id : ids) {
        if (auto r = read_record(id))
            out.push_back(*r);
    }
    return out;
}

std::optional<RequestRecord> CaStore::find_request(unsigned id) const {
    return read_record(id);
}

std::optional<RequestRecord> CaStore::find_transaction(const std::string& transaction_id) const {
    std::optional<RequestRecord> newest;
    for (const auto& r : requests()) {
        if (r.transaction_id == transaction_id)
            newest = r;
    }
    return newest;
}

RequestRecord CaStore::submit(const pki::CertificateRequest& request, const std::string& transaction_id,
                              TimePoint now) {
    Lock lock(dir_);
    const auto der = request.to_der();
    const std::string bytes(der.begin(), der.end());
    // A resent PKCSReq (same transaction, same request) while the first is pending is the same request.
    // Anything else is new: a re-enrollment with the same key pair repeats the transaction id, and a
    // request refused earlier (a mistyped password) may be sent again.
    if (auto last = find_transaction(transaction_id); last && last->state == RequestState::pending) {
        std::error_code ec;
        const fs::path previous = dir_ / "requests" / std::to_string(last->id) / "request.der";
        if (fs::exists(previous, ec) && read_file(previous) == bytes)
            return *last;
    }
    const auto all = requests();
    RequestRecord r;
    r.id = all.empty() ? 1 : all.back().id + 1;
    r.transaction_id = transaction_id;
    r.subject = request.subject_string();
    r.received = now;
    std::error_code ec;
    fs::create_directories(dir_ / "requests" / std::to_string(r.id), ec);
    write_file(dir_ / "requests" / std::to_string(r.id) / "request.der", bytes);
    if (!settings().manual_approval) {
        const pki::Certificate cert = issue(request, now);
        r.state = RequestState::issued;
        r.serial = cert.serial_hex();
    }
    write_record(r);
    return r;
}

RequestRecord CaStore::approve(unsigned id, TimePoint now) {
    Lock lock(dir_);
    auto r = read_record(id);
    if (!r)
        throw CaError("no request " + std::to_string(id));
    if (r->state != RequestState::pending)
        throw CaError("request " + std::to_string(id) + " is " + to_string(r->state) + ", not pending");
    const std::string der = read_file(dir_ / "requests" / std::to_string(id) / "request.der");
    const pki::Certificate cert = issue(pki::CertificateRequest::from_bytes(view(der)), now);
    r->state = RequestState::issued;
    r->serial = cert.serial_hex();
    write_record(*r);
    return *r;
}

RequestRecord CaStore::reject(unsigned id, const std::string& note) {
    Lock lock(dir_);
    auto r = read_record(id);
    if (!r)
        throw CaError("no request " + std::to_string(id));
    if (r->state != RequestState::pending)
        throw CaError("request " + std::to_string(id) + " is " + to_string(r->state) + ", not pending");
    r->state = RequestState::rejected;
    r->note = note.empty() ? "rejected by the instructor" : note;
    write_record(*r);
    return *r;
}

// The certificate for a request: its subject and subjectAltName, the CA's policy for the rest (an end
// entity for IKE: digitalSignature and keyEncipherment, the CRL distribution point when one is set).
pki::Certificate CaStore::issue(const pki::CertificateRequest& request, TimePoint now) {
    const CaSettings s = settings();
    const unsigned number = read_number(dir_ / "serial");
    X509Ptr x(X509_new());
    IntegerPtr serial(ASN1_INTEGER_new());
    EVP_PKEY* pub = X509_REQ_get0_pubkey(request.native());
    if (!x || !serial || pub == nullptr || ASN1_INTEGER_set_uint64(serial.get(), number) != 1 ||
        X509_set_version(x.get(), 2) != 1 || X509_set_serialNumber(x.get(), serial.get()) != 1 ||
        X509_set_subject_name(x.get(), X509_REQ_get_subject_name(request.native())) != 1 ||
        X509_set_issuer_name(x.get(), X509_get_subject_name(certificate_.native())) != 1 ||
        X509_set_pubkey(x.get(), pub) != 1)
        fail("cannot make the certificate");
    set_time(X509_getm_notBefore(x.get()), now - std::chrono::minutes(5));
    set_time(X509_getm_notAfter(x.get()), now + std::chrono::hours(24) * s.validity_days);
    // subjectAltName from the request, as `openssl x509 -req -copy_extensions copy` would
    if (STACK_OF(X509_EXTENSION)* exts = X509_REQ_get_extensions(request.native())) {
        for (int i = 0; i < sk_X509_EXTENSION_num(exts); ++i) {
            X509_EXTENSION* e = sk_X509_EXTENSION_value(exts, i);
            if (OBJ_obj2nid(X509_EXTENSION_get_object(e)) == NID_subject_alt_name)
                X509_add_ext(x.get(), e, -1);
        }
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    }
    add_extension(x.get(), certificate_.native(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(x.get(), certificate_.native(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_extension(x.get(), certificate_.native(), NID_subject_key_identifier, "hash");
    add_extension(x.get(), certificate_.native(), NID_authority_key_identifier, "keyid:always");
    if (!s.crl_url.empty())
        add_extension(x.get(), certificate_.native(), NID_crl_distribution_points,
                      ("URI:" + s.crl_url).c_str());
    if (X509_sign(x.get(), key_.native(), EVP_sha256()) <= 0)
        fail("cannot sign the certificate");
    pki::Certificate cert = pki::Certificate::adopt(x.release());
    write_file(dir_ / "issued" / (cert.serial_hex() + ".pem"), cert.to_pem());
    write_file(dir_ / "serial", std::to_string(number + 1) + "\n");
    return cert;
}

std::optional<pki::Certificate> CaStore::issued(const std::string& serial) const {
    IntegerPtr n = serial_from_hex(serial);
    if (!n)
        return std::nullopt;
    const fs::path p = dir_ / "issued" / (serial_hex(n.get()) + ".pem");
    std::error_code ec;
    if (!fs::exists(p, ec))
        return std::nullopt;
    return pki::Certificate::from_bytes(view(read_file(p)));
}

namespace {
struct Revocation {
    std::string serial;
    std::time_t at = 0;
    std::string reason;
};
std::vector<Revocation> read_revocations(const fs::path& file) {
    std::vector<Revocation> out;
    std::ifstream in(file);
    Revocation r;
    while (in >> r.serial >> r.at >> r.reason)
        out.push_back(r);
    return out;
}
}  // namespace

std::vector<IssuedRecord> CaStore::issued_list() const {
    const auto revoked = read_revocations(dir_ / "revoked");
    std::vector<IssuedRecord> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "issued", ec)) {
        if (e.path().extension() != ".pem")
            continue;
        try {
            const auto cert = pki::Certificate::from_bytes(view(read_file(e.path())));
            IssuedRecord r;
            r.serial = cert.serial_hex();
            r.subject = cert.subject_string();
            r.not_after = cert.not_after();
            for (const auto& rv : revoked) {
                if (rv.serial == r.serial) {
                    r.revoked = true;
                    r.revoked_at = std::chrono::system_clock::from_time_t(rv.at);
                    r.reason = rv.reason;
                }
            }
            out.push_back(std::move(r));
        } catch (const pki::PkiError&) {
        }
    }
    std::sort(out.begin(), out.end(), [](const IssuedRecord& a, const IssuedRecord& b) {
        return a.serial.size() != b.serial.size() ? a.serial.size() < b.serial.size() : a.serial < b.serial;
    });
    return out;
}

IssuedRecord CaStore::revoke(const std::string& serial, const std::string& reason, TimePoint now) {
    const std::string why = reason.empty() ? "unspecified" : reason;
    if (!revocation_reason_code(why))
        throw CaError("unknown revocation reason " + reason);
    Lock lock(dir_);
    const auto cert = issued(serial);
    if (!cert)
        throw CaError("no certificate with serial number " + serial + " was issued by this CA");
    auto revoked = read_revocations(dir_ / "revoked");
    for (const auto& r : revoked) {
        if (r.serial == cert->serial_hex())
            throw CaError("certificate " + r.serial + " is already revoked");
    }
    revoked.push_back({cert->serial_hex(), to_time_t(now), why});
    std::string text;
    for (const auto& r : revoked)
        text += r.serial + " " + std::to_string(r.at) + " " + r.reason + "\n";
    write_file(dir_ / "revoked", text);
    sign_crl(now);
    IssuedRecord out;
    out.serial = cert->serial_hex();
    out.subject = cert->subject_string();
    out.not_after = cert->not_after();
    out.revoked = true;
    out.revoked_at = now;
    out.reason = why;
    return out;
}

pki::Crl CaStore::publish_crl(TimePoint now) {
    Lock lock(dir_);
    return sign_crl(now);
}

pki::Crl CaStore::current_crl(TimePoint now) {
    std::error_code ec;
    if (fs::exists(dir_ / "crl.der", ec)) {
        try {
            pki::Crl crl = pki::Crl::from_bytes(view(read_file(dir_ / "crl.der")));
            const auto next = crl.next_update();
            if (next && now < *next - (*next - crl.this_update()) / 2)
                return crl;
        } catch (const pki::PkiError&) {
        }
    }
    Lock lock(dir_);
    return sign_crl(now);
}

pki::Crl CaStore::sign_crl(TimePoint now) {
    const CaSettings s = settings();
    const unsigned number = read_number(dir_ / "crl-number");
    CrlPtr crl(X509_CRL_new());
    TimePtr last(ASN1_TIME_new()), next(ASN1_TIME_new());
    if (!crl || !last || !next || X509_CRL_set_version(crl.get(), 1) != 1 ||
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(certificate_.native())) != 1)
        fail("cannot make the CRL");
    set_time(last.get(), now);
    set_time(next.get(), now + std::chrono::hours(s.crl_hours));
    X509_CRL_set1_lastUpdate(crl.get(), last.get());
    X509_CRL_set1_nextUpdate(crl.get(), next.get());
    for (const auto& r : read_revocations(dir_ / "revoked")) {
        RevokedPtr entry(X509_REVOKED_new());
        IntegerPtr serial = serial_from_hex(r.serial);
        TimePtr when(ASN1_TIME_new());
        if (!entry || !serial || !when)
            fail("cannot make a CRL entry");
        ASN1_TIME_set(when.get(), r.at);
        X509_REVOKED_set_serialNumber(entry.get(), serial.get());
        X509_REVOKED_set_revocationDate(entry.get(), when.get());
        if (const auto code = revocation_reason_code(r.reason); code && *code != 0) {
            ASN1_ENUMERATED* e = ASN1_ENUMERATED_new();
            ASN1_ENUMERATED_set(e, *code);
            X509_REVOKED_add1_ext_i2d(entry.get(), NID_crl_reason, e, 0, 0);
            ASN1_ENUMERATED_free(e);
        }
        if (X509_CRL_add0_revoked(crl.get(), entry.get()) != 1)
            fail("cannot add a CRL entry");
        entry.release();
    }
    IntegerPtr crl_number(ASN1_INTEGER_new());
    ASN1_INTEGER_set_uint64(crl_number.get(), number);
    X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, 0);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, certificate_.native(), nullptr, nullptr, crl.get(), 0);
    if (ExtPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always")); aki)
        X509_CRL_add_ext(crl.get(), aki.get(), -1);
    X509_CRL_sort(crl.get());
    if (X509_CRL_sign(crl.get(), key_.native(), EVP_sha256()) <= 0)
        fail("cannot sign the CRL");
    const std::string der = der_of(crl.get());
    write_file(dir_ / "crl.der", der);
    write_file(dir_ / "crl-number", std::to_string(number + 1) + "\n");
    return pki::Crl::adopt(crl.release());
}

}  // namespace msim::ca
