#include "msim/launcher/router_control.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "msim/common/ipc/sync_client.hpp"
#include "msim/launcher/supervisor.hpp"

namespace msim::launcher {

using namespace std::chrono_literals;

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string format_uptime(long seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if (seconds >= 86400) {
        return std::to_string(seconds / 86400) + "d " + buf;
    }
    return buf;
}

std::string tail(const std::filesystem::path& p, size_t lines) {
    const std::string text = read_file(p);
    size_t pos = text.size();
    for (size_t n = 0; pos > 0 && n <= lines; --pos) {
        if (text[pos - 1] == '\n') {
            ++n;
        }
    }
    return text.substr(pos);
}

}  // namespace

bool process_alive(int pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) {
        return false;
    }
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close_paren = stat.rfind(')');
    return close_paren == std::string::npos || close_paren + 2 >= stat.size() || stat[close_paren + 2] != 'Z';
}

int running_init_pid(const RouterPaths& paths) {
    std::ifstream in(paths.init_pid_file());
    int pid = 0;
    if (!(in >> pid) || !process_alive(pid)) {
        return 0;
    }
    const std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    return cmdline.find(paths.root.string()) != std::string::npos ? pid : 0;
}

std::vector<int> router_processes(const RouterPaths& paths) {
    std::vector<int> pids;
    // Daemons and init carry "--state <root>" on their command lines (NUL-separated in /proc).
    const std::string needle = std::string("--state") + '\0' + paths.root.string() + '\0';
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const int pid = std::stoi(name);
        if (pid == ::getpid() || !process_alive(pid)) {
            continue;
        }
        if (read_file(entry.path() / "cmdline").find(needle) != std::string::npos) {
            pids.push_back(pid);
        }
    }
    return pids;
}

