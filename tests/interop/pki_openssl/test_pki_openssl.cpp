// Interop with the openssl command-line tool as an independent CA and second opinion:
//  - our PKCS#10 request passes `openssl req -verify` (checked by its text "verify OK": it exits 0 even on a
//    bad signature) and carries the requested subject, subjectAltNames and challengePassword;
//  - an `openssl ca` issues a certificate from that request and our store loads it back for the key pair;
//  - `openssl verify` and msim::pki::validate_certificate agree on a matrix of chains: good, expired, wrong
//    issuer, revoked by an `openssl ca -gencrl` CRL, path too long (Junos path-length vs -verify_depth),
//    partial chain, seven CA levels.
// Everything happens in a temporary directory that is removed afterwards. A missing openssl fails the suite.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "msim/pki/certificate_store.hpp"
#include "msim/pki/request.hpp"
#include "msim/pki/validation.hpp"

using namespace msim::pki;
namespace fs = std::filesystem;

namespace {

struct Run {
    int status = -1;
    std::string output;
};

Run run(const std::string& command) {
    Run result;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    REQUIRE_MESSAGE(pipe != nullptr, "cannot run: " << command);
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
        result.output.append(buf.data(), n);
    }
    int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string quote(const fs::path& p) {
    return "'" + p.string() + "'";
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

// A CA run by `openssl ca`, with its own database so it can revoke and publish CRLs.
struct OpensslCa {
    fs::path dir;
    std::string name;

    fs::path cert() const { return dir / "ca.crt"; }
    fs::path crl() const { return dir / "crl.pem"; }
    fs::path config() const { return dir / "ca.cnf"; }

    void write_config() const {
        fs::create_directories(dir / "newcerts");
        write_file(dir / "index.txt", "");
        write_file(dir / "serial", "1000\n");
        write_file(dir / "crlnumber", "01\n");
        write_file(
            config(),
            "[ req ]\ndistinguished_name = dn\n[ dn ]\n"
            "[ ca ]\ndefault_ca = CA_default\n"
            "[ CA_default ]\n"
            "dir = " +
                dir.string() +
                "\n"
                "database = $dir/index.txt\nnew_certs_dir = $dir/newcerts\nserial = $dir/serial\n"
                "crlnumber = $dir/crlnumber\ncertificate = $dir/ca.crt\nprivate_key = $dir/ca.key\n"
                "default_md = sha256\ndefault_days = 365\ndefault_crl_days = 30\npolicy = policy_any\n"
                "unique_subject = no\ncopy_extensions = copy\n"
                "[ policy_any ]\ncommonName = supplied\norganizationName = optional\n"
                "organizationalUnitName = optional\ncountryName = optional\nstateOrProvinceName = optional\n"
                "localityName = optional\ndomainComponent = optional\n"
                "[ v3_ca ]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
                "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n"
                "[ v3_ee ]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature,keyEncipherment\n"
                "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n");
    }

    static OpensslCa root(const fs::path& base, const std::string& name) {
        OpensslCa ca{base / name, name};
        ca.write_config();
        Run r = run("openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                    quote(ca.dir / "ca.key") + " -out " + quote(ca.cert()) + " -subj '/CN=" + name +
                    "/O=msim interop' -days 3650 -config " + quote(ca.config()) + " -extensions v3_ca");
        REQUIRE_MESSAGE(r.status == 0, r.output);
        return ca;
    }

    // Signs a request with `openssl ca`; extra carries e.g. -startdate/-enddate.
    fs::path sign(const fs::path& csr, const fs::path& out, const std::string& extensions,
                  const std::string& extra = "") const {
        Run r = run("openssl ca -batch -notext -config " + quote(config()) + " -extensions " + extensions +
                    " -in " + quote(csr) + " -out " + quote(out) + " " + extra);
        REQUIRE_MESSAGE(r.status == 0, r.output);
        return out;
    }

    OpensslCa subordinate(const fs::path& base, const std::string& sub_name) const {
        OpensslCa sub{base / sub_name, sub_name};
        sub.write_config();
        Run r = run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                    quote(sub.dir / "ca.key") + " -out " + quote(sub.dir / "ca.csr") +
                    " -subj '/CN=" + sub_name + "/O=msim interop' -config " + quote(sub.config()));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        sign(sub.dir / "ca.csr", sub.cert(), "v3_ca");
        return sub;
    }

    fs::path end_entity(const std::string& cn, const std::string& extra = "") const {
        fs::path key = dir / (cn + ".key");
        fs::path csr = dir / (cn + ".csr");
        Run r =
            run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + quote(key) +
                " -out " + quote(csr) + " -subj '/CN=" + cn + "' -config " + quote(config()));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        return sign(csr, dir / (cn + ".crt"), "v3_ee", extra);
    }

