#include "msim/common/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace msim {

Logger::Logger(std::filesystem::path file, std::string host, std::string program, bool with_pid)
    : file_(std::move(file)), host_(std::move(host)), tag_(std::move(program)) {
    if (with_pid) {
        tag_ += "[" + std::to_string(::getpid()) + "]";
    }
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

Logger::~Logger() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

std::string Logger::timestamp() {
    return timestamp(std::chrono::system_clock::now());
}

std::string Logger::timestamp(std::chrono::system_clock::time_point t) {
    std::time_t now = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%b %e %H:%M:%S", &tm);
    return buf;
}

void Logger::log(std::string_view message) {
    std::string line =
        (time_source_ ? timestamp(time_source_()) : timestamp()) + " " + host_ + " " + tag_ + ": ";
    line.append(message);
    line.push_back('\n');
    if (fd_ >= 0) {
        // One write per line: O_APPEND makes it atomic with respect to the other writers.
        [[maybe_unused]] auto n = ::write(fd_, line.data(), line.size());
    }
}

void Logger::error(std::string_view message) {
    log(message);
    std::fprintf(stderr, "%s: %.*s\n", tag_.c_str(), static_cast<int>(message.size()), message.data());
}

}  // namespace msim
