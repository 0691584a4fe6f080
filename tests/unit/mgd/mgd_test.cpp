// mgd in process, driven over its socket as CLIs drive it: the commit pipeline's incremental way (its trace,
// its verdicts, the warnings of C++ checks a commit does not touch, what daemons fetch after commits) and
// batch checkpoints, including the three-way undo when another session edits the shared candidate while a
// batch runs. No other daemon runs: mgd says so in a warning and commits.
#include <doctest/doctest.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "mgd.hpp"
#include "msim/common/daemon.hpp"
#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/xml.hpp"
#include "msim/config/owned_configuration.hpp"
#include "msim/config/text_format.hpp"

using namespace msim;
using namespace std::chrono_literals;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/msim-mgd-test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

// mgd on its own thread.
struct RunningMgd {
    std::unique_ptr<Daemon> daemon;
    std::thread thread;
    explicit RunningMgd(const RouterPaths& paths) : daemon(std::make_unique<Daemon>("mgd", paths)) {
        daemon->keep(std::make_shared<mgd::Mgd>(*daemon));
        thread = std::thread([this] { daemon->run(); });
        for (int i = 0; i < 300 && !std::filesystem::exists(paths.socket("mgd")); ++i)
            std::this_thread::sleep_for(10ms);
    }
    ~RunningMgd() {
        boost::asio::post(daemon->io(), [d = daemon.get()] { d->stop(); });
        thread.join();
    }
};

// A daemon that owns configuration as the real ones do: it fetches its part at start, keeps it with
// OwnedConfiguration from the changes of each commit, and records what it was sent.
struct RecordingDaemon {
    std::unique_ptr<Daemon> daemon;
    std::shared_ptr<config::OwnedConfiguration> owned;
    std::thread thread;
    std::mutex lock;
    std::vector<std::string> applied;  // "operation path" of each change applied
    RecordingDaemon(const std::string& name, const RouterPaths& paths)
        : daemon(std::make_unique<Daemon>(name, paths)),
          owned(std::make_shared<config::OwnedConfiguration>(config::Schema::load(MSIM_YANG_DIR))) {
        daemon->on_validate_configuration([this](const pugi::xml_node& changes, ipc::Responder r) {
            auto staged = owned->stage(changes);
            r.reply_ok();
        });
        daemon->on_apply_configuration([this](const pugi::xml_node& changes, ipc::Responder r) {
            auto staged = owned->stage(changes);
            staged.keep();
            std::lock_guard<std::mutex> g(lock);
            for (auto c : changes.children("change"))
                applied.push_back(std::string(c.attribute("operation").value()) + " " +
                                  c.child_value("path"));
            r.reply_ok();
        });
        thread = std::thread([this] { daemon->run(); });
        for (int i = 0; i < 300 && !std::filesystem::exists(paths.socket(name)); ++i)
            std::this_thread::sleep_for(10ms);
    }
    ~RecordingDaemon() {
        boost::asio::post(daemon->io(), [d = daemon.get()] { d->stop(); });
        thread.join();
    }
    std::vector<std::string> take() {
        std::lock_guard<std::mutex> g(lock);
        return std::exchange(applied, {});
    }
    std::string tree() {
        std::lock_guard<std::mutex> g(lock);
        return config::print_text(owned->tree());
    }
};