    void revoke(const fs::path& cert) const {
        Run r = run("openssl ca -batch -config " + quote(config()) + " -revoke " + quote(cert));
        REQUIRE_MESSAGE(r.status == 0, r.output);
    }

    fs::path gencrl() const {
        Run r = run("openssl ca -batch -config " + quote(config()) + " -gencrl -out " + quote(crl()));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        return crl();
    }

    Certificate certificate() const { return Certificate::from_bytes(read_file(cert())); }
    Crl crl_object() const { return Crl::from_bytes(read_file(crl())); }
};

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "pki-openssl-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() { fs::remove_all(path); }
};

void require_openssl() {
    Run r = run("openssl version");
    REQUIRE_MESSAGE(r.status == 0,
                    "the openssl command is missing: install the openssl package (" << r.output << ")");
}

// One chain judged by both sides.
struct Case {
    std::string name;
    fs::path peer;
    std::vector<fs::path> untrusted;
    std::vector<fs::path> anchors;
    std::vector<fs::path> crls;
    unsigned path_length = 15;
    bool partial = false;
};

struct Verdicts {
    bool openssl_ok;
    int openssl_error;
    ValidationResult ours;
};

Verdicts judge(const Case& c, TimePoint now, const fs::path& tmp) {
    // openssl: -verify_depth counts intermediates only; Junos path-length counts the anchor too.
    std::string cmd = "openssl verify -attime " + std::to_string(Clock::to_time_t(now)) + " -verify_depth " +
                      std::to_string(c.path_length - 2);
    fs::path anchors = tmp / (c.name + "-anchors.pem");
    fs::path untrusted = tmp / (c.name + "-untrusted.pem");
    std::string anchors_pem, untrusted_pem;
    for (const auto& a : c.anchors) {
        auto b = read_file(a);
        anchors_pem.append(b.begin(), b.end());
    }
    for (const auto& u : c.untrusted) {
        auto b = read_file(u);
        untrusted_pem.append(b.begin(), b.end());
    }
    write_file(anchors, anchors_pem);
    cmd += " -CAfile " + quote(anchors);
    if (!untrusted_pem.empty()) {
        write_file(untrusted, untrusted_pem);
        cmd += " -untrusted " + quote(untrusted);
    }
    // With a partial chain, -crl_check_all would demand the anchor's own CRL (reference/pki.md): use
    // -crl_check there, which checks the end entity, the only certificate below the anchor in those cases.
    cmd += c.partial ? " -partial_chain -crl_check" : " -crl_check_all";
    for (const auto& crl : c.crls) {
        cmd += " -CRLfile " + quote(crl);
    }
    cmd += " " + quote(c.peer);
    Run r = run(cmd);
    Verdicts v{r.status == 0, 0, {}};
    if (r.status != 0) {
        auto pos = r.output.find("error ");
        if (pos != std::string::npos) {
            v.openssl_error = std::atoi(r.output.c_str() + pos + 6);
        }
        CHECK_MESSAGE(r.status == 2, "openssl verify exit status " << r.status << ": " << r.output);
    }
    ValidationRequest request{Certificate::from_bytes(read_file(c.peer)), {}, {}, {}, c.path_length, {}};
    for (const auto& u : c.untrusted) {
        request.peer_chain.push_back(Certificate::from_bytes(read_file(u)));
    }
    for (const auto& a : c.anchors) {
        request.trusted.push_back({a.stem().string(), Certificate::from_bytes(read_file(a)), {}});
    }
    for (const auto& crl : c.crls) {
        request.crls.push_back(Crl::from_bytes(read_file(crl)));
    }
    v.ours = validate_certificate(request, now);
    MESSAGE(c.name << ": openssl " << (v.openssl_ok ? "OK" : "error " + std::to_string(v.openssl_error))
                   << ", msim " << to_string(v.ours.status) << " " << v.ours.reason);
    return v;
}

}  // namespace

