// The router's clock: the host's wall clock plus an offset the operator sets with the Junos operational
// command `set date YYYYMMDDhhmm[.ss]`. The offset lives in <router>/var/db/clock-offset, so every process
// of one router (and a daemon restarted later) reads the same time, and it survives a router restart as a
// real router's clock does. Whatever judges wall time goes through it: certificate validity, CRL
// nextUpdate, automatic re-enrollment, syslog timestamps, `show system uptime`. Intervals and timeouts keep
// using std::chrono::steady_clock: a clock change never makes a timer fire early or late.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace msim {

class RouterClock {
  public:
    using time_point = std::chrono::system_clock::time_point;

    // `offset_file` is RouterPaths::clock_offset_file(); it need not exist (no offset).
    explicit RouterClock(std::filesystem::path offset_file);

    // The router's current time. Thread-safe; a change another process made is seen at once (the file's
    // identity is checked on every call, a stat(2), and it is read again only when it changed).
    time_point now() const;
    // How far the router's clock is from the host's (positive: ahead).
    std::chrono::nanoseconds offset() const;
    // Sets the router's clock to `t` (for every process of the router): writes the offset atomically
    // (temporary file, fsync, rename). Throws std::runtime_error when the file cannot be written.
    void set(time_point t) const;

  private:
    void refresh() const;  // with mutex_ held

    std::filesystem::path file_;
    mutable std::mutex mutex_;
    mutable bool known_ = false;  // the cached identity below is valid
    mutable bool present_ = false;
    mutable long long mtime_ns_ = 0;
    mutable unsigned long long inode_ = 0;
    mutable long long size_ = 0;
    mutable std::chrono::nanoseconds offset_{0};
};

// The argument of `set date`: YYYYMMDDhhmm or YYYYMMDDhhmm.ss, in the router's local time zone (as Junos,
// which hands it to date(1)), years 1970..2200. nullopt when it is not such a date or names no real time
// (month 13, Feb 30).
std::optional<RouterClock::time_point> parse_junos_date(std::string_view text);

// date(1)'s default output, "Tue Dec  5 10:30:00 UTC 2017", in local time: what `set date` prints.
std::string date_text(RouterClock::time_point t);

}  // namespace msim