// A CLI session: what `msim cli` sends.
struct Session {
    ipc::SyncClient client;
    explicit Session(const RouterPaths& paths) : client(paths.socket("mgd"), "mgd") {
        pugi::xml_document req;
        auto open = req.append_child("open-cli-session");
        xml::append_text(open, "user", "root");
        xml::append_text(open, "tty", "batch");
        xml::append_text(open, "pid", "1");
        REQUIRE(client.call(req, 10s).ok());
    }
    std::string configure(const std::string& mode = "") {
        pugi::xml_document req;
        xml::append_text(req.append_child("enter-configuration-mode"), "mode", mode);
        auto r = client.call(req, 10s);
        REQUIRE(r.ok());
        return r.root().child("configuration-command-results").child_value("output");
    }
    // The command's output; `ok` says whether it succeeded.
    std::string run(const std::string& line, bool* ok = nullptr, const std::string& display = "") {
        pugi::xml_document req;
        auto cmd = req.append_child("run-configuration-command");
        xml::append_text(cmd, "line", line);
        if (!display.empty())
            xml::append_text(cmd, "display", display);
        auto r = client.call(req, 60s);
        REQUIRE(r.ok());
        auto res = r.root().child("configuration-command-results");
        if (ok)
            *ok = !res.child("failure");
        return res.child_value("output");
    }
    std::string compare() {
        pugi::xml_document req;
        auto cmd = req.append_child("run-configuration-command");
        xml::append_text(cmd, "line", "show");
        xml::append_text(cmd, "compare", "");
        auto r = client.call(req, 60s);
        REQUIRE(r.ok());
        return r.root().child("configuration-command-results").child_value("output");
    }
    std::string checkpoint(const char* action) {
        pugi::xml_document req;
        xml::append_text(req.append_child("configuration-checkpoint"), "action", action);
        auto r = client.call(req, 10s);
        REQUIRE(r.ok());
        return r.root().child("configuration-checkpoint-results").child_value("output");
    }
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string owned(const RouterPaths& paths, const char* daemon) {
    ipc::SyncClient c(paths.socket("mgd"), "mgd");
    pugi::xml_document req;
    xml::append_text(req.append_child("get-owned-configuration"), "daemon", daemon);
    auto r = c.call(req, 10s);
    REQUIRE(r.ok());
    return r.root().child("configuration-text").child_value("configuration-output");
}

struct Router {
    TempDir dir;
    RouterPaths paths{"default", dir.path / "default"};
    Router() { paths.create_layout(); }
    std::string trace() const { return slurp(paths.log_dir() / "commit-trace"); }
    std::string committed() const { return slurp(paths.committed_config()); }
};

// An ES PIC with three manual SAs, an es- unit naming one, and 513 dynamic SAs on another ES PIC's units
// (one over the recommended 512: a warning at every commit).
std::string es_configuration() {
    std::string t =
        "security {\n    ike {\n        proposal p1 {\n            authentication-method pre-shared-keys;\n"
        "        }\n        policy 10.6.6.6 {\n            proposals p1;\n"
        "            pre-shared-key ascii-text \"secret\";\n        }\n    }\n    ipsec {\n"
        "        proposal ip1 {\n            protocol esp;\n        }\n        policy pol1 {\n"
        "            proposals ip1;\n        }\n";
    for (int i = 1; i <= 3; ++i)
        t += "        security-association sa" + std::to_string(i) +
             " {\n            manual {\n                direction bidirectional {\n                    "
             "protocol esp;\n"
             "                    spi " +
             std::to_string(299 + i) +
             ";\n                    encryption {\n                        algorithm des-cbc;\n"
             "                        key ascii-text \"1234567" +
             std::to_string(i) + "\";\n                    }\n                }\n            }\n        }\n";
    t += "        security-association dyn {\n            dynamic {\n                ipsec-policy pol1;\n"
         "            }\n        }\n    }\n}\ninterfaces {\n    es-0/1/0 {\n        unit 0 {\n"
         "            tunnel {\n                source 10.5.5.5;\n                destination 10.6.6.6;\n"
         "            }\n            family inet {\n                ipsec-sa sa1;\n            }\n        "
         "}\n    }\n"
         "    es-1/2/0 {\n";
    for (int u = 0; u < 513; ++u)
        t += "        unit " + std::to_string(u) +
             " {\n            tunnel {\n                source 10.5.5.5;\n                destination "
             "10.6.6.6;\n"
             "            }\n            family inet {\n                ipsec-sa dyn;\n            }\n       "
             " }\n";
    t += "    }\n    fe-0/0/0 {\n        unit 0 {\n            family inet {\n                address "
         "10.5.5.5/24;\n"
         "            }\n        }\n    }\n}\n";
    return t;
}

}  // namespace

