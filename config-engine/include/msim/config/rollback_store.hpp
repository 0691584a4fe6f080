// The committed configuration on disk: config/juniper.conf and the rollbacks juniper.conf.1 .. .49,
// each with a small metadata file (who, when, how, comment) for `show system commit`.
#pragma once

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace msim::config {

struct CommitRecord {
    std::string user;
    std::time_t time = 0;
    std::string client = "cli";  // cli, junoscript, netconf, other (automatic rollback), ...
    std::string comment;
    std::string note;  // e.g. "commit confirmed, rollback in 10mins"
};

class RollbackStore {
  public:
    static constexpr int kMaxRollback = 49;

    // `config_dir` is created if missing. Throws ConfigError on I/O failure.
    explicit RollbackStore(std::filesystem::path config_dir);

    // Makes `text` the committed configuration: rotates juniper.conf -> .1 -> ... -> .49 (the oldest is
    // dropped) and writes the new file atomically (temp file, fsync, rename, fsync of the folder), so a
    // crash at any instant leaves either the old or the new juniper.conf.
    void commit(const std::string& text, const CommitRecord& record);

    // The same commit in two steps, so that the slow part (the new file reaching the disk) overlaps the
    // rest of a commit: stage() writes the text and the record to temporary files in the folder and starts
    // their write-back; publish() waits until they are on disk, rotates the rollbacks and renames them into
    // place, with commit()'s guarantees. A Staged that is not published removes its files.
    class Staged {
      public:
        Staged() = default;
        Staged(Staged&& o) noexcept;
        Staged& operator=(Staged&& o) noexcept;
        ~Staged();
        bool empty() const { return text_fd_ < 0; }

      private:
        friend class RollbackStore;
        void drop();
        std::filesystem::path text_tmp_, meta_tmp_;
        int text_fd_ = -1, meta_fd_ = -1;
    };
    Staged stage(const std::string& text, const CommitRecord& record) const;
    void publish(Staged& staged);

    // Rollback `n` (0 = the committed configuration); nullopt if it does not exist.
    std::optional<std::string> read(int n) const;
    std::optional<CommitRecord> record(int n) const;
    // Throws ConfigError("error: Rollback file N does not exist") when missing.
    std::string read_or_throw(int n) const;

    // `show system commit`: "0   2026-11-23 01:40:52 UTC by admin via cli", the comment on the next
    // line indented 4 spaces.
    std::string show_system_commit() const;

    // "2026-11-23 01:40:52 UTC"
    static std::string format_time(std::time_t t);

    const std::filesystem::path& directory() const { return dir_; }

  private:
    std::filesystem::path file(int n) const;
    std::filesystem::path meta(int n) const;
    std::filesystem::path dir_;
};

// Atomic file replacement used by the store (and by `save`): temp file in the same folder, fsync,
// rename, fsync of the folder. Throws ConfigError on failure.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace msim::config
