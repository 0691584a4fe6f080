#include "config_service.hpp"
#include "service_text.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "msim/common/xml.hpp"
#include "msim/config/change_set.hpp"
#include "msim/config/diff.hpp"
#include "msim/config/error.hpp"
#include "msim/config/groups.hpp"
#include "msim/config/load.hpp"
#include "msim/config/secret.hpp"
#include "msim/config/text_format.hpp"
#include "msim/config/validate.hpp"
#include "msim/config/validators.hpp"

namespace msim::mgd {

using namespace std::chrono_literals;
using config::ConfigError;
using config::Node;
using Clock = std::chrono::steady_clock;

namespace {

// The configuration a router has before anyone commits: a host name, and root's class.
constexpr const char* default_configuration = R"(system {
    host-name %HOST%;
}
)";

}  // namespace

ConfigService::ConfigService(Daemon& daemon, std::shared_ptr<const config::Schema> schema)
    : daemon_(daemon),
      schema_(std::move(schema)),
      store_(daemon.paths().config_dir()),
      live_(*schema_),
      confirm_timer_(daemon.io()) {}

ConfigService::~ConfigService() = default;

void ConfigService::load_committed() {
    auto text = store_.read(0);
    if (!text) {
        std::string initial = default_configuration;
        initial.replace(initial.find("%HOST%"), 6, daemon_.paths().router);
        config::CommitRecord record;
        record.user = "root";
        record.time = std::time(nullptr);
        record.client = "other";
        record.comment = "initial configuration";
        config::PrintOptions opts;
        opts.header = true;
        opts.last_changed = now_text();
        store_.commit(config::print_text(config::parse_text(*schema_, initial), opts), record);
        text = store_.read(0);
    }
    try {
        set_committed(config::parse_text(*schema_, *text, {"juniper.conf", {}, false}));
    } catch (const ConfigError& e) {
        daemon_.log().log("config/juniper.conf is not valid (" + e.render() +
                          "); starting with an empty configuration");
        set_committed(Node());
    }
    // The live data tree starts from a full validation (the first commit then patches it).
    if (auto v = config::validate(*schema_, expanded_committed()); v.ok())
        live_.reset(std::move(v.tree));
    shared_candidate_ = committed_;
    shared_modified_ = false;
    // A confirmed commit that was pending when mgd stopped keeps its deadline.
    std::ifstream pending(daemon_.paths().config_dir() / ".commit-confirmed");
    long long deadline = 0;
    if (pending >> deadline && deadline > 0) {
        arm_confirmed_rollback(static_cast<std::time_t>(deadline));
    }
}

std::string ConfigService::host_name() const {
    const config::SchemaNode& root = schema_->root();
    auto sys = schema_->find_child(root, "system", false).node;
    if (sys) {
        if (const Node* s = committed_.find(sys)) {
            if (auto hn = schema_->find_child(*sys, "host-name", false).node) {
                if (const Node* h = s->find(hn); h && !h->values().empty()) {
                    return h->values()[0];
                }
            }
        }
    }
    return daemon_.paths().router;
}

std::string ConfigService::user_class(const std::string& user) const {
    if (user == "root") {
        return "super-user";
    }
    const Node* n = config::find_path(*schema_, committed_, {"system", "login", "user", user});
    if (!n) {
        return {};
    }
    for (const auto& c : n->children()) {
        if (c->keyword() == "class" && !c->values().empty()) {
            return c->values()[0];
        }
    }
    return "read-only";
}

CliSession& ConfigService::open_session(ipc::Connection& conn, const std::string& user,
                                        const std::string& tty, int pid) {
    const std::string cls = user_class(user);
    if (cls.empty()) {
        throw std::runtime_error("login incorrect: user " + user +
                                 " is not configured under [edit system login]");
    }
    auto s = std::make_unique<CliSession>();
    s->id = next_session_id_++;
    s->user = user;
    s->user_class = cls;
    s->tty = tty.empty() ? "batch" : tty;
    s->pid = pid;
    s->login_time = std::time(nullptr);
    s->connection = &conn;
    auto& ref = *s;
    sessions_[s->id] = std::move(s);
    daemon_.log().log("UI_LOGIN_EVENT: User '" + user + "' login, class '" + cls + "'");
    return ref;
}

CliSession* ConfigService::session_of(ipc::Connection& conn) {
    for (auto& [id, s] : sessions_) {
        if (s->connection == &conn) {
            return s.get();
        }
    }
    return nullptr;
}

void ConfigService::close_session(ipc::Connection& conn) {
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
        if (it->second->connection == &conn) {
            if (exclusive_holder_ == it->first) {
                // Leaving `configure exclusive` discards what was not committed.
                exclusive_holder_.reset();
                if (shared_modified_) {
                    before_shared_change(it->second.get());
                    shared_candidate_ = committed_;
                    shared_modified_ = false;
                    ++shared_generation_;
                }
            }
            daemon_.log().log("UI_LOGOUT_EVENT: User '" + it->second->user + "' logout");
            sessions_.erase(it);
            return;
        }
    }
}

config::Node& ConfigService::candidate(CliSession& s) {
    return s.mode == EditMode::private_db ? *s.private_candidate : shared_candidate_;
}

bool ConfigService::candidate_modified(const CliSession& s) const {
    return s.mode == EditMode::private_db ? s.private_modified : shared_modified_;
}

