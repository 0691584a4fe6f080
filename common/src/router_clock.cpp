#include "msim/common/router_clock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace msim {

RouterClock::RouterClock(std::filesystem::path offset_file) : file_(std::move(offset_file)) {}

void RouterClock::refresh() const {
    struct stat st {};
    if (::stat(file_.c_str(), &st) != 0) {
        known_ = true;
        present_ = false;
        offset_ = std::chrono::nanoseconds(0);
        return;
    }
    const long long mtime = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
    if (known_ && present_ && mtime == mtime_ns_ && st.st_ino == inode_ && st.st_size == size_)
        return;
    // The file is replaced by rename, so a new inode (or size, or mtime) means a new offset.
    std::chrono::nanoseconds offset{0};
    const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[64] = {};
        const ssize_t n = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        if (n > 0) {
            char* end = nullptr;
            errno = 0;
            const long long v = std::strtoll(buf, &end, 10);
            // a hand-edited file beyond ±200 years would overflow the time points: ignored
            constexpr long long limit = 200LL * 366 * 24 * 3600 * 1000000000LL;
            if (errno == 0 && end != buf && v > -limit && v < limit)
                offset = std::chrono::nanoseconds(v);
        }
    }
    known_ = true;
    present_ = true;
    mtime_ns_ = mtime;
    inode_ = st.st_ino;
    size_ = st.st_size;
    offset_ = offset;
}

RouterClock::time_point RouterClock::now() const {
    std::lock_guard lock(mutex_);
    refresh();
    return std::chrono::system_clock::now() +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(offset_);
}

std::chrono::nanoseconds RouterClock::offset() const {
    std::lock_guard lock(mutex_);
    refresh();
    return offset_;
}

void RouterClock::set(time_point t) const {
    const auto offset =
        std::chrono::duration_cast<std::chrono::nanoseconds>(t - std::chrono::system_clock::now());
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    const std::string tmp = file_.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
    // nanoseconds, one line: what refresh() reads back
    const std::string text = std::to_string(offset.count()) + "\n";
    const bool ok =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || std::rename(tmp.c_str(), file_.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error("cannot write " + file_.string() + ": " + std::strerror(errno));
    }
    std::lock_guard lock(mutex_);
    known_ = false;
}

std::optional<RouterClock::time_point> parse_junos_date(std::string_view text) {
    // YYYYMMDDhhmm[.ss]
    if (text.size() != 12 && text.size() != 15)
        return std::nullopt;
    auto digits = [&](std::size_t at, std::size_t n) -> int {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(text[i])))
                return -1;
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    std::tm tm{};
    const int year = digits(0, 4), month = digits(4, 2), day = digits(6, 2), hour = digits(8, 2),
              minute = digits(10, 2);
    int second = 0;
    if (text.size() == 15) {
        if (text[12] != '.')
            return std::nullopt;
        second = digits(13, 2);
    }
    // (a time_point holds nanoseconds: up to the year 2262; the router's clock stays well inside)
    if (year < 1970 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
        return std::nullopt;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    std::tm check = tm;
    const std::time_t t = std::mktime(&check);
    // mktime normalizes Feb 30 into March: such a date is refused, not moved
    if (t == static_cast<std::time_t>(-1) || check.tm_mday != day || check.tm_mon != month - 1 ||
        check.tm_year != year - 1900)
        return std::nullopt;
    return std::chrono::system_clock::from_time_t(t);
}

std::string date_text(RouterClock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::localtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Z %Y", &tm);
    return buf;
}

}  // namespace msim
