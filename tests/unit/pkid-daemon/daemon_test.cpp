// pkid in-process over real IPC with a temp state directory and a stand-in mgd serving the committed
// configuration: the validate/apply hooks, the PKI requests of the CLI (with the CLI's own argument parsing
// and renderers), the M-series key-pair command, kmd's RPCs, and a pkid restart keeping everything.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../pkid/test_ca.hpp"
#include "msim/ca/ca_store.hpp"
#include "msim/ca/http_server.hpp"
#include "msim/common/daemon.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/router_clock.hpp"
#include "msim/common/xml.hpp"
#include "msim/config/schema.hpp"
#include "msim/pki/certificate_store.hpp"
#include "msim/pkid/pkid_daemon.hpp"
#include "msim/shell/command_tree.hpp"

using namespace msim;
using namespace std::chrono_literals;
namespace t = msim::pki::test;

namespace {

const char* const configuration = R"(security {
    certificates {
        path-length 5;
    }
    pki {
        ca-profile lab {
            ca-identity lab.example.net;
            revocation-check {
                crl {
                    disable on-download-failure;
                }
            }
        }
    }
}
)";

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-pkid-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

struct Running {
    std::unique_ptr<Daemon> daemon;
    std::thread thread;
    Running(const std::string& name, const RouterPaths& paths, const std::function<void(Daemon&)>& setup)
        : daemon(std::make_unique<Daemon>(name, paths)) {
        setup(*daemon);
        thread = std::thread([this] { daemon->run(); });
        for (int i = 0; i < 300 && !std::filesystem::exists(paths.socket(name)); ++i) {
            std::this_thread::sleep_for(10ms);
        }
    }
    ~Running() {
        boost::asio::post(daemon->io(), [d = daemon.get()] { d->stop(); });
        thread.join();
    }
};

std::unique_ptr<Running> start_pkid(const RouterPaths& paths, std::shared_ptr<pkid::Pkid>* keep = nullptr) {
    return std::make_unique<Running>("pkid", paths, [keep](Daemon& d) {
        auto p = std::make_shared<pkid::Pkid>(d, config::Schema::load(MSIM_YANG_DIR));
        p->start();
        d.keep(p);
        if (keep)
            *keep = p;
    });
}

void write(const std::filesystem::path& p, const std::string& text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// <validate-configuration> / <apply-configuration> carrying one change: the statement in context.
pugi::xml_document config_change(const char* phase, const char* operation, const std::string& path,
                                 const std::string& text) {
    pugi::xml_document req;
    auto change = req.append_child(phase).append_child("configuration-changes").append_child("change");
    change.append_attribute("operation").set_value(operation);
    xml::append_text(change, "path", path);
    xml::append_text(change, "configuration", text);
    return req;
}

// Runs a CLI command line through the CLI's command tree (argument parsing) against pkid, and renders the
// reply with the CLI's renderer. Returns the text, or "error: …".
std::string cli(ipc::SyncClient& client, const std::string& line, bool confirmed = false) {
    static const auto tree = shell::make_operational_tree();
    auto m = tree.match(shell::split_words(line));
    if (m.error || !m.command)
        return "error: no such command";
    pugi::xml_document req;
    auto r = req.append_child(m.command->rpc.c_str());
    if (m.command->fill) {
        const std::string e = m.command->fill(r, m.args);
        if (!e.empty())
            return "error: " + e;
    }
    if (confirmed)
        r.append_child("confirmed");
    auto reply = client.call(req);
    if (!reply.ok())
        return "error: " + reply.error_message;
    return m.command->render(reply.root());
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
    std::string out;
    char buf[3];
    for (auto b : bytes) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        out += buf;
    }
    return out;
}

t::IssueOptions current(bool ca = false) {
    t::IssueOptions o;
    o.ca = ca;
    o.not_before = pki::Clock::now() - t::day;
    o.not_after = pki::Clock::now() + 30 * t::day;
    return o;
}

}  // namespace