void ConfigService::mark_modified(CliSession& s) {
    if (s.mode == EditMode::private_db) {
        s.private_modified = true;
    } else {
        shared_modified_ = true;
        ++shared_generation_;
    }
}

template <class Edit>
void ConfigService::edit_candidate(CliSession& s, Edit&& edit) {
    if (s.mode != EditMode::private_db)
        before_shared_change(&s);
    edit(candidate(s));
    if (s.own_changes && !s.own_changes_lost) {
        try {
            edit(*s.own_changes);
        } catch (const std::exception&) {
            s.own_changes_lost = true;  // it depended on another session's change
            s.own_changes.reset();
        }
    }
    mark_modified(s);
}

void ConfigService::before_shared_change(const CliSession* by) {
    for (auto& [id, other] : sessions_) {
        CliSession& o = *other;
        if (&o == by || !o.has_checkpoint || o.checkpoint_private || o.own_changes || o.own_changes_lost)
            continue;
        // Until now only that batch changed the shared candidate since its checkpoint: the candidate is
        // its checkpoint plus its own changes.
        o.own_changes = std::make_unique<Node>(shared_candidate_);
    }
}

config::Node ConfigService::checkpoint_tree(CliSession& s) const {
    if (s.checkpoint)
        return std::move(*s.checkpoint);
    Node base = committed_;
    if (s.checkpoint_changes)
        s.checkpoint_changes->apply(base);
    return base;
}

void ConfigService::keep_checkpoints(const CliSession* committer) {
    for (auto& [id, other] : sessions_) {
        CliSession& o = *other;
        if (&o != committer && o.has_checkpoint && !o.checkpoint && o.checkpoint_commit == commit_count_) {
            o.checkpoint = std::make_unique<Node>(checkpoint_tree(o));
            o.checkpoint_changes.reset();
        }
    }
}

void ConfigService::take_checkpoint(CliSession& s) {
    s.has_checkpoint = false;
    s.checkpoint.reset();
    s.checkpoint_changes.reset();
    s.own_changes.reset();
    s.own_changes_lost = false;
    if (s.mode == EditMode::none)
        return;
    s.has_checkpoint = true;
    s.checkpoint_private = s.mode == EditMode::private_db;
    s.checkpoint_modified = candidate_modified(s);
    if (s.checkpoint_private) {
        s.checkpoint = std::make_unique<Node>(candidate(s));
        return;
    }
    // No copy of the configuration: the committed one plus the candidate's changes (usually none).
    s.checkpoint_commit = commit_count_;
    auto changes = config::ChangeSet::between(committed_, shared_candidate_, true);
    if (!changes.empty()) {
        changes.keep_copies();
        s.checkpoint_changes = std::make_unique<config::ChangeSet>(std::move(changes));
    }
}

namespace {

// Equal statements, secrets compared by what they encode ($9$ text differs with each encoding's salt).
bool equivalent(const Node* a, const Node* b) {
    if (!a || !b)
        return a == b;
    if (a->schema() != b->schema() || a->inactive != b->inactive || a->annotation != b->annotation ||
        a->children().size() != b->children().size())
        return false;
    if (a->values() != b->values()) {
        if (!a->schema()->secret || a->values().size() != b->values().size())
            return false;
        for (size_t i = 0; i < a->values().size(); ++i)
            if (config::decode_secret(a->values()[i]) != config::decode_secret(b->values()[i]))
                return false;
    }
    for (size_t i = 0; i < a->children().size(); ++i)
        if (!equivalent(a->children()[i].get(), b->children()[i].get()))
            return false;
    return true;
}

// The keys of a list's entries under `parent`, in order.
std::vector<std::vector<std::string>> order_of(const Node* parent, const config::SchemaNode* list) {
    std::vector<std::vector<std::string>> out;
    if (parent)
        for (const auto& c : parent->children())
            if (c->schema() == list)
                out.push_back(c->values());
    return out;
}

}  // namespace

