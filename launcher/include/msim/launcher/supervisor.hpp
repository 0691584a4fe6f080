// init: the per-router supervisor. It starts the router's daemons, watches them, restarts the ones that
// die (with back-off, logged to var/log/messages), holds down a daemon that keeps dying, answers status
// queries on var/run/init.sock, and on SIGTERM stops every daemon and leaves no process behind.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "msim/common/ipc/server.hpp"
#include "msim/common/log.hpp"
#include "msim/common/paths.hpp"

namespace msim::launcher {

// Restart policy: the first restart comes after `first_delay` (well within a second), each further one
// after twice the previous delay; a daemon that died more than `max_deaths` times within `window` is held
// down (not restarted) until the router is restarted.
struct RestartPolicy {
    std::chrono::milliseconds first_delay{200};
    std::chrono::milliseconds max_delay{8000};
    int max_deaths = 5;
    std::chrono::seconds window{60};
};

class Supervisor {
  public:
    Supervisor(RouterPaths paths, std::filesystem::path libexec_dir, RestartPolicy policy = {});
    ~Supervisor();

    // Takes the router's lock, writes var/run/init.pid, starts the daemons and runs until stopped.
    // Returns the process exit code (1 when another init already runs this router).
    int run();

  private:
    enum class State { starting, running, restarting, held_down, stopping, stopped };
    struct Child {
        std::string name;
        pid_t pid = 0;
        State state = State::stopped;
        bool ready = false;
        int restarts = 0;
        std::chrono::steady_clock::time_point started{};
        std::deque<std::chrono::steady_clock::time_point> deaths;
        std::unique_ptr<boost::asio::steady_timer> timer;  // restart back-off or readiness polling
    };

    void spawn(Child& child);
    void poll_ready(Child& child, int attempt);
    void reap();
    void on_exit(Child& child, int wait_status);
    void begin_shutdown();
    void check_shutdown_done();
    void serve_status(ipc::Responder responder);
    static const char* state_name(State s);

    RouterPaths paths_;
    std::filesystem::path libexec_;
    RestartPolicy policy_;
    boost::asio::io_context io_;
    Logger log_;
    std::vector<Child> children_;
    std::unique_ptr<ipc::Server> server_;
    boost::asio::signal_set child_signals_;
    boost::asio::signal_set stop_signals_;
    boost::asio::steady_timer kill_timer_;
    bool stopping_ = false;
    int lock_fd_ = -1;
    std::chrono::steady_clock::time_point started_;
};

// Where the daemon executables live: <dir of this executable>/../libexec/msim, or $MSIM_LIBEXEC.
std::filesystem::path libexec_dir();

}  // namespace msim::launcher
