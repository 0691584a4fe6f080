#include "msim/launcher/lab.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "msim/common/ipc/sync_client.hpp"
#include "msim/common/paths.hpp"
#include "msim/launcher/lab_file.hpp"
#include "msim/launcher/router_control.hpp"
#include "msim/launcher/supervisor.hpp"

extern char** environ;

namespace msim::launcher {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using lab::Endpoint;
using lab::LabFile;
using lab::LabFileError;
using lab::LabState;

namespace {

// UDP ports for router–router wires come from this range: below Linux's ephemeral ports (32768+), so a
// client socket elsewhere on the machine never takes a wire's port between `up` and pfed's bind.
constexpr int first_wire_port = 20000;
constexpr int last_wire_port = 29999;

// A failure of `up` that has already been explained; the lab is torn down after it.
struct LabFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Temp file, then rename: a reader never sees half a file.
void write_text(const fs::path& p, const std::string& text) {
    const fs::path tmp = p.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out)
            throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, p);
}

std::string indent(const std::string& text, const std::string& prefix = "    ") {
    std::string out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        out += prefix + line + "\n";
    return out;
}

fs::path msim_exe() {
    return fs::read_symlink("/proc/self/exe");
}

// msim-ca, the lab CA, is installed (and built) beside msim.
fs::path msim_ca_exe() {
    return msim_exe().parent_path() / "msim-ca";
}
fs::path ca_dir(const std::string& name) {
    return msim_home() / name;
}

// ---- child processes ----

// Starts argv[0] (searched in PATH) with stdin from /dev/null and stdout+stderr into `output` (or
// /dev/null). Returns the pid; throws when it cannot be started.
pid_t spawn(const std::vector<std::string>& args, const fs::path& output = "/dev/null", int out_fd = -1) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
        posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
        posix_spawn_file_actions_addclose(&actions, out_fd);
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
    }
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw std::runtime_error("cannot run " + args[0] + ": " + std::strerror(rc));
    return pid;
}

int wait_exit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 127;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

struct RunResult {
    int status = 127;
    std::string output;  // stdout and stderr together
};

// Runs a command to completion and captures what it printed.
RunResult run(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    RunResult r;
    pid_t pid = -1;
    try {
        pid = spawn(args, {}, fds[1]);
    } catch (...) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw;
    }
    ::close(fds[1]);
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0)
            r.output.append(buf, static_cast<size_t>(n));
        else if (n == 0 || errno != EINTR)
            break;
    }
    ::close(fds[0]);
    r.status = wait_exit(pid);
    return r;
}

// Runs `msim ARGS(router)` once per router, all at once, each one's output into its own file; returns the
// exit status per router. Routers come up in parallel: on a 2-core machine the processes of each router
// spend much of their start-up waiting for each other, not computing.
std::map<std::string, int> run_for_routers(
    const std::vector<std::string>& routers,
    const std::function<std::vector<std::string>(const std::string&)>& args,
    const std::map<std::string, fs::path>& outputs = {}) {
    const std::string exe = msim_exe().string();
    std::map<pid_t, std::string> running;
    std::map<std::string, int> status;
    for (const auto& r : routers) {
        std::vector<std::string> argv{exe};
        for (auto& a : args(r))
            argv.push_back(std::move(a));
        auto out = outputs.find(r);
        try {
            running.emplace(spawn(argv, out == outputs.end() ? fs::path("/dev/null") : out->second), r);
        } catch (const std::exception&) {
            status[r] = 127;
        }
    }
    for (const auto& [pid, r] : running)
        status[r] = wait_exit(pid);
    return status;
}

// ---- network namespaces ----

bool netns_exists(const std::string& name) {
    return fs::exists(fs::path("/var/run/netns") / name);
}

void ip(const std::vector<std::string>& args) {
    std::vector<std::string> full{"ip"};
    full.insert(full.end(), args.begin(), args.end());
    const RunResult r = run(full);
    if (r.status != 0) {
        std::string cmd;
        for (const auto& a : full)
            cmd += (cmd.empty() ? "" : " ") + a;
        throw std::runtime_error(
            "`" + cmd + "` failed: " + (r.output.empty() ? "exit " + std::to_string(r.status) : r.output));
    }
}