// Three-way undo: each statement the batch changed (checkpoint -> own_changes) goes back to its checkpoint
// state, unless another session changed it too (the candidate no longer has what the batch left there).
std::string ConfigService::undo_own_changes(CliSession& s, Node base) {
    using Kind = config::StatementChange::Kind;
    Node& cand = candidate(s);
    const Node& mine = *s.own_changes;
    const auto own = config::ChangeSet::between(base, mine, false);
    std::vector<std::string> kept;
    for (const auto& ch : own.changes()) {
        const bool list_order = ch.kind == Kind::reordered;
        const Node* now = config::statement_at(cand, ch.where);
        const Node* left = config::statement_at(mine, ch.where);
        const Node* before = config::statement_at(base, ch.where);
        const bool untouched = list_order              ? order_of(now, ch.list) == order_of(left, ch.list)
                               : ch.kind == Kind::meta ? now && now->inactive == left->inactive &&
                                                             now->annotation == left->annotation
                               : ch.kind == Kind::modified ? equivalent(now, left) && now
                                                           : equivalent(now, left);
        std::vector<config::StatementId> parent_path(ch.where.begin(), ch.where.end() - (list_order ? 0 : 1));
        Node* parent = config::statement_at(cand, parent_path);
        if (!untouched || !parent) {
            kept.push_back(edit_banner(ch.path_words()));
            continue;
        }
        switch (ch.kind) {
            case Kind::created:
                parent->remove(now);
                break;
            case Kind::deleted:
                if (before->schema()->kind == config::NodeKind::list && ch.where.size() > 0) {
                    // Back after the entry it followed at the checkpoint, if that is still there.
                    const Node* base_parent = before->parent();
                    const Node* anchor = nullptr;
                    for (const auto& c : base_parent->children()) {
                        if (c.get() == before)
                            break;
                        if (c->schema() == before->schema())
                            anchor = parent->find(c->schema(), c->values());
                    }
                    if (anchor)
                        parent->insert_at(std::make_unique<Node>(*before), anchor, true);
                    else
                        parent->add(std::make_unique<Node>(*before));
                } else {
                    parent->add(std::make_unique<Node>(*before));
                }
                break;
            case Kind::modified:
                const_cast<Node*>(now)->mutable_values() = before->values();
                break;
            case Kind::meta: {
                Node* n = const_cast<Node*>(now);
                n->inactive = before->inactive;
                n->annotation = before->annotation;
                n->touch();
                break;
            }
            case Kind::reordered: {
                const Node* prev = nullptr;
                for (const auto& keys : order_of(before, ch.list)) {
                    Node* n = parent->find(ch.list, keys);
                    if (!n)
                        continue;
                    if (prev)
                        parent->move_to(n, prev, true);
                    prev = n;
                }
                break;
            }
        }
    }
    std::string text = "warning: the batch failed; its uncommitted changes were discarded\n";
    if (!kept.empty()) {
        text += "warning: another session changed these statements as well; they were kept:\n";
        for (const auto& k : kept)
            text += "  " + k + "\n";
    }
    return text;
}

std::string ConfigService::restore_checkpoint(CliSession& s, bool& ok) {
    ok = false;
    struct Clear {
        CliSession& s;
        ~Clear() {
            s.has_checkpoint = false;
            s.checkpoint.reset();
            s.checkpoint_changes.reset();
            s.own_changes.reset();
            s.own_changes_lost = false;
        }
    } clear{s};
    if (!s.has_checkpoint || s.mode == EditMode::none ||
        s.checkpoint_private != (s.mode == EditMode::private_db))
        return "warning: the batch failed; its uncommitted changes are kept (no checkpoint to return to)\n";
    if (s.own_changes_lost)
        return "warning: the batch failed; its uncommitted changes are kept because they build on another "
               "session's changes (use 'show | compare' and 'rollback')\n";
    if (auto lock = locked_by_other(s))
        return "warning: the batch failed; its uncommitted changes are kept: " + *lock + "\n";
    const bool committed_copy = !s.checkpoint;
    Node base = checkpoint_tree(s);
    std::string text;
    if (s.mode == EditMode::private_db) {
        *s.private_candidate = std::move(base);
        s.private_modified = s.checkpoint_modified;
        text = "warning: the batch failed; its uncommitted changes were discarded\n";
    } else {
        before_shared_change(&s);
        if (s.own_changes) {
            text = undo_own_changes(s, std::move(base));
        } else {
            // Nobody else changed the candidate since the checkpoint: it goes back whole. Made from the
            // committed tree, its marks are right; an older copy of the candidate is marked all over, since
            // the committed configuration may have moved since.
            shared_candidate_ = std::move(base);
            if (!committed_copy)
                shared_candidate_.mark_subtree();
            text = "warning: the batch failed; its uncommitted changes were discarded\n";
        }
        shared_modified_ = !config::ChangeSet::between(committed_, shared_candidate_, true).empty();
        ++shared_generation_;
    }
    ok = true;
    return text;
}

std::optional<std::string> ConfigService::locked_by_other(const CliSession& s) const {
    if (!exclusive_holder_ || *exclusive_holder_ == s.id || s.mode == EditMode::private_db) {
        return std::nullopt;
    }
    auto it = sessions_.find(*exclusive_holder_);
    if (it == sessions_.end()) {
        return std::nullopt;
    }
    const auto& h = *it->second;
    char when[32];
    std::tm tm{};
    ::localtime_r(&h.login_time, &tm);
    std::strftime(when, sizeof when, "%H:%M:%S %Z", &tm);
    return "error: configuration database locked by:\n  " + h.user + " terminal " + h.tty + " (pid " +
           std::to_string(h.pid) + ") on since " + when + "\n  exclusive " + edit_banner(h.edit_path);
}

std::string ConfigService::users_editing_text(const CliSession* except) const {
    std::string out;
    for (const auto& [id, s] : sessions_) {
        if (s->mode == EditMode::none || s.get() == except) {
            continue;
        }
        char when[40];
        std::tm tm{};
        ::localtime_r(&s->login_time, &tm);
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &tm);
        out += "  " + s->user + " terminal " + s->tty + " (pid " + std::to_string(s->pid) + ") on since " +
               when + "\n";
        out += "      " + edit_banner(s->edit_path);
        if (s->mode == EditMode::exclusive)
            out += " exclusive";
        if (s->mode == EditMode::private_db)
            out += " private";
        out += "\n";
    }
    return out;
}

std::string ConfigService::status_text() const {
    return "Users currently editing the configuration:\n" + users_editing_text(nullptr);
}

