// Syslog-style logging to a router's log files (var/log/messages and friends).
//
// Lines look like Junos syslog: "Nov 23 01:40:00 gateway-a init: kmd exited on signal 9, restarting".
// Several processes of one router append to the same file; each line is written with a single write(2) on
// an O_APPEND descriptor, so lines never interleave.
#pragma once

#include <filesystem>
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

    // "Nov 23 01:40:00" in local time, the syslog timestamp.
    static std::string timestamp();

  private:
    std::filesystem::path file_;
    std::string host_;
    std::string tag_;
    int fd_ = -1;
};

}  // namespace msim
