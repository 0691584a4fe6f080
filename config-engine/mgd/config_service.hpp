// mgd's configuration service: the committed database and its rollbacks, the shared candidate, private
// candidates, the exclusive lock, the CLI sessions that edit them, the configuration-mode command
// interpreter, and the commit pipeline (groups -> libyang -> C++ validators -> validate on each owning
// daemon -> atomic write -> apply on each owning daemon).
//
// Decisions where DESIGN.md is silent:
// - Subtree ownership is declared once, in the YANG schema (`msim:owner`); a daemon "registers" by
//   handling <validate-configuration>/<apply-configuration> (every daemon does, see daemon.hpp).
// - A change sent to a daemon is one statement at the level of the owned subtree's list entries and
//   leaves (e.g. one `security ipsec security-association NAME`), carried as Junos text.
// - The shared candidate lives in mgd's memory; it is lost if mgd restarts (as on Junos when mgd dies).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msim/common/daemon.hpp"
#include "msim/config/change_set.hpp"
#include "msim/config/commands.hpp"
#include "msim/config/commit_error.hpp"
#include "msim/config/live_data_tree.hpp"
#include "msim/config/rollback_store.hpp"
#include "msim/config/schema.hpp"
#include "msim/config/tree.hpp"
#include "owned_changes.hpp"

namespace msim::mgd {

struct CommitWork;

enum class EditMode { none, shared, private_db, exclusive };

struct CliSession {
    uint32_t id = 0;
    std::string user;
    std::string user_class;  // super-user, operator, read-only
    std::string tty;
    int pid = 0;
    std::time_t login_time = 0;
    EditMode mode = EditMode::none;
    std::vector<std::string> edit_path;
    std::unique_ptr<config::Node> private_candidate;  // configure private
    std::unique_ptr<config::Node> private_base;       // committed tree when it was opened
    bool private_modified = false;
    // Batch checkpoint (`msim cli -c|-f|stdin`): the candidate this session edits as it was before the
    // batch changed it, so that a failed batch undoes exactly its own changes (see take_checkpoint).
    bool has_checkpoint = false;
    // The candidate at the checkpoint: a copy, or (null) the committed configuration of commit
    // `checkpoint_commit` with `checkpoint_changes` applied (no copy of a large configuration to take one).
    std::unique_ptr<config::Node> checkpoint;
    uint64_t checkpoint_commit = 0;
    std::unique_ptr<config::ChangeSet> checkpoint_changes;
    bool checkpoint_private = false;   // taken of the private candidate
    bool checkpoint_modified = false;  // the candidate's "modified" state at the checkpoint
    // Once another session changes the shared candidate after the checkpoint: the checkpoint with only
    // this batch's own changes on it (each of its commands is replayed there), for a three-way undo.
    std::unique_ptr<config::Node> own_changes;
    bool own_changes_lost = false;  // a replay failed: the batch's own changes are not known any more
    ipc::Connection* connection = nullptr;
};

// What a configuration-mode command prints and does.
struct CommandOutcome {
    CommandOutcome() = default;
    CommandOutcome(std::string text_, bool ok_) : text(std::move(text_)), ok(ok_) {}

    std::string text;                    // Junos text to print (may be empty)
    bool ok = true;                      // false: the batch counts this command as failed
    std::optional<size_t> caret;         // byte offset in the command line for a `^` line before `text`
    bool exited = false;                 // left configuration mode
    std::optional<std::string> confirm;  // a question the CLI must ask; re-send with <confirmed/>
};

class ConfigService {
  public:
    using Done = std::function<void(CommandOutcome)>;

    ConfigService(Daemon& daemon, std::shared_ptr<const config::Schema> schema);
    ~ConfigService();

    // Reads config/juniper.conf (writing the embedded default configuration on first start).
    void load_committed();

    // Sessions. open_session throws std::runtime_error (Junos words) for an unknown user.
    CliSession& open_session(ipc::Connection& conn, const std::string& user, const std::string& tty, int pid);
    CliSession* session_of(ipc::Connection& conn);
    void close_session(ipc::Connection& conn);
    const std::map<uint32_t, std::unique_ptr<CliSession>>& sessions() const { return sessions_; }

    CommandOutcome enter_configuration(CliSession& s, EditMode mode);
    // Runs one configuration-mode line. `input` is the text of `load … terminal`; `confirmed` answers a
    // question asked before. Completes through `done` (asynchronously when a commit talks to daemons).
    void run_command(CliSession& s, const std::string& line, const std::string& input, bool confirmed,
                     const std::string& display, const std::optional<std::string>& compare, Done done);
    std::vector<config::Completion> complete(CliSession& s, const std::string& line) const;

    // Batch checkpoints. take_checkpoint copies the candidate the session edits (it must be in
    // configuration mode); a successful commit of the session moves the checkpoint to the committed
    // state. restore_checkpoint puts that copy back in one step, undoing only the batch's own changes
    // (other sessions' uncommitted changes made before the checkpoint are in the copy). If another
    // session changed the shared candidate after the checkpoint, restoring would lose that change: the
    // candidate is then left as it is and the text says so. Returns the text to print; `ok` is false when
    // nothing was restored.
    void take_checkpoint(CliSession& s);
    std::string restore_checkpoint(CliSession& s, bool& ok);