TEST_CASE("mgd commits a one-line change incrementally, with the verdict and warnings of a full commit") {
    Router r;
    RunningMgd mgd(r.paths);
    Session s(r.paths);
    s.configure();
    const auto file = r.dir.path / "es.conf";
    std::ofstream(file) << es_configuration();
    bool ok = false;
    s.run("load override " + file.string(), &ok);
    REQUIRE(ok);
    std::string out = s.run("commit", &ok);
    REQUIRE_MESSAGE(ok, out);
    CHECK(has(out, "ES PIC es-1/2 has 513 dynamic security associations"));
    CHECK(has(r.trace(), "phase=libyang by=mgd"));

    // A one-line change no C++ check reads: the live tree takes it, no check runs, and the warning the
    // es-interface check found on the committed configuration is still given.
    auto since = [&](size_t from) { return r.trace().substr(from); };
    size_t mark = r.trace().size();
    s.run("set system domain-name gw.example", &ok);
    out = s.run("commit", &ok);
    CHECK_MESSAGE(ok, out);
    CHECK(has(out, "ES PIC es-1/2 has 513 dynamic security associations"));
    CHECK(has(since(mark), "phase=libyang by=mgd ms="));
    CHECK(has(since(mark), "incremental"));
    CHECK_FALSE(has(since(mark), "phase=validator"));
    // A change to an SA: the checks that read SAs run again (es-interface among them), the others do not.
    mark = r.trace().size();
    s.run("set security ipsec security-association sa2 description second", &ok);
    out = s.run("commit", &ok);
    CHECK_MESSAGE(ok, out);
    CHECK(has(out, "ES PIC es-1/2 has 513 dynamic security associations"));
    CHECK(has(since(mark), "incremental"));
    CHECK(has(since(mark), "validator by=mgd ms="));
    CHECK(has(since(mark), " manual-sa"));
    CHECK_FALSE(has(since(mark), " service-set"));
    CHECK(has(r.committed(), "description second;"));

    // The same SPI as another SA: the C++ check that reads manual SAs runs and refuses it.
    s.run("set security ipsec security-association sa3 manual direction bidirectional spi 300", &ok);
    out = s.run("commit", &ok);
    CHECK_FALSE(ok);
    CHECK(has(out, "SPI 300 with protocol esp is already used by security-association sa1"));
    CHECK(has(out, "error: configuration check-out failed"));
    s.run("rollback 0", &ok);

    // A one-line change that breaks a reference elsewhere: libyang's full report of the error.
    s.run("delete security ipsec security-association sa1", &ok);
    out = s.run("commit", &ok);
    CHECK_FALSE(ok);
    CHECK(has(out, "Referenced security-association 'sa1' is not defined"));
    s.run("rollback 0", &ok);
    // A deleted proposal an IKE policy still names.
    s.run("delete security ike proposal p1", &ok);
    out = s.run("commit", &ok);
    CHECK_FALSE(ok);
    CHECK(has(out, "Referenced proposal 'p1' is not defined"));
    s.run("rollback 0", &ok);
    // A `must` on the statement above the change.
    s.run("delete security ipsec security-association sa2 manual direction bidirectional encryption", &ok);
    out = s.run("commit", &ok);
    CHECK_FALSE(ok);
    CHECK(has(out, "Either authentication or encryption must be configured"));
    s.run("rollback 0", &ok);

    // After refused commits the live tree is as the committed configuration: a good commit goes through.
    s.run("set security ipsec security-association sa3 description third", &ok);
    out = s.run("commit check", &ok);
    CHECK(ok);
    CHECK(has(out, "configuration check succeeds"));
    out = s.run("commit", &ok);
    CHECK_MESSAGE(ok, out);

    // What a restarted daemon fetches equals what a fresh mgd works out from the file.
    const std::string ipsecd = owned(r.paths, "ipsecd");
    const std::string pfed = owned(r.paths, "pfed");
    CHECK(has(ipsecd, "description third;"));
    CHECK(has(pfed, "es-1/2/0"));
}

