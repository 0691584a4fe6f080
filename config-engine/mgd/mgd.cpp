#include "mgd.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "msim/common/xml.hpp"
#include "msim/config/rollback_store.hpp"
#include "msim/config/secret.hpp"

namespace msim::mgd {

using namespace std::chrono_literals;

namespace {

// Operational RPCs answered by another daemon. New show commands add one line here (and a renderer in the
// shell); everything else about routing is generic.
const std::map<std::string, std::string, std::less<>>& rpc_owners() {
    static const std::map<std::string, std::string, std::less<>> owners = {
        {"get-product-model", "chassisd"},
        {"get-chassis-inventory", "chassisd"},
        {"get-fpc-information", "chassisd"},
        {"get-pic-information", "chassisd"},
        {"get-pic-detail", "chassisd"},
        {"get-alarm-information", "chassisd"},
        {"request-chassis-pic", "chassisd"},
        {"request-chassis-fpc", "chassisd"},
        {"get-interface-information", "pfed"},
        {"get-arp-table-information", "pfed"},
        {"get-route-information", "pfed"},
        {"get-forwarding-table-information", "pfed"},
        {"get-firewall-information", "pfed"},
        {"clear-interfaces-statistics", "pfed"},
        {"clear-firewall", "pfed"},
        {"clear-arp-table", "pfed"},
        {"ping", "pfed"},
        {"traceroute", "pfed"},
        {"monitor-traffic", "pfed"},
        {"get-security-associations-information", "ipsecd"},
        {"clear-ipsec-security-associations", "ipsecd"},
        {"get-ike-security-associations-information", "kmd"},
        {"clear-ike-security-associations", "kmd"},
        {"get-pki-local-certificate", "pkid"},
        {"get-pki-ca-certificate", "pkid"},
        {"get-pki-crl", "pkid"},
        {"get-pki-certificate-request", "pkid"},
        {"request-pki-generate-key-pair", "pkid"},
        {"request-pki-generate-certificate-request", "pkid"},
        {"request-pki-local-certificate-generate-self-signed", "pkid"},
        {"request-pki-local-certificate-load", "pkid"},
        {"request-pki-local-certificate-verify", "pkid"},
        {"request-pki-local-certificate-enroll", "pkid"},
        {"request-pki-ca-certificate-load", "pkid"},
        {"request-pki-ca-certificate-verify", "pkid"},
        {"request-pki-ca-certificate-enroll", "pkid"},
        {"request-pki-crl-load", "pkid"},
        {"clear-pki-key-pair", "pkid"},
        {"clear-pki-local-certificate", "pkid"},
        {"clear-pki-ca-certificate", "pkid"},
        {"clear-pki-certificate-request", "pkid"},
        {"clear-pki-crl", "pkid"},
        {"request-security-key-pair", "pkid"},
        {"request-security-certificate-enroll", "pkid"},
    };
    return owners;
}

// How long mgd waits for a daemon's part of `show version` before saying it is not responding.
constexpr auto package_timeout = 2000ms;

}  // namespace

namespace {

// A file name given to `show log` / `file show` / `file list`, resolved inside the router's state folder
// (absolute names are taken from its root, relative ones from var/tmp); nothing outside it is reachable.
std::optional<std::filesystem::path> router_file(const RouterPaths& paths, std::string name, bool log) {
    if (name.empty())
        return std::nullopt;
    std::filesystem::path base = log ? paths.log_dir() : paths.tmp_dir();
    std::filesystem::path p = name[0] == '/' ? paths.root / name.substr(1) : base / name;
    p = p.lexically_normal();
    const std::string root = paths.root.lexically_normal().string();
    if (p.string().compare(0, root.size(), root) != 0)
        return std::nullopt;
    return p;
}

std::string age_text(long seconds) {
    char buf[64];
    const long days = seconds / 86400, weeks = days / 7;
    if (days == 0) {
        std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", seconds / 3600, (seconds / 60) % 60,
                      seconds % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%ldw%ldd %02ld:%02ld", weeks, days % 7, (seconds / 3600) % 24,
                      (seconds / 60) % 60);
    }
    return buf;
}

std::string clock_text(std::time_t t) {
    char buf[40];
    std::tm tm{};
    ::localtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm);
    return buf;
}