    // Operational views.
    std::string show_configuration(const std::vector<std::string>& path, const std::string& display,
                                   const std::optional<std::string>& compare, std::string& error) const;
    std::string show_commit_history() const { return store_.show_system_commit(); }
    std::string show_rollback(int n, std::optional<int> compare_to, std::string& error) const;
    // When a `commit confirmed` waits for its confirmation: the time it rolls back.
    std::optional<std::time_t> confirmed_deadline() const { return confirm_deadline_; }
    std::string host_name() const;
    std::string user_class(const std::string& user) const;
    const config::Node& committed() const { return committed_; }
    const config::Schema& schema() const { return *schema_; }

    // The configuration a daemon owns, as Junos text (a restarted daemon asks for it).
    std::string owned_configuration(const std::string& daemon) const;

  private:
    struct CommitRequest {
        bool check_only = false;
        bool and_quit = false;
        std::optional<int> confirmed_minutes;
        std::string comment;
        uint64_t shared_generation = 0;  // the shared candidate's generation the commit started from
    };

    config::Node& candidate(CliSession& s);
    bool candidate_modified(const CliSession& s) const;
    void mark_modified(CliSession& s);
    // Runs `edit` on the candidate `s` edits (an exception leaves it unchanged), keeping the other
    // sessions' batch checkpoints and this session's own-changes copy right.
    template <class Edit>
    void edit_candidate(CliSession& s, Edit&& edit);
    // Before the shared candidate changes other than by `by` (null: not by a session): batches that hold
    // a checkpoint start to record their own changes apart.
    void before_shared_change(const CliSession* by);
    // Before committed_ changes: checkpoints that are the committed configuration get their own copy.
    void keep_checkpoints(const CliSession* committer);
    std::string undo_own_changes(CliSession& s, config::Node base);
    // The candidate as it was at the session's checkpoint.
    config::Node checkpoint_tree(CliSession& s) const;
    std::optional<std::string> locked_by_other(const CliSession& s) const;
    CommandOutcome edit_command(CliSession& s, const std::string& verb, const std::string& line,
                                const std::vector<config::CommandWord>& words, size_t first,
                                const std::string& input, bool confirmed, const std::string& display,
                                const std::optional<std::string>& compare);
    CommandOutcome show_command(CliSession& s, const std::vector<config::CommandWord>& words, size_t first,
                                const std::string& display, const std::optional<std::string>& compare);
    CommandOutcome load_command(CliSession& s, const std::vector<config::CommandWord>& words, size_t first,
                                const std::string& input);
    CommandOutcome exit_command(CliSession& s, bool to_operational, bool confirmed);
    std::vector<std::string> parent_level(std::vector<std::string> path) const;
    void commit(CliSession& s, CommitRequest request, Done done);
    // Checks `work` (libyang, the C++ validators) and works out the daemons' changes; false (with `done`
    // called) when the configuration is refused.
    bool check_fast(CommitWork& work, Done& done);
    bool check_full(CliSession& s, CommitWork& work, Done& done);
    void run_validators(const lyd_node* root, const config::ChangeSet* changes, CommitWork& work,
                        std::vector<config::CommitError>& out);
    void validate_on_daemons(CliSession& s, CommitRequest request, std::shared_ptr<CommitWork> work,
                             Done done);
    void finish_commit(CliSession* s, CommitRequest request, std::shared_ptr<CommitWork> work, Done done);
    // Prints `tree` (the configuration to commit) into the store's staged files, for finish_commit.
    bool stage_write(CommitWork& work, config::CommitRecord record, const config::Node& tree);
    // Puts the live data tree back after a commit that did not go through.
    void abandon(CommitWork& work);
    // The committed configuration as daemons and libyang see it (groups expanded, inactive dropped).
    const config::Node& expanded_committed() const { return expanded_ ? *expanded_ : committed_; }
    void set_committed(config::Node tree);
    void arm_confirmed_rollback(std::time_t deadline);
    void confirmed_rollback_expired();
    void broadcast(const std::string& message);
    void trace(const std::string& phase, const std::string& who, double millis,
               const std::string& detail = {});
    std::string status_text() const;
    std::string users_editing_text(const CliSession* except) const;

    Daemon& daemon_;
    std::shared_ptr<const config::Schema> schema_;
    config::RollbackStore store_;
    config::Node committed_;  // change marks cleared: the reference of the candidates' marks
    // The expanded committed configuration when it differs from committed_ (groups, inactive statements).
    std::unique_ptr<config::Node> expanded_;
    // The libyang data tree of the expanded committed configuration, patched by each commit.
    config::LiveDataTree live_;
    // Warnings of each C++ check on the committed configuration: a commit that does not touch a check's
    // inputs repeats them without running it.
    std::map<std::string, std::vector<config::CommitError>, std::less<>> check_warnings_;
    config::Node shared_candidate_;  // change marks: what differs from committed_
    bool shared_modified_ = false;
    uint64_t shared_generation_ = 0;  // bumped by every change to the shared candidate
    uint64_t commit_count_ = 0;       // bumped by every commit
    uint64_t commit_serial_ = 0;      // bumped by every commit attempt (commit check included)
    std::optional<uint32_t> exclusive_holder_;
    bool commit_in_progress_ = false;
    std::map<uint32_t, std::unique_ptr<CliSession>> sessions_;
    uint32_t next_session_id_ = 1;
    boost::asio::steady_timer confirm_timer_;
    std::optional<std::time_t> confirm_deadline_;
};

}  // namespace msim::mgd
