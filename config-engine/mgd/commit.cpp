// The commit pipeline of the configuration service: expansion, libyang, the C++ validators, the daemons'
// validate phase, the write, and the daemons' apply phase.
//
// Two ways through it. The common one works from the difference itself: the shared candidate carries
// change marks against the committed configuration, so the ChangeSet of a one-line change costs one line;
// the live libyang tree is patched with it and only what the change can affect is validated (see
// live_data_tree.hpp); the C++ checks run when their inputs changed; the committed tree is patched in
// place. When the configuration has groups or inactive statements, when a private candidate commits, or
// when the change is large, the whole candidate is copied, expanded and validated, as before.
#include <fstream>
#include <sstream>

#include "config_service.hpp"
#include "msim/common/xml.hpp"
#include "msim/config/change_set.hpp"
#include "msim/config/diff.hpp"
#include "msim/config/error.hpp"
#include "msim/config/groups.hpp"
#include "msim/config/load.hpp"
#include "msim/config/text_format.hpp"
#include "msim/config/validate.hpp"
#include "msim/config/validators.hpp"
#include "service_text.hpp"

namespace msim::mgd {

using namespace std::chrono_literals;
using config::ConfigError;
using config::Node;
using Clock = std::chrono::steady_clock;

// Statements created or deleted (with their subtrees) above which a commit validates the whole
// configuration with libyang rather than patch the live tree: large changes are what lyd_validate_all is
// built for.
constexpr size_t kPatchLimit = 2000;

// What one commit carries from its checks to its write and apply.
struct CommitWork {
    bool fast = false;
    // Fast way: the changes from committed_ to the shared candidate (with copies of what they create) and
    // whether the live tree holds them; when it could not take them, `tree` is a full validation.
    config::ChangeSet changes;
    bool live_patched = false;
    // Full way: the configuration to commit and its expansion.
    std::shared_ptr<Node> candidate;
    std::shared_ptr<Node> expanded;
    config::DataTree tree;
    bool tree_valid = false;  // `tree` is the validated tree of what is committed
    OwnedChanges owned;
    std::string warnings;  // rendered
    // The new juniper.conf, written and on its way to the disk while the daemons validate.
    config::CommitRecord record;
    config::RollbackStore::Staged staged;
    uint64_t serial = 0;  // identifies this commit to the daemons (see append_changes)
    std::map<std::string, std::vector<config::CommitError>, std::less<>> check_warnings;
};

namespace {

// `commit` identifies the commit: its validate and apply carry the same changes, so a daemon may keep what
// its validate worked out for the apply of the same commit.
void append_changes(pugi::xml_node parent, const std::vector<OwnedChange>& changes, uint64_t commit) {
    auto list = parent.append_child("configuration-changes");
    list.append_attribute("commit").set_value(std::to_string(commit).c_str());
    for (const auto& c : changes) {
        auto ch = list.append_child("change");
        ch.append_attribute("operation").set_value(c.operation.c_str());
        xml::append_text(ch, "path", join(c.path));
        xml::append_text(ch, "configuration", c.text);
    }
}

config::CommitError error_from_rpc(const pugi::xml_node& err, const std::string& daemon) {
    config::CommitError e;
    std::string path = err.child_value("error-path");
    if (path.rfind("[edit", 0) == 0) {
        path = path.substr(5);
        if (!path.empty() && path.back() == ']')
            path.pop_back();
        std::istringstream words(path);
        std::string w;
        while (words >> w)
            e.edit_path.push_back(w);
    }
    e.statement = err.child("error-info").child_value("bad-element");
    e.message = daemon + ": " + std::string(err.child_value("error-message"));
    e.severity = std::string_view(err.child_value("error-severity")) == "warning" ? config::Severity::warning
                                                                                  : config::Severity::error;
    return e;
}

// Whether a configuration has statements that expansion changes (groups, apply-groups, inactive marks).
bool needs_expansion(const Node& n) {
    for (const auto& c : n.children()) {
        if (c->inactive)
            return true;
        if (c->keyword() == "apply-groups" && c->schema()->kind == config::NodeKind::leaf_list)
            return true;
        if (n.is_root() && c->keyword() == "groups")
            return true;
        if (needs_expansion(*c))
            return true;
    }
    return false;
}

std::string render_all(const std::vector<config::CommitError>& errors, bool& failed) {
    std::string text;
    failed = false;
    for (const auto& e : errors) {
        text += config::render(e);
        failed |= e.severity == config::Severity::error;
    }
    return text;
}

}  // namespace

void ConfigService::trace(const std::string& phase, const std::string& who, double millis,
                          const std::string& detail) {
    std::ofstream t(daemon_.paths().log_dir() / "commit-trace", std::ios::app);
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", millis);
    t << now_text() << " phase=" << phase << " by=" << who << " ms=" << ms;
    if (!detail.empty())
        t << " " << detail;
    t << "\n";
}

void ConfigService::set_committed(Node tree) {
    committed_ = std::move(tree);
    committed_.clear_marks();
    if (needs_expansion(committed_)) {
        try {
            expanded_ = std::make_unique<Node>(config::expand_groups(committed_));
        } catch (const ConfigError&) {
            expanded_ = std::make_unique<Node>(committed_);
        }
    } else {
        expanded_.reset();
    }
}

void ConfigService::run_validators(const lyd_node* root, const config::ChangeSet* changes, CommitWork& work,
                                   std::vector<config::CommitError>& out) {
    for (const auto& check : config::validators::checks()) {
        bool run = !changes || !check_warnings_.count(check.name);
        if (!run) {
            for (const auto& ch : changes->changes())
                if ((run = config::validators::reads(check, ch.path_words())))
                    break;
        }
        if (!run) {
            // Its inputs did not change: its warnings on the committed configuration stand.
            const auto& cached = check_warnings_.find(check.name)->second;
            out.insert(out.end(), cached.begin(), cached.end());
            continue;
        }
        const auto t = Clock::now();
        auto found = root ? check.run(root) : config::validators::Errors{};
        trace("validator", "mgd", ms_since(t), std::string(check.name));
        auto& warnings = work.check_warnings[std::string(check.name)];
        for (auto& e : found) {
            if (e.severity == config::Severity::warning)
                warnings.push_back(e);
            out.push_back(std::move(e));
        }
    }
}

bool ConfigService::check_fast(CommitWork& work, Done& done) {
    const auto t1 = Clock::now();
    std::vector<config::CommitError> errors;
    const auto verdict = live_.apply(work.changes);
    if (verdict == config::LiveDataTree::Verdict::valid) {
        work.live_patched = true;
        trace("libyang", "mgd", ms_since(t1), "incremental");
    } else {
        // The live tree is as it was: validate everything, for the verdict or for libyang's own errors.
        auto v = config::validate(*schema_, shared_candidate_);
        trace("libyang", "mgd", ms_since(t1), "full (" + live_.note() + ")");
        errors = std::move(v.errors);
        work.tree = std::move(v.tree);
        work.tree_valid = errors.empty();
    }
    if (errors.empty())
        run_validators(work.live_patched ? live_.root() : work.tree.get(),
                       work.live_patched ? &work.changes : nullptr, work, errors);
    bool failed = false;
    std::string text = render_all(errors, failed);
    if (failed) {
        abandon(work);
        done({text + "error: configuration check-out failed\n", false});
        return false;
    }
    work.warnings = std::move(text);
    const auto t2 = Clock::now();
    work.changes.keep_copies();
    work.owned = owned_changes(*schema_, work.changes, shared_candidate_);
    trace("changes", "mgd", ms_since(t2), std::to_string(work.changes.size()) + " statements");
    return true;
}

bool ConfigService::check_full(CliSession& s, CommitWork& work, Done& done) {
    // The configuration to commit: the shared candidate, or a private candidate merged onto what is
    // committed now (its own changes replayed as a patch, so others' commits are kept).
    if (s.mode == EditMode::private_db) {
        if (config::same_subtree(*s.private_base, committed_)) {
            work.candidate = std::make_shared<Node>(*s.private_candidate);
        } else {
            const std::string patch = config::compare(*s.private_base, *s.private_candidate);
            work.candidate = std::make_shared<Node>(committed_);
            try {
                if (!patch.empty())
                    config::load_config(*schema_, *work.candidate, config::LoadMode::patch, patch);
            } catch (const ConfigError& e) {
                done({"error: private changes conflict with the committed configuration: " + e.message +
                          "\nerror: commit failed\n",
                      false});
                return false;
            }
        }
    } else {
        work.candidate = std::make_shared<Node>(shared_candidate_);
    }
    const auto t0 = Clock::now();
    std::vector<config::CommitError> errors;
    if (needs_expansion(*work.candidate)) {
        try {
            work.expanded = std::make_shared<Node>(config::expand_groups(*work.candidate));
        } catch (const ConfigError& e) {
            errors.push_back({e.edit_path, e.statement, e.message, config::Severity::error});
        }
    } else {
        work.expanded = work.candidate;  // nothing to expand: no copy
    }
    trace("groups", "mgd", ms_since(t0));
    if (errors.empty()) {
        auto t1 = Clock::now();
        auto v = config::validate(*schema_, *work.expanded);
        trace("libyang", "mgd", ms_since(t1), "full");
        errors = std::move(v.errors);
        work.tree = std::move(v.tree);
        work.tree_valid = errors.empty();
        if (errors.empty())
            run_validators(work.tree.get(), nullptr, work, errors);
    }
    bool failed = false;
    std::string text = render_all(errors, failed);
    if (failed) {
        done({text + "error: configuration check-out failed\n", false});
        return false;
    }
    work.warnings = std::move(text);
    const auto t2 = Clock::now();
    const auto changes = config::ChangeSet::between(expanded_committed(), *work.expanded, false);
    work.owned = owned_changes(*schema_, changes, *work.expanded);
    trace("changes", "mgd", ms_since(t2), std::to_string(changes.size()) + " statements");
    return true;
}

bool ConfigService::stage_write(CommitWork& work, config::CommitRecord record, const Node& tree) {
    const auto t = Clock::now();
    record.time = std::chrono::system_clock::to_time_t(daemon_.clock().now());  // the router's clock
    config::PrintOptions opts;
    opts.header = true;
    opts.last_changed = config::RollbackStore::format_time(record.time);
    try {
        work.staged = store_.stage(config::print_text(tree, opts), record);
    } catch (const ConfigError& e) {
        daemon_.log().log("commit: " + e.message);
        return false;
    }
    work.record = std::move(record);
    trace("stage", "mgd", ms_since(t));
    return true;
}

void ConfigService::abandon(CommitWork& work) {
    if (work.live_patched) {
        live_.undo();
        work.live_patched = false;
    }
}

void ConfigService::commit(CliSession& s, CommitRequest request, Done done) {
    if (commit_in_progress_) {
        done({"error: another commit is in progress; try again\n", false});
        return;
    }
    if (s.mode == EditMode::private_db) {
        // Junos refuses a confirmed commit of a private candidate (its automatic rollback would undo
        // other users' commits as well).
        if (request.confirmed_minutes) {
            done({"error: You cannot perform this commit operation on a private copy\n", false});
            return;
        }
        if (shared_modified_) {
            done({"error: shared configuration database modified\nerror: commit failed\n", false});
            return;
        }
    }
    auto work = std::make_shared<CommitWork>();
    work->serial = ++commit_serial_;
    if (s.mode != EditMode::private_db) {
        const auto t0 = Clock::now();
        work->changes = config::ChangeSet::between(committed_, shared_candidate_, true);
        trace("diff", "mgd", ms_since(t0),
              std::to_string(work->changes.size()) + " changes, weight " +
                  std::to_string(work->changes.weight()));
        work->fast = !expanded_ && !work->changes.touches_expansion() && live_.has_tree() &&
                     work->changes.weight() <= kPatchLimit;
    }
    const bool ok = work->fast ? check_fast(*work, done) : check_full(s, *work, done);
    if (!ok)
        return;
    if (!request.check_only) {
        config::CommitRecord record;
        record.user = s.user;
        record.client = "cli";
        record.comment = request.comment;
        if (request.confirmed_minutes)
            record.note =
                "commit confirmed, rollback in " + std::to_string(*request.confirmed_minutes) + "mins";
        if (!stage_write(*work, std::move(record), work->fast ? shared_candidate_ : *work->candidate)) {
            abandon(*work);
            done({"error: could not write the configuration\nerror: commit failed\n", false});
            return;
        }
    }
    request.shared_generation = shared_generation_;
    validate_on_daemons(s, request, work, std::move(done));
}

void ConfigService::validate_on_daemons(CliSession& s, CommitRequest request,
                                        std::shared_ptr<CommitWork> work, Done done) {
    work->owned.erase("mgd");
    struct Pending {
        int outstanding = 0;
        std::vector<config::CommitError> errors;
        std::string warnings;
    };
    auto pending = std::make_shared<Pending>();
    pending->warnings = work->warnings;
    commit_in_progress_ = true;
    const uint32_t session_id = s.id;
    auto after_validate = [this, session_id, request, work, pending, done]() {
        auto it = sessions_.find(session_id);
        CliSession* sp = it == sessions_.end() ? nullptr : it->second.get();
        bool failed = false;
        std::string text = pending->warnings + render_all(pending->errors, failed);
        if (failed) {
            commit_in_progress_ = false;
            abandon(*work);
            done({text + "error: configuration check-out failed\n", false});
            return;
        }
        finish_commit(sp, request, work, [text, done](CommandOutcome out) {
            out.text = text + out.text;
            done(std::move(out));
        });
    };
    pending->outstanding = 1;  // released after the loop, so replies that come at once cannot finish early
    for (const auto& [daemon, list] : work->owned) {
        if (list.empty())
            continue;
        ++pending->outstanding;
        pugi::xml_document req;
        append_changes(req.append_child("validate-configuration"), list, work->serial);
        const auto started = Clock::now();
        daemon_.call_peer(
            daemon, req.document_element(), 30000ms,
            [this, daemon, pending, after_validate, started, n = list.size()](ipc::Reply reply) {
                trace("validate", daemon, ms_since(started), std::to_string(n) + " changes");
                if (reply.status == ipc::Reply::Status::closed) {
                    pending->warnings +=
                        "warning: " + daemon + " is not running; it reads the configuration when it starts\n";
                } else if (reply.status == ipc::Reply::Status::timeout) {
                    pending->errors.push_back(
                        {{}, {}, daemon + " did not answer the commit check", config::Severity::error});
                } else {
                    for (auto err : reply.root().children("rpc-error"))
                        pending->errors.push_back(error_from_rpc(err, daemon));
                }
                if (--pending->outstanding == 0)
                    after_validate();
            });
    }
    if (--pending->outstanding == 0)
        after_validate();
}

void ConfigService::finish_commit(CliSession* s, CommitRequest request, std::shared_ptr<CommitWork> work,
                                  Done done) {
    CommandOutcome out;
    if (request.check_only) {
        commit_in_progress_ = false;
        abandon(*work);
        // A `commit check` also confirms a pending confirmed commit.
        if (confirm_deadline_) {
            confirm_timer_.cancel();
            confirm_deadline_.reset();
            std::filesystem::remove(daemon_.paths().config_dir() / ".commit-confirmed");
        }
        out.text = "configuration check succeeds\n";
        done(out);
        return;
    }
    const auto t0 = Clock::now();
    const config::CommitRecord& record = work->record;
    const bool private_commit = s && s->mode == EditMode::private_db;
    keep_checkpoints(s);
    if (work->fast) {
        // committed_ becomes the candidate as it was when the commit started: patched with the changes'
        // own copies (the candidate may have been edited since).
        config::ChangeSet::Undo undo;
        try {
            undo = work->changes.apply(committed_);
            store_.publish(work->staged);
        } catch (const std::exception& e) {
            undo.undo();
            committed_.clear_marks();
            commit_in_progress_ = false;
            abandon(*work);
            done({"error: " + std::string(e.what()) + "\nerror: commit failed\n", false});
            return;
        }
        committed_.clear_marks();
        if (work->live_patched)
            live_.keep();
        else if (work->tree_valid)
            live_.reset(std::move(work->tree));
        else
            live_.clear();
    } else {
        try {
            store_.publish(work->staged);
        } catch (const ConfigError& e) {
            commit_in_progress_ = false;
            done({"error: " + e.message + "\nerror: commit failed\n", false});
            return;
        }
        // The trees move into place: on large configurations every avoided copy is tens of milliseconds.
        const bool same = work->expanded == work->candidate;
        committed_ = std::move(*work->candidate);
        committed_.clear_marks();
        if (same)
            expanded_.reset();
        else
            expanded_ = std::make_unique<Node>(std::move(*work->expanded));
        if (work->tree_valid)
            live_.reset(std::move(work->tree));
        else
            live_.clear();
    }
    trace("write", "mgd", ms_since(t0));
    ++commit_count_;
    for (auto& [name, warnings] : work->check_warnings)
        check_warnings_[name] = std::move(warnings);
    if (private_commit) {
        s->private_candidate = std::make_unique<Node>(committed_);
        s->private_base = std::make_unique<Node>(committed_);
        s->private_modified = false;
        // The shared candidate had no changes (a private commit requires it): it follows.
        before_shared_change(s);
        shared_candidate_ = committed_;
    } else if (shared_generation_ == request.shared_generation) {
        // Nobody changed the shared candidate while the commit ran: it is what was committed.
        shared_modified_ = false;
        shared_candidate_.clear_marks();
    } else {
        shared_modified_ = true;  // edits made during the commit stay pending (and marked)
    }
    // A batch that committed keeps what it committed: its checkpoint moves to what its candidate is now.
    if (s && s->has_checkpoint)
        take_checkpoint(*s);
    daemon_.log().log("UI_COMMIT: User '" + record.user + "' requested 'commit' operation" +
                      (record.comment.empty() ? std::string() : " (comment: " + record.comment + ")"));
    // Any commit confirms a pending confirmed commit; a new confirmed commit arms the timer again.
    confirm_timer_.cancel();
    confirm_deadline_.reset();
    std::filesystem::remove(daemon_.paths().config_dir() / ".commit-confirmed");
    if (request.confirmed_minutes) {
        const std::time_t deadline = std::time(nullptr) + *request.confirmed_minutes * 60;
        std::ofstream(daemon_.paths().config_dir() / ".commit-confirmed") << deadline << "\n";
        arm_confirmed_rollback(deadline);
        out.text += "commit confirmed will be automatically rolled back in " +
                    std::to_string(*request.confirmed_minutes) + " minutes unless confirmed\n";
    }
    // Apply: daemons take the changes; a failure here is reported but does not undo the commit.
    auto remaining = std::make_shared<int>(1);
    auto warnings = std::make_shared<std::string>();
    const bool and_quit = request.and_quit;
    const uint32_t session_id = s ? s->id : 0;
    auto finish = [this, remaining, warnings, out, and_quit, session_id, done]() mutable {
        if (--*remaining != 0)
            return;
        commit_in_progress_ = false;
        out.text = *warnings + out.text + "commit complete\n";
        if (and_quit) {
            auto it = sessions_.find(session_id);
            if (it != sessions_.end()) {
                auto ex = exit_command(*it->second, true, true);
                out.text += ex.text;
                out.exited = true;
            }
        }
        done(out);
    };
    for (const auto& [daemon, list] : work->owned) {
        if (list.empty())
            continue;
        ++*remaining;
        pugi::xml_document req;
        append_changes(req.append_child("apply-configuration"), list, work->serial);
        const auto started = Clock::now();
        daemon_.call_peer(
            daemon, req.document_element(), 60000ms,
            [this, daemon, warnings, finish, started, n = list.size()](ipc::Reply reply) mutable {
                trace("apply", daemon, ms_since(started), std::to_string(n) + " changes");
                if (reply.status == ipc::Reply::Status::rpc_error ||
                    reply.status == ipc::Reply::Status::timeout) {
                    *warnings += "warning: " + daemon +
                                 " could not apply the configuration: " + reply.error_message + "\n";
                }
                finish();
            });
    }
    finish();
}

void ConfigService::arm_confirmed_rollback(std::time_t deadline) {
    confirm_deadline_ = deadline;
    const auto wait = std::max<long long>(0, static_cast<long long>(deadline - std::time(nullptr)));
    confirm_timer_.expires_after(std::chrono::seconds(wait));
    confirm_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            confirmed_rollback_expired();
    });
}