std::string strftime_text(std::time_t t, const char* format) {
    char buf[64];
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

// The time of day as w(1) prints it: " 8:48AM".
std::string w_clock(std::time_t t) {
    return strftime_text(t, "%l:%M%p");
}

// How long the router has been up, as w(1) words it: "154 days, 19:16", "2 days,  5 hrs", "37 mins".
std::string w_uptime(long seconds) {
    const long days = seconds / 86400, hours = seconds / 3600 % 24, mins = seconds / 60 % 60;
    char buf[64];
    std::string out;
    if (days > 0) {
        std::snprintf(buf, sizeof buf, " %ld day%s,", days, days > 1 ? "s" : "");
        out += buf;
    }
    if (hours > 0 && mins > 0)
        std::snprintf(buf, sizeof buf, " %2ld:%02ld,", hours, mins);
    else if (hours > 0)
        std::snprintf(buf, sizeof buf, " %ld hr%s,", hours, hours > 1 ? "s" : "");
    else if (mins > 0)
        std::snprintf(buf, sizeof buf, " %ld min%s,", mins, mins > 1 ? "s" : "");
    else
        std::snprintf(buf, sizeof buf, " %ld sec%s,", seconds % 60, seconds % 60 == 1 ? "" : "s");
    out += buf;
    return out.substr(1, out.size() - 2);  // w(1) puts " up" before and ", N users" after
}

// LOGIN@: the time today, the weekday and hour within a week, the date before that (w(1)'s rules).
std::string w_login_time(std::time_t login, std::time_t now) {
    std::tm a{}, b{};
    ::localtime_r(&login, &a);
    ::localtime_r(&now, &b);
    if (now - login > 7 * 86400)
        return strftime_text(login, "%d%b%y");
    if (a.tm_yday != b.tm_yday || a.tm_year != b.tm_year)
        return strftime_text(login, "%a%I%p");
    return strftime_text(login, "%l:%M%p");
}

// IDLE: "-" under a minute, minutes, then H:MM, then days (w(1)'s rules).
std::string w_idle_time(long seconds) {
    if (seconds >= 36 * 3600)
        return std::to_string(seconds / 86400) + "days";
    if (seconds >= 3600) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%ld:%02ld", seconds / 3600, seconds / 60 % 60);
        return buf;
    }
    return seconds < 60 ? "-" : std::to_string(seconds / 60);
}

// <name junos:seconds="N">text</name>
pugi::xml_node with_seconds(pugi::xml_node parent, const char* name, const std::string& text,
                            long long seconds) {
    auto e = xml::append_text(parent, name, text);
    e.append_attribute("junos:seconds") = seconds;
    return e;
}

void reply_output(ipc::Responder& r, const char* root, const std::string& text) {
    pugi::xml_document doc;
    xml::append_text(doc.append_child(root), "output", text);
    r.reply(doc);
}

}  // namespace

Mgd::~Mgd() = default;

Mgd::Mgd(Daemon& daemon) : daemon_(daemon) {
    config_ = std::make_unique<ConfigService>(daemon_, config::Schema::load(MSIM_YANG_DIR));
    config_->load_committed();
    register_session_rpcs();
    register_configuration_rpcs();
    register_file_rpcs();
    daemon_.register_rpc("get-software-information",
                         [this](const pugi::xml_node&, ipc::Responder r) { get_software_information(r); });
    for (const auto& [rpc, owner] : rpc_owners()) {
        daemon_.register_rpc(rpc, [this, owner = owner](const pugi::xml_node& request, ipc::Responder r) {
            forward(request, owner, r);
        });
    }
    // Authorization lives here, not in the CLI: every RPC of a CLI session passes this gate first (and
    // marks the session active, for the IDLE column of show system users). Connections without a CLI
    // session are the router's own daemons and tools.
    daemon_.on_request(
        [this](ipc::Connection& conn, const pugi::xml_node& request) -> std::optional<std::string> {
            const CliSession* s = config_->session_of(conn);
            if (!s)
                return std::nullopt;
            last_activity_[s->id] = std::time(nullptr);
            if (!class_permits(s->user_class, request.name()))
                return "permission denied";
            return std::nullopt;
        });
}

