#include "msim/launcher/supervisor.hpp"

#include "msim/common/router_clock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "msim/common/ipc/connection.hpp"
#include "msim/common/xml.hpp"

namespace msim::launcher {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::filesystem::path libexec_dir() {
    if (const char* env = std::getenv("MSIM_LIBEXEC"); env && *env) {
        return env;
    }
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return (self.parent_path() / ".." / "libexec" / "msim").lexically_normal();
}

Supervisor::Supervisor(RouterPaths paths, std::filesystem::path libexec_dir, RestartPolicy policy)
    : paths_(std::move(paths)),
      libexec_(std::move(libexec_dir)),
      policy_(policy),
      log_(paths_.messages_log(), paths_.router, "init", false),
      child_signals_(io_, SIGCHLD),
      stop_signals_(io_, SIGTERM, SIGINT),
      kill_timer_(io_) {
    // init's lines in var/log/messages carry the router's time (`set date`), as the daemons' do.
    log_.set_time_source(
        [clock = std::make_shared<RouterClock>(paths_.clock_offset_file())] { return clock->now(); });
    for (auto name : router_daemons) {
        Child c;
        c.name = std::string(name);
        c.timer = std::make_unique<boost::asio::steady_timer>(io_);
        children_.push_back(std::move(c));
    }
}

Supervisor::~Supervisor() {
    if (lock_fd_ >= 0) {
        ::close(lock_fd_);
    }
}

const char* Supervisor::state_name(State s) {
    switch (s) {
        case State::starting:
            return "starting";
        case State::running:
            return "running";
        case State::restarting:
            return "restarting";
        case State::held_down:
            return "held-down";
        case State::stopping:
            return "stopping";
        case State::stopped:
            return "stopped";
    }
    return "unknown";
}

int Supervisor::run() {
    std::signal(SIGPIPE, SIG_IGN);
    paths_.create_layout();
    // One init per router: the lock is held for the life of this process and released by the kernel
    // however it ends, so a crashed init never blocks the next start.
    const auto lock_path = paths_.run_dir() / "init.lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        std::fprintf(stderr, "init: router %s is already running\n", paths_.router.c_str());
        return 1;
    }
    {
        std::ofstream pid(paths_.init_pid_file(), std::ios::trunc);
        pid << ::getpid() << "\n";
    }
    started_ = Clock::now();

    server_ = std::make_unique<ipc::Server>(
        io_, paths_.socket("init"),
        [this] {
            ipc::Handlers h;
            h.on_rpc = [this](ipc::Connection&, const pugi::xml_node& request, ipc::Responder r) {
                const std::string_view name = request.name();
                if (name == "get-process-status") {
                    serve_status(r);
                } else if (name == "ping") {
                    pugi::xml_document doc;
                    xml::append_text(doc.append_child("pong"), "daemon", "init");
                    r.reply(doc);
                } else if (name == "stop-router") {
                    r.reply_ok();
                    begin_shutdown();
                } else {
                    r.error(std::string("init does not know the RPC <") + request.name() + ">");
                }
            };
            return h;
        },
        &log_);
    try {
        server_->listen();
    } catch (const std::exception& e) {
        log_.error(std::string("cannot listen: ") + e.what());
        return 1;
    }

    std::function<void(const boost::system::error_code&, int)> on_child;
    on_child = [this, &on_child](const boost::system::error_code& ec, int) {
        if (ec) {
            return;
        }
        reap();
        child_signals_.async_wait(on_child);
    };
    child_signals_.async_wait(on_child);
    stop_signals_.async_wait([this](const boost::system::error_code& ec, int) {
        if (!ec) {
            begin_shutdown();
        }
    });

    log_.log("router " + paths_.router + " starting");
    for (auto& child : children_) {
        spawn(child);
    }
    io_.run();
    std::error_code ignored;
    std::filesystem::remove(paths_.init_pid_file(), ignored);
    log_.log("router " + paths_.router + " stopped");
    return 0;
}

void Supervisor::spawn(Child& child) {
    const auto exe = libexec_ / child.name;
    const auto stderr_path = paths_.log_dir() / (child.name + ".stderr");
    const std::string state = paths_.root.string();
    const pid_t pid = ::fork();
    if (pid < 0) {
        log_.log(child.name + " could not be started: fork failed: " + std::strerror(errno));
        return;
    }
    if (pid == 0) {
        // Child: default signal dispositions, stdin from /dev/null, output to the daemon's stderr log.
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, nullptr);
        std::signal(SIGPIPE, SIG_DFL);
        // Nothing of init's (its sockets, its lock) may leak into the daemon.
        ::close_range(3, ~0U, 0);
        int devnull = ::open("/dev/null", O_RDONLY);
        int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (devnull >= 0)
            ::dup2(devnull, 0);
        if (err >= 0) {
            ::dup2(err, 1);
            ::dup2(err, 2);
            ::close(err);
        }
        if (devnull > 2)
            ::close(devnull);
        ::execl(exe.c_str(), exe.c_str(), "--state", state.c_str(), "--router", paths_.router.c_str(),
                static_cast<char*>(nullptr));
        std::fprintf(stderr, "init: cannot execute %s: %s\n", exe.c_str(), std::strerror(errno));
        ::_exit(127);
    }
    child.pid = pid;
    child.state = State::starting;
    child.ready = false;
    child.started = Clock::now();
    poll_ready(child, 0);
}