int start_router(const RouterPaths& paths, bool quiet) {
    if (int pid = running_init_pid(paths)) {
        std::fprintf(stderr, "msim: router %s is already running (init pid %d)\n", paths.router.c_str(), pid);
        return 1;
    }
    const auto libexec = libexec_dir();
    if (!std::filesystem::exists(libexec / "init")) {
        std::fprintf(stderr, "msim: cannot find the router programs in %s\n", libexec.c_str());
        return 1;
    }
    paths.create_layout();
    const auto init_err = paths.log_dir() / "init.stderr";
    const pid_t pid = ::fork();
    if (pid < 0) {
        std::fprintf(stderr, "msim: fork failed: %s\n", std::strerror(errno));
        return 1;
    }
    if (pid == 0) {
        // init runs detached in a session of its own, so the terminal's signals never reach the router.
        ::setsid();
        ::close_range(3, ~0U, 0);
        int devnull = ::open("/dev/null", O_RDWR);
        int err = ::open(init_err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(devnull, 0);
        ::dup2(err >= 0 ? err : devnull, 1);
        ::dup2(err >= 0 ? err : devnull, 2);
        const std::string init = (libexec / "init").string();
        const std::string state = paths.root.string();
        ::execl(init.c_str(), "init", "--state", state.c_str(), "--router", paths.router.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // Wait until init reports every daemon ready (sanitizer builds are slow: allow 60 s).
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    std::string last_problem = "init did not answer";
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            std::fprintf(stderr, "msim: router %s failed to start:\n%s", paths.router.c_str(),
                         tail(init_err, 5).c_str());
            return 1;
        }
        try {
            ipc::SyncClient init(paths.socket("init"), "init");
            auto reply = init.call("get-process-status", 2000ms);
            if (reply.ok()) {
                std::vector<std::string> waiting;
                for (auto p : reply.root().child("process-status-information").children("process")) {
                    if (std::string_view(p.child_value("state")) == "held-down") {
                        const std::string name = p.child_value("name");
                        std::fprintf(stderr, "msim: router %s failed to start: %s keeps dying\n%s",
                                     paths.router.c_str(), name.c_str(),
                                     tail(paths.log_dir() / (name + ".stderr"), 5).c_str());
                        ::kill(pid, SIGTERM);
                        return 1;
                    }
                    if (std::string_view(p.child_value("ready")) != "true") {
                        waiting.emplace_back(p.child_value("name"));
                    }
                }
                if (waiting.empty()) {
                    if (!quiet) {
                        std::printf("Router %s started (init pid %d)\n", paths.router.c_str(), pid);
                    }
                    return 0;
                }
                last_problem = "waiting for";
                for (auto& w : waiting) {
                    last_problem += " " + w;
                }
            }
        } catch (const std::exception& e) {
            last_problem = e.what();
        }
        std::this_thread::sleep_for(50ms);
    }
    std::fprintf(stderr, "msim: router %s did not come up within 60 seconds (%s); see %s\n",
                 paths.router.c_str(), last_problem.c_str(), paths.messages_log().c_str());
    return 1;
}

int stop_router(const RouterPaths& paths) {
    const int pid = running_init_pid(paths);
    if (pid == 0) {
        std::fprintf(stderr, "msim: router %s is not running\n", paths.router.c_str());
        // Leftovers of a crashed init are still cleaned up.
        for (int p : router_processes(paths)) {
            ::kill(p, SIGKILL);
        }
        return 1;
    }
    ::kill(pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (process_alive(pid) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    int killed = 0;
    for (int p : router_processes(paths)) {
        ::kill(p, SIGKILL);
        ++killed;
    }
    if (killed > 0) {
        std::fprintf(stderr, "msim: killed %d process(es) of router %s that did not stop\n", killed,
                     paths.router.c_str());
    }
    std::printf("Router %s stopped\n", paths.router.c_str());
    return 0;
}

int router_status(const RouterPaths& paths) {
    const int pid = running_init_pid(paths);
    if (pid == 0) {
        std::printf("Router %s is not running\n", paths.router.c_str());
        return 1;
    }
    try {
        ipc::SyncClient init(paths.socket("init"), "init");
        auto reply = init.call("get-process-status", 3000ms);
        if (!reply.ok()) {
            std::fprintf(stderr, "msim: init of router %s did not answer: %s\n", paths.router.c_str(),
                         reply.error_message.c_str());
            return 1;
        }
        auto info = reply.root().child("process-status-information");
        std::printf("Router %s: running, init pid %d, up %s\n", paths.router.c_str(), pid,
                    format_uptime(info.child("uptime-seconds").text().as_llong()).c_str());
        std::printf("%-10s %-8s %-12s %-9s %s\n", "Daemon", "PID", "Uptime", "Restarts", "State");
        for (auto p : info.children("process")) {
            const long up = p.child("uptime-seconds").text().as_llong();
            std::printf("%-10s %-8s %-12s %-9s %s\n", p.child_value("name"),
                        p.child("pid").text().as_int() > 0 ? p.child_value("pid") : "-",
                        p.child("pid").text().as_int() > 0 ? format_uptime(up).c_str() : "-",
                        p.child_value("restarts"), p.child_value("state"));
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msim: cannot reach init of router %s: %s\n", paths.router.c_str(), e.what());
        return 1;
    }
}

int exec_cli(const RouterPaths& paths, const std::vector<std::string>& cli_args) {
    if (running_init_pid(paths) == 0) {
        std::fprintf(stderr, "msim: router %s is not running (start it with: msim start --router %s)\n",
                     paths.router.c_str(), paths.router.c_str());
        return 1;
    }
    const std::string cli = (libexec_dir() / "cli").string();
    std::vector<std::string> args = {"cli", "--state", paths.root.string(), "--router", paths.router};
    args.insert(args.end(), cli_args.begin(), cli_args.end());
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execv(cli.c_str(), argv.data());
    std::fprintf(stderr, "msim: cannot execute %s: %s\n", cli.c_str(), std::strerror(errno));
    return 1;
}

}  // namespace msim::launcher