// What each login class may run (Junos classes; the CLI hides the commands a class lacks). super-user:
// everything; operator: every operational command, no configuration mode; read-only: only looking
// (get-… RPCs: show commands) and completing what it may type.
bool Mgd::class_permits(std::string_view user_class, std::string_view rpc) {
    if (user_class == "super-user")
        return true;
    static const std::set<std::string_view> configuration = {
        "enter-configuration-mode", "run-configuration-command", "configuration-checkpoint"};
    if (user_class == "operator")
        return !configuration.contains(rpc);
    return rpc.rfind("get-", 0) == 0 || rpc == "open-cli-session" || rpc == "complete-configuration-command";
}

std::string Mgd::owner_of_rpc(std::string_view rpc_name) {
    auto it = rpc_owners().find(rpc_name);
    return it == rpc_owners().end() ? std::string() : it->second;
}

std::string Mgd::host_name() const {
    return config_->host_name();
}

namespace {

void collect_secrets(const config::Node& node, std::vector<std::string>& out) {
    if (node.schema() && node.schema()->secret) {
        for (const auto& v : node.values())
            out.push_back(v);
    }
    for (const auto& c : node.children())
        collect_secrets(*c, out);
}

void secret_names(const config::SchemaNode& node, std::vector<std::string>& out) {
    for (const auto& c : node.children) {
        if (c->secret)
            out.push_back(c->name);
        secret_names(*c, out);
    }
}

}  // namespace

// A configuration-mode line as the CLI's history keeps it: the values of secret statements (pre-shared
// keys, SA keys, passwords) in their $9$ form, never in clear. The line is run on an empty scratch tree to
// find which of its words are secrets; a line that is not a `set` stays as it is.
std::string Mgd::history_line(const config::Schema& schema, const std::vector<std::string>& edit_path,
                              const std::string& line) {
    std::vector<config::CommandWord> words;
    try {
        words = config::split_command(line);
    } catch (const std::exception&) {
        return line;
    }
    if (words.size() < 3 || words[0].text.size() < 2 || std::string_view("set").rfind(words[0].text, 0) != 0)
        return line;
    config::Node scratch;
    std::vector<std::string> secrets;
    try {
        config::run_command(schema, scratch, edit_path, "set" + line.substr(words[0].end));
        collect_secrets(scratch, secrets);
    } catch (const std::exception&) {
        // A line that does not apply still keeps no secret: the word after any (abbreviated) keyword of a
        // secret statement is taken for one.
        std::vector<std::string> names;
        secret_names(schema.root(), names);
        for (size_t i = 1; i + 1 < words.size(); ++i) {
            for (const auto& n : names) {
                if (words[i].text.size() >= 3 && n.rfind(words[i].text, 0) == 0 &&
                    !config::is_secret_encoded(words[i + 1].text)) {
                    secrets.push_back(words[i + 1].text);
                    break;
                }
            }
        }
    }
    std::string out = line;
    for (auto w = words.rbegin(); w != words.rend(); ++w) {
        for (const auto& v : secrets) {
            const auto clear = config::is_secret_encoded(v) ? config::decode_secret(v) : std::optional(v);
            if (clear && w->text == *clear && !config::is_secret_encoded(w->text)) {
                const std::string encoded = config::is_secret_encoded(v) ? v : config::encode_secret(v);
                out.replace(w->offset, w->end - w->offset, "\"" + encoded + "\"");
                break;
            }
        }
    }
    return out;
}

namespace {

EditMode mode_from(std::string_view word) {
    if (word == "private")
        return EditMode::private_db;
    if (word == "exclusive")
        return EditMode::exclusive;
    return EditMode::shared;
}

}  // namespace

