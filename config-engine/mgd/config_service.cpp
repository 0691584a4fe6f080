#include "config_service.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "msim/common/xml.hpp"
#include "msim/config/diff.hpp"
#include "msim/config/error.hpp"
#include "msim/config/groups.hpp"
#include "msim/config/load.hpp"
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

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string join(const std::vector<std::string>& words, std::string_view sep = " ") {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty())
            out += sep;
        out += w;
    }
    return out;
}

std::string edit_banner(const std::vector<std::string>& path) {
    return path.empty() ? "[edit]" : "[edit " + join(path) + "]";
}

bool same_tree(const Node& a, const Node& b) {
    if (a.schema() != b.schema() || a.values() != b.values() || a.inactive != b.inactive ||
        a.children().size() != b.children().size()) {
        return false;
    }
    for (size_t i = 0; i < a.children().size(); ++i) {
        if (!same_tree(*a.children()[i], *b.children()[i])) {
            return false;
        }
    }
    return true;
}

// The node with its ancestors (without their other children), printed as a configuration snippet.
std::string text_in_context(const Node& n) {
    std::vector<const Node*> chain;
    for (const Node* p = n.parent(); p && !p->is_root(); p = p->parent()) {
        chain.insert(chain.begin(), p);
    }
    Node root;
    Node* at = &root;
    for (const Node* a : chain) {
        at = at->add(std::make_unique<Node>(a->schema(), a->values()));
    }
    at->add(std::make_unique<Node>(n));
    return config::print_text(root);
}

// Changes from `a` to `b` (same statement, or either null), one per list entry or leaf, grouped by owner.
void diff_nodes(const config::Schema& schema, const Node* a, const Node* b, OwnedChanges& out) {
    const Node& any = a ? *a : *b;
    auto is_leafish = [](const Node& n) {
        return n.schema() && (n.schema()->kind != config::NodeKind::container || n.children().empty());
    };
    auto emit = [&](const Node& n, const char* op) {
        auto path = n.path_words();
        auto [owner, readers] = schema.owner_and_readers(path);
        OwnedChange change{op, path, text_in_context(n)};
        for (const auto& r : readers) {
            out[r].push_back(change);
        }
        out[owner].push_back(std::move(change));
    };
    // A list entry, leaf or childless container is one change; containers are walked into.
    const bool whole_statement =
        !any.is_root() && (any.schema()->kind == config::NodeKind::list ||
                           (is_leafish(any) && (!a || !b || a->children().empty() || b->children().empty())));
    if (whole_statement) {
        if (!a) {
            emit(*b, "create");
        } else if (!b) {
            emit(*a, "delete");
        } else if (!same_tree(*a, *b)) {
            emit(*b, "modify");
        }
        return;
    }
    if (a && b && same_tree(*a, *b)) {
        return;
    }
    if (a) {
        for (const auto& ca : a->children()) {
            const Node* cb = b ? b->find(ca->schema(), ca->values()) : nullptr;
            diff_nodes(schema, ca.get(), cb, out);
        }
    }
    if (b) {
        for (const auto& cb : b->children()) {
            if (!a || !a->find(cb->schema(), cb->values())) {
                diff_nodes(schema, nullptr, cb.get(), out);
            }
        }
    }
}

OwnedChanges owner_changes(const config::Schema& schema, const Node& before, const Node& after) {
    OwnedChanges out;
    diff_nodes(schema, &before, &after, out);
    return out;
}

void append_changes(pugi::xml_node parent, const std::vector<OwnedChange>& changes) {
    auto list = parent.append_child("configuration-changes");
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

std::string now_text() {
    return config::RollbackStore::format_time(std::time(nullptr));
}

}  // namespace

ConfigService::ConfigService(Daemon& daemon, std::shared_ptr<const config::Schema> schema)
    : daemon_(daemon),
      schema_(std::move(schema)),
      store_(daemon.paths().config_dir()),
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
        committed_ = config::parse_text(*schema_, *text, {"juniper.conf", {}, false});
    } catch (const ConfigError& e) {
        daemon_.log().log("config/juniper.conf is not valid (" + e.render() +
                          "); starting with an empty configuration");
        committed_ = Node();
    }
    try {
        expanded_committed_ = config::expand_groups(committed_);
    } catch (const ConfigError&) {
        expanded_committed_ = committed_;
    }
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
        if (s.checkpoint && !s.checkpoint_private)
            s.checkpoint_generation = shared_generation_;  // our own change, not another session's
    }
}

