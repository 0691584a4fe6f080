#include "msim/pki/certificate_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace msim::pki {
namespace {

namespace fs = std::filesystem;

ByteView bytes_of(const std::string& text) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

[[noreturn]] void io_failure(const std::string& what, const fs::path& path) {
    throw PkiError(ErrorCode::io_error, what + " " + path.string() + ": " + std::strerror(errno));
}

// Atomic replace: a crash leaves the old file or the new one. The temporary file is created with its final
// mode, so a private key is never readable by others, not even for an instant.
void write_atomically(const fs::path& path, const std::string& contents, mode_t mode) {
    std::string temp = path.string() + ".tmp.XXXXXX";
    int fd = mkstemp(temp.data());
    if (fd < 0) {
        io_failure("cannot create", temp);
    }
    bool ok = fchmod(fd, mode) == 0;
    std::size_t done = 0;
    while (ok && done < contents.size()) {
        ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ok = n > 0;
        done += ok ? static_cast<std::size_t>(n) : 0;
    }
    ok = ok && fsync(fd) == 0;
    int saved = errno;
    ::close(fd);
    if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
        saved = ok ? errno : saved;
        ::unlink(temp.c_str());
        errno = saved;
        io_failure("cannot write", path);
    }
    int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
    if (dir >= 0) {
        fsync(dir);
        ::close(dir);
    }
}

constexpr mode_t private_mode = 0600;
constexpr mode_t public_mode = 0644;

}  // namespace

void check_object_name(const std::string& name, const char* what) {
    bool ok = !name.empty() && name.size() <= 63 && name.front() != '.';
    for (char c : name) {
        ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    }
    if (!ok) {
        throw PkiError(ErrorCode::invalid_argument,
                       std::string("Invalid ") + what + " '" + name +
                           "': use 1 to 63 letters, digits, '.', '_' or '-', not starting with '.'");
    }
}

CertificateStore::CertificateStore(std::filesystem::path root) : root_(std::move(root)) {
    for (const char* folder : {"", "keys", "requests", "local", "ca", "crl"}) {
        fs::path dir = root_ / folder;
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec || !fs::is_directory(dir)) {
            throw PkiError(ErrorCode::io_error, "cannot create certificate store directory " + dir.string() +
                                                    ": " + (ec ? ec.message() : "not a directory"));
        }
    }
    ::chmod((root_ / "keys").c_str(), 0700);
    complete_replacements();
}

// A replace_local_certificate cut short: local/<id>.crt.next is written first, keys/<id>.key.next second
// (the commit point: both new files are complete), then the key is renamed, then the certificate. So a
// pending certificate with a pending key goes forward; one without a pending key goes forward only when
// the key in place already is its key (the key rename happened); otherwise the crash came before the
// commit point and the old pair stays.
void CertificateStore::complete_replacements() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / "local", ec)) {
        const std::string file = entry.path().filename().string();
        if (!file.ends_with(".crt.next"))
            continue;
        const std::string id = file.substr(0, file.size() - std::string(".crt.next").size());
        const fs::path cert_next = entry.path();
        const fs::path key_next = path_of("keys", id, ".key.next");
        const fs::path key = path_of("keys", id, ".key");
        bool forward = fs::exists(key_next, ec);
        if (forward) {
            fs::rename(key_next, key, ec);
        } else {
            try {
                forward = KeyPair::from_private_pem(read_text(key, ""))
                              .matches(Certificate::from_bytes(bytes_of(read_text(cert_next, ""))));
            } catch (const PkiError&) {
                forward = false;
            }
        }
        if (forward)
            fs::rename(cert_next, path_of("local", id, ".crt"), ec);
        else
            fs::remove(cert_next, ec);
    }
    for (const auto& entry : fs::directory_iterator(root_ / "keys", ec)) {
        if (entry.path().filename().string().ends_with(".key.next") &&
            !fs::exists(
                root_ / "local" /
                    (entry.path().filename().string().substr(0, entry.path().filename().string().size() - 9) +
                     ".crt.next"),
                ec))
            fs::remove(entry.path(), ec);  // cannot happen by the order above; never keep a stray key
    }
}

fs::path CertificateStore::path_of(const char* folder, const std::string& name, const char* extension) const {
    return root_ / folder / (name + extension);
}