TEST_CASE("mgd: what daemons fetch after incremental commits equals a fresh start") {
    Router r;
    std::string ipsecd, pfed, kmd;
    {
        RunningMgd mgd(r.paths);
        Session s(r.paths);
        s.configure();
        const auto file = r.dir.path / "es.conf";
        std::ofstream(file) << es_configuration();
        bool ok = false;
        s.run("load override " + file.string(), &ok);
        REQUIRE(s.run("commit", &ok).find("commit complete") != std::string::npos);
        for (const char* line :
             {"set security ipsec security-association sa2 description two",
              "delete interfaces es-1/2/0 unit 7", "set interfaces fe-0/0/0 unit 0 description lan",
              "rename security ipsec security-association sa3 to security-association sa9",
              "set security ike policy 10.6.6.6 mode aggressive"}) {
            s.run(line, &ok);
            REQUIRE(ok);
            const std::string out = s.run("commit", &ok);
            REQUIRE_MESSAGE(ok, out);
        }
        ipsecd = owned(r.paths, "ipsecd");
        pfed = owned(r.paths, "pfed");
        kmd = owned(r.paths, "kmd");
    }
    RunningMgd again(r.paths);
    CHECK(owned(r.paths, "ipsecd") == ipsecd);
    CHECK(owned(r.paths, "pfed") == pfed);
    CHECK(owned(r.paths, "kmd") == kmd);
    CHECK(has(ipsecd, "security-association sa9"));
    CHECK_FALSE(has(pfed, "unit 7 "));
}

TEST_CASE("a failed batch undoes its own changes; another session's changes made meanwhile stay") {
    Router r;
    RunningMgd mgd(r.paths);
    Session batch(r.paths), other(r.paths);
    batch.configure();
    other.configure();
    bool ok = false;

    SUBCASE("other statements: the batch's own go, the other session's stay") {
        batch.checkpoint("take");
        batch.run("set system domain-name batch.example", &ok);
        other.run("set system time-zone Europe/Paris", &ok);
        batch.run("set system name-server 10.9.9.9", &ok);  // replayed on the batch's own copy
        REQUIRE(ok);
        const std::string out = batch.checkpoint("restore");
        CHECK(has(out, "its uncommitted changes were discarded"));
        CHECK_FALSE(has(out, "were kept"));
        const std::string pending = other.compare();
        CHECK(has(pending, "time-zone Europe/Paris;"));
        CHECK_FALSE(has(pending, "batch.example"));
        CHECK_FALSE(has(pending, "10.9.9.9"));
    }
    SUBCASE("the same statement changed by both: the other session's value is kept, and said") {
        batch.checkpoint("take");
        batch.run("set system domain-name batch.example", &ok);
        other.run("set system domain-name other.example", &ok);
        const std::string out = batch.checkpoint("restore");
        CHECK(has(out, "another session changed these statements as well"));
        CHECK(has(out, "[edit system domain-name]"));
        CHECK(has(other.compare(), "domain-name other.example;"));
    }
    SUBCASE("inside one list entry: different leaves are separate statements") {
        batch.run("set security ipsec security-association sa1 description base", &ok);
        batch.run("commit", &ok);
        REQUIRE(ok);
        batch.checkpoint("take");
        batch.run("set security ipsec security-association sa1 description batch", &ok);
        other.run("set security ipsec security-association sa1 mode transport", &ok);
        batch.checkpoint("restore");
        const std::string pending = other.compare();
        CHECK(has(pending, "mode transport;"));
        CHECK_FALSE(has(pending, "description batch"));
    }
    SUBCASE("the batch commits, the other session edits, the batch then fails") {
        batch.checkpoint("take");
        batch.run("set system domain-name committed.example", &ok);
        REQUIRE(has(batch.run("commit", &ok), "commit complete"));
        other.run("set system time-zone Asia/Tokyo", &ok);
        batch.run("set system ntp server 10.8.8.8", &ok);
        REQUIRE(ok);
        batch.checkpoint("restore");
        CHECK(has(r.committed(), "domain-name committed.example;"));
        const std::string pending = other.compare();
        CHECK(has(pending, "time-zone Asia/Tokyo;"));
        CHECK_FALSE(has(pending, "10.8.8.8"));
        CHECK_FALSE(has(pending, "committed.example"));
    }
    SUBCASE("another session commits the batch's changes: the failed batch still takes its own back") {
        batch.checkpoint("take");
        batch.run("set system domain-name early.example", &ok);
        REQUIRE(has(other.run("commit", &ok), "commit complete"));
        batch.checkpoint("restore");
        CHECK(has(r.committed(), "domain-name early.example;"));
        CHECK(has(other.compare(), "-  domain-name early.example;"));
    }
    SUBCASE("no other session: the candidate goes back whole, other pending changes included as they were") {
        other.run("set system time-zone UTC", &ok);
        batch.checkpoint("take");
        batch.run("set system domain-name gone.example", &ok);
        batch.run("delete system time-zone", &ok);
        CHECK(has(batch.checkpoint("restore"), "discarded"));
        const std::string pending = other.compare();
        CHECK(has(pending, "time-zone UTC;"));
        CHECK_FALSE(has(pending, "gone.example"));
    }
}