TEST_CASE("pkid validates and applies security certificates and security pki") {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    paths.create_layout();
    Running mgd("mgd", paths, [](Daemon& d) {
        d.register_rpc("get-owned-configuration", [](const pugi::xml_node&, ipc::Responder r) {
            pugi::xml_document doc;
            xml::append_text(doc.append_child("configuration-text"), "configuration-output", configuration);
            r.reply(doc);
        });
    });
    std::shared_ptr<pkid::Pkid> pkid_object;
    auto pkid = start_pkid(paths, &pkid_object);
    // The Pkid (its timers) must go before its Daemon's io_context: this reference is dropped first, also
    // when a REQUIRE throws, so the Daemon's own is the last one.
    struct DropFirst {
        std::shared_ptr<pkid::Pkid>& p;
        ~DropFirst() { p.reset(); }
    } drop_first{pkid_object};
    ipc::SyncClient client(paths.socket("pkid"), "pkid");
    // The committed configuration arrives from mgd at start.
    for (int i = 0; i < 100 && client.call("ping").ok() && pkid_object->settings().path_length != 5; ++i)
        std::this_thread::sleep_for(20ms);
    CHECK(pkid_object->settings().path_length == 5);
    REQUIRE(pkid_object->settings().ca_profiles.count("lab"));
    CHECK(pkid_object->settings().ca_profiles.at("lab").revocation.enabled);
    CHECK(pkid_object->settings().ca_profiles.at("lab").revocation.allow_on_download_failure);

    // load-key-file: the file must exist (relative names are in var/tmp) and hold a matching certificate
    // and key.
    const std::string local =
        "security {\n    certificates {\n        local ssl {\n"
        "            load-key-file ssl.pem;\n        }\n    }\n}\n";
    auto missing = client.call(
        config_change("validate-configuration", "create", "security certificates local ssl", local));
    CHECK_FALSE(missing.ok());
    CHECK(contains(missing.error_message, "load-key-file ssl.pem: file ssl.pem does not exist"));
    CHECK(std::string(missing.root().child("rpc-error").child_value("error-path")) ==
          "[edit security certificates local ssl]");

    auto ca = t::make_root("CN=Lab CA,O=Example", current(true));
    auto ssl = t::issue(ca, "CN=router.example.net", current());
    write(paths.tmp_dir() / "ssl.pem", ssl.certificate.to_pem() + ssl.key.private_pem());
    CHECK(
        client
            .call(config_change("validate-configuration", "create", "security certificates local ssl", local))
            .ok());
    auto other = t::test_key();
    write(paths.tmp_dir() / "ssl.pem", ssl.certificate.to_pem() + other.private_pem());
    auto mismatch = client.call(
        config_change("validate-configuration", "create", "security certificates local ssl", local));
    CHECK_FALSE(mismatch.ok());
    CHECK(contains(mismatch.error_message, "does not match"));
    // A path out of the router's folder is refused.
    const std::string outside =
        "security {\n    certificates {\n        local ssl {\n"
        "            load-key-file ../../../etc/passwd;\n        }\n    }\n}\n";
    auto escape = client.call(
        config_change("validate-configuration", "create", "security certificates local ssl", outside));
    CHECK_FALSE(escape.ok());
    CHECK(contains(escape.error_message, "outside the router"));

    // The M-series CA profile: file and crl name files in var/etc/ikecert.
    const std::string m_ca =
        "security {\n    certificates {\n        certification-authority verisign {\n"
        "            ca-name xyz.company.com;\n            file ca.crt;\n"
        "        }\n    }\n}\n";
    auto no_ca = client.call(config_change("validate-configuration", "create",
                                           "security certificates certification-authority verisign", m_ca));
    CHECK_FALSE(no_ca.ok());
    CHECK(contains(no_ca.error_message, "file ca.crt: file ca.crt does not exist"));
    write(paths.root / "var" / "etc" / "ikecert" / "ca.crt", ca.certificate.to_pem());
    CHECK(client
              .call(config_change("validate-configuration", "create",
                                  "security certificates certification-authority verisign", m_ca))
              .ok());

    // revocation-check: disable and crl exclude each other.
    const std::string both =
        "security {\n    pki {\n        ca-profile lab {\n"
        "            ca-identity lab.example.net;\n            revocation-check {\n"
        "                disable;\n                crl {\n"
        "                    url http://10.0.0.1/ca.crl;\n                }\n"
        "            }\n        }\n    }\n}\n";
    auto exclusive =
        client.call(config_change("validate-configuration", "modify", "security pki ca-profile lab", both));
    CHECK_FALSE(exclusive.ok());
    CHECK(contains(exclusive.error_message, "mutually exclusive"));

    // apply keeps the new settings.
    const std::string disabled =
        "security {\n    pki {\n        ca-profile lab {\n"
        "            ca-identity lab.example.net;\n            revocation-check {\n"
        "                disable;\n            }\n        }\n    }\n}\n";
    CHECK(client.call(config_change("apply-configuration", "modify", "security pki ca-profile lab", disabled))
              .ok());
    CHECK_FALSE(pkid_object->settings().ca_profiles.at("lab").revocation.enabled);
    CHECK(pkid_object->settings().path_length == 5);
    // apply does not check files again (validate did): a file gone since then loses no settings.
    std::filesystem::remove(paths.tmp_dir() / "ssl.pem");
    CHECK(
        client.call(config_change("apply-configuration", "create", "security certificates local ssl", local))
            .ok());
    CHECK(pkid_object->settings().ca_profiles.count("lab") == 1);
    CHECK(pkid_object->settings().path_length == 5);
}