CommandOutcome ConfigService::enter_configuration(CliSession& s, EditMode mode) {
    CommandOutcome out;
    if (s.user_class != "super-user") {
        out.ok = false;
        out.text = "unknown command.\n";
        return out;
    }
    if (mode == EditMode::exclusive) {
        if (exclusive_holder_ && *exclusive_holder_ != s.id) {
            out.ok = false;
            out.text = *locked_by_other(s) + "\n";
            return out;
        }
        for (const auto& [id, other] : sessions_) {
            if (id != s.id && other->mode == EditMode::private_db) {
                out.ok = false;
                out.text = "error: configure exclusive is not allowed while users are in configure private\n";
                return out;
            }
        }
    }
    if (mode == EditMode::private_db && shared_modified_) {
        out.ok = false;
        out.text =
            "error: shared configuration database modified\nUsers currently editing the configuration:\n" +
            users_editing_text(&s);
        return out;
    }
    std::string text;
    if (mode == EditMode::exclusive || mode == EditMode::private_db) {
        text += "warning: uncommitted changes will be discarded on exit\n";
    }
    text += "Entering configuration mode\n";
    const std::string others = users_editing_text(&s);
    if (!others.empty()) {
        text += "Current configuration users:\n" + others;
    }
    if (shared_modified_ && mode != EditMode::private_db) {
        text += "The configuration has been changed but not committed\n";
    }
    s.mode = mode;
    s.edit_path.clear();
    if (mode == EditMode::exclusive) {
        exclusive_holder_ = s.id;
    }
    if (mode == EditMode::private_db) {
        s.private_candidate = std::make_unique<Node>(committed_);
        s.private_base = std::make_unique<Node>(committed_);
        s.private_modified = false;
    }
    out.text = text;
    return out;
}

namespace {

// Configuration-mode commands and the options of those that take keywords, with Junos help texts.
const std::vector<std::pair<std::string, std::string>>& configuration_verbs() {
    static const std::vector<std::pair<std::string, std::string>> verbs = {
        {"activate", "Remove the inactive tag from a statement"},
        {"annotate", "Annotate the statement with a comment"},
        {"commit", "Commit current set of changes"},
        {"copy", "Copy a statement"},
        {"deactivate", "Add the inactive tag to a statement"},
        {"delete", "Delete a data element"},
        {"edit", "Edit a sub-element"},
        {"exit", "Exit from this level"},
        {"help", "Provide help information"},
        {"insert", "Insert a new ordered data element"},
        {"load", "Load configuration from ASCII file"},
        {"quit", "Quit from this level"},
        {"rename", "Rename a statement"},
        {"rollback", "Roll back to previous committed configuration"},
        {"run", "Run an operational-mode command"},
        {"save", "Save configuration to ASCII file"},
        {"set", "Set a parameter"},
        {"show", "Show a parameter"},
        {"status", "Show users currently editing configuration"},
        {"top", "Exit to top level of configuration"},
        {"up", "Exit one level of configuration"},
        {"wildcard", "Wildcard operations"},
    };
    return verbs;
}

const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& verb_options() {
    static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> options = {
        {"commit",
         {{"and-quit", "Quit configuration mode if commit succeeds"},
          {"check", "Check correctness of syntax; do not apply changes"},
          {"comment", "Message to write to commit log"},
          {"confirmed", "Automatically rollback if not confirmed"}}},
        {"load",
         {{"merge", "Merge contents with existing configuration"},
          {"override", "Override existing configuration"},
          {"patch", "Load patch file into configuration"},
          {"replace", "Replace configuration data"},
          {"set", "Execute set of commands on existing configuration"}}},
        {"exit", {{"configuration-mode", "Exit from configuration mode"}}},
        {"wildcard", {{"delete", "Delete statement(s) matching a pattern"}}},
    };
    return options;
}

}  // namespace

std::vector<config::Completion> ConfigService::complete(CliSession& s, const std::string& line) const {
    // The command word itself (and the keywords of commit, load, exit) are listed here; the statement
    // paths after set/delete/show/... come from the schema.
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) {
        words.push_back(w);
    }
    const bool typing_word = !line.empty() && line.back() != ' ';
    std::string partial;
    if (typing_word && !words.empty()) {
        partial = words.back();
        words.pop_back();
    }
    auto listed = [&](const std::vector<std::pair<std::string, std::string>>& items, bool enter) {
        std::vector<config::Completion> out;
        if (enter && partial.empty()) {
            out.push_back({' ', "<[Enter]>", "Execute this command"});
        }
        for (const auto& [name, help] : items) {
            if (name.compare(0, partial.size(), partial) == 0) {
                out.push_back({' ', name, help});
            }
        }
        return out;
    };
    if (words.empty()) {
        return listed(configuration_verbs(), false);
    }
    if (words.size() == 1) {
        auto it = verb_options().find(words[0]);
        if (it != verb_options().end()) {
            return listed(it->second, words[0] != "load" && words[0] != "wildcard");
        }
    }
    // `rollback ?` lists the rollbacks there are, with when, who and how (Junos).
    if (words.size() == 1 && words[0].size() >= 3 && std::string_view("rollback").starts_with(words[0])) {
        std::vector<config::Completion> out;
        if (partial.empty())
            out.push_back({' ', "<[Enter]>", "Execute this command"});
        for (int n = 0; n <= config::RollbackStore::kMaxRollback; ++n) {
            const std::string name = std::to_string(n);
            auto r = store_.record(n);
            if (r && name.compare(0, partial.size(), partial) == 0)
                out.push_back({' ', name,
                               config::RollbackStore::format_time(r->time) + " by " + r->user + " via " +
                                   r->client + (r->note.empty() ? "" : " " + r->note)});
        }
        if (partial.empty())
            out.push_back({' ', "|", "Pipe through a command"});
        return out;
    }
    const Node& tree =
        s.mode == EditMode::private_db && s.private_candidate ? *s.private_candidate : shared_candidate_;
    auto out = config::completions(*schema_, tree, s.edit_path, line);
    // `show` runs as it is at any statement, and takes pipes.
    if (!words.empty() && partial.empty() && std::string_view("show").starts_with(words[0]) &&
        (out.empty() || out.front().name != "<[Enter]>")) {
        out.insert(out.begin(), {' ', "<[Enter]>", "Execute this command"});
        out.push_back({' ', "|", "Pipe through a command"});
    }
    return out;
}