void create_host(const LabState::HostState& h) {
    ip({"netns", "add", h.name});
    ip({"-n", h.name, "link", "set", "lo", "up"});
    // A persistent TAP device: pfed attaches to it (and re-attaches after a restart) by name.
    ip({"-n", h.name, "tuntap", "add", "dev", h.interface, "mode", "tap"});
    ip({"-n", h.name, "addr", "add", h.address, "dev", h.interface});
    ip({"-n", h.name, "link", "set", h.interface, "up"});
    if (!h.gateway.empty())
        ip({"-n", h.name, "route", "add", "default", "via", h.gateway});
}

// "up", "down" (no carrier: pfed is not attached), or "absent".
std::string tap_state(const LabState::HostState& h) {
    if (!netns_exists(h.name))
        return "absent";
    const RunResult r = run({"ip", "-n", h.name, "-o", "link", "show", "dev", h.interface});
    if (r.status != 0)
        return "absent";
    const auto open = r.output.find('<'), close = r.output.find('>');
    const std::string flags = open == std::string::npos ? "" : r.output.substr(open, close - open + 1);
    return flags.find("LOWER_UP") != std::string::npos ? "up" : "down";
}

// ---- state files ----

fs::path state_path(const std::string& lab_name) {
    return lab_state_dir() / (lab_name + ".yaml");
}