std::vector<std::string> CertificateStore::names_in(const char* folder, const char* extension) const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / folder, ec)) {
        const fs::path& p = entry.path();
        if (entry.is_regular_file() && p.extension() == extension) {
            names.push_back(p.stem().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string CertificateStore::read_text(const fs::path& path, const std::string& missing_message) const {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw PkiError(ErrorCode::not_found, missing_message);
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void CertificateStore::remove(const fs::path& path, const std::string& missing_message) {
    std::error_code ec;
    if (!fs::remove(path, ec)) {
        if (ec) {
            throw PkiError(ErrorCode::io_error, "cannot remove " + path.string() + ": " + ec.message());
        }
        throw PkiError(ErrorCode::not_found, missing_message);
    }
}

KeyPair CertificateStore::generate_key_pair(const std::string& id, const KeyPairSpec& spec) {
    check_object_name(id, "certificate-id");
    check_key_pair_spec(spec);
    if (has_key_pair(id)) {
        throw PkiError(ErrorCode::already_exists, "Key pair " + id + " already exists");
    }
    KeyPair pair = KeyPair::generate(spec);
    write_atomically(path_of("keys", id, ".key"), pair.private_pem(), private_mode);
    return pair;
}

KeyPair CertificateStore::key_pair(const std::string& id) const {
    check_object_name(id, "certificate-id");
    return KeyPair::from_private_pem(read_text(path_of("keys", id, ".key"), "Key pair " + id + " not found"));
}

bool CertificateStore::has_key_pair(const std::string& id) const {
    check_object_name(id, "certificate-id");
    return fs::exists(path_of("keys", id, ".key"));
}

std::vector<std::string> CertificateStore::key_pair_ids() const {
    return names_in("keys", ".key");
}

void CertificateStore::clear_key_pair(const std::string& id) {
    check_object_name(id, "certificate-id");
    remove(path_of("keys", id, ".key"), "Key pair " + id + " not found");
}

CertificateRequest CertificateStore::generate_certificate_request(const std::string& id,
                                                                  const RequestParams& params) {
    KeyPair pair = key_pair(id);
    CertificateRequest request = create_certificate_request(pair, params);
    write_atomically(path_of("requests", id, ".csr"), request.to_pem(), public_mode);
    return request;
}

CertificateRequest CertificateStore::certificate_request(const std::string& id) const {
    check_object_name(id, "certificate-id");
    return CertificateRequest::from_bytes(
        bytes_of(read_text(path_of("requests", id, ".csr"), "Certificate request " + id + " not found")));
}

std::vector<std::string> CertificateStore::certificate_request_ids() const {
    return names_in("requests", ".csr");
}

void CertificateStore::clear_certificate_request(const std::string& id) {
    check_object_name(id, "certificate-id");
    remove(path_of("requests", id, ".csr"), "Certificate request " + id + " not found");
}

Certificate CertificateStore::load_local_certificate(const std::string& id, ByteView bytes, TimePoint now) {
    check_object_name(id, "certificate-id");
    Certificate certificate = Certificate::from_bytes(bytes);
    KeyPair pair = key_pair(id);
    if (!pair.matches(certificate)) {
        throw PkiError(ErrorCode::key_mismatch,
                       "Certificate public key does not match the key pair of certificate-id " + id);
    }
    certificate.check_validity(now);
    write_atomically(path_of("local", id, ".crt"), certificate.to_pem(), public_mode);
    return certificate;
}

Certificate CertificateStore::generate_self_signed_certificate(const std::string& id,
                                                               const SelfSignedParams& params) {
    KeyPair pair = key_pair(id);
    Certificate certificate = create_self_signed_certificate(pair, params);
    write_atomically(path_of("local", id, ".crt"), certificate.to_pem(), public_mode);
    return certificate;
}

Certificate CertificateStore::replace_local_certificate(const std::string& id, const KeyPair& key,
                                                        ByteView bytes, TimePoint now) {
    check_object_name(id, "certificate-id");
    Certificate certificate = Certificate::from_bytes(bytes);
    if (!key.matches(certificate)) {
        throw PkiError(ErrorCode::key_mismatch,
                       "Certificate public key does not match the new key pair of certificate-id " + id);
    }
    certificate.check_validity(now);
    const fs::path cert_next = path_of("local", id, ".crt.next");
    const fs::path key_next = path_of("keys", id, ".key.next");
    write_atomically(cert_next, certificate.to_pem(), public_mode);
    try {
        write_atomically(key_next, key.private_pem(), private_mode);
    } catch (...) {
        std::error_code ec;
        fs::remove(cert_next, ec);
        throw;
    }
    if (std::rename(key_next.c_str(), path_of("keys", id, ".key").c_str()) != 0)
        io_failure("cannot replace", path_of("keys", id, ".key"));
    if (std::rename(cert_next.c_str(), path_of("local", id, ".crt").c_str()) != 0)
        io_failure("cannot replace", path_of("local", id, ".crt"));
    for (const char* folder : {"keys", "local"}) {
        int dir = ::open((root_ / folder).c_str(), O_RDONLY | O_DIRECTORY);
        if (dir >= 0) {
            fsync(dir);
            ::close(dir);
        }
    }
    return certificate;
}

Certificate CertificateStore::local_certificate(const std::string& id) const {
    check_object_name(id, "certificate-id");
    return Certificate::from_bytes(
        bytes_of(read_text(path_of("local", id, ".crt"), "Local certificate " + id + " not found")));
}

bool CertificateStore::has_local_certificate(const std::string& id) const {
    check_object_name(id, "certificate-id");
    return fs::exists(path_of("local", id, ".crt"));
}

std::vector<std::string> CertificateStore::local_certificate_ids() const {
    return names_in("local", ".crt");
}

void CertificateStore::clear_local_certificate(const std::string& id) {
    check_object_name(id, "certificate-id");
    remove(path_of("local", id, ".crt"), "Local certificate " + id + " not found");
}

Certificate CertificateStore::parse_ca_certificate(ByteView bytes) {
    Certificate certificate = Certificate::from_bytes(bytes);
    if (!certificate.is_ca()) {
        throw PkiError(ErrorCode::invalid_argument,
                       "Certificate is not a CA certificate (basicConstraints cA is not set)");
    }
    return certificate;
}

void CertificateStore::store_ca_certificate(const std::string& profile, const Certificate& certificate,
                                            TimePoint now) {
    check_object_name(profile, "ca-profile");
    if (!certificate.is_ca()) {
        throw PkiError(ErrorCode::invalid_argument,
                       "Certificate is not a CA certificate (basicConstraints cA is not set)");
    }
    certificate.check_validity(now);
    write_atomically(path_of("ca", profile, ".crt"), certificate.to_pem(), public_mode);
}

Certificate CertificateStore::ca_certificate(const std::string& profile) const {
    check_object_name(profile, "ca-profile");
    return Certificate::from_bytes(bytes_of(
        read_text(path_of("ca", profile, ".crt"), "CA certificate for profile " + profile + " not found")));
}

bool CertificateStore::has_ca_certificate(const std::string& profile) const {
    check_object_name(profile, "ca-profile");
    return fs::exists(path_of("ca", profile, ".crt"));
}

std::vector<std::string> CertificateStore::ca_profiles() const {
    return names_in("ca", ".crt");
}

void CertificateStore::clear_ca_certificate(const std::string& profile) {
    check_object_name(profile, "ca-profile");
    remove(path_of("ca", profile, ".crt"), "CA certificate for profile " + profile + " not found");
}

Crl CertificateStore::load_crl(const std::string& profile, ByteView bytes, TimePoint now) {
    Crl crl = Crl::from_bytes(bytes);
    store_crl(profile, crl, now);
    return crl;
}

void CertificateStore::store_crl(const std::string& profile, const Crl& crl, TimePoint now) {
    Certificate ca = ca_certificate(profile);
    if (!crl.issued_by(ca)) {
        throw PkiError(ErrorCode::verification_failed,
                       "CRL is not signed by the CA certificate of profile " + profile);
    }
    crl.check_validity(now);
    write_atomically(path_of("crl", profile, ".crl"), crl.to_pem(), public_mode);
}

std::optional<Crl> CertificateStore::crl(const std::string& profile) const {
    check_object_name(profile, "ca-profile");
    fs::path path = path_of("crl", profile, ".crl");
    if (!fs::exists(path)) {
        return std::nullopt;
    }
    return Crl::from_bytes(bytes_of(read_text(path, "CRL for profile " + profile + " not found")));
}

std::vector<std::string> CertificateStore::crl_profiles() const {
    return names_in("crl", ".crl");
}

void CertificateStore::clear_crl(const std::string& profile) {
    check_object_name(profile, "ca-profile");
    remove(path_of("crl", profile, ".crl"), "CRL for profile " + profile + " not found");
}

std::vector<Crl> CertificateStore::all_crls() const {
    std::vector<Crl> out;
    for (const auto& profile : crl_profiles()) {
        if (auto c = crl(profile)) {
            out.push_back(std::move(*c));
        }
    }
    return out;
}

std::vector<TrustedCa> CertificateStore::trusted_cas(
    const std::map<std::string, RevocationSettings>& revocation) const {
    std::vector<TrustedCa> out;
    for (const auto& profile : ca_profiles()) {
        auto it = revocation.find(profile);
        out.push_back(
            {profile, ca_certificate(profile), it == revocation.end() ? RevocationSettings{} : it->second});
    }
    return out;
}

ValidationResult CertificateStore::verify_local_certificate(
    const std::string& id, TimePoint now, unsigned path_length,
    const std::map<std::string, RevocationSettings>& revocation, CrlFetcher* fetcher) const {
    ValidationRequest request{local_certificate(id), {}, trusted_cas(revocation), all_crls(),
                              path_length,           {}};
    return validate_certificate(request, now, fetcher);
}

ValidationResult CertificateStore::verify_ca_certificate(
    const std::string& profile, TimePoint now, unsigned path_length,
    const std::map<std::string, RevocationSettings>& revocation, CrlFetcher* fetcher) const {
    Certificate ca = ca_certificate(profile);
    // A root is checked against itself (signature and dates); any other CA must chain to another stored CA,
    // otherwise trusting it would prove nothing.
    std::vector<TrustedCa> trusted;
    for (auto& candidate : trusted_cas(revocation)) {
        if (ca.is_self_signed() ? candidate.profile == profile : candidate.profile != profile) {
            trusted.push_back(std::move(candidate));
        }
    }
    ValidationRequest request{ca, {}, std::move(trusted), all_crls(), path_length, {}};
    return validate_certificate(request, now, fetcher);
}

}  // namespace msim::pki