// Edit paths are words and a list entry takes two (keyword and key), so climbing one statement may drop
// two words ("security ipsec security-association sa-1" -> "security ipsec").
std::vector<std::string> ConfigService::parent_level(std::vector<std::string> path) const {
    if (path.empty()) {
        return path;
    }
    path.pop_back();
    if (!path.empty()) {
        try {
            config::resolve_edit_path(*schema_, {}, join(path));
        } catch (const ConfigError&) {
            path.pop_back();
        }
    }
    return path;
}

CommandOutcome ConfigService::exit_command(CliSession& s, bool to_operational, bool confirmed) {
    CommandOutcome out;
    if (!to_operational && !s.edit_path.empty()) {
        s.edit_path = parent_level(s.edit_path);
        return out;
    }
    if (candidate_modified(s) && !confirmed) {
        if (s.mode == EditMode::exclusive) {
            out.text =
                "The configuration has been changed but not committed\n"
                "warning: Auto rollback on exiting 'configure exclusive'\n";
            out.confirm = "Discard uncommitted changes? [yes,no] (yes) ";
        } else if (s.mode == EditMode::private_db) {
            out.text = "The configuration has been changed but not committed\n";
            out.confirm = "Discard uncommitted changes? [yes,no] (yes) ";
        } else {
            out.text = "The configuration has been changed but not committed\n";
            out.confirm = "Exit with uncommitted changes? [yes,no] (yes) ";
        }
        return out;
    }
    if (s.mode == EditMode::exclusive) {
        if (candidate_modified(s)) {
            out.text += "warning: discarding uncommitted changes\nload complete\n";
            before_shared_change(&s);
            shared_candidate_ = committed_;
            shared_modified_ = false;
            ++shared_generation_;
        }
        exclusive_holder_.reset();
    }
    s.private_candidate.reset();
    s.private_base.reset();
    s.mode = EditMode::none;
    s.edit_path.clear();
    out.text += "Exiting configuration mode\n";
    out.exited = true;
    return out;
}

void ConfigService::run_command(CliSession& s, const std::string& line, const std::string& input,
                                bool confirmed, const std::string& display,
                                const std::optional<std::string>& compare, Done done) {
    if (s.mode == EditMode::none) {
        done({"error: not in configuration mode\n", false});
        return;
    }
    std::vector<config::CommandWord> words;
    try {
        words = config::split_command(line);
    } catch (const ConfigError& e) {
        CommandOutcome out{e.message + "\n", false};
        out.caret = e.offset;
        done(out);
        return;
    }
    if (words.empty()) {
        done({});
        return;
    }
    static const std::vector<std::string> verbs = {
        "activate", "annotate", "commit", "copy", "deactivate", "delete",   "edit",    "exit",
        "help",     "insert",   "load",   "quit", "rename",     "rollback", "run",     "save",
        "set",      "show",     "status", "top",  "up",         "update",   "wildcard"};
    auto match_verb = [&](const std::string& w, std::vector<std::string>& hits) {
        hits.clear();
        for (const auto& v : verbs) {
            if (v == w) {
                hits = {v};
                return;
            }
            if (v.compare(0, w.size(), w) == 0)
                hits.push_back(v);
        }
    };
    std::vector<std::string> hits;
    match_verb(words[0].text, hits);
    if (hits.size() != 1) {
        CommandOutcome out;
        out.ok = false;
        out.caret = words[0].offset;
        if (hits.empty()) {
            out.text = "unknown command.\n";
        } else {
            out.text = "'" + words[0].text + "' is ambiguous.\nPossible completions:\n";
            for (const auto& h : hits) {
                std::string name = "  " + h;
                name.resize(std::max<size_t>(name.size() + 2, 23), ' ');
                std::string help;
                for (const auto& [verb, text] : configuration_verbs())
                    if (verb == h)
                        help = text;
                out.text += help.empty() ? "  " + h + "\n" : name + help + "\n";
            }
        }
        done(out);
        return;
    }
    const std::string verb = hits[0];

    if (verb == "top" || verb == "up") {
        // `top`, `up [N]`, and `top COMMAND` / `up [N] COMMAND`: the command runs at that level, and the
        // level stays where it was unless the command was a bare top/up.
        size_t levels = verb == "top" ? s.edit_path.size() : 1;
        size_t next = 1;
        if (verb == "up" && words.size() > 1 &&
            words[1].text.find_first_not_of("0123456789") == std::string::npos) {
            levels = std::stoul(words[1].text);
            next = 2;
        }
        if (verb == "up" && s.edit_path.empty() && next >= words.size()) {
            done({"warning: Already at top of hierarchy\n", true});
            return;
        }
        std::vector<std::string> target = s.edit_path;
        for (size_t i = 0; i < levels && !target.empty(); ++i) {
            target = parent_level(target);
        }
        if (next >= words.size()) {
            s.edit_path = target;
            done({});
            return;
        }
        const auto saved = s.edit_path;
        s.edit_path = target;
        const std::string rest = line.substr(words[next].offset);
        run_command(s, rest, input, confirmed, display, compare, [this, &s, saved, done](CommandOutcome out) {
            if (!out.exited && s.mode != EditMode::none)
                s.edit_path = saved;
            done(std::move(out));
        });
        return;
    }
    if (verb == "exit" || verb == "quit") {
        const bool to_op = verb == "quit" || (words.size() > 1 &&
                                              std::string("configuration-mode").rfind(words[1].text, 0) == 0);
        done(exit_command(s, to_op || verb == "quit", confirmed));
        return;
    }
    if (verb == "status") {
        done({status_text(), true});
        return;
    }
    if (verb == "show") {
        done(show_command(s, words, 1, display, compare));
        return;
    }
    if (verb == "commit") {
        CommitRequest req;
        for (size_t i = 1; i < words.size(); ++i) {
            const std::string& w = words[i].text;
            auto is = [&](std::string_view full) { return !w.empty() && full.substr(0, w.size()) == w; };
            if (is("check")) {
                req.check_only = true;
            } else if (is("and-quit")) {
                req.and_quit = true;
            } else if (is("confirmed")) {
                req.confirmed_minutes = 10;
                if (i + 1 < words.size() &&
                    words[i + 1].text.find_first_not_of("0123456789") == std::string::npos) {
                    const int m = std::stoi(words[++i].text);
                    if (m < 1 || m > 65535) {
                        CommandOutcome out{"Value " + words[i].text + " is not within range (1..65535)\n",
                                           false};
                        out.caret = words[i].offset;
                        done(out);
                        return;
                    }
                    req.confirmed_minutes = m;
                }
            } else if (is("comment")) {
                if (i + 1 >= words.size()) {
                    CommandOutcome out{"missing argument.\n", false};
                    out.caret = line.size() + 1;
                    done(out);
                    return;
                }
                req.comment = words[++i].text;
            } else if (is("synchronize")) {
                // one Routing Engine: nothing to synchronize
            } else {
                CommandOutcome out{"syntax error.\n", false};
                out.caret = words[i].offset;
                done(out);
                return;
            }
        }
        if (auto lock = locked_by_other(s)) {
            done({*lock + "\n", false});
            return;
        }
        commit(s, req, done);
        return;
    }
    done(edit_command(s, verb, line, words, 1, input, confirmed, display, compare));
}