void ConfigService::confirmed_rollback_expired() {
    if (commit_in_progress_) {
        // A commit is between its checks and its write: roll back right after it.
        confirm_timer_.expires_after(1s);
        confirm_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec)
                confirmed_rollback_expired();
        });
        return;
    }
    confirm_deadline_.reset();
    std::filesystem::remove(daemon_.paths().config_dir() / ".commit-confirmed");
    auto previous = store_.read(1);
    if (!previous)
        return;
    Node restored;
    try {
        restored = config::parse_text(*schema_, *previous, {"rollback", {}, false, true});
    } catch (const ConfigError& e) {
        daemon_.log().log("automatic rollback failed: " + e.message);
        return;
    }
    before_shared_change(nullptr);
    shared_candidate_ = std::move(restored);  // a new tree: every statement is marked
    shared_modified_ = true;
    CommitRequest req;
    req.comment = "automatic rollback of an unconfirmed commit";
    // Committed as "other" (no session): finish_commit records the client that way. The configuration
    // was committed before, so it is not checked again; the daemons still get its changes.
    auto work = std::make_shared<CommitWork>();
    work->serial = ++commit_serial_;
    work->candidate = std::make_shared<Node>(shared_candidate_);
    if (needs_expansion(*work->candidate)) {
        try {
            work->expanded = std::make_shared<Node>(config::expand_groups(*work->candidate));
        } catch (const ConfigError&) {
            work->expanded = work->candidate;
        }
    } else {
        work->expanded = work->candidate;
    }
    auto v = config::validate(*schema_, *work->expanded);
    work->tree_valid = v.ok();
    if (v.ok())
        work->tree = std::move(v.tree);
    const auto changes = config::ChangeSet::between(expanded_committed(), *work->expanded, false);
    work->owned = owned_changes(*schema_, changes, *work->expanded);
    work->owned.erase("mgd");
    config::CommitRecord record;
    record.user = "root";
    record.client = "other";
    record.comment = req.comment;
    if (!stage_write(*work, std::move(record), *work->candidate))
        return;
    commit_in_progress_ = true;
    req.shared_generation = ++shared_generation_;
    finish_commit(nullptr, req, work, [this](CommandOutcome) {
        daemon_.log().log("UI_COMMIT_CONFIRMED_TIMED: commit not confirmed; automatic rollback complete");
        broadcast("Commit was not confirmed; automatic rollback complete.");
    });
}

std::string ConfigService::owned_configuration(const std::string& daemon) const {
    const Node& expanded = expanded_committed();
    const auto all = owned_changes(*schema_, config::ChangeSet::between(Node(), expanded, false), expanded);
    std::string out;
    if (auto it = all.find(daemon); it != all.end())
        for (const auto& c : it->second)
            out += c.text;
    return out;
}

}  // namespace msim::mgd
