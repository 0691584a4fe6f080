#include "msim/ca/cli.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "msim/ca/ca_store.hpp"
#include "msim/ca/http_server.hpp"
#include "msim/common/log.hpp"

namespace msim::ca {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const char* const usage =
    "usage: msim-ca init    --dir DIR [--subject DN] [--challenge-password PW] [--approval auto|manual]\n"
    "                       [--validity-days N] [--crl-hours N] [--crl-url URL] [--key-size N] [--force]\n"
    "       msim-ca serve   --dir DIR [--listen ADDR:PORT]\n"
    "       msim-ca start   --dir DIR [--listen ADDR:PORT]\n"
    "       msim-ca stop    --dir DIR\n"
    "       msim-ca status  --dir DIR\n"
    "       msim-ca list    --dir DIR\n"
    "       msim-ca approve --dir DIR ID\n"
    "       msim-ca reject  --dir DIR ID [--reason TEXT]\n"
    "       msim-ca revoke  --dir DIR SERIAL [--reason keyCompromise|superseded|cessationOfOperation|...]\n"
    "       msim-ca crl     --dir DIR\n"
    "--dir defaults to $MSIM_CA_DIR; --listen to 127.0.0.1:8480.\n";

struct Args {
    std::string command;
    std::map<std::string, std::string> options;
    std::vector<std::string> positional;
    bool force = false;
};

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Args parse(int argc, char** argv) {
    Args a;
    static const std::vector<std::string> with_value = {
        "--dir",       "--subject", "--challenge-password", "--approval", "--validity-days",
        "--crl-hours", "--crl-url", "--key-size",           "--listen",   "--reason"};
    for (int i = 1; i < argc; ++i) {
        const std::string w = argv[i];
        if (w == "--force") {
            a.force = true;
        } else if (w.rfind("--", 0) == 0) {
            if (std::find(with_value.begin(), with_value.end(), w) == with_value.end())
                throw UsageError("unknown option " + w);
            if (i + 1 >= argc)
                throw UsageError(w + " needs a value");
            a.options[w] = argv[++i];
        } else if (a.command.empty()) {
            a.command = w;
        } else {
            a.positional.push_back(w);
        }
    }
    if (a.command.empty())
        throw UsageError("no command");
    return a;
}

std::string option(const Args& a, const char* name, const std::string& fallback = {}) {
    auto it = a.options.find(name);
    return it == a.options.end() ? fallback : it->second;
}

unsigned number_option(const Args& a, const char* name, unsigned fallback, unsigned low, unsigned high) {
    const std::string v = option(a, name);
    if (v.empty())
        return fallback;
    if (v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos || std::stoul(v) < low ||
        std::stoul(v) > high)
        throw UsageError(std::string(name) + " must be a number from " + std::to_string(low) + " to " +
                         std::to_string(high));
    return static_cast<unsigned>(std::stoul(v));
}

fs::path directory(const Args& a) {
    std::string d = option(a, "--dir");
    if (d.empty()) {
        const char* env = std::getenv("MSIM_CA_DIR");
        d = env != nullptr ? env : "";
    }
    if (d.empty())
        throw UsageError("--dir DIR is needed (or $MSIM_CA_DIR)");
    return fs::absolute(d);
}

boost::asio::ip::tcp::endpoint listen_endpoint(const Args& a) {
    const std::string text = option(a, "--listen", "127.0.0.1:8480");
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
        throw UsageError("--listen wants ADDRESS:PORT");
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(text.substr(0, colon), ec);
    const std::string port = text.substr(colon + 1);
    if (ec || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) > 65535)
        throw UsageError("--listen wants ADDRESS:PORT, not " + text);
    return {address, static_cast<unsigned short>(std::stoul(port))};
}

std::string local_time(TimePoint t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::localtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::string read_small(const fs::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}

// The pid in DIR/serve.pid when that process is alive and is an msim-ca.
std::optional<pid_t> running_server(const fs::path& dir) {
    const std::string text = read_small(dir / "serve.pid");
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 9)
        return std::nullopt;
    const pid_t pid = static_cast<pid_t>(std::stol(text));
    if (pid <= 1 || ::kill(pid, 0) != 0)
        return std::nullopt;
    std::ifstream cmd("/proc/" + text + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    if (cmdline.find("msim-ca") == std::string::npos)
        return std::nullopt;
    return pid;
}

void write_small(const fs::path& p, const std::string& text) {
    const std::string tmp = p.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text << "\n";
    }
    fs::rename(tmp, p);
}