void ConfigService::take_checkpoint(CliSession& s) {
    if (s.mode == EditMode::none) {
        s.checkpoint.reset();
        return;
    }
    s.checkpoint = std::make_unique<Node>(candidate(s));
    s.checkpoint_private = s.mode == EditMode::private_db;
    s.checkpoint_modified = candidate_modified(s);
    s.checkpoint_generation = shared_generation_;
}

std::string ConfigService::restore_checkpoint(CliSession& s, bool& ok) {
    ok = false;
    if (!s.checkpoint || s.mode == EditMode::none ||
        s.checkpoint_private != (s.mode == EditMode::private_db)) {
        s.checkpoint.reset();
        return "warning: the batch failed; its uncommitted changes are kept (no checkpoint to return to)\n";
    }
    if (!s.checkpoint_private && s.checkpoint_generation != shared_generation_) {
        s.checkpoint.reset();
        return "warning: the batch failed; its uncommitted changes are kept because another session changed "
               "the shared configuration meanwhile (use 'show | compare' and 'rollback')\n";
    }
    if (auto lock = locked_by_other(s)) {
        s.checkpoint.reset();
        return "warning: the batch failed; its uncommitted changes are kept: " + *lock + "\n";
    }
    candidate(s) = std::move(*s.checkpoint);
    s.checkpoint.reset();
    if (s.mode == EditMode::private_db) {
        s.private_modified = s.checkpoint_modified;
    } else {
        shared_modified_ = s.checkpoint_modified;
        ++shared_generation_;
    }
    ok = true;
    return "warning: the batch failed; its uncommitted changes were discarded\n";
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
            return listed(it->second, words[0] != "load");
        }
    }
    const Node& tree =
        s.mode == EditMode::private_db && s.private_candidate ? *s.private_candidate : shared_candidate_;
    return config::completions(*schema_, tree, s.edit_path, line);
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
                out.text += name + "\n";
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
        // show | compare [rollback N]: candidate against the committed configuration or a rollback.
        Node against = committed_;
        if (!compare->empty()) {
            try {
                against = config::parse_text(*schema_, store_.read_or_throw(std::stoi(*compare)),
                                             {"rollback", {}, false});
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
        auto result = config::load_config(*schema_, candidate(s), *mode, text, opts);
        for (const auto& w : result.warnings)
            out.text += w + "\n";
        out.text += "load complete\n";
        mark_modified(s);
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
            out.caret = e.offset;
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
            Node restored = config::parse_text(*schema_, store_.read_or_throw(n), {"rollback", {}, false});
            candidate(s) = std::move(restored);
            ++shared_generation_;
            if (s.checkpoint && !s.checkpoint_private)
                s.checkpoint_generation = shared_generation_;
            if (n == 0) {
                if (s.mode == EditMode::private_db)
                    s.private_modified = false;
                else
                    shared_modified_ = false;
            } else {
                mark_modified(s);
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
        auto r = config::run_command(*schema_, candidate(s), s.edit_path, line);
        for (const auto& l : r.lines)
            out.text += l + "\n";
        for (const auto& w : r.warnings)
            out.text += w + "\n";
        mark_modified(s);
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

void ConfigService::commit(CliSession& s, CommitRequest request, Done done) {
    if (commit_in_progress_) {
        done({"error: another commit is in progress; try again\n", false});
        return;
    }
    // The configuration to commit: the shared candidate, or a private candidate merged onto what is
    // committed now (its own changes replayed as a patch, so others' commits are kept).
    std::shared_ptr<Node> cand;
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
        if (same_tree(*s.private_base, committed_)) {
            cand = std::make_shared<Node>(*s.private_candidate);
        } else {
            const std::string patch = config::compare(*s.private_base, *s.private_candidate);
            cand = std::make_shared<Node>(committed_);
            try {
                if (!patch.empty())
                    config::load_config(*schema_, *cand, config::LoadMode::patch, patch);
            } catch (const ConfigError& e) {
                done({"error: private changes conflict with the committed configuration: " + e.message +
                          "\nerror: commit failed\n",
                      false});
                return;
            }
        }
    } else {
        cand = std::make_shared<Node>(shared_candidate_);
    }
    const auto t0 = Clock::now();
    std::vector<config::CommitError> errors;
    auto expanded = std::make_shared<Node>();
    try {
        *expanded = config::expand_groups(*cand);
    } catch (const ConfigError& e) {
        errors.push_back({{}, {}, e.message, config::Severity::error});
    }
    trace("groups", "mgd", ms_since(t0));
    if (errors.empty()) {
        auto t1 = Clock::now();
        auto v = config::validate(*schema_, *expanded);
        trace("libyang", "mgd", ms_since(t1));
        errors = std::move(v.errors);
        if (errors.empty()) {
            auto t2 = Clock::now();
            auto more = config::validators::validate(v.tree.get());
            trace("validators", "mgd", ms_since(t2));
            errors.insert(errors.end(), more.begin(), more.end());
        }
    }
    std::string warnings;
    bool failed = false;
    for (const auto& e : errors) {
        if (e.severity == config::Severity::warning) {
            warnings += config::render(e);
        } else {
            failed = true;
        }
    }
    if (failed) {
        std::string text;
        for (const auto& e : errors)
            text += config::render(e);
        text += "error: configuration check-out failed\n";
        done({text, false});
        return;
    }
    // Validate on each daemon that owns a changed subtree, in parallel.
    request.shared_generation = shared_generation_;
    auto changes = std::make_shared<OwnedChanges>(owner_changes(*schema_, expanded_committed_, *expanded));
    changes->erase("mgd");
    struct Pending {
        int outstanding = 0;
        std::vector<config::CommitError> errors;
        std::string warnings;
    };
    auto pending = std::make_shared<Pending>();
    pending->warnings = warnings;
    commit_in_progress_ = true;
    const uint32_t session_id = s.id;
    auto after_validate = [this, session_id, request, cand, expanded, changes, pending, done]() {
        auto it = sessions_.find(session_id);
        CliSession* sp = it == sessions_.end() ? nullptr : it->second.get();
        bool failed = false;
        std::string text = pending->warnings;
        for (const auto& e : pending->errors) {
            text += config::render(e);
            failed |= e.severity == config::Severity::error;
        }
        if (failed) {
            commit_in_progress_ = false;
            done({text + "error: configuration check-out failed\n", false});
            return;
        }
        finish_commit(sp, request, cand, expanded, changes, [text, done](CommandOutcome out) {
            out.text = text + out.text;
            done(std::move(out));
        });
    };
    pending->outstanding = 1;  // released after the loop, so replies that come at once cannot finish early
    for (const auto& [daemon, list] : *changes) {
        if (list.empty())
            continue;
        ++pending->outstanding;
        pugi::xml_document req;
        append_changes(req.append_child("validate-configuration"), list);
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
                    for (auto err : reply.root().children("rpc-error")) {
                        pending->errors.push_back(error_from_rpc(err, daemon));
                    }
                }
                if (--pending->outstanding == 0)
                    after_validate();
            });
    }
    if (--pending->outstanding == 0) {
        after_validate();
    }
}