// A daemon is ready when it answers <ping/> on its socket; poll every 50 ms for up to 30 s (sanitizer
// builds start slowly).
void Supervisor::poll_ready(Child& child, int attempt) {
    if (stopping_ || child.state != State::starting) {
        return;
    }
    const pid_t pid = child.pid;
    std::shared_ptr<ipc::Connection> conn;
    try {
        ipc::ConnectionOptions options;
        options.peer_name = child.name;
        conn =
            ipc::Connection::create(ipc::connect_socket(io_, paths_.socket(child.name)), {}, &log_, options);
        conn->start();
    } catch (const std::exception&) {
        conn.reset();
    }
    auto retry = [this, &child, attempt, pid] {
        if (attempt >= 600) {
            log_.log(child.name + " did not answer within 30 seconds of starting");
            return;
        }
        child.timer->expires_after(50ms);
        child.timer->async_wait([this, &child, attempt, pid](const boost::system::error_code& ec) {
            if (!ec && child.pid == pid) {
                poll_ready(child, attempt + 1);
            }
        });
    };
    if (!conn) {
        retry();
        return;
    }
    conn->call("ping", 2000ms, [this, &child, conn, pid, retry](ipc::Reply reply) {
        conn->close("readiness check done");
        if (child.pid != pid || child.state != State::starting) {
            return;
        }
        if (reply.ok()) {
            child.state = State::running;
            child.ready = true;
        } else {
            retry();
        }
    });
}

void Supervisor::reap() {
    for (;;) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            break;
        }
        for (auto& child : children_) {
            if (child.pid == pid) {
                on_exit(child, status);
                break;
            }
        }
    }
    check_shutdown_done();
}

void Supervisor::on_exit(Child& child, int wait_status) {
    child.pid = 0;
    child.ready = false;
    child.timer->cancel();
    std::string how = WIFSIGNALED(wait_status)
                          ? "exited on signal " + std::to_string(WTERMSIG(wait_status))
                          : "exited with status " + std::to_string(WEXITSTATUS(wait_status));
    if (stopping_) {
        child.state = State::stopped;
        return;
    }
    const auto now = Clock::now();
    child.deaths.push_back(now);
    while (!child.deaths.empty() && now - child.deaths.front() > policy_.window) {
        child.deaths.pop_front();
    }
    if (static_cast<int>(child.deaths.size()) > policy_.max_deaths) {
        child.state = State::held_down;
        log_.log(child.name + " " + how + "; it died " + std::to_string(child.deaths.size()) +
                 " times within " + std::to_string(policy_.window.count()) +
                 " seconds: thrashing, not restarted");
        return;
    }
    auto delay = policy_.first_delay * (1 << (child.deaths.size() - 1));
    if (delay > policy_.max_delay) {
        delay = policy_.max_delay;
    }
    child.state = State::restarting;
    log_.log(child.name + " " + how + ", restarting");
    child.timer->expires_after(delay);
    child.timer->async_wait([this, &child](const boost::system::error_code& ec) {
        if (ec || stopping_ || child.state != State::restarting) {
            return;
        }
        ++child.restarts;
        spawn(child);
    });
}

void Supervisor::begin_shutdown() {
    if (stopping_) {
        return;
    }
    stopping_ = true;
    log_.log("router " + paths_.router + " stopping");
    for (auto& child : children_) {
        child.timer->cancel();
        if (child.pid > 0) {
            child.state = State::stopping;
            ::kill(child.pid, SIGTERM);
        } else {
            child.state = State::stopped;
        }
    }
    // Daemons get three seconds to exit on their own; then they are killed.
    kill_timer_.expires_after(3s);
    kill_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        for (auto& child : children_) {
            if (child.pid > 0) {
                log_.log(child.name + " did not stop within 3 seconds, killing it");
                ::kill(child.pid, SIGKILL);
            }
        }
    });
    check_shutdown_done();
}

void Supervisor::check_shutdown_done() {
    if (!stopping_) {
        return;
    }
    for (const auto& child : children_) {
        if (child.pid > 0) {
            return;
        }
    }
    kill_timer_.cancel();
    if (server_) {
        server_->stop();
    }
    child_signals_.cancel();
    stop_signals_.cancel();
    io_.stop();
}

void Supervisor::serve_status(ipc::Responder responder) {
    const auto now = Clock::now();
    auto seconds = [now](Clock::time_point t) {
        return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - t).count());
    };
    pugi::xml_document doc;
    auto info = doc.append_child("process-status-information");
    xml::append_text(info, "router", paths_.router);
    xml::append_text(info, "init-pid", std::to_string(::getpid()));
    xml::append_text(info, "uptime-seconds", seconds(started_));
    for (const auto& child : children_) {
        auto p = info.append_child("process");
        xml::append_text(p, "name", child.name);
        xml::append_text(p, "pid", std::to_string(child.pid));
        xml::append_text(p, "state", state_name(child.state));
        xml::append_text(p, "ready", child.ready ? "true" : "false");
        xml::append_text(p, "uptime-seconds", child.pid > 0 ? seconds(child.started) : "0");
        xml::append_text(p, "restarts", std::to_string(child.restarts));
    }
    responder.reply(doc);
}

}  // namespace msim::launcher