std::vector<LabState> all_states() {
    std::vector<LabState> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(lab_state_dir(), ec)) {
        if (e.path().extension() != ".yaml")
            continue;
        try {
            out.push_back(lab::parse_state(read_text(e.path()), e.path().string()));
        } catch (const std::exception& ex) {
            std::fprintf(stderr, "msim lab: ignoring %s\n", ex.what());
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

struct NotUp : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The lab `-t` names (a lab file, or a lab's name), or the only lab that is up.
LabState resolve_lab(const std::optional<std::string>& arg) {
    if (!arg) {
        auto states = all_states();
        if (states.empty())
            throw NotUp("no lab is up");
        if (states.size() > 1) {
            std::string names;
            for (const auto& s : states)
                names += (names.empty() ? "" : ", ") + s.name;
            throw std::runtime_error("several labs are up (" + names + "): name one with -t FILE");
        }
        return states.front();
    }
    std::string name;
    std::error_code ec;
    if (fs::is_regular_file(*arg, ec)) {
        // Only the name matters here, so a lab file edited into an invalid one still names its lab.
        try {
            name = lab::load_lab(*arg).name;
        } catch (const LabFileError&) {
            try {
                name = YAML::LoadFile(*arg)["name"].as<std::string>();
            } catch (const std::exception&) {
                throw std::runtime_error(*arg + ": cannot find the lab's name (name: LAB) in this file");
            }
        }
    } else if (msim::valid_router_name(*arg)) {
        name = *arg;
    } else {
        throw std::runtime_error(*arg + ": no such lab file");
    }
    const fs::path p = state_path(name);
    if (!fs::exists(p))
        throw NotUp("lab " + name + " is not up");
    return lab::parse_state(read_text(p), p.string());
}

// ---- bring-up and tear-down ----

// Ports for every router–router link end: free now (bound and released at once) and not promised to
// another lab.
std::vector<int> allocate_ports(size_t count) {
    std::set<int> taken;
    for (const auto& s : all_states()) {
        for (const auto& l : s.links) {
            taken.insert(l.ports[0]);
            taken.insert(l.ports[1]);
        }
    }
    std::vector<int> ports;
    std::vector<int> held;  // keep each socket until all are found, so no port is handed out twice
    for (int p = first_wire_port; p <= last_wire_port && ports.size() < count; ++p) {
        if (taken.count(p))
            continue;
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<uint16_t>(p));
        if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            ports.push_back(p);
            held.push_back(fd);
        } else if (fd >= 0) {
            ::close(fd);
        }
    }
    for (int fd : held)
        ::close(fd);
    if (ports.size() < count)
        throw std::runtime_error("not enough free UDP ports in " + std::to_string(first_wire_port) + "-" +
                                 std::to_string(last_wire_port) + " for the wires");
    return ports;
}

// Ends what still runs in a host's namespace (a peer daemon, a ping, a capture started from `lab console`):
// deleting the namespace only removes its name, and such processes would live on in it out of sight.
// SIGTERM first, SIGKILL after two seconds.
void stop_host_processes(const std::string& host) {
    const RunResult r = run({"ip", "netns", "pids", host});
    std::vector<pid_t> pids;
    std::istringstream in(r.output);
    for (long v; in >> v;)
        if (v > 1 && v != ::getpid())
            pids.push_back(static_cast<pid_t>(v));
    if (pids.empty())
        return;
    std::printf("Stopping %zu process%s left in host %s\n", pids.size(), pids.size() == 1 ? "" : "es",
                host.c_str());
    std::fflush(stdout);
    for (pid_t p : pids)
        ::kill(p, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    auto any_alive = [&] { return std::any_of(pids.begin(), pids.end(), process_alive); };
    while (any_alive() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (pid_t p : pids)
        if (process_alive(p))
            ::kill(p, SIGKILL);
}

// Stops the routers, removes the hosts' devices and namespaces, then the state file. Each step goes on
// when something is already gone, so this cleans a partial `up` and is harmless twice.
void teardown(const LabState& s) {
    for (const auto& c : s.cas)
        run({msim_ca_exe().string(), "stop", "--dir", ca_dir(c.name).string()});
    if (!s.routers.empty()) {
        std::printf("Stopping routers %s\n",
                    [&] {
                        std::string n;
                        for (const auto& r : s.routers)
                            n += (n.empty() ? "" : " ") + r;
                        return n;
                    }()
                        .c_str());
        std::fflush(stdout);
        run_for_routers(s.routers, [](const std::string& r) {
            return std::vector<std::string>{"stop", "--router", r};
        });
    }
    for (const auto& h : s.hosts) {
        if (!netns_exists(h.name))
            continue;
        stop_host_processes(h.name);
        // The device first: were something still holding the namespace open (a pfed that did not stop),
        // `ip netns del` would only remove its name and the TAP device would live on out of sight.
        run({"ip", "-n", h.name, "link", "del", h.interface});
        const RunResult r = run({"ip", "netns", "del", h.name});
        if (r.status != 0)
            std::fprintf(stderr, "msim lab: cannot delete namespace %s: %s", h.name.c_str(),
                         r.output.c_str());
    }
    std::error_code ec;
    fs::remove(state_path(s.name), ec);
}

// Ctrl-C (or SIGTERM) while `up` runs: the children in our process group get it too and fail; `up` then
// tears down what it created instead of dying halfway and leaving it to `down`.
volatile std::sig_atomic_t up_interrupted = 0;
void on_up_signal(int) {
    up_interrupted = 1;
}

void check_interrupted() {
    if (up_interrupted)
        throw LabFailure("interrupted");
}

std::string router_port_state(const Endpoint& e, bool router_running);

// Waits (bounded) until pfed has every wired router port: chassisd brings PICs online and pfed creates their
// interfaces shortly after a router starts, and a lab that is "up" must be capturable and pingable at once.
// Returns the ports still missing when the time ran out.
std::vector<std::string> wait_for_router_ports(const LabState& state, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<std::string> missing;
    for (;;) {
        missing.clear();
        for (const auto& l : state.links)
            for (const auto& e : l.endpoints)
                if (!state.host(e.node)) {
                    const auto port = router_port_state(e, true);
                    if (port != "up" && port != "down")
                        missing.push_back(e.text());
                }
        if (missing.empty() || std::chrono::steady_clock::now() >= deadline)
            return missing;
        check_interrupted();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

int lab_up(const std::string& file) {
    const auto t0 = std::chrono::steady_clock::now();
    LabFile lab;
    try {
        lab = lab::load_lab(file);
    } catch (const LabFileError& e) {
        std::fprintf(stderr, "msim lab: %s is not a valid lab file:\n%s", file.c_str(),
                     indent(e.what(), "  ").c_str());
        return 1;
    }
    // Refuse before creating anything.
    if (fs::exists(state_path(lab.name))) {
        std::fprintf(stderr, "msim lab: lab %s is already up (msim lab down -t %s removes it)\n",
                     lab.name.c_str(), file.c_str());
        return 1;
    }
    if (!fs::exists(libexec_dir() / "init")) {
        std::fprintf(stderr, "msim lab: cannot find the router programs in %s\n", libexec_dir().c_str());
        return 1;
    }
    const auto others = all_states();
    std::vector<std::string> problems;
    for (const auto& r : lab.routers) {
        if (int pid = running_init_pid(router_paths(r.name))) {
            std::string owner;
            for (const auto& o : others) {
                if (o.has_router(r.name))
                    owner = " by lab " + o.name;
            }
            problems.push_back("router " + r.name + " is already running (init pid " + std::to_string(pid) +
                               (owner.empty() ? ", not in a lab" : ", used" + owner) + ")");
        }
    }
    for (const auto& h : lab.hosts) {
        if (netns_exists(h.name))
            problems.push_back("network namespace " + h.name + " already exists (host " + h.name + ")");
    }
    if (!lab.hosts.empty() && ::geteuid() != 0)
        problems.push_back("hosts need network namespaces, which need root");
    if (!problems.empty()) {
        std::fprintf(stderr, "msim lab: cannot bring up lab %s:\n", lab.name.c_str());
        for (const auto& p : problems)
            std::fprintf(stderr, "  %s\n", p.c_str());
        return 1;
    }

    size_t udp_links = 0;
    for (const auto& l : lab.links)
        udp_links += lab.router(l.endpoints[0].node) && lab.router(l.endpoints[1].node) ? 1 : 0;
    LabState state;
    try {
        state = lab::plan_state(lab, allocate_ports(2 * udp_links));
        fs::create_directories(lab_state_dir());
        write_text(state_path(lab.name), lab::state_text(state));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msim lab: %s\n", e.what());
        return 1;
    }

    struct sigaction sa {};
    sa.sa_handler = on_up_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    try {
        for (const auto& h : state.hosts) {
            check_interrupted();
            std::printf("Creating host %s (%s on %s)\n", h.name.c_str(), h.address.c_str(),
                        h.interface.c_str());
            create_host(h);
        }
        // The lab's CAs: a fresh CA each time the lab comes up (so the routers' certificates and the CA's
        // state belong together), serving on the host's loopback before any router asks for it.
        for (const auto& c : lab.cas) {
            check_interrupted();
            std::printf("Starting CA %s (http://127.0.0.1:%d/scep)\n", c.name.c_str(), c.port);
            std::fflush(stdout);
            const std::string dir = ca_dir(c.name).string();
            const std::string url = "http://127.0.0.1:" + std::to_string(c.port);
            std::vector<std::string> init{msim_ca_exe().string(),
                                          "init",
                                          "--dir",
                                          dir,
                                          "--force",
                                          "--approval",
                                          c.approval,
                                          "--validity-days",
                                          std::to_string(c.validity_days),
                                          "--crl-url",
                                          url + "/ca.crl"};
            if (!c.subject.empty())
                init.insert(init.end(), {"--subject", c.subject});
            if (!c.challenge_password.empty())
                init.insert(init.end(), {"--challenge-password", c.challenge_password});
            RunResult r = run(init);
            if (r.status == 0)
                r = run({msim_ca_exe().string(), "start", "--dir", dir, "--listen",
                         "127.0.0.1:" + std::to_string(c.port)});
            if (r.status != 0)
                throw LabFailure("ca " + c.name + " did not start:\n" + indent(r.output));
        }
        std::map<std::string, fs::path> start_logs, config_logs;
        for (const auto& r : lab.routers) {
            const auto paths = router_paths(r.name);
            paths.create_layout();
            write_text(paths.hardware_conf(), lab::hardware_conf_text(r));
            write_text(paths.root / "wires.conf", lab::wires_conf_text(state, r.name));
            start_logs[r.name] = paths.tmp_dir() / "lab-start.log";
            // The router gets exactly its host name plus the startup configuration: `load override` of the
            // host name drops whatever an earlier lab left in this folder, `load merge` adds the rest.
            const fs::path base = paths.tmp_dir() / "lab-base.conf";
            const fs::path startup = paths.tmp_dir() / "lab-startup.conf";
            const fs::path batch = paths.tmp_dir() / "lab-startup.batch";
            write_text(base, "system {\n    host-name " + r.name + ";\n}\n");
            std::string commands = "configure\nload override " + base.string() + "\n";
            if (!r.startup_config.empty()) {
                write_text(startup, r.startup_config + (r.startup_config.back() == '\n' ? "" : "\n"));
                commands += "load merge " + startup.string() + "\n";
            }
            commands += "commit and-quit\n";
            write_text(batch, commands);
            config_logs[r.name] = paths.tmp_dir() / "lab-startup.log";
        }
        if (!state.routers.empty()) {
            check_interrupted();
            std::printf("Starting %zu router(s)\n", state.routers.size());
            std::fflush(stdout);
            std::string failed;
            const auto started = run_for_routers(
                state.routers,
                [](const std::string& r) {
                    return std::vector<std::string>{"start", "--router", r};
                },
                start_logs);
            for (const auto& [r, rc] : started) {
                if (rc != 0)
                    failed += "router " + r + " did not start:\n" + indent(read_text(start_logs[r]));
            }
            check_interrupted();  // children that died of the same Ctrl-C are not the story
            if (!failed.empty())
                throw LabFailure(failed);
            std::printf("Loading startup configurations\n");
            std::fflush(stdout);
            const auto loaded = run_for_routers(
                state.routers,
                [](const std::string& r) {
                    return std::vector<std::string>{
                        "cli", "--router", r, "-f",
                        (router_paths(r).tmp_dir() / "lab-startup.batch").string()};
                },
                config_logs);
            for (const auto& [r, rc] : loaded) {
                if (rc != 0) {
                    // The CLI names lab-startup.conf's lines; say where that text sits in the lab file.
                    const auto* router = lab.router(r);
                    failed += "router " + r + " refused its startup-config (" + lab.file.filename().string() +
                              " line " + std::to_string(router->startup_config_line) +
                              "; line N of lab-startup.conf is line " +
                              std::to_string(router->startup_config_line) + "+N of the lab file):\n" +
                              indent(read_text(config_logs[r]));
                }
            }
            check_interrupted();  // children that died of the same Ctrl-C are not the story
            if (!failed.empty())
                throw LabFailure(failed);
        }
        check_interrupted();
        if (const auto missing = wait_for_router_ports(state, std::chrono::seconds(30)); !missing.empty()) {
            std::string list;
            for (const auto& m : missing)
                list += "  " + m + "\n";
            throw LabFailure("router ports that pfed did not create within 30 s:\n" + list);
        }
        state.phase = "up";
        write_text(state_path(lab.name), lab::state_text(state));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msim lab: lab %s failed to come up:\n%s", lab.name.c_str(),
                     indent(e.what(), "  ").c_str());
        std::fprintf(stderr, "msim lab: removing what was created\n");
        teardown(state);
        return 1;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("Lab %s is up: %zu router(s), %zu host(s), %zu link(s) in %.1f s\n", lab.name.c_str(),
                state.routers.size(), state.hosts.size(), state.links.size(), secs);
    return 0;
}

int lab_down(const std::optional<std::string>& which) {
    LabState s;
    try {
        s = resolve_lab(which);
    } catch (const NotUp& e) {
        // Nothing to remove is not an error: `down` twice in a row is fine.
        std::string msg = e.what();
        msg[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(msg[0])));
        std::printf("%s\n", msg.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msim lab: %s\n", e.what());
        return 1;
    }
    teardown(s);
    std::printf("Lab %s is down\n", s.name.c_str());
    return 0;
}

// init's view of a router: "running" with a summary of its daemons, or "stopped".
std::pair<std::string, std::string> router_state(const std::string& name) {
    const auto paths = router_paths(name);
    const int pid = running_init_pid(paths);
    if (pid == 0)
        return {"stopped", ""};
    try {
        ipc::SyncClient init(paths.socket("init"), "init");
        auto reply = init.call("get-process-status", 2000ms);
        if (!reply.ok())
            return {"running", "init pid " + std::to_string(pid) + ", init did not answer"};
        int running = 0;
        std::string others;
        for (auto p : reply.root().child("process-status-information").children("process")) {
            const std::string st = p.child_value("state");
            if (st == "running" && std::string_view(p.child_value("ready")) == "true")
                ++running;
            else
                others +=
                    std::string(", ") + p.child_value("name") + " " + (st == "running" ? "starting" : st);
        }
        return {"running", "init pid " + std::to_string(pid) + ", " + std::to_string(running) +
                               " daemons running" + others};
    } catch (const std::exception& e) {
        return {"running", "init pid " + std::to_string(pid) + ", cannot reach init: " + e.what()};
    }
}

// The router end of a wire as pfed sees it: "up", "down" (no wire or peer), "absent" (its PIC is offline),
// "stopped" (router not running) or "unknown" (pfed did not say).
std::string router_port_state(const Endpoint& e, bool router_running) {
    if (!router_running)
        return "stopped";
    try {
        ipc::SyncClient pfed(router_paths(e.node).socket("pfed"), "pfed");
        pugi::xml_document req;
        auto r = req.append_child("get-interface-information");
        r.append_child("interface-name").text().set(e.interface.c_str());
        r.append_child("terse");
        auto reply = pfed.call(req, 2000ms);
        if (reply.status == ipc::Reply::Status::rpc_error) {
            // pfed answers "device NAME not found" for an interface whose PIC is not online.
            return reply.error_message.find("not found") != std::string::npos ? "absent" : "unknown";
        }
        if (!reply.ok())
            return "unknown";
        for (auto n : reply.root().select_nodes("//physical-interface")) {
            auto pi = n.node();
            if (e.interface == pi.child_value("name")) {
                const std::string oper = pi.child_value("oper-status");
                return oper.empty() ? "unknown" : oper;
            }
        }
        return "absent";
    } catch (const std::exception&) {
        return "unknown";
    }
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()));
        for (size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        std::printf("%s\n", line.c_str());
    }
}

int lab_status(const std::optional<std::string>& which) {
    LabState s;
    try {
        s = resolve_lab(which);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msim lab: %s\n", e.what());
        return 1;
    }
    std::printf("Lab %s: %s (%s)\n\n", s.name.c_str(), s.phase == "up" ? "up" : "coming up, or a failed up",
                s.file.c_str());
    std::vector<std::vector<std::string>> nodes{{"Node", "Kind", "State", "Details"}};
    std::map<std::string, bool> running;
    for (const auto& r : s.routers) {
        auto [st, detail] = router_state(r);
        running[r] = st == "running";
        nodes.push_back({r, "router", st, detail});
    }
    for (const auto& h : s.hosts) {
        const bool present = netns_exists(h.name);
        std::string detail =
            h.interface + " " + h.address + (h.gateway.empty() ? "" : ", gateway " + h.gateway);
        if (present) {
            // What the namespace really has, in case someone changed it by hand.
            const auto addr = run({"ip", "-n", h.name, "-o", "-4", "addr", "show", "dev", h.interface});
            if (addr.status != 0)
                detail += " (device " + h.interface + " missing)";
            else if (addr.output.find(" " + h.address + " ") == std::string::npos)
                detail += " (address missing)";
            if (!h.gateway.empty() &&
                run({"ip", "-n", h.name, "route", "show", "default"}).output.find("via " + h.gateway + " ") ==
                    std::string::npos)
                detail += " (default route missing)";
        }
        nodes.push_back({h.name, "host", present ? "present" : "absent", detail});
    }
    for (const auto& c : s.cas) {
        const auto r = run({msim_ca_exe().string(), "status", "--dir", ca_dir(c.name).string()});
        nodes.push_back({c.name, "ca", r.status == 0 ? "running" : "stopped",
                         "http://127.0.0.1:" + std::to_string(c.port) + "/scep"});
    }
    print_table(nodes);
    std::printf("\n");
    std::vector<std::vector<std::string>> links{{"Link", "Wire", "State", "Ends"}};
    for (const auto& l : s.links) {
        std::array<std::string, 2> ends;
        for (size_t i = 0; i < 2; ++i) {
            const Endpoint& e = l.endpoints[i];
            if (const auto* h = s.host(e.node))
                ends[i] = tap_state(*h);
            else
                ends[i] = router_port_state(e, running[e.node]);
        }
        const bool up = ends[0] == "up" && ends[1] == "up";
        std::string wire =
            l.is_tap() ? "tap" : "udp " + std::to_string(l.ports[0]) + "<->" + std::to_string(l.ports[1]);
        links.push_back({l.endpoints[0].text() + " <-> " + l.endpoints[1].text(), wire, up ? "up" : "down",
                         ends[0] + " / " + ends[1]});
    }
    print_table(links);
    return 0;
}

int lab_console(const std::optional<std::string>& which, const std::string& node,
                const std::optional<std::string>& commands) {
    LabState s;
    try {
        s = resolve_lab(which);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msim lab: %s\n", e.what());
        return 1;
    }
    if (s.has_router(node)) {
        std::vector<std::string> args;
        if (commands)
            args = {"-c", *commands};
        return exec_cli(router_paths(node), args);
    }
    if (s.ca(node)) {
        // msim-ca's commands on the CA's directory: `-c 'approve 3'`, `-c 'revoke 02'`; `list` without -c.
        std::vector<std::string> args{msim_ca_exe().string()};
        std::istringstream words(commands ? *commands : "list");
        for (std::string w; words >> w;)
            args.push_back(w);
        args.insert(args.end(), {"--dir", ca_dir(node).string()});
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        std::fprintf(stderr, "msim lab: cannot run %s: %s\n", argv[0], std::strerror(errno));
        return 1;
    }
    if (!s.host(node)) {
        std::fprintf(stderr, "msim lab: lab %s has no node %s\n", s.name.c_str(), node.c_str());
        return 1;
    }
    if (!netns_exists(node)) {
        std::fprintf(stderr, "msim lab: the namespace of host %s does not exist\n", node.c_str());
        return 1;
    }
    std::vector<std::string> args{"ip", "netns", "exec", node};
    if (commands) {
        args.insert(args.end(), {"bash", "-c", *commands});
    } else {
        const char* shell = std::getenv("SHELL");
        args.push_back(shell && *shell ? shell : "/bin/bash");
    }
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp("ip", argv.data());
    std::fprintf(stderr, "msim lab: cannot run ip: %s\n", std::strerror(errno));
    return 1;
}

volatile std::sig_atomic_t capture_stop = 0;
void on_capture_signal(int) {
    capture_stop = 1;
}

int lab_capture(const std::optional<std::string>& which, const std::string& target, const std::string& out) {
    LabState s;
    try {
        s = resolve_lab(which);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msim lab: %s\n", e.what());
        return 1;
    }
    const auto colon = target.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == target.size()) {
        std::fprintf(stderr, "msim lab: expected NODE:INTERFACE, not '%s'\n", target.c_str());
        return 2;
    }
    Endpoint end{target.substr(0, colon), target.substr(colon + 1)};
    if (s.host(end.node)) {
        // A host's wire is captured where pfed sees it: on the router end of the same link.
        const auto* link = s.link_of(end);
        if (!link) {
            std::fprintf(stderr, "msim lab: host %s has no link on %s\n", end.node.c_str(),
                         end.interface.c_str());
            return 1;
        }
        const Endpoint& other = link->endpoints[0].node == end.node ? link->endpoints[1] : link->endpoints[0];
        std::fprintf(stderr, "Capturing %s on its router end %s\n", end.text().c_str(), other.text().c_str());
        end = other;
    } else if (!s.has_router(end.node)) {
        std::fprintf(stderr, "msim lab: lab %s has no node %s\n", s.name.c_str(), end.node.c_str());
        return 1;
    }
    const auto paths = router_paths(end.node);
    if (running_init_pid(paths) == 0) {
        std::fprintf(stderr, "msim lab: router %s is not running\n", end.node.c_str());
        return 1;
    }
    const fs::path file = fs::absolute(out).lexically_normal();
    struct sigaction sa {};
    sa.sa_handler = on_capture_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    try {
        ipc::SyncClient pfed(paths.socket("pfed"), "pfed");
        pugi::xml_document req;
        auto r = req.append_child("start-capture");
        r.append_child("interface").text().set(end.interface.c_str());
        r.append_child("file").text().set(file.c_str());
        const bool tty = ::isatty(2);
        std::fprintf(stderr, "Capturing %s to %s (Ctrl-C stops)\n", end.text().c_str(), file.c_str());
        // pfed reports at most once a second and only while packets flow, so silence is normal: the idle
        // timeout only guards against a pfed that hangs for a day.
        auto reply = pfed.call_streaming(
            req.document_element(), std::chrono::hours(24),
            [&](const pugi::xml_node& body) {
                if (tty) {
                    std::fprintf(stderr, "\r%s packets", body.child("capture-status").child_value("packets"));
                }
            },
            &capture_stop);
        if (tty)
            std::fprintf(stderr, "\r");
        if (!reply.ok()) {
            std::fprintf(stderr, "msim lab: capture on %s failed: %s\n", end.text().c_str(),
                         reply.error_message.empty() ? "pfed did not answer" : reply.error_message.c_str());
            return 1;
        }
        auto info = reply.root().child("capture-information");
        std::printf("%s packets captured\n", info.child("packets") ? info.child_value("packets") : "0");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "msim lab: cannot reach pfed of router %s: %s\n", end.node.c_str(), e.what());
        return 1;
    }
}

void lab_usage(std::FILE* out) {
    std::fputs(
        "usage: msim lab up FILE                         bring up the lab FILE describes\n"
        "       msim lab down    [-t FILE]              stop its routers, remove its hosts\n"
        "       msim lab status  [-t FILE]              its nodes and links with their state\n"
        "       msim lab console [-t FILE] NODE [-c 'CMD; CMD...']\n"
        "                                               a router's CLI, or a shell in a host\n"
        "       msim lab capture [-t FILE] NODE:IF OUT.pcap\n"
        "                                               capture a wire until Ctrl-C\n"
        "-t names the lab file (or the lab's name); it may be left out while one lab is up.\n",
        out);
}

}  // namespace