void ConfigService::finish_commit(CliSession* s, CommitRequest request, std::shared_ptr<Node> cand,
                                  std::shared_ptr<Node> expanded, std::shared_ptr<OwnedChanges> owned,
                                  Done done) {
    CommandOutcome out;
    if (request.check_only) {
        commit_in_progress_ = false;
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
    config::CommitRecord record;
    record.user = s ? s->user : "root";
    record.time = std::chrono::system_clock::to_time_t(daemon_.clock().now());  // the router's clock
    record.client = s ? "cli" : "other";
    record.comment = request.comment;
    if (request.confirmed_minutes) {
        record.note = "commit confirmed, rollback in " + std::to_string(*request.confirmed_minutes) + "mins";
    }
    config::PrintOptions opts;
    opts.header = true;
    opts.last_changed = config::RollbackStore::format_time(record.time);
    try {
        store_.commit(config::print_text(*cand, opts), record);
    } catch (const ConfigError& e) {
        commit_in_progress_ = false;
        done({"error: " + e.message + "\nerror: commit failed\n", false});
        return;
    }
    trace("write", "mgd", ms_since(t0));
    // The trees move into place: on large configurations every avoided copy is tens of milliseconds.
    const OwnedChanges& changes = *owned;
    committed_ = std::move(*cand);
    expanded_committed_ = std::move(*expanded);
    if (s && s->mode == EditMode::private_db) {
        s->private_candidate = std::make_unique<Node>(committed_);
        s->private_base = std::make_unique<Node>(committed_);
        s->private_modified = false;
    } else if (shared_generation_ == request.shared_generation) {
        // Nobody changed the shared candidate while the commit ran: it is what was committed.
        shared_modified_ = false;
    } else {
        shared_modified_ = true;  // edits made during the commit stay pending
    }
    // A batch that committed keeps what it committed: its checkpoint moves to the committed state.
    if (s && s->checkpoint) {
        if (s->mode != EditMode::private_db && shared_generation_ != request.shared_generation) {
            s->checkpoint.reset();  // another session's edits arrived meanwhile: nothing safe to restore
        } else {
            take_checkpoint(*s);
        }
    }
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
    for (const auto& [daemon, list] : changes) {
        if (list.empty())
            continue;
        ++*remaining;
        pugi::xml_document req;
        append_changes(req.append_child("apply-configuration"), list);
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
        if (!ec) {
            confirmed_rollback_expired();
        }
    });
}