TEST_CASE("our certificate request passes openssl and comes back as an openssl-issued certificate") {
    require_openssl();
    TempDir tmp;
    // openssl stamps certificates with the real clock, so the simulated clock is set to it here.
    const TimePoint now = Clock::now() + std::chrono::seconds(60);
    OpensslCa root = OpensslCa::root(tmp.path, "Root");

    CertificateStore store(tmp.path / "var/db/certs");
    store.generate_key_pair("r1", {KeyAlgorithm::rsa, 2048});
    RequestParams params;
    params.subject = "DC=example,CN=r1,OU=sales,O=msim interop,L=Sunnyvale,ST=CA,C=US";
    params.alternative_names.domain_names = {"r1.example.net"};
    params.alternative_names.ip_addresses = {"192.0.2.1"};
    params.alternative_names.emails = {"r1@example.net"};
    params.challenge_password = "challenge123";
    CertificateRequest request = store.generate_certificate_request("r1", params);
    fs::path csr = tmp.path / "r1.csr";
    write_file(csr, request.to_pem());

    Run verify = run("openssl req -in " + quote(csr) + " -noout -verify");
    CHECK_MESSAGE(verify.output.find("verify OK") != std::string::npos, verify.output);
    Run text = run("openssl req -in " + quote(csr) + " -noout -text -nameopt RFC2253");
    REQUIRE(text.status == 0);
    CHECK(text.output.find("C=US,ST=CA,L=Sunnyvale,O=msim interop,OU=sales,CN=r1,DC=example") !=
          std::string::npos);
    CHECK(text.output.find("DNS:r1.example.net") != std::string::npos);
    CHECK(text.output.find("IP Address:192.0.2.1") != std::string::npos);
    CHECK(text.output.find("email:r1@example.net") != std::string::npos);
    CHECK(text.output.find("challengePassword") != std::string::npos);
    CHECK(text.output.find("challenge123") != std::string::npos);
    // openssl's fingerprint of the DER request equals the one we print.
    Run der = run("openssl req -in " + quote(csr) + " -outform DER | openssl dgst -sha1 -c");
    CHECK(der.output.find(request.sha1_fingerprint()) != std::string::npos);

    // A request with a broken signature must not say "verify OK" (openssl still exits 0 here).
    auto bad = request.to_der();
    bad[bad.size() - 4] ^= 0x01;
    fs::path bad_csr = tmp.path / "bad.der";
    write_file(bad_csr, std::string(bad.begin(), bad.end()));
    Run bad_verify = run("openssl req -inform DER -in " + quote(bad_csr) + " -noout -verify");
    CHECK(bad_verify.output.find("verify OK") == std::string::npos);

    fs::path issued = root.sign(csr, tmp.path / "r1.crt", "v3_ee");
    Run to_der =
        run("openssl x509 -in " + quote(issued) + " -outform DER -out " + quote(tmp.path / "r1.der"));
    REQUIRE(to_der.status == 0);
    Certificate local = store.load_local_certificate("r1", read_file(tmp.path / "r1.der"), now);
    CHECK(local.dns_names() == std::vector<std::string>{"r1.example.net"});
    CHECK(local.ip_addresses() == std::vector<std::string>{"192.0.2.1"});
    CHECK(local.email_addresses() == std::vector<std::string>{"r1@example.net"});
    Run fp = run("openssl x509 -in " + quote(issued) + " -noout -fingerprint -sha1");
    std::string theirs = fp.output.substr(fp.output.find('=') + 1);
    theirs.erase(theirs.find_last_not_of("\r\n") + 1);
    for (auto& ch : theirs) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    CHECK(theirs == local.sha1_fingerprint());

    // A certificate for another key is refused for r1.
    fs::path other = root.end_entity("other");
    CHECK_THROWS_AS(store.load_local_certificate("r1", read_file(other), now), PkiError);

    // The CA certificate and its gencrl CRL load into the store; the local certificate then verifies.
    store.store_ca_certificate("root", CertificateStore::parse_ca_certificate(read_file(root.cert())), now);
    store.load_crl("root", read_file(root.gencrl()), now);
    ValidationResult verified = store.verify_local_certificate("r1", now);
    CHECK_MESSAGE(verified.ok(), verified.reason);
    ValidationRequest with_identity{
        local,
        {},
        store.trusted_cas(),
        store.all_crls(),
        15,
        PeerIdentity{PeerIdentity::Kind::fqdn, "r1.example.net", DnMatch::container}};
    CHECK(validate_certificate(with_identity, now).ok());
}

