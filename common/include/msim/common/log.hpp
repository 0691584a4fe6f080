// Syslog-style logging to a router's log files (var/log/messages and friends).
//
// Lines look like Junos syslog: "Nov 23 01:40:00 gateway-a init: kmd exited on signal 9, restarting".
// Several processes of one router append to the same file; each line is written with a single write(2) on
// an O_APPEND descriptor, so lines never interleave.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace msim {

class Logger {
  public:
    // `program` is the tag after the host name; `with_pid` adds "[pid]" after it as daemons do.
    Logger(std::filesystem::path file, std::string host, std::string program, bool with_pid = true);
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    void log(std::string_view message);
    // Also echoes to stderr; for errors a person starting a process by hand should see.
    void error(std::string_view message);

    void set_host(std::string host) { host_ = std::move(host); }
    const std::string& host() const { return host_; }
    const std::filesystem::path& file() const { return file_; }

    // "Nov 23 01:40:00" in local time, the syslog timestamp (of the host's clock, or of `t`).
    static std::string timestamp();
    static std::string timestamp(std::chrono::system_clock::time_point t);
    // Where the time of each line comes from: a router's daemons use the router's clock (`set date`).
    void set_time_source(std::function<std::chrono::system_clock::time_point()> source) {
        time_source_ = std::move(source);
    }

  private:
    std::filesystem::path file_;
    std::string host_;
    std::string tag_;
    std::function<std::chrono::system_clock::time_point()> time_source_;
    int fd_ = -1;
};

}  // namespace msim
