#include "msim/config/rollback_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "msim/config/error.hpp"

namespace fs = std::filesystem;

namespace msim::config {

namespace {

[[noreturn]] void io_error(const std::string& what, const fs::path& p) {
    throw ConfigError("error: " + what + " " + p.string() + ": " + std::strerror(errno));
}

void fsync_dir(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return;
    ::fsync(fd);
    ::close(fd);
}

std::optional<std::string> slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// One "key=value" per line; newlines and backslashes in values are escaped.
std::string escape(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string unescape(const std::string& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) {
            out += v[i + 1] == 'n' ? '\n' : v[i + 1];
            ++i;
        } else {
            out += v[i];
        }
    }
    return out;
}

}  // namespace

void write_file_atomically(const fs::path& path, const std::string& content) {
    fs::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        io_error("could not create", tmp);
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ::close(fd);
            ::unlink(tmp.c_str());
            io_error("could not write", tmp);
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        io_error("could not sync", tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        io_error("could not rename", tmp);
    }
    fsync_dir(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

RollbackStore::RollbackStore(fs::path config_dir) : dir_(std::move(config_dir)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        throw ConfigError("error: could not create " + dir_.string() + ": " + ec.message());
}

fs::path RollbackStore::file(int n) const {
    return dir_ / (n == 0 ? std::string("juniper.conf") : "juniper.conf." + std::to_string(n));
}

fs::path RollbackStore::meta(int n) const {
    fs::path p = file(n);
    p += ".meta";
    return p;
}

namespace {

// Writes `content` to a new file and starts its write-back (the fsync that follows then waits less).
int write_staged(const fs::path& tmp, const std::string& content) {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        io_error("could not create", tmp);
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ::close(fd);
            ::unlink(tmp.c_str());
            io_error("could not write", tmp);
        }
        off += static_cast<size_t>(n);
    }
    ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    return fd;
}

std::string record_text(const CommitRecord& r) {
    return "user=" + escape(r.user) + "\ntime=" + std::to_string(static_cast<long long>(r.time)) +
           "\nclient=" + escape(r.client) + "\ncomment=" + escape(r.comment) + "\nnote=" + escape(r.note) +
           "\n";
}

}  // namespace

RollbackStore::Staged::Staged(Staged&& o) noexcept
    : text_tmp_(std::move(o.text_tmp_)),
      meta_tmp_(std::move(o.meta_tmp_)),
      text_fd_(o.text_fd_),
      meta_fd_(o.meta_fd_) {
    o.text_fd_ = o.meta_fd_ = -1;
}

RollbackStore::Staged& RollbackStore::Staged::operator=(Staged&& o) noexcept {
    if (this != &o) {
        drop();
        text_tmp_ = std::move(o.text_tmp_);
        meta_tmp_ = std::move(o.meta_tmp_);
        text_fd_ = o.text_fd_;
        meta_fd_ = o.meta_fd_;
        o.text_fd_ = o.meta_fd_ = -1;
    }
    return *this;
}

RollbackStore::Staged::~Staged() {
    drop();
}

void RollbackStore::Staged::drop() {
    for (int* fd : {&text_fd_, &meta_fd_}) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
    std::error_code ec;
    if (!text_tmp_.empty())
        fs::remove(text_tmp_, ec);
    if (!meta_tmp_.empty())
        fs::remove(meta_tmp_, ec);
    text_tmp_.clear();
    meta_tmp_.clear();
}

RollbackStore::Staged RollbackStore::stage(const std::string& text, const CommitRecord& r) const {
    Staged s;
    const std::string suffix = ".staged." + std::to_string(::getpid());
    s.meta_tmp_ = meta(0);
    s.meta_tmp_ += suffix;
    s.text_tmp_ = file(0);
    s.text_tmp_ += suffix;
    s.meta_fd_ = write_staged(s.meta_tmp_, record_text(r));
    try {
        s.text_fd_ = write_staged(s.text_tmp_, text);
    } catch (...) {
        s.drop();
        throw;
    }
    return s;
}

void RollbackStore::publish(Staged& s) {
    if (s.empty())
        throw ConfigError("error: nothing staged to commit");
    for (int* fd : {&s.meta_fd_, &s.text_fd_}) {
        if (::fsync(*fd) != 0)
            io_error("could not sync", s.text_tmp_);
        ::close(*fd);
        *fd = -1;
    }
    std::error_code ec;
    // Shift the rollbacks up, oldest first; each rename is atomic, juniper.conf stays in place.
    for (int i = kMaxRollback - 1; i >= 1; --i) {
        if (fs::exists(file(i)))
            fs::rename(file(i), file(i + 1), ec);
        if (fs::exists(meta(i)))
            fs::rename(meta(i), meta(i + 1), ec);
    }
    if (fs::exists(file(0))) {
        // A hard link keeps juniper.conf present while it also becomes rollback 1.
        fs::remove(file(1), ec);
        if (::link(file(0).c_str(), file(1).c_str()) != 0)
            fs::copy_file(file(0), file(1), ec);
        fs::remove(meta(1), ec);
        if (fs::exists(meta(0)))
            fs::copy_file(meta(0), meta(1), ec);
    }
    // Metadata first: a crash between the two renames pairs the old text with new metadata at worst.
    if (::rename(s.meta_tmp_.c_str(), meta(0).c_str()) != 0)
        io_error("could not rename", s.meta_tmp_);
    if (::rename(s.text_tmp_.c_str(), file(0).c_str()) != 0)
        io_error("could not rename", s.text_tmp_);
    s.meta_tmp_.clear();
    s.text_tmp_.clear();
    fsync_dir(dir_);
}

void RollbackStore::commit(const std::string& text, const CommitRecord& r) {
    Staged s = stage(text, r);
    publish(s);
}

std::optional<std::string> RollbackStore::read(int n) const {
    if (n < 0 || n > kMaxRollback)
        return std::nullopt;
    return slurp(file(n));
}

std::string RollbackStore::read_or_throw(int n) const {
    auto t = read(n);
    if (!t)
        throw ConfigError("error: Rollback file " + std::to_string(n) + " does not exist");
    return *t;
}

std::optional<CommitRecord> RollbackStore::record(int n) const {
    if (n < 0 || n > kMaxRollback || !fs::exists(file(n)))
        return std::nullopt;
    auto text = slurp(meta(n));
    CommitRecord r;
    if (!text)
        return r;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos)
            continue;
        std::string k = line.substr(0, eq), v = unescape(line.substr(eq + 1));
        if (k == "user")
            r.user = v;
        else if (k == "time")
            r.time = static_cast<std::time_t>(std::atoll(v.c_str()));
        else if (k == "client")
            r.client = v;
        else if (k == "comment")
            r.comment = v;
        else if (k == "note")
            r.note = v;
    }
    return r;
}

std::string RollbackStore::format_time(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string RollbackStore::show_system_commit() const {
    std::string out;
    for (int n = 0; n <= kMaxRollback; ++n) {
        auto r = record(n);
        if (!r)
            continue;
        std::string idx = std::to_string(n);
        idx.resize(4, ' ');
        out += idx + format_time(r->time) + " by " + r->user + " via " + r->client;
        if (!r->note.empty())
            out += " " + r->note;
        out += '\n';
        if (!r->comment.empty())
            out += "    " + r->comment + '\n';
    }
    return out;
}

}  // namespace msim::config