// CLI sessions: a CLI opens its session first (mgd checks the user and its class), then every
// configuration-mode command runs in that session; the session ends when the CLI's connection closes.
void Mgd::register_session_rpcs() {
    daemon_.register_session_rpc(
        "open-cli-session", [this](ipc::Connection& conn, const pugi::xml_node& request, ipc::Responder r) {
            try {
                auto& s = config_->open_session(conn, request.child_value("user"), request.child_value("tty"),
                                                request.child("pid").text().as_int());
                pugi::xml_document doc;
                auto session = doc.append_child("cli-session");
                xml::append_text(session, "session-id", std::to_string(s.id));
                xml::append_text(session, "user", s.user);
                xml::append_text(session, "class", s.user_class);
                xml::append_text(session, "host-name", host_name());
                r.reply(doc);
            } catch (const std::exception& e) {
                r.error(e.what());
            }
        });
    daemon_.on_connection_closed([this](ipc::Connection& conn) {
        if (const CliSession* s = config_->session_of(conn))
            last_activity_.erase(s->id);
        config_->close_session(conn);
    });

    // request system logout pid P | terminal T | user NAME [all]. A super-user may end anyone's session,
    // others only their own. `user NAME` ends that user's most recent session, `all` every one of them.
    // The sessions end after the reply, so a user may log out the very session that asks.
    daemon_.register_session_rpc("request-logout-user", [this](ipc::Connection& conn,
                                                               const pugi::xml_node& request,
                                                               ipc::Responder r) {
        const CliSession* caller = config_->session_of(conn);
        if (caller == nullptr) {
            r.error("no CLI session on this connection");
            return;
        }
        const std::string pid = request.child_value("pid");
        const std::string terminal = request.child_value("terminal");
        const std::string user = request.child_value("user");
        std::vector<const CliSession*> targets;
        for (const auto& [id, s] : config_->sessions()) {
            if ((!pid.empty() && std::to_string(s->pid) == pid) ||
                (!terminal.empty() && s->tty == terminal) || (!user.empty() && s->user == user)) {
                targets.push_back(s.get());
            }
        }
        if (!user.empty() && !request.child("all") && targets.size() > 1) {
            targets = {
                *std::max_element(targets.begin(), targets.end(),
                                  [](const CliSession* a, const CliSession* b) { return a->id < b->id; })};
        }
        if (targets.empty()) {
            r.error(!pid.empty()        ? "no CLI session with pid " + pid
                    : !terminal.empty() ? "no CLI session on terminal " + terminal
                                        : "user '" + user + "' is not logged in");
            return;
        }
        for (const CliSession* t : targets) {
            if (t->user != caller->user && caller->user_class != "super-user") {
                r.error("permission denied: only a super-user may end another user's session");
                return;
            }
        }
        std::vector<std::weak_ptr<ipc::Connection>> ending;
        for (const CliSession* t : targets) {
            daemon_.log().log("UI_LOGOUT_USER: User '" + caller->user + "' ended the session of user '" +
                              t->user + "' (pid " + std::to_string(t->pid) + ", terminal " + t->tty + ")");
            ending.push_back(t->connection->shared_from_this());
        }
        pugi::xml_document doc;
        doc.append_child("logout-results");
        r.reply(doc);
        boost::asio::post(daemon_.io(), [ending = std::move(ending)] {
            for (const auto& w : ending) {
                if (auto c = w.lock()) {
                    c->close("logged out by request system logout");
                }
            }
        });
    });

    auto outcome_reply = [this](CliSession* s, const CommandOutcome& out, ipc::Responder r,
                                const std::string& history = {}) {
        pugi::xml_document doc;
        auto res = doc.append_child("configuration-command-results");
        xml::append_text(res, "output", out.text);
        if (!history.empty())
            xml::append_text(res, "history-line", history);
        xml::append_text(res, "host-name", host_name());  // the prompt follows a committed host-name
        res.append_child(out.ok ? "success" : "failure");
        if (out.caret)
            xml::append_text(res, "caret", std::to_string(*out.caret));
        if (out.exited)
            res.append_child("exited");
        if (out.confirm)
            xml::append_text(res, "confirm", *out.confirm);
        if (s && s->mode != EditMode::none) {
            std::string path;
            for (const auto& w : s->edit_path)
                path += (path.empty() ? "" : " ") + w;
            xml::append_text(res, "edit-path", path);
            // A pending `commit confirmed`: the CLI reminds the user above each configuration banner.
            if (auto deadline = config_->confirmed_deadline())
                xml::append_text(res, "commit-confirmed-deadline", std::to_string(*deadline));
        }
        r.reply(doc);
    };
    daemon_.register_session_rpc(
        "enter-configuration-mode",
        [this, outcome_reply](ipc::Connection& conn, const pugi::xml_node& request, ipc::Responder r) {
            CliSession* s = config_->session_of(conn);
            if (!s) {
                r.error("no CLI session: open-cli-session first");
                return;
            }
            outcome_reply(s, config_->enter_configuration(*s, mode_from(request.child_value("mode"))), r);
        });
    daemon_.register_session_rpc(
        "run-configuration-command",
        [this, outcome_reply](ipc::Connection& conn, const pugi::xml_node& request, ipc::Responder r) {
            CliSession* s = config_->session_of(conn);
            if (!s) {
                r.error("no CLI session: open-cli-session first");
                return;
            }
            std::optional<std::string> compare;
            if (auto c = request.child("compare"))
                compare = c.child_value();
            const uint32_t id = s->id;
            // The line as the user's history keeps it: no secret in clear.
            const std::string history =
                history_line(config_->schema(), s->edit_path, request.child_value("line"));
            config_->run_command(
                *s, request.child_value("line"), request.child_value("input"),
                static_cast<bool>(request.child("confirmed")), request.child_value("display"), compare,
                [this, id, outcome_reply, r, history](CommandOutcome out) {
                    auto it = config_->sessions().find(id);
                    outcome_reply(it == config_->sessions().end() ? nullptr : it->second.get(), out, r,
                                  history);
                });
        });
    // Batch checkpoints: <configuration-checkpoint><action>take|restore</action></configuration-checkpoint>.
    // A batch takes one once it is in configuration mode and restores it if a command failed, so it undoes
    // only its own changes (one step in mgd: no other command runs in between).
    daemon_.register_session_rpc(
        "configuration-checkpoint",
        [this](ipc::Connection& conn, const pugi::xml_node& request, ipc::Responder r) {
            CliSession* s = config_->session_of(conn);
            if (!s) {
                r.error("no CLI session: open-cli-session first");
                return;
            }
            const std::string action = request.child_value("action");
            pugi::xml_document doc;
            auto res = doc.append_child("configuration-checkpoint-results");
            if (action == "take") {
                config_->take_checkpoint(*s);
            } else if (action == "restore") {
                bool ok = false;
                xml::append_text(res, "output", config_->restore_checkpoint(*s, ok));
                if (!ok)
                    res.append_child("failure");
            } else {
                r.error("unknown checkpoint action '" + action + "'");
                return;
            }
            r.reply(doc);
        });
    daemon_.register_session_rpc(
        "complete-configuration-command",
        [this](ipc::Connection& conn, const pugi::xml_node& request, ipc::Responder r) {
            CliSession* s = config_->session_of(conn);
            if (!s) {
                r.error("no CLI session: open-cli-session first");
                return;
            }
            // One line per completion, "MARKER<TAB>NAME<TAB>HELP", as the text of <completions>: a `?`
            // after a list keyword may list tens of thousands of configured names, and one text node
            // is several times quicker to build, send and parse than an element each.
            std::string text;
            try {
                const auto items = config_->complete(*s, request.child_value("line"));
                text.reserve(items.size() * 24);
                auto add = [&text](const std::string& field) {
                    for (char ch : field)
                        text.push_back(ch == '\t' || ch == '\n' ? ' ' : ch);
                };
                for (const auto& c : items) {
                    text.push_back(c.marker);
                    text.push_back('\t');
                    add(c.name);
                    text.push_back('\t');
                    add(c.help);
                    text.push_back('\n');
                }
            } catch (const std::exception&) {
                // No completions for a line that does not parse.
            }
            pugi::xml_document doc;
            doc.append_child("completions").text().set(text.c_str());
            r.reply(doc);
        });
    // show system users: w(1)'s table of every open CLI session, under the uptime line.
    daemon_.register_rpc("get-system-users-information", [this](const pugi::xml_node&, ipc::Responder r) {
        with_uptime([this, r](std::time_t now, long up, long) mutable {
            pugi::xml_document doc;
            auto info = doc.append_child("system-users-information");
            auto table = append_uptime_information(info, now, up).append_child("user-table");
            for (const auto& [id, s] : config_->sessions()) {
                auto u = table.append_child("user-entry");
                xml::append_text(u, "user", s->user);
                xml::append_text(u, "tty", s->tty);
                xml::append_text(u, "from", "-");
                with_seconds(u, "login-time", w_login_time(s->login_time, now), s->login_time);
                const auto active = last_activity_.find(id);
                const long idle = static_cast<long>(
                    now - (active == last_activity_.end() ? s->login_time : active->second));
                with_seconds(u, "idle-time", w_idle_time(idle), idle);
                xml::append_text(u, "command", "-cli (cli)");
            }
            r.reply(doc);
        });
    });
}