CommandOutcome ConfigService::show_command(CliSession& s, const std::vector<config::CommandWord>& words,
                                           size_t first, const std::string& display,
                                           const std::optional<std::string>& compare) {
    CommandOutcome out;
    std::vector<std::string> path = s.edit_path;
    if (first < words.size()) {
        std::string rest;
        for (size_t i = first; i < words.size(); ++i) {
            if (!rest.empty())
                rest += ' ';
            rest += words[i].quoted ? config::quote_value(words[i].text) : words[i].text;
        }
        try {
            path = config::resolve_edit_path(*schema_, s.edit_path, rest);
        } catch (const ConfigError& e) {
            // `show system host-name`: a leaf shows as its one statement.
            try {
                if (!compare) {
                    const Node* leaf = config::find_leaf_statement(*schema_, candidate(s), s.edit_path, rest);
                    if (leaf)
                        out.text =
                            display == "set" ? config::display_set(*leaf) : config::print_statement(*leaf);
                    return out;
                }
            } catch (const ConfigError&) {
            }
            out.ok = false;
            out.caret = e.word_index >= 0 && static_cast<size_t>(e.word_index) + first < words.size()
                            ? words[e.word_index + first].offset
                            : e.offset;
            out.text = e.message + "\n";
            return out;
        }
    }
    Node& cand = candidate(s);
    if (compare) {
        // show | compare [rollback N]: candidate against the committed configuration or a rollback. The
        // shared candidate's change marks say where it differs from the committed configuration.
        if (compare->empty()) {
            out.text = config::compare(committed_, cand, s.mode != EditMode::private_db);
            return out;
        }
        Node against;
        {
            try {
                against = config::parse_text(*schema_, store_.read_or_throw(std::stoi(*compare)),
                                             {"rollback", {}, false, true});
            } catch (const ConfigError& e) {
                out.ok = false;
                out.text = e.message + "\n";
                return out;
            } catch (const std::logic_error&) {  // std::stoi: not a number (the CLI checks it first)
                out.ok = false;
                out.text = "Value " + *compare + " is not within range (0..49)\n";
                return out;
            }
        }
        out.text = config::compare(against, cand);
        return out;
    }
    const Node* node = config::find_path(*schema_, cand, path);
    if (!node) {
        return out;
    }
    if (display == "set") {
        out.text = config::display_set(*node);
    } else if (display == "xml") {
        // Junos names the release without its build in the namespace (9.3R2, not 9.3R2.8).
        std::string release = release_string();
        if (auto r = release.find('R'); r != std::string::npos) {
            release = release.substr(0, release.find('.', r));
        }
        out.text = "<rpc-reply xmlns:junos=\"http://xml.juniper.net/junos/" + release + "/junos\">\n" +
                   config::print_xml(*node, 4) + "    <cli>\n        <banner>" + edit_banner(s.edit_path) +
                   "</banner>\n    </cli>\n</rpc-reply>\n";
    } else if (display == "inheritance") {
        try {
            Node expanded = config::expand_groups(cand);
            config::PrintOptions inherited;
            inherited.inheritance = true;
            if (const Node* e = config::find_path(*schema_, expanded, path))
                out.text = config::print_text(*e, inherited);
        } catch (const ConfigError& e) {
            out.text = e.message + "\n";
            out.ok = false;
        }
    } else {
        out.text = config::print_text(*node);
    }
    return out;
}