int serve(const fs::path& dir, const boost::asio::ip::tcp::endpoint& at, std::ostream& out) {
    CaStore store(dir);
    Logger log(dir / "log", dir.filename().string(), "msim-ca");
    boost::asio::io_context io;
    HttpServer server(io, at, [&](const HttpRequest& request) {
        std::string line;
        HttpResponse response = route(store, request, std::chrono::system_clock::now(), line);
        log.log(line);
        return response;
    });
    const std::string url = "http://" + at.address().to_string() + ":" + std::to_string(server.port());
    write_small(dir / "serve.pid", std::to_string(::getpid()));
    write_small(dir / "listen", url);
    log.log("serving SCEP at " + url + "/scep and the CRL at " + url + "/ca.crl");
    out << "msim-ca: serving SCEP at " << url << "/scep, the CRL at " << url << "/ca.crl" << std::endl;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    io.run();
    std::error_code ec;
    if (read_small(dir / "serve.pid") == std::to_string(::getpid()))
        fs::remove(dir / "serve.pid", ec);
    log.log("stopped");
    return 0;
}

// Runs the server as a detached process (its own session, output to DIR/serve.log) and returns once it
// listens, or with its error.
int start(const fs::path& dir, const boost::asio::ip::tcp::endpoint& at, std::ostream& out,
          std::ostream& err) {
    if (auto pid = running_server(dir)) {
        err << "msim-ca: already serving " << dir.string() << " (pid " << *pid << ")\n";
        return 1;
    }
    CaStore check(dir);  // refuses a directory without a CA before anything is forked
    std::error_code ec;
    fs::remove(dir / "serve.pid", ec);
    out.flush();
    err.flush();
    const pid_t child = ::fork();
    if (child < 0) {
        err << "msim-ca: cannot fork\n";
        return 1;
    }
    if (child == 0) {
        ::setsid();
        const int null = ::open("/dev/null", O_RDONLY);
        const int logfd = ::open((dir / "serve.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (null >= 0)
            ::dup2(null, 0);
        if (logfd >= 0) {
            ::dup2(logfd, 1);
            ::dup2(logfd, 2);
        }
        int rc = 1;
        try {
            std::ofstream sink("/dev/stdout");
            rc = serve(dir, at, sink);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "msim-ca: %s\n", e.what());
        }
        std::fflush(nullptr);
        ::_exit(rc);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(child, &status, WNOHANG) == child) {
            err << "msim-ca: the server did not start: " << read_small(dir / "serve.log") << "\n";
            std::ifstream log(dir / "serve.log");
            std::string line, last;
            while (std::getline(log, line))
                last = line;
            if (!last.empty())
                err << "  " << last << "\n";
            return 1;
        }
        if (read_small(dir / "serve.pid") == std::to_string(child)) {
            out << "msim-ca: serving " << dir.string() << " at " << read_small(dir / "listen") << " (pid "
                << child << ")\n";
            return 0;
        }
        std::this_thread::sleep_for(50ms);
    }
    ::kill(child, SIGKILL);
    err << "msim-ca: the server did not start within 10 seconds\n";
    return 1;
}