// Configuration views for operational mode, and the committed subtree a restarted daemon asks for.
void Mgd::register_configuration_rpcs() {
    daemon_.register_rpc("get-configuration", [this](const pugi::xml_node& request, ipc::Responder r) {
        std::vector<std::string> path;
        std::istringstream words(request.child_value("path"));
        for (std::string w; words >> w;)
            path.push_back(w);
        std::optional<std::string> compare;
        if (auto c = request.child("compare"))
            compare = c.child_value();
        std::string error;
        const std::string text =
            config_->show_configuration(path, request.child_value("display"), compare, error);
        if (!error.empty()) {
            r.error(error);
            return;
        }
        pugi::xml_document doc;
        if (std::string_view(request.child_value("display")) == "xml") {
            // Junos answers get-configuration in XML: the <configuration> element itself.
            if (!doc.load_string(text.c_str(), pugi::parse_default | pugi::parse_comments) ||
                !doc.child("configuration")) {
                r.error("could not render the configuration as XML");
                return;
            }
            r.reply(doc);
            return;
        }
        xml::append_text(doc.append_child("configuration-information"), "configuration-output", text);
        r.reply(doc);
    });
    daemon_.register_rpc("get-commit-information", [this](const pugi::xml_node&, ipc::Responder r) {
        pugi::xml_document doc;
        xml::append_text(doc.append_child("commit-information"), "configuration-output",
                         config_->show_commit_history());
        r.reply(doc);
    });
    daemon_.register_rpc("get-rollback-information", [this](const pugi::xml_node& request, ipc::Responder r) {
        std::optional<int> compare;
        if (auto c = request.child("compare"))
            compare = c.text().as_int();
        std::string error;
        const std::string text =
            config_->show_rollback(request.child("rollback").text().as_int(), compare, error);
        if (!error.empty()) {
            r.error(error);
            return;
        }
        pugi::xml_document doc;
        xml::append_text(doc.append_child("rollback-information"), "configuration-output", text);
        r.reply(doc);
    });
    daemon_.register_rpc("get-owned-configuration", [this](const pugi::xml_node& request, ipc::Responder r) {
        pugi::xml_document doc;
        xml::append_text(doc.append_child("configuration-text"), "configuration-output",
                         config_->owned_configuration(request.child_value("daemon")));
        r.reply(doc);
    });
}