TEST_CASE("openssl verify and msim agree on a matrix of chains") {
    require_openssl();
    TempDir tmp;
    const TimePoint now = Clock::now() + std::chrono::seconds(60);
    const fs::path& base = tmp.path;

    OpensslCa root = OpensslCa::root(base, "Root");
    OpensslCa sub = root.subordinate(base, "Sub");
    OpensslCa sub2 = sub.subordinate(base, "Sub2");
    OpensslCa stranger = OpensslCa::root(base, "Stranger");

    fs::path good = sub.end_entity("good");
    fs::path expired = sub.end_entity("expired", "-startdate 20200101000000Z -enddate 20210101000000Z");
    fs::path revoked = sub.end_entity("revoked");
    fs::path foreign = stranger.end_entity("foreign");
    fs::path deep = sub2.end_entity("deep");
    sub.revoke(revoked);
    fs::path root_crl = root.gencrl();
    fs::path sub_crl = sub.gencrl();
    fs::path sub2_crl = sub2.gencrl();
    fs::path stranger_crl = stranger.gencrl();

    // Seven CA levels: Root, L1..L6, then the end entity.
    std::vector<OpensslCa> levels{root};
    std::vector<fs::path> level_certs, level_crls{root_crl};
    for (int i = 1; i <= 6; ++i) {
        levels.push_back(levels.back().subordinate(base, "L" + std::to_string(i)));
        level_certs.insert(level_certs.begin(), levels.back().cert());
        level_crls.push_back(levels.back().gencrl());
    }
    fs::path seventh = levels.back().end_entity("seventh");

    struct Expectation {
        Case c;
        bool valid;
        ValidationStatus status;
        int openssl_error;
    };
    std::vector<Expectation> matrix{
        {{"good", good, {sub.cert()}, {root.cert()}, {root_crl, sub_crl}}, true, ValidationStatus::valid, 0},
        {{"expired", expired, {sub.cert()}, {root.cert()}, {root_crl, sub_crl}},
         false,
         ValidationStatus::expired,
         10},
        {{"wrong-issuer", foreign, {}, {root.cert()}, {root_crl, stranger_crl}},
         false,
         ValidationStatus::issuer_not_found,
         20},
        {{"revoked", revoked, {sub.cert()}, {root.cert()}, {root_crl, sub_crl}},
         false,
         ValidationStatus::revoked,
         23},
        {{"path-length-3", deep, {sub2.cert(), sub.cert()}, {root.cert()}, {root_crl, sub_crl, sub2_crl}, 3},
         false,
         ValidationStatus::path_too_long,
         22},
        {{"path-length-4", deep, {sub2.cert(), sub.cert()}, {root.cert()}, {root_crl, sub_crl, sub2_crl}, 4},
         true,
         ValidationStatus::valid,
         0},
        {{"partial-chain", good, {}, {sub.cert()}, {sub_crl}, 15, true}, true, ValidationStatus::valid, 0},
        {{"partial-chain-revoked", revoked, {}, {sub.cert()}, {sub_crl}, 15, true},
         false,
         ValidationStatus::revoked,
         23},
        {{"partial-without-anchor", good, {}, {sub2.cert()}, {sub2_crl}, 15, true},
         false,
         ValidationStatus::issuer_not_found,
         20},
        {{"seven-ca-levels", seventh, level_certs, {root.cert()}, level_crls},
         true,
         ValidationStatus::valid,
         0},
        {{"seven-ca-levels-path-length-7", seventh, level_certs, {root.cert()}, level_crls, 7},
         false,
         ValidationStatus::path_too_long,
         22},
        {{"missing-crl", good, {sub.cert()}, {root.cert()}, {root_crl}},
         false,
         ValidationStatus::crl_unavailable,
         3},
    };
    for (const auto& e : matrix) {
        CAPTURE(e.c.name);
        Verdicts v = judge(e.c, now, base);
        CHECK(v.openssl_ok == e.valid);
        CHECK(v.ours.ok() == e.valid);
        CHECK(v.ours.ok() == v.openssl_ok);
        CHECK(v.ours.status == e.status);
        if (!e.valid) {
            CHECK(v.openssl_error == e.openssl_error);
            CHECK(v.ours.openssl_error == e.openssl_error);
        }
    }
}