CommandOutcome ConfigService::load_command(CliSession& s, const std::vector<config::CommandWord>& words,
                                           size_t first, const std::string& input) {
    CommandOutcome out;
    static const std::vector<std::pair<std::string, config::LoadMode>> modes = {
        {"merge", config::LoadMode::merge}, {"override", config::LoadMode::override},
        {"patch", config::LoadMode::patch}, {"replace", config::LoadMode::replace},
        {"set", config::LoadMode::set},     {"update", config::LoadMode::update}};
    if (first >= words.size()) {
        out = {"missing argument.\n", false};
        out.caret = words.back().end + 1;
        return out;
    }
    std::optional<config::LoadMode> mode;
    std::string mode_name;
    for (const auto& [name, m] : modes) {
        if (name.rfind(words[first].text, 0) == 0) {
            if (mode) {
                out = {"'" + words[first].text + "' is ambiguous.\n", false};
                out.caret = words[first].offset;
                return out;
            }
            mode = m;
            mode_name = name;
        }
    }
    if (!mode) {
        out = {"syntax error.\n", false};
        out.caret = words[first].offset;
        return out;
    }
    if (first + 1 >= words.size()) {
        out = {"missing argument.\n", false};
        out.caret = words[first].end + 1;
        return out;
    }
    bool relative = false;
    std::string source;
    for (size_t i = first + 1; i < words.size(); ++i) {
        if (words[i].text == "relative")
            relative = true;
        else if (source.empty())
            source = words[i].text;
        else {
            out = {"syntax error.\n", false};
            out.caret = words[i].offset;
            return out;
        }
    }
    if (*mode == config::LoadMode::override && !s.edit_path.empty()) {
        return {"error: override can be used only at the top level\n", false};
    }
    std::string text;
    std::string file_name = "terminal";
    if (std::string("terminal").rfind(source, 0) == 0 && !source.empty()) {
        text = input;
    } else {
        try {
            text = config::read_config_file(source);
        } catch (const ConfigError& e) {
            return {e.message + "\n", false};
        }
        file_name = source;
    }
    config::LoadOptions opts;
    opts.file_name = file_name;
    if (relative)
        opts.edit_path = s.edit_path;
    try {
        config::CommandResult result;
        edit_candidate(s,
                       [&](Node& tree) { result = config::load_config(*schema_, tree, *mode, text, opts); });
        for (const auto& w : result.warnings)
            out.text += w + "\n";
        out.text += "load complete\n";
    } catch (const ConfigError& e) {
        out.ok = false;
        out.text = e.render();
        if (!out.text.empty() && out.text.back() != '\n')
            out.text += '\n';
        out.text += "error: configuration load failed: nothing was loaded\n";
    }
    return out;
}

