#include "msim/kmd/trace_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msim/common/log.hpp"

namespace msim::kmd {

TraceFile::~TraceFile() {
    close();
}

void TraceFile::open(std::filesystem::path path, std::uint32_t files, std::uint64_t size) {
    close();
    path_ = std::move(path);
    files_ = files < 2 ? 2 : files;
    size_ = size == 0 ? 128 * 1024 : size;
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st {};
    written_ = fd_ >= 0 && ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

void TraceFile::close() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = -1;
}

void TraceFile::rotate() {
    close();
    std::error_code ec;
    const std::string base = path_.string();
    // NAME.(files-2) is the oldest kept; it is overwritten by the next older one.
    for (int i = static_cast<int>(files_) - 2; i >= 1; --i) {
        std::filesystem::rename(base + "." + std::to_string(i - 1), base + "." + std::to_string(i), ec);
    }
    std::filesystem::rename(path_, base + ".0", ec);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    written_ = 0;
}

void TraceFile::write(std::string_view line) {
    if (fd_ < 0) {
        return;
    }
    std::string text = Logger::timestamp();
    text += ' ';
    text += line;
    text += '\n';
    if (written_ > 0 && written_ + text.size() > size_) {
        rotate();
        if (fd_ < 0) {
            return;
        }
    }
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n > 0) {
        written_ += static_cast<std::uint64_t>(n);
    }
}

}  // namespace msim::kmd