TEST_CASE("daemons get each commit's changes, a moved term as its whole filter, and end as mgd's view") {
    Router r;
    RunningMgd mgd(r.paths);
    RecordingDaemon pfed("pfed", r.paths), ipsecd("ipsecd", r.paths), kmd("kmd", r.paths);
    Session s(r.paths);
    s.configure();
    bool ok = false;
    for (const char* line :
         {"set firewall filter f1 term t1 then accept", "set firewall filter f1 term t2 then discard",
          "set security ipsec security-association sa1 manual direction bidirectional protocol esp "
          "spi 300 encryption algorithm des-cbc key ascii-text 12345678"})
        s.run(line, &ok);
    REQUIRE(has(s.run("commit", &ok), "commit complete"));
    CHECK(pfed.take() == std::vector<std::string>{"create firewall filter f1"});
    CHECK(ipsecd.take() == std::vector<std::string>{"create security ipsec security-association sa1"});
    // kmd reads security ipsec and firewall.
    CHECK(kmd.take().size() == 2);

    // One line inside the SA: the SA whole, to its owner and its reader; nothing to pfed.
    s.run("set security ipsec security-association sa1 description one", &ok);
    REQUIRE(has(s.run("commit", &ok), "commit complete"));
    CHECK(ipsecd.take() == std::vector<std::string>{"modify security ipsec security-association sa1"});
    CHECK(kmd.take() == std::vector<std::string>{"modify security ipsec security-association sa1"});
    CHECK(pfed.take().empty());

    // Terms change places: the filter goes whole, in its new order.
    s.run("insert firewall filter f1 term t2 before term t1", &ok);
    REQUIRE(ok);
    REQUIRE(has(s.run("commit", &ok), "commit complete"));
    CHECK(pfed.take() == std::vector<std::string>{"modify firewall filter f1"});
    const std::string tree = pfed.tree();
    CHECK(tree.find("term t2") < tree.find("term t1"));

    // What each daemon ended with is its part of the committed configuration.
    auto parsed = [&](const std::string& daemon) {
        config::OwnedConfiguration o(config::Schema::load(MSIM_YANG_DIR));
        o.load(owned(r.paths, daemon.c_str()));
        return config::print_text(o.tree());
    };
    CHECK(pfed.tree() == parsed("pfed"));
    CHECK(ipsecd.tree() == parsed("ipsecd"));
    CHECK(kmd.tree() == parsed("kmd"));
}

TEST_CASE("a private commit: the shared candidate follows the committed configuration") {
    Router r;
    RunningMgd mgd(r.paths);
    Session priv(r.paths), shared(r.paths);
    bool ok = false;
    priv.configure("private");
    priv.run("set system domain-name private.example", &ok);
    REQUIRE(has(priv.run("commit", &ok), "commit complete"));
    shared.configure();
    CHECK(shared.compare().empty());
    shared.run("set system time-zone UTC", &ok);
    REQUIRE(has(shared.run("commit", &ok), "commit complete"));
    CHECK(has(r.committed(), "domain-name private.example;"));
    CHECK(has(r.committed(), "time-zone UTC;"));
}