CommandOutcome ConfigService::edit_command(CliSession& s, const std::string& verb, const std::string& line,
                                           const std::vector<config::CommandWord>& words, size_t first,
                                           const std::string& input, bool confirmed, const std::string&,
                                           const std::optional<std::string>&) {
    CommandOutcome out;
    if (verb == "run" || verb == "help") {
        return {"error: '" + verb + "' is handled by the CLI\n", false};
    }
    if (verb == "edit") {
        std::string rest = first < words.size() ? line.substr(words[first].offset) : "";
        try {
            s.edit_path = config::resolve_edit_path(*schema_, s.edit_path, rest);
        } catch (const ConfigError& e) {
            out.ok = false;
            // The offset is in `rest`; the caret goes under the word in the whole line.
            out.caret = (first < words.size() ? words[first].offset : line.size() + 1) + e.offset;
            out.text = e.message + "\n";
        }
        return out;
    }
    if (verb == "rollback") {
        int n = 0;
        if (first < words.size()) {
            const std::string& w = words[first].text;
            if (w.empty() || w.size() > 2 || w.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(w) > 49) {
                out = {"Value " + w + " is not within range (0..49)\n", false};
                out.caret = words[first].offset;
                return out;
            }
            n = std::stoi(w);
        }
        if (auto lock = locked_by_other(s))
            return {*lock + "\n", false};
        try {
            // rollback 0 is the committed tree itself (a copy keeps its cleared change marks).
            const Node restored =
                n == 0 ? committed_
                       : config::parse_text(*schema_, store_.read_or_throw(n), {"rollback", {}, false, true});
            edit_candidate(s, [&](Node& tree) { tree = restored; });
            if (n == 0) {
                if (s.mode == EditMode::private_db)
                    s.private_modified = false;
                else
                    shared_modified_ = false;
            }
            out.text = "load complete\n";
        } catch (const ConfigError& e) {
            out = {e.message + "\n", false};
        }
        return out;
    }
    if (verb == "load") {
        if (auto lock = locked_by_other(s))
            return {*lock + "\n", false};
        return load_command(s, words, first, input);
    }
    if (verb == "save") {
        if (first >= words.size()) {
            out = {"missing argument.\n", false};
            out.caret = line.size() + 1;
            return out;
        }
        const Node* node = config::find_path(*schema_, candidate(s), s.edit_path);
        config::PrintOptions opts;
        opts.header = s.edit_path.empty();
        opts.last_changed = now_text();
        const std::string text = node ? config::print_text(*node, opts) : std::string();
        try {
            config::write_file_atomically(words[first].text, text);
        } catch (const ConfigError& e) {
            return {"error: " + e.message + "\n", false};
        }
        const auto lines = std::count(text.begin(), text.end(), '\n');
        return {"Wrote " + std::to_string(lines) + " lines of configuration to '" + words[first].text + "'\n",
                true};
    }
    if (verb == "wildcard" && !confirmed) {
        // Ask before deleting: count the matches on a scratch copy.
        Node scratch = candidate(s);
        try {
            auto r = config::run_command(*schema_, scratch, s.edit_path, line);
            if (r.lines.empty()) {
                out.text = "warning: no matches\n";
                return out;
            }
            for (const auto& l : r.lines)
                out.text += l + "\n";
            out.confirm = "Delete " + std::to_string(r.lines.size()) + " objects? [yes,no] (no) ";
        } catch (const ConfigError& e) {
            out.ok = false;
            out.caret = e.offset;
            out.text = e.message + "\n";
        }
        return out;
    }
    if (auto lock = locked_by_other(s)) {
        return {*lock + "\n", false};
    }
    try {
        config::CommandResult r;
        edit_candidate(s, [&](Node& tree) { r = config::run_command(*schema_, tree, s.edit_path, line); });
        for (const auto& l : r.lines)
            out.text += l + "\n";
        for (const auto& w : r.warnings)
            out.text += w + "\n";
    } catch (const ConfigError& e) {
        out.ok = false;
        out.caret = e.offset;
        out.text = e.message + "\n";
        if (!e.possible.empty()) {
            out.text += "Possible completions:\n";
            for (const auto& p : e.possible) {
                std::string name = "  " + p;
                if (name.size() < 23)
                    name.resize(23, ' ');
                out.text += name + "\n";
            }
        }
    }
    return out;
}

void ConfigService::broadcast(const std::string& message) {
    pugi::xml_document doc;
    auto b = doc.append_child("broadcast-message");
    char when[16];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    std::strftime(when, sizeof when, "%H:%M %Z", &tm);
    xml::append_text(b, "text",
                     "Broadcast Message from root@" + host_name() + "\n        (no tty) at " + when +
                         "...\n\n" + message + "\n");
    for (auto& [id, s] : sessions_) {
        if (s->connection && s->connection->is_open()) {
            s->connection->notify(doc.document_element());
        }
    }
}

std::string ConfigService::show_configuration(const std::vector<std::string>& path,
                                              const std::string& display,
                                              const std::optional<std::string>& compare,
                                              std::string& error) const {
    if (compare) {
        try {
            Node against =
                config::parse_text(*schema_, store_.read_or_throw(compare->empty() ? 1 : std::stoi(*compare)),
                                   {"rollback", {}, false, true});
            return config::compare(against, committed_);
        } catch (const ConfigError& e) {
            error = e.message;
            return {};
        } catch (const std::logic_error&) {  // std::stoi: not a number (the CLI checks it first)
            error = "Value " + *compare + " is not within range (0..49)";
            return {};
        }
    }
    std::vector<std::string> resolved;
    if (!path.empty()) {
        try {
            resolved = config::resolve_edit_path(*schema_, {}, join(path));
        } catch (const ConfigError& e) {
            // `show configuration system host-name`: a leaf shows as its one statement.
            try {
                const Node* leaf = config::find_leaf_statement(
                    *schema_, display == "inheritance" ? expanded_committed() : committed_, {}, join(path));
                if (!leaf)
                    return {};
                if (display == "xml")
                    return config::print_xml(*leaf);
                return display == "set" ? config::display_set(*leaf) : config::print_statement(*leaf);
            } catch (const ConfigError&) {
            }
            error = e.message;
            return {};
        }
    }
    const Node& source = display == "inheritance" ? expanded_committed() : committed_;
    const Node* node = config::find_path(*schema_, source, resolved);
    if (!node) {
        return {};
    }
    if (display == "set") {
        return config::display_set(*node);
    }
    if (display == "xml") {
        return config::print_xml(*node);
    }
    std::string out;
    if (resolved.empty()) {
        if (auto rec = store_.record(0)) {
            out += "## Last commit: " + config::RollbackStore::format_time(rec->time) + " by " + rec->user +
                   "\n";
        }
        out += "version " + release_string() + ";\n";
    }
    config::PrintOptions options;
    options.inheritance = display == "inheritance";
    return out + config::print_text(*node, options);
}

std::string ConfigService::show_rollback(int n, std::optional<int> compare_to, std::string& error) const {
    try {
        const std::string text = store_.read_or_throw(n);
        if (!compare_to) {
            return text;
        }
        Node a =
            config::parse_text(*schema_, store_.read_or_throw(*compare_to), {"rollback", {}, false, true});
        Node b = config::parse_text(*schema_, text, {"rollback", {}, false, true});
        return config::compare(a, b);
    } catch (const ConfigError& e) {
        error = e.message;
        return {};
    }
}

}  // namespace msim::mgd