TEST_CASE("pkid: PKI requests from the CLI, kmd's RPCs, and a restart keeps everything") {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    paths.create_layout();
    Running mgd("mgd", paths, [](Daemon& d) {
        d.register_rpc("get-owned-configuration", [](const pugi::xml_node&, ipc::Responder r) {
            pugi::xml_document doc;
            xml::append_text(doc.append_child("configuration-text"), "configuration-output", configuration);
            r.reply(doc);
        });
    });
    std::shared_ptr<pkid::Pkid> pkid_object;
    auto pkid = start_pkid(paths, &pkid_object);
    auto client = std::make_unique<ipc::SyncClient>(paths.socket("pkid"), "pkid");
    for (int i = 0; i < 100 && pkid_object->settings().ca_profiles.empty(); ++i)
        std::this_thread::sleep_for(20ms);
    pkid_object.reset();
    const auto certs = paths.certs_dir();

    // Key pairs.
    CHECK(cli(*client, "request security pki generate-key-pair certificate-id r1") ==
          "Generated key pair r1, key size 1024 bits\n");
    CHECK(cli(*client, "request security pki generate-key-pair certificate-id e1 size 256 type ecdsa") ==
          "Generated key pair e1, key size 256 bits\n");
    CHECK(contains(cli(*client, "request security pki generate-key-pair certificate-id r1"), "error: "));
    CHECK(contains(cli(*client, "request security pki generate-key-pair certificate-id r2 size 1000"),
                   "error: "));
    CHECK(cli(*client, "request security pki generate-key-pair size 1024") ==
          "error: missing mandatory argument: certificate-id.");
    struct stat st {};
    REQUIRE(::stat((certs / "keys" / "r1.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto r1_key = pki::KeyPair::from_private_pem(read(certs / "keys" / "r1.key"));

    // A certificate request, written to var/tmp and checked independently of the reply.
    const std::string csr_text =
        cli(*client,
            "request security pki generate-certificate-request certificate-id r1 subject "
            "\"CN=r1.example.net,OU=IT,O=Example,L=Delhi,ST=DL,C=IN\" domain-name r1.example.net "
            "ip-address 10.1.1.1 email r1@example.net filename r1.csr");
    CHECK(contains(csr_text, "Generated certificate request\n-----BEGIN CERTIFICATE REQUEST-----"));
    CHECK_FALSE(contains(csr_text, "PRIVATE"));
    auto csr = pki::CertificateRequest::from_bytes(t::bytes(read(paths.tmp_dir() / "r1.csr")));
    CHECK(csr.signature_valid());
    CHECK(csr.subject_string() == "CN=r1.example.net, OU=IT, O=Example, L=Delhi, ST=DL, C=IN");
    CHECK(contains(csr_text, csr.sha1_fingerprint() + " (sha1)\n" + csr.md5_fingerprint() + " (md5)\n"));
    CHECK(csr.alternative_names().domain_names == std::vector<std::string>{"r1.example.net"});
    CHECK(contains(cli(*client,
                       "request security pki generate-certificate-request certificate-id r1 subject "
                       "CN=x domain-name x.net filename ../../../../../tmp/escape.csr"),
                   "error: could not resolve file"));
    CHECK(contains(cli(*client,
                       "request security pki generate-certificate-request certificate-id nokey "
                       "subject CN=x domain-name x.net"),
                   "error: "));
    CHECK(contains(cli(*client, "show security pki certificate-request certificate-id r1 detail"),
                   "  Public key verification status: Passed\n"));

    // The CA certificate: needs the profile configured, shows the fingerprint, loads only when confirmed.
    auto ca = t::make_root("CN=Lab CA,O=Example", current(true));
    write(paths.tmp_dir() / "ca.crt", ca.certificate.to_pem());
    CHECK(contains(cli(*client, "request security pki ca-certificate load ca-profile other filename ca.crt"),
                   "error: CA profile other is not configured"));
    const std::string shown =
        cli(*client, "request security pki ca-certificate load ca-profile lab filename ca.crt");
    CHECK(shown == "Fingerprint:\n  " + ca.certificate.sha1_fingerprint() + " (sha1)\n  " +
                       ca.certificate.md5_fingerprint() + " (md5)\n");
    CHECK_FALSE(std::filesystem::exists(certs / "ca" / "lab.crt"));
    CHECK(cli(*client, "request security pki ca-certificate load ca-profile lab filename ca.crt", true) ==
          "\nCA certificate for profile lab loaded successfully\n");
    CHECK(std::filesystem::exists(certs / "ca" / "lab.crt"));

    // The local certificate from the CA, for the stored key; one for another key is refused; so is junk.
    auto r1_cert = t::issue_for_key(ca, r1_key, "CN=r1.example.net,O=Example", [] {
        auto o = current();
        o.alt.domain_names = {"r1.example.net"};
        return o;
    }());
    write(paths.tmp_dir() / "r1.crt", r1_cert.to_pem());
    write(paths.tmp_dir() / "wrong.crt", t::issue(ca, "CN=other", current()).certificate.to_pem());
    write(paths.tmp_dir() / "junk.crt", "this is not a certificate\n");
    CHECK(contains(
        cli(*client, "request security pki local-certificate load certificate-id r1 filename wrong.crt"),
        "error: "));
    CHECK(contains(
        cli(*client, "request security pki local-certificate load certificate-id r1 filename junk.crt"),
        "error: "));
    // Expired and not-yet-valid certificates for the right key are refused, saying why.
    auto dated = [&](pki::TimePoint from, pki::TimePoint to) {
        auto o = current();
        o.not_before = from;
        o.not_after = to;
        return t::issue_for_key(ca, r1_key, "CN=r1.example.net", o);
    };
    write(paths.tmp_dir() / "old.crt",
          dated(pki::Clock::now() - 30 * t::day, pki::Clock::now() - t::day).to_pem());
    write(paths.tmp_dir() / "new.crt",
          dated(pki::Clock::now() + t::day, pki::Clock::now() + 30 * t::day).to_pem());
    CHECK(contains(
        cli(*client, "request security pki local-certificate load certificate-id r1 filename old.crt"),
        "error: Certificate has expired"));
    CHECK(contains(
        cli(*client, "request security pki local-certificate load certificate-id r1 filename new.crt"),
        "error: Certificate is not yet valid"));
    // DER is accepted as well as PEM (the show below is of this one).
    write(paths.tmp_dir() / "r1.der",
          std::string(reinterpret_cast<const char*>(r1_cert.to_der().data()), r1_cert.to_der().size()));
    CHECK(contains(
        cli(*client, "request security pki local-certificate load certificate-id r1 filename none.crt"),
        "error: file none.crt does not exist"));
    CHECK(cli(*client, "request security pki local-certificate load certificate-id r1 filename r1.der") ==
          "Local certificate loaded successfully\n");
    const std::string detail = cli(*client, "show security pki local-certificate certificate-id r1 detail");
    CHECK(contains(detail, "Certificate identifier: r1\n  Certificate version: 3\n"));
    CHECK(contains(detail, "  Subject string:\n    CN=r1.example.net, O=Example\n"));
    CHECK(contains(detail, "    " + r1_cert.sha1_fingerprint() + " (sha1)\n"));
    CHECK(contains(cli(*client, "show security pki local-certificate"),
                   "  Issued to: r1.example.net, Issued by: CN = Lab CA, O = Example\n"));
    CHECK(cli(*client, "request security pki local-certificate verify certificate-id r1") ==
          "Local certificate r1 verification success\n");
    CHECK(cli(*client, "request security pki ca-certificate verify ca-profile lab") ==
          "CA certificate lab verified successfully\n");

    // Self-signed.
    CHECK(cli(*client,
              "request security pki local-certificate generate-self-signed certificate-id e1 subject "
              "CN=e1.example.net domain-name e1.example.net") ==
          "Self-signed certificate generated and loaded successfully\n");

    // kmd: validation of a peer certificate against the stored CA, with identity and revocation.
    auto peer = t::issue(ca, "CN=peer.example.net", [] {
        auto o = current();
        o.alt.domain_names = {"peer.example.net"};
        return o;
    }());
    auto validate = [&](const std::string& identity, const std::string& hint = {}) {
        pugi::xml_document req;
        auto v = req.append_child("validate-peer-certificate");
        xml::append_text(v, "certificate", hex(peer.certificate.to_der()));
        if (!identity.empty()) {
            auto id = v.append_child("identity");
            xml::append_text(id, "type", "fqdn");
            xml::append_text(id, "value", identity);
        }
        if (!hint.empty())
            xml::append_text(v, "ca-profile", hint);
        auto reply = client->call(req);
        REQUIRE(reply.ok());
        return std::string(reply.root().child("peer-certificate-validation").child_value("status"));
    };
    // The profile fails open without a CRL (disable on-download-failure in the configuration).
    CHECK(validate("peer.example.net") == "valid");
    CHECK(validate("other.example.net") == "identity-mismatch");
    CHECK(validate("", "nosuch") == "issuer-not-found");
    // A peer under an intermediate CA that is not stored: valid only with the chain the peer sends.
    {
        auto sub = t::issue(ca, "CN=Sub CA,O=Example", current(true));
        auto leaf = t::issue(sub, "CN=leaf.example.net", current());
        auto check = [&](bool with_chain) {
            pugi::xml_document req;
            auto v = req.append_child("validate-peer-certificate");
            xml::append_text(v, "certificate", hex(leaf.certificate.to_der()));
            if (with_chain)
                xml::append_text(v.append_child("chain"), "certificate", hex(sub.certificate.to_der()));
            auto reply = client->call(req);
            REQUIRE(reply.ok());
            auto res = reply.root().child("peer-certificate-validation");
            return std::string(res.child_value("status")) +
                   (res.child("revocation-skipped") ? " skipped" : "");
        };
        CHECK(check(false) == "issuer-not-found");
        // No CRL for the intermediate's certificates: the profile fails open (disable on-download-failure).
        CHECK(check(true) == "valid skipped");
    }
    {
        pugi::xml_document req;
        xml::append_text(req.append_child("validate-peer-certificate"), "certificate", "30ff00zz");
        auto reply = client->call(req);
        CHECK_FALSE(reply.ok());
    }
    // A CRL revoking the peer: loaded by hand, shown, and then the verdict is "revoked".
    write(paths.tmp_dir() / "ca.crl",
          t::make_crl(ca, {peer.certificate}, pki::Clock::now() - t::day, pki::Clock::now() + 7 * t::day)
              .to_pem());
    CHECK(cli(*client, "request security pki crl load ca-profile lab filename ca.crl") ==
          "CRL for CA profile lab loaded successfully\n");
    const std::string crl_text = cli(*client, "show security pki crl detail");
    CHECK(contains(crl_text, "CA profile: lab\n"));
    CHECK(contains(crl_text, "  " + peer.certificate.serial_hex()));
    CHECK(validate("peer.example.net") == "revoked");

    // kmd: signing with the local key pair and the certificate for the CERT payload.
    {
        pugi::xml_document req;
        auto s = req.append_child("sign-hash");
        xml::append_text(s, "certificate-id", "r1");
        const std::vector<std::uint8_t> hash(20, 0x5a);
        xml::append_text(s, "hash", hex(hash));
        auto reply = client->call(req);
        REQUIRE(reply.ok());
        const std::string sig_hex = reply.root().child("hash-signature").child_value("signature");
        std::vector<std::uint8_t> sig;
        for (size_t i = 0; i + 1 < sig_hex.size(); i += 2)
            sig.push_back(static_cast<std::uint8_t>(std::stoi(sig_hex.substr(i, 2), nullptr, 16)));
        CHECK(pki::verify_hash_signature(r1_cert, hash, sig));
        CHECK_FALSE(pki::verify_hash_signature(ca.certificate, hash, sig));

        pugi::xml_document get;
        xml::append_text(get.append_child("get-local-certificate"), "certificate-id", "r1");
        auto cert = client->call(get);
        REQUIRE(cert.ok());
        CHECK(std::string(cert.root().child("local-certificate").child_value("certificate")) ==
              hex(r1_cert.to_der()));
        pugi::xml_document none;
        xml::append_text(none.append_child("get-local-certificate"), "certificate-id", "nosuch");
        CHECK_FALSE(client->call(none).ok());
    }

    // The M-series family.
    CHECK(cli(*client, "request security key-pair batt") ==
          "Generated key pair, key size 1024, file batt Algorithm RSA\n");
    const auto batt = paths.root / "var" / "etc" / "ikecert" / "batt";
    REQUIRE(::stat(batt.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(
        contains(cli(*client, "request security key-pair batt"), "error: key pair file batt already exists"));
    CHECK(contains(cli(*client, "request security key-pair big size 4096"), "error: invalid key size 4096"));
    CHECK(contains(cli(*client, "request security key-pair d1 type ecdsa"), "error: invalid key type"));
    // The M-series enrollment: what is checked before anything goes to the network.
    CHECK(contains(cli(*client, "request security certificate enroll filename l subject c=uk,o=london"),
                   "error: missing argument: certification-authority"));
    CHECK(contains(cli(*client,
                       "request security certificate enroll filename l subject c=uk,o=london "
                       "certification-authority nope key-file batt"),
                   "error: certification-authority nope is not configured"));
    CHECK(contains(cli(*client,
                       "request security certificate enroll filename ../x ca-file c ca-name n url "
                       "http://127.0.0.1:1/"),
                   "error: "));
    CHECK(contains(cli(*client, "request security certificate enroll filename l ca-name n url http://x/"),
                   "error: missing argument: ca-file"));
    // SCEP enrollment: what is checked before anything goes to the network.
    CHECK(contains(cli(*client, "request security pki ca-certificate enroll ca-profile lab"),
                   "error: CA profile lab has no enrollment url"));
    CHECK(contains(cli(*client,
                       "request security pki local-certificate enroll scep ca-profile nosuch "
                       "certificate-id r1 challenge-password x subject CN=x domain-name x.net"),
                   "error: CA profile nosuch is not configured"));

    // A restart of pkid: everything is still there.
    client.reset();
    pkid.reset();
    pkid = start_pkid(paths);
    client = std::make_unique<ipc::SyncClient>(paths.socket("pkid"), "pkid");
    CHECK(contains(cli(*client, "show security pki local-certificate"), "Certificate identifier: e1\n"));
    CHECK(contains(cli(*client, "show security pki local-certificate"), "Certificate identifier: r1\n"));
    CHECK(contains(cli(*client, "show security pki ca-certificate ca-profile lab"),
                   "Certificate identifier: lab\n"));
    CHECK(contains(cli(*client, "show security pki crl"), "CA profile: lab\n"));
    CHECK(contains(cli(*client, "show security pki certificate-request"), "Certificate identifier: r1\n"));

    // clear: one by name, or all; a clear needs one of them.
    CHECK(cli(*client, "clear security pki local-certificate") ==
          "error: missing mandatory argument: certificate-id or all.");
    CHECK(cli(*client, "clear security pki local-certificate certificate-id e1").empty());
    CHECK(cli(*client, "clear security pki crl all").empty());
    CHECK_FALSE(
        contains(cli(*client, "show security pki local-certificate"), "Certificate identifier: e1\n"));
    CHECK(cli(*client, "show security pki crl").empty());
    CHECK(contains(cli(*client, "clear security pki key-pair certificate-id nosuch"), "error: "));
    CHECK(cli(*client, "clear security pki key-pair all").empty());
    CHECK_FALSE(std::filesystem::exists(certs / "keys" / "r1.key"));
}

namespace {

// msim-ca's SCEP server in-process, on 127.0.0.1:<ephemeral>.
struct LabCa {
    ca::CaStore store;
    boost::asio::io_context io;
    std::unique_ptr<ca::HttpServer> server;
    std::thread thread;
    LabCa(const std::filesystem::path& dir, bool manual) : store(init(dir, manual)) {
        server = std::make_unique<ca::HttpServer>(
            io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0),
            [this](const ca::HttpRequest& r) {
                std::string line;
                return ca::route(store, r, std::chrono::system_clock::now(), line);
            });
        thread = std::thread([this] { io.run(); });
    }
    ~LabCa() {
        io.stop();
        thread.join();
    }
    static ca::CaStore init(const std::filesystem::path& dir, bool manual) {
        ca::InitOptions o;
        o.subject = "CN=Lab SCEP CA,O=msim";
        o.settings.challenge_password = "s3cret";
        o.settings.manual_approval = manual;
        o.settings.validity_days = 30;
        return ca::CaStore::init(dir, o, std::chrono::system_clock::now());
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/scep"; }
    // The newest pending request, waiting up to `seconds` for one to arrive.
    std::optional<unsigned> pending(int seconds = 10) {
        for (int i = 0; i < seconds * 20; ++i) {
            for (const auto& r : ca::CaStore(store.dir()).requests()) {
                if (r.state == ca::RequestState::pending)
                    return r.id;
            }
            std::this_thread::sleep_for(50ms);
        }
        return std::nullopt;
    }
};

bool wait_for_log(const std::filesystem::path& file, const std::string& text, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
        if (contains(read(file), text))
            return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

}  // namespace

TEST_CASE(
    "pkid with msim-ca: PENDING enrollment, Ctrl-C, the router's clock, the peer cache, re-enrollment") {
    TempDir dir;
    RouterPaths paths{"r1", dir.path / "r1"};
    paths.create_layout();
    LabCa lab(dir.path / "ca", true);
    const std::string profile =
        "security {\n    pki {\n        ca-profile lab {\n"
        "            ca-identity lab;\n            enrollment {\n"
        "                url " +
        lab.url() +
        ";\n                retry-interval 1;\n            }\n"
        "            revocation-check {\n                disable;\n            }\n"
        "        }\n    }\n}\n";
    Running mgd("mgd", paths, [&profile](Daemon& d) {
        d.register_rpc("get-owned-configuration", [&profile](const pugi::xml_node&, ipc::Responder r) {
            pugi::xml_document doc;
            xml::append_text(doc.append_child("configuration-text"), "configuration-output", profile);
            r.reply(doc);
        });
    });
    std::shared_ptr<pkid::Pkid> pkid_object;
    auto pkid = start_pkid(paths, &pkid_object);
    struct DropFirst {
        std::shared_ptr<pkid::Pkid>& p;
        ~DropFirst() { p.reset(); }
    } drop_first{pkid_object};
    ipc::SyncClient client(paths.socket("pkid"), "pkid");
    for (int i = 0; i < 100 && pkid_object->settings().ca_profiles.empty(); ++i)
        std::this_thread::sleep_for(20ms);
    REQUIRE(pkid_object->settings().ca_profiles.count("lab"));
    const auto certs = paths.certs_dir();

    CHECK(contains(cli(client, "request security pki ca-certificate enroll ca-profile lab", true),
                   "loaded successfully"));
    CHECK(
        contains(cli(client, "request security pki generate-key-pair certificate-id r1 size 2048"), "2048"));
    const std::string enroll =
        "request security pki local-certificate enroll scep ca-profile lab certificate-id r1 "
        "challenge-password s3cret subject \"CN=r1.example.net,O=msim\" domain-name "
        "r1.example.net";
    static const auto tree = shell::make_operational_tree();
    auto request_of = [](const std::string& line, pugi::xml_document& req) {
        auto m = tree.match(shell::split_words(line));
        REQUIRE(m.command);
        auto r = req.append_child(m.command->rpc.c_str());
        REQUIRE(m.command->fill(r, m.args).empty());
    };

    // retry 0 (the default): the CLI waits as long as the CA keeps the request PENDING; Ctrl-C ends it.
    {
        pugi::xml_document req;
        request_of(enroll, req);
        volatile std::sig_atomic_t interrupted = 0;
        std::vector<std::string> progress;
        std::thread instructor([&] {
            (void)lab.pending();
            std::this_thread::sleep_for(1500ms);  // a poll or two
            interrupted = 1;
        });
        const auto start = std::chrono::steady_clock::now();
        auto reply = client.call_streaming(
            req.document_element(), 15s,
            [&](const pugi::xml_node& body) { progress.emplace_back(body.child_value("message")); },
            &interrupted);
        instructor.join();
        CHECK_FALSE(reply.ok());
        CHECK(contains(reply.error_message, "cancelled"));
        CHECK(std::chrono::steady_clock::now() - start < 8s);
        REQUIRE_FALSE(progress.empty());
        CHECK(contains(progress.back(), "retrying in 1 seconds"));
        CHECK_FALSE(std::filesystem::exists(certs / "local" / "r1.crt"));
    }
    // Again, and the instructor approves while pkid polls: the certificate is stored.
    {
        std::thread instructor([&] {
            std::this_thread::sleep_for(1500ms);
            if (auto id = lab.pending())
                ca::CaStore(lab.store.dir()).approve(*id, std::chrono::system_clock::now());
        });
        pugi::xml_document req;
        request_of(enroll, req);
        auto reply = client.call_streaming(req.document_element(), 15s, [](const pugi::xml_node&) {});
        instructor.join();
        REQUIRE(reply.ok());
        CHECK(contains(reply.root().child("pki-enroll-results").child_value("message"),
                       "Local certificate r1 loaded successfully"));
    }
    const auto first = pki::Certificate::from_bytes(t::bytes(read(certs / "local" / "r1.crt")));
    CHECK(first.issuer_string() == "CN=Lab SCEP CA, O=msim");

    // The router's clock: a certificate not valid yet becomes loadable after `set date`.
    RouterClock clock(paths.clock_offset_file());
    auto other_ca = t::make_root("CN=Other CA", current(true));
    CHECK(contains(cli(client, "request security pki generate-key-pair certificate-id future"), "1024"));
    const auto future_key = pki::KeyPair::from_private_pem(read(certs / "keys" / "future.key"));
    t::IssueOptions later;
    later.not_before = pki::Clock::now() + 10 * t::day;
    later.not_after = pki::Clock::now() + 40 * t::day;
    write(paths.tmp_dir() / "future.crt",
          t::issue_for_key(other_ca, future_key, "CN=future", later).to_pem());
    CHECK(contains(
        cli(client, "request security pki local-certificate load certificate-id future filename future.crt"),
        "not yet valid"));
    clock.set(pki::Clock::now() + 11 * t::day);
    CHECK(contains(
        cli(client, "request security pki local-certificate load certificate-id future filename future.crt"),
        "loaded successfully"));

    // The peer certificate cache: the second validation is answered from it; a clock change empties it, and
    // the peer certificate is then judged on the new time.
    write(paths.tmp_dir() / "other.crt", other_ca.certificate.to_pem());
    // (the lab profile holds the SCEP CA; a second profile for the other CA)
    const std::string two_profiles =
        "security {\n    pki {\n        ca-profile lab {\n"
        "            ca-identity lab;\n            enrollment {\n"
        "                url " +
        lab.url() +
        ";\n                retry-interval 1;\n            }\n"
        "            revocation-check {\n                disable;\n            }\n"
        "        }\n        ca-profile other {\n            ca-identity other;\n"
        "            revocation-check {\n                disable;\n            }\n"
        "        }\n    }\n}\n";
    REQUIRE(client
                .call(config_change("apply-configuration", "create", "security pki ca-profile other",
                                    two_profiles))
                .ok());
    CHECK(contains(
        cli(client, "request security pki ca-certificate load ca-profile other filename other.crt", true),
        "loaded successfully"));
    const auto peer = t::issue(other_ca, "CN=peer", [] {
        t::IssueOptions o;
        o.not_before = pki::Clock::now() - t::day;
        o.not_after = pki::Clock::now() + 20 * t::day;
        return o;
    }());
    auto validate = [&](bool& cached) {
        pugi::xml_document req;
        xml::append_text(req.append_child("validate-peer-certificate"), "certificate",
                         hex(peer.certificate.to_der()));
        auto reply = client.call(req);
        REQUIRE(reply.ok());
        auto res = reply.root().child("peer-certificate-validation");
        cached = static_cast<bool>(res.child("cached"));
        return std::string(res.child_value("status"));
    };
    bool cached = false;
    CHECK(validate(cached) == "valid");  // router time: now + 11 days
    CHECK_FALSE(cached);
    CHECK(validate(cached) == "valid");
    CHECK(cached);
    clock.set(pki::Clock::now() + 25 * t::day);
    std::this_thread::sleep_for(1200ms);  // pkid notices the new offset within a second
    CHECK(validate(cached) == "expired");
    CHECK_FALSE(cached);
    CHECK(validate(cached) == "expired");  // the negative cache
    CHECK(cached);

    // Automatic re-enrollment: 50% of the lifetime left triggers it; the router's clock is moved past that.
    clock.set(pki::Clock::now());
    const std::string reenroll =
        two_profiles.substr(0, two_profiles.rfind("    }\n}\n")) +
        "        auto-re-enrollment {\n            certificate-id r1 {\n"
        "                ca-profile lab;\n                challenge-password s3cret;\n"
        "                re-enroll-trigger-time-percentage 50;\n"
        "                re-generate-keypair;\n            }\n        }\n    }\n}\n";
    REQUIRE(client
                .call(config_change("validate-configuration", "create", "security pki auto-re-enrollment",
                                    reenroll))
                .ok());
    REQUIRE(
        client
            .call(config_change("apply-configuration", "create", "security pki auto-re-enrollment", reenroll))
            .ok());
    CHECK(contains(cli(client, "show security pki local-certificate certificate-id r1 detail"),
                   "  Auto-re-enrollment:\n    Status: Enabled\n    Next trigger time: " +
                       pki::junos_time(first.not_before() + (first.not_after() - first.not_before()) / 2)));
    std::this_thread::sleep_for(1500ms);
    CHECK_FALSE(
        contains(read(paths.messages_log()), "automatic re-enrollment of local certificate r1 started"));
    const std::string old_key = read(certs / "keys" / "r1.key");
    clock.set(pki::Clock::now() + 16 * t::day);  // past the middle of its 30 days
    REQUIRE(
        wait_for_log(paths.messages_log(), "automatic re-enrollment of local certificate r1 started", 10));
    // the CA keeps it PENDING until the instructor approves; pkid polls every retry-interval
    REQUIRE(wait_for_log(paths.messages_log(), "the CA has not issued the certificate yet", 15));
    const auto id = lab.pending();
    REQUIRE(id);
    ca::CaStore(lab.store.dir()).approve(*id, std::chrono::system_clock::now());
    REQUIRE(
        wait_for_log(paths.messages_log(), "automatic re-enrollment of local certificate r1 succeeded", 15));
    const auto renewed = pki::Certificate::from_bytes(t::bytes(read(certs / "local" / "r1.crt")));
    CHECK(renewed.serial_hex() != first.serial_hex());
    CHECK(renewed.subject_string() == first.subject_string());
    CHECK(renewed.dns_names() == first.dns_names());
    CHECK(read(certs / "keys" / "r1.key") != old_key);  // re-generate-keypair
    CHECK(pki::KeyPair::from_private_pem(read(certs / "keys" / "r1.key")).matches(renewed));
    // The CA's clock is the host's: the new certificate is due already by the router's; it is not renewed
    // again.
    CHECK(wait_for_log(paths.messages_log(), "is already past its re-enrollment trigger time", 5));
    std::this_thread::sleep_for(2500ms);
    CHECK(ca::CaStore(lab.store.dir()).requests().size() == 2);
    // kmd sees the new certificate
    pugi::xml_document get;
    xml::append_text(get.append_child("get-local-certificate"), "certificate-id", "r1");
    auto reply = client.call(get);
    REQUIRE(reply.ok());
    CHECK(std::string(reply.root().child("local-certificate").child_value("certificate")) ==
          hex(renewed.to_der()));
    clock.set(pki::Clock::now());
}