void Mgd::forward(const pugi::xml_node& request, const std::string& owner, ipc::Responder responder) {
    // Streaming replies (ping, monitor traffic) pass through: progress to the CLI, Ctrl-C to the owner.
    auto cancel = daemon_.call_peer_streaming(
        owner, request, 10000ms,
        [responder, owner](ipc::Reply reply) {
            if (reply.status == ipc::Reply::Status::ok || reply.status == ipc::Reply::Status::rpc_error) {
                // Relay the owner's reply as it is (its data or its errors).
                pugi::xml_document doc;
                doc.append_copy(reply.root());
                responder.send(doc);
                return;
            }
            responder.error("the " + owner + " subsystem is not responding to management requests");
        },
        [responder](const pugi::xml_node& body) { responder.progress(body); });
    responder.on_cancel(cancel);
}

// show version: one <package-information> per daemon, each answered by that daemon itself, gathered in
// parallel. A daemon that is down or does not answer in time is reported as such; the reply never hangs.
void Mgd::get_software_information(ipc::Responder responder) {
    struct Gather {
        ipc::Responder responder;
        std::string host;
        std::string model;
        std::map<std::string, std::string> comments;  // daemon -> comment line
        int outstanding = 0;
        void finish() {
            pugi::xml_document doc;
            auto info = doc.append_child("software-information");
            xml::append_text(info, "host-name", host);
            if (!model.empty()) {
                xml::append_text(info, "product-model", model);
                xml::append_text(info, "product-name", model);
            }
            xml::append_text(info, "junos-version", release_string());
            for (auto name : router_daemons) {
                auto pkg = info.append_child("package-information");
                xml::append_text(pkg, "name", name);
                xml::append_text(pkg, "comment", comments[std::string(name)]);
            }
            responder.reply(doc);
        }
    };
    auto gather = std::make_shared<Gather>();
    gather->responder = responder;
    gather->host = host_name();
    auto done_one = [gather] {
        if (--gather->outstanding == 0) {
            gather->finish();
        }
    };
    gather->outstanding = static_cast<int>(router_daemons.size()) + 1;
    for (auto name : router_daemons) {
        const std::string daemon(name);
        if (daemon == daemon_.name()) {
            gather->comments[daemon] =
                std::string(daemon_description(daemon)) + " (" + daemon + ") [" + release_string() + "]";
            done_one();
            continue;
        }
        daemon_.call_peer(
            daemon, "get-package-information", package_timeout, [gather, daemon, done_one](ipc::Reply reply) {
                if (reply.ok()) {
                    gather->comments[daemon] =
                        reply.root().child("package-information").child_value("comment");
                } else {
                    gather->comments[daemon] =
                        std::string(daemon_description(daemon)) + " (" + daemon + ") [not responding]";
                }
                done_one();
            });
    }
    daemon_.call_peer("chassisd", "get-product-model", package_timeout, [gather, done_one](ipc::Reply reply) {
        if (reply.ok()) {
            gather->model = reply.root().child("product-model").child_value();
        }
        done_one();
    });
}