void ConfigService::confirmed_rollback_expired() {
    confirm_deadline_.reset();
    std::filesystem::remove(daemon_.paths().config_dir() / ".commit-confirmed");
    auto previous = store_.read(1);
    if (!previous) {
        return;
    }
    CliSession system;
    system.id = 0;
    system.user = "root";
    system.mode = EditMode::shared;
    try {
        shared_candidate_ = config::parse_text(*schema_, *previous, {"rollback", {}, false});
    } catch (const ConfigError& e) {
        daemon_.log().log("automatic rollback failed: " + e.message);
        return;
    }
    shared_modified_ = true;
    CommitRequest req;
    req.comment = "automatic rollback of an unconfirmed commit";
    commit_in_progress_ = false;
    // Committed as "other" (no session): finish_commit records the client that way.
    auto cand = std::make_shared<Node>(shared_candidate_);
    auto expanded = std::make_shared<Node>();
    try {
        *expanded = config::expand_groups(*cand);
    } catch (const ConfigError&) {
        *expanded = *cand;
    }
    commit_in_progress_ = true;
    auto changes = std::make_shared<OwnedChanges>(owner_changes(*schema_, expanded_committed_, *expanded));
    changes->erase("mgd");
    req.shared_generation = ++shared_generation_;
    finish_commit(nullptr, req, cand, expanded, changes, [this](CommandOutcome) {
        daemon_.log().log("UI_COMMIT_CONFIRMED_TIMED: commit not confirmed; automatic rollback complete");
        broadcast("Commit was not confirmed; automatic rollback complete.");
    });
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
    Node source = committed_;
    if (compare) {
        try {
            Node against =
                config::parse_text(*schema_, store_.read_or_throw(compare->empty() ? 1 : std::stoi(*compare)),
                                   {"rollback", {}, false});
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
                    *schema_, display == "inheritance" ? expanded_committed_ : committed_, {}, join(path));
                if (!leaf)
                    return {};
                return display == "set" ? config::display_set(*leaf) : config::print_statement(*leaf);
            } catch (const ConfigError&) {
            }
            error = e.message;
            return {};
        }
    }
    if (display == "inheritance") {
        source = expanded_committed_;
    }
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
        Node a = config::parse_text(*schema_, store_.read_or_throw(*compare_to), {"rollback", {}, false});
        Node b = config::parse_text(*schema_, text, {"rollback", {}, false});
        return config::compare(a, b);
    } catch (const ConfigError& e) {
        error = e.message;
        return {};
    }
}

std::string ConfigService::owned_configuration(const std::string& daemon) const {
    auto all = owner_changes(*schema_, Node(), expanded_committed_);
    std::string out;
    for (const auto& c : all[daemon]) {
        out += c.text;
    }
    return out;
}

}  // namespace msim::mgd