int lab_main(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        lab_usage(args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    const std::string& cmd = args[0];
    std::optional<std::string> lab_arg, commands;
    std::vector<std::string> words;
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        const bool has_value = i + 1 < args.size();
        if ((a == "-t" || a == "--topology") && has_value) {
            lab_arg = args[++i];
        } else if (a == "-c" && has_value && cmd == "console") {
            commands = args[++i];
        } else if (a == "-t" || a == "--topology" || (a == "-c" && cmd == "console")) {
            std::fprintf(stderr, "msim lab: %s needs a value\n", a.c_str());
            return 2;
        } else if (a.size() > 1 && a[0] == '-') {
            std::fprintf(stderr, "msim lab: unknown option '%s'\n", a.c_str());
            lab_usage(stderr);
            return 2;
        } else {
            words.push_back(a);
        }
    }
    auto want = [&](size_t n, const char* what) {
        if (words.size() == n)
            return true;
        std::fprintf(stderr, "msim lab %s: %s\n", cmd.c_str(),
                     words.size() < n ? (std::string("missing ") + what).c_str()
                                      : ("unexpected argument '" + words[n] + "'").c_str());
        lab_usage(stderr);
        return false;
    };
    if (cmd == "up") {
        // `up` takes the file as its argument (-t FILE is accepted too, for symmetry with the others).
        if (lab_arg && words.empty())
            words.push_back(*lab_arg);
        return want(1, "lab file") ? lab_up(words[0]) : 2;
    }
    if (cmd == "down")
        return want(0, "") ? lab_down(lab_arg) : 2;
    if (cmd == "status")
        return want(0, "") ? lab_status(lab_arg) : 2;
    if (cmd == "console")
        return want(1, "node name") ? lab_console(lab_arg, words[0], commands) : 2;
    if (cmd == "capture")
        return want(2, "NODE:INTERFACE OUT.pcap") ? lab_capture(lab_arg, words[0], words[1]) : 2;
    std::fprintf(stderr, "msim lab: unknown command '%s'\n", cmd.c_str());
    lab_usage(stderr);
    return 2;
}

fs::path lab_state_dir() {
    return msim_home() / ".labs";
}

}  // namespace msim::launcher