// show system uptime, show log, file list, file show: answered by mgd from the router's files and init.
void Mgd::register_file_rpcs() {
    // `show log NAME` reads var/log/NAME, `file show NAME` var/tmp/NAME (absolute names from the root).
    for (const auto& [rpc, root, from_log] :
         {std::tuple{"get-log", "log-information", true}, std::tuple{"file-show", "file-content", false}}) {
        daemon_.register_rpc(
            rpc, [this, root = root, from_log = from_log](const pugi::xml_node& request, ipc::Responder r) {
                const std::string name = request.child_value("filename");
                auto p = router_file(daemon_.paths(), name, from_log);
                std::ifstream in(p ? *p : std::filesystem::path());
                if (!p || !in || std::filesystem::is_directory(*p)) {
                    r.error("could not resolve file: " + name);
                    return;
                }
                std::stringstream text;
                text << in.rdbuf();
                reply_output(r, root, text.str());
            });
    }
    daemon_.register_rpc("file-list", [this](const pugi::xml_node& request, ipc::Responder r) {
        std::string name = request.child_value("path");
        if (name.empty())
            name = "/var/tmp/";
        auto p = router_file(daemon_.paths(), name, false);
        std::error_code ec;
        if (!p || !std::filesystem::exists(*p, ec)) {
            r.error(name + ": No such file or directory");
            return;
        }
        std::string out;
        if (std::filesystem::is_directory(*p, ec)) {
            std::vector<std::string> names;
            for (const auto& e : std::filesystem::directory_iterator(*p, ec)) {
                const std::string file = e.path().filename().string();
                if (file[0] != '.')  // like ls, dot files (the CLI's history) are not listed
                    names.push_back(file + (e.is_directory() ? "/" : ""));
            }
            std::sort(names.begin(), names.end());
            out = "\n" + name + (name.back() == '/' ? "" : "/") + ":\n";
            for (const auto& n : names)
                out += n + "\n";
        } else {
            out = name + "\n";
        }
        reply_output(r, "directory-list", out);
    });
    // set date YYYYMMDDhhmm[.ss]: moves the router's clock (RouterClock: an offset in var/db/clock-offset
    // that every daemon of the router applies); the host's clock is never touched. Junos prints the new
    // date as date(1) does. Like Junos' maintenance permission, it is for super-users only.
    daemon_.register_session_rpc(
        "set-date", [this](ipc::Connection& conn, const pugi::xml_node& request, ipc::Responder r) {
            if (const CliSession* s = config_->session_of(conn); s && s->user_class != "super-user") {
                r.error("permission denied: class " + s->user_class + " may not set the date");
                return;
            }
            const std::string text = request.child_value("date-time");
            const auto t = parse_junos_date(text);
            if (!t) {
                r.error("date: illegal time format: " + text + " (expecting YYYYMMDDhhmm[.ss])");
                return;
            }
            try {
                daemon_.clock().set(*t);
            } catch (const std::exception& e) {
                r.error(std::string("could not set the date: ") + e.what());
                return;
            }
            daemon_.log().log("date set to " + date_text(*t));
            reply_output(r, "set-date-information", date_text(daemon_.clock().now()) + "\n");
        });
    daemon_.register_rpc("get-system-uptime-information", [this](const pugi::xml_node&, ipc::Responder r) {
        with_uptime([this, r](std::time_t now, long up, long mgd_up) mutable {
            pugi::xml_document doc;
            auto info = doc.append_child("system-uptime-information");
            auto when = [&](const char* name, std::time_t at) {
                auto e = info.append_child(name);
                with_seconds(e, "date-time", clock_text(at), at);
                if (std::string_view(name) != "current-time")
                    with_seconds(e, "time-length", age_text(now - at), now - at);
                return e;
            };
            when("current-time", now);
            when("system-booted-time", now - up);
            when("protocols-started-time", now - mgd_up);
            if (auto rec = config::RollbackStore(daemon_.paths().config_dir()).record(0))
                xml::append_text(when("last-configured-time", rec->time), "user", rec->user);
            append_uptime_information(info, now, up);
            r.reply(doc);
        });
    });
}

