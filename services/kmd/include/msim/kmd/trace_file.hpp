// A Junos trace file (`traceoptions file NAME files N size S`): lines appended to var/log/NAME; when the
// file would grow past S bytes it becomes NAME.0, the older NAME.0 becomes NAME.1 and so on, and at most N
// files are kept (NAME and NAME.0 .. NAME.(N-2)).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace msim::kmd {

class TraceFile {
  public:
    TraceFile() = default;
    ~TraceFile();
    TraceFile(const TraceFile&) = delete;
    TraceFile& operator=(const TraceFile&) = delete;

    // Starts (or moves) tracing to `path`; files >= 2, size > 0.
    void open(std::filesystem::path path, std::uint32_t files, std::uint64_t size);
    void close();
    bool is_open() const { return fd_ >= 0; }
    const std::filesystem::path& path() const { return path_; }

    // Appends one line (timestamp added, newline added).
    void write(std::string_view line);

  private:
    void rotate();

    std::filesystem::path path_;
    std::uint32_t files_ = 3;
    std::uint64_t size_ = 128 * 1024;
    std::uint64_t written_ = 0;
    int fd_ = -1;
};

}  // namespace msim::kmd