int stop(const fs::path& dir, std::ostream& out) {
    auto pid = running_server(dir);
    if (!pid) {
        out << "msim-ca: not serving " << dir.string() << "\n";
        return 0;
    }
    ::kill(*pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (::kill(*pid, 0) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    if (::kill(*pid, 0) == 0)
        ::kill(*pid, SIGKILL);
    std::error_code ec;
    fs::remove(dir / "serve.pid", ec);
    out << "msim-ca: stopped (pid " << *pid << ")\n";
    return 0;
}

void print_settings(const CaStore& store, std::ostream& out) {
    const CaSettings s = store.settings();
    out << "CA: " << store.certificate().subject_string() << "\n"
        << "  sha1 fingerprint: " << store.certificate().sha1_fingerprint() << "\n"
        << "  challenge password: " << (s.challenge_password.empty() ? "none" : "required") << "\n"
        << "  approval: "
        << (s.manual_approval ? "manual (requests stay PENDING until approved)" : "automatic") << "\n"
        << "  certificates valid for " << s.validity_days << " days, CRLs for " << s.crl_hours << " hours\n";
    if (!s.crl_url.empty())
        out << "  CRL distribution point: " << s.crl_url << "\n";
}

void print_list(const CaStore& store, std::ostream& out) {
    out << "Requests:\n";
    const auto requests = store.requests();
    if (requests.empty())
        out << "  none\n";
    for (const auto& r : requests) {
        out << "  " << std::left << std::setw(4) << r.id << std::setw(10) << to_string(r.state)
            << local_time(r.received) << "  " << r.subject;
        if (r.state == RequestState::issued)
            out << "  serial " << r.serial;
        if (r.state == RequestState::rejected && !r.note.empty())
            out << "  (" << r.note << ")";
        out << "\n";
    }
    out << "Certificates:\n";
    const auto issued = store.issued_list();
    if (issued.empty())
        out << "  none\n";
    for (const auto& c : issued) {
        out << "  " << std::left << std::setw(8) << c.serial << std::setw(9)
            << (c.revoked ? "revoked" : "valid") << "until " << local_time(c.not_after) << "  " << c.subject;
        if (c.revoked)
            out << "  (" << c.reason << ", " << local_time(c.revoked_at) << ")";
        out << "\n";
    }
}

unsigned request_id(const Args& a) {
    if (a.positional.size() != 1 || a.positional[0].empty() || a.positional[0].size() > 8 ||
        a.positional[0].find_first_not_of("0123456789") != std::string::npos)
        throw UsageError(a.command + " needs the number of a request (msim-ca list shows them)");
    return static_cast<unsigned>(std::stoul(a.positional[0]));
}

}  // namespace

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
    try {
        const Args a = parse(argc, argv);
        const auto now = std::chrono::system_clock::now();
        if (a.command == "init") {
            InitOptions o;
            o.subject = option(a, "--subject", o.subject);
            o.key_bits = number_option(a, "--key-size", 2048, 1024, 4096);
            o.settings.challenge_password = option(a, "--challenge-password");
            const std::string approval = option(a, "--approval", "auto");
            if (approval != "auto" && approval != "manual")
                throw UsageError("--approval is auto or manual");
            o.settings.manual_approval = approval == "manual";
            o.settings.validity_days = number_option(a, "--validity-days", 365, 1, 36500);
            o.settings.crl_hours = number_option(a, "--crl-hours", 24, 1, 8784);
            o.settings.crl_url = option(a, "--crl-url");
            const CaStore store = CaStore::init(directory(a), o, now, a.force);
            out << "msim-ca: new CA in " << store.dir().string() << "\n";
            print_settings(store, out);
            return 0;
        }
        const fs::path dir = directory(a);
        if (a.command == "serve")
            return serve(dir, listen_endpoint(a), out);
        if (a.command == "start")
            return start(dir, listen_endpoint(a), out, err);
        if (a.command == "stop")
            return stop(dir, out);
        CaStore store(dir);
        if (a.command == "status") {
            print_settings(store, out);
            if (auto pid = running_server(dir)) {
                const std::string url = read_small(dir / "listen");
                out << "Serving: " << url << "/scep (SCEP), " << url << "/ca.crl (CRL), pid " << *pid << "\n";
                return 0;
            }
            out << "Serving: no (msim-ca start)\n";
            return 3;
        }
        if (a.command == "list") {
            print_list(store, out);
            return 0;
        }
        Logger log(dir / "log", dir.filename().string(), "msim-ca");
        if (a.command == "approve") {
            const RequestRecord r = store.approve(request_id(a), now);
            log.log("request " + std::to_string(r.id) + " approved: certificate " + r.serial + " for " +
                    r.subject);
            out << "Request " << r.id << " approved: certificate " << r.serial << " issued to " << r.subject
                << "\n";
            return 0;
        }
        if (a.command == "reject") {
            const RequestRecord r = store.reject(request_id(a), option(a, "--reason"));
            log.log("request " + std::to_string(r.id) + " rejected");
            out << "Request " << r.id << " rejected\n";
            return 0;
        }
        if (a.command == "revoke") {
            if (a.positional.size() != 1)
                throw UsageError("revoke needs the serial number of a certificate (msim-ca list shows them)");
            const IssuedRecord r = store.revoke(a.positional[0], option(a, "--reason"), now);
            log.log("certificate " + r.serial + " (" + r.subject + ") revoked: " + r.reason +
                    "; CRL re-signed");
            out << "Certificate " << r.serial << " revoked (" << r.reason << "); the CRL is re-signed\n";
            return 0;
        }
        if (a.command == "crl") {
            const pki::Crl crl = store.publish_crl(now);
            log.log("CRL re-signed");
            out << "CRL of " << crl.issuer_string() << "\n  this update: " << local_time(crl.this_update())
                << "\n  next update: " << (crl.next_update() ? local_time(*crl.next_update()) : "none")
                << "\n";
            const auto revoked = crl.revoked();
            out << "  revoked: " << (revoked.empty() ? "none" : "") << "\n";
            for (const auto& r : revoked)
                out << "    " << r.serial_hex << "  " << local_time(r.revocation_date) << "\n";
            return 0;
        }
        throw UsageError("unknown command " + a.command);
    } catch (const UsageError& e) {
        err << "msim-ca: " << e.what() << "\n" << usage;
        return 2;
    } catch (const std::exception& e) {
        err << "msim-ca: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace msim::ca