// The router's boot time is init's start, its protocols' mgd's start (init knows both).
void Mgd::with_uptime(std::function<void(std::time_t now, long up, long mgd_up)> done) {
    daemon_.call_peer("init", "get-process-status", 2000ms, [this, done = std::move(done)](ipc::Reply reply) {
        long up = 0, mgd_up = 0;
        if (reply.ok()) {
            auto info = reply.root().child("process-status-information");
            up = info.child("uptime-seconds").text().as_llong();
            for (auto p : info.children("process")) {
                if (std::string_view(p.child_value("name")) == "mgd")
                    mgd_up = p.child("uptime-seconds").text().as_llong();
            }
        }
        done(std::chrono::system_clock::to_time_t(daemon_.clock().now()), up, mgd_up);  // the router's clock
    });
}

// <uptime-information>: what w(1)'s first line says (time of day, uptime, users, load averages).
pugi::xml_node Mgd::append_uptime_information(pugi::xml_node parent, std::time_t now, long up) const {
    auto u = parent.append_child("uptime-information");
    with_seconds(u, "date-time", w_clock(now), now);
    with_seconds(u, "up-time", w_uptime(up), up);
    const size_t users = config_->sessions().size();
    auto count = xml::append_text(u, "active-user-count", std::to_string(users));
    count.append_attribute("junos:format") =
        (std::to_string(users) + (users == 1 ? " user" : " users")).c_str();
    double loads[3] = {0, 0, 0};
    if (::getloadavg(loads, 3) != 3)
        loads[0] = loads[1] = loads[2] = 0;
    for (const auto& [name, value] :
         {std::pair{"load-average-1", loads[0]}, std::pair{"load-average-5", loads[1]},
          std::pair{"load-average-15", loads[2]}}) {
        char text[16];
        std::snprintf(text, sizeof text, "%.2f", value);
        xml::append_text(u, name, text);
    }
    return u;
}

}  // namespace msim::mgd
