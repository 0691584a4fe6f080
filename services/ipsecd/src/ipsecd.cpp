#include "msim/ipsecd/ipsecd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "msim/common/xml.hpp"
#include "msim/config/error.hpp"
#include "msim/ipsec/sa_xml.hpp"

namespace msim::ipsecd {

using namespace std::chrono_literals;

namespace {

constexpr auto poll_interval = 1000ms;
constexpr auto pfed_timeout = 30000ms;

// Names of the configured dynamic SAs (`security ipsec security-association NAME { dynamic … }`).
std::set<std::string> dynamic_sa_names(const config::Node& root) {
    std::set<std::string> out;
    for (const auto& top : root.children()) {
        if (top->keyword() != "security")
            continue;
        for (const auto& ipsec : top->children()) {
            if (ipsec->keyword() != "ipsec")
                continue;
            for (const auto& sa : ipsec->children()) {
                if (sa->keyword() != "security-association" || sa->values().empty())
                    continue;
                for (const auto& c : sa->children()) {
                    if (c->keyword() == "dynamic")
                        out.insert(sa->values().front());
                }
            }
        }
    }
    return out;
}

std::optional<EsBinding> parse_binding(const pugi::xml_node& b) {
    EsBinding out;
    out.unit = b.child_value("unit");
    out.pic = b.child_value("pic");
    out.sa_name = b.child_value("ipsec-sa");
    auto src = ipsec::parse_ipv4(b.child_value("source"));
    auto dst = ipsec::parse_ipv4(b.child_value("destination"));
    if (out.pic.empty() || out.sa_name.empty() || !src || !dst) {
        return std::nullopt;  // a unit without tunnel endpoints carries no SA yet
    }
    out.source = *src;
    out.destination = *dst;
    out.online = bool(b.child("online"));
    return out;
}

}  // namespace

std::string installed_key(const std::string& pic, const ipsec::SaKey& key) {
    return pic + " " + std::string(ipsec::to_string(key.direction)) + " " +
           std::string(ipsec::to_string(key.protocol)) + " " + std::to_string(key.spi) + " " +
           ipsec::format_ipv4(key.destination);
}

namespace {

// Appends pugixml's output to a string (cheaper than an ostringstream: reconcile fingerprints every SA).
struct StringWriter final : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
};

}  // namespace

std::string fingerprint(const ipsec::SaConfig& config) {
    pugi::xml_document doc;
    ipsec::append_sa_config(doc, config);
    StringWriter writer;
    writer.out.reserve(1024);
    doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration);
    return std::move(writer.out);
}

Ipsecd::Ipsecd(Daemon& daemon, std::shared_ptr<const config::Schema> schema)
    : daemon_(daemon),
      owned_(std::move(schema)),
      poll_timer_(daemon.io()),
      config_timer_(daemon.io()),
      save_timer_(daemon.io()) {}

Ipsecd::~Ipsecd() {
    if (save_pending_) {
        save_dynamic();  // a clean stop keeps the last changes
    }
}

void Ipsecd::start() {
    // validate: the changes must parse and every manual SA they touch must decode into what the PIC takes.
    // The changes are staged on the owned tree (no copy) and only the SAs they name are worked out again;
    // apply reuses what validate worked out for the same changes (with 10,000 SAs, decoding every key
    // on each commit cost ~0.3 s). A commit's changes are relative to the committed configuration: one
    // that arrives before ipsecd has loaded it (a commit right after ipsecd started) waits for it.
    daemon_.on_validate_configuration([this](const pugi::xml_node& changes, ipc::Responder r) {
        auto doc = std::make_shared<pugi::xml_document>();
        doc->append_copy(changes);
        when_configured([this, doc, r](bool) {
            try {
                const pugi::xml_node changes = doc->first_child();
                auto staged = owned_.stage(changes);  // undone when it goes: validate only looks
                Validated v{commit_of(changes), owned_generation_, manual_after(changes)};
                validated_ = std::move(v);
                r.reply_ok();
            } catch (const SaConfigError& e) {
                r.error(e.what(), e.path);
            } catch (const std::exception& e) {
                r.error(e.what());
            }
        });
    });
    daemon_.on_apply_configuration([this](const pugi::xml_node& changes, ipc::Responder r) {
        auto doc = std::make_shared<pugi::xml_document>();
        doc->append_copy(changes);
        when_configured([this, doc, r](bool fetched_now) {
            try {
                if (!fetched_now) {
                    // (When fetched now, mgd had written the new configuration: what was fetched has it.)
                    const pugi::xml_node changes = doc->first_child();
                    std::optional<Validated> v = std::move(validated_);
                    validated_.reset();
                    auto staged = owned_.stage(changes);
                    if (!v || v->generation != owned_generation_ || v->changes != commit_of(changes))
                        v = Validated{{}, owned_generation_, manual_after(changes)};
                    staged.keep();
                    manual_ = std::move(v->manual);
                    dynamic_names_ = dynamic_sa_names(owned_.tree());
                    ++owned_generation_;
                }
                r.reply_ok();
                reconcile();
                // The same commit may have changed pfed's es- units (mgd applies to every daemon in
                // parallel): ask pfed for its bindings now rather than at the next poll, up to
                // poll_interval later. pfed answers in order, so after its own apply if that reached it
                // first.
                schedule_poll(0ms);
            } catch (const std::exception& e) {
                r.error(std::string("ipsecd could not apply the configuration: ") + e.what());
            }
        });
    });
    daemon_.register_rpc(
        "get-security-associations-information",
        [this](const pugi::xml_node& request, ipc::Responder r) { show_security_associations(request, r); });
    daemon_.register_rpc("clear-ipsec-security-associations",
                         [this](const pugi::xml_node& request, ipc::Responder r) { clear(request, r); });
    daemon_.register_rpc("install-dynamic-sas", [this](const pugi::xml_node& request, ipc::Responder r) {
        install_dynamic(request, r);
    });
    daemon_.register_rpc("delete-dynamic-sas", [this](const pugi::xml_node& request, ipc::Responder r) {
        delete_dynamic(request, r);
    });
    daemon_.register_rpc("allocate-spi", [this](const pugi::xml_node& request, ipc::Responder r) {
        allocate_spi(request, r);
    });
    daemon_.on_notification([this](ipc::Connection&, const pugi::xml_node& n) {
        if (auto e = n.child("sa-expiry")) {
            sa_expired(e);
        }
    });
    load_dynamic();
    fetch_configuration();
    schedule_poll(0ms);
}

// What identifies a commit's changes: mgd's commit number on them (the same in its validate and its apply),
// else the changes themselves.
std::string Ipsecd::commit_of(const pugi::xml_node& changes) {
    pugi::xml_node list = changes;
    if (std::string_view(list.name()) != "configuration-changes")
        list = list.child("configuration-changes");
    if (auto id = list.attribute("commit"))
        return std::string("commit ") + id.value();
    return xml::to_string(changes);
}

// The manual SAs once `changes` (already staged in owned_) apply: only the security associations the
// changes name are worked out again, unless a change is above them (all of `security ipsec` or more).
std::map<std::string, ManualSa> Ipsecd::manual_after(const pugi::xml_node& changes) const {
    pugi::xml_node list = changes;
    if (std::string_view(list.name()) != "configuration-changes")
        list = list.child("configuration-changes");
    std::set<std::string> names;
    for (auto change : list.children("change")) {
        std::istringstream words(change.child_value("path"));
        std::vector<std::string> path;
        for (std::string w; words >> w;)
            path.push_back(w);
        if (path.size() >= 4 && path[0] == "security" && path[1] == "ipsec" &&
            path[2] == "security-association")
            names.insert(path[3]);
        else if (path.size() < 3 && (path.empty() || path[0] == "security") &&
                 (path.size() < 2 || path[1] == "ipsec"))
            return manual_sas(owned_.tree());  // the SAs' container itself changed
    }
    auto out = manual_;
    update_manual_sas(out, owned_.tree(), names);
    return out;
}

std::filesystem::path Ipsecd::dynamic_file() const {
    return daemon_.paths().root / "var" / "db" / "ipsecd-dynamic-sas.xml";
}

void Ipsecd::schedule_save() {
    if (save_pending_) {
        return;
    }
    save_pending_ = true;
    save_timer_.expires_after(1000ms);
    save_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            save_dynamic();
        }
    });
}

// Keys are in this file: it is the router's own disk, written 0600, atomically (temp file, rename).
namespace {

// One dynamic SA as saved: serialised once, when it is handed over (with thousands of SAs, serialising every
// one again at each save cost more than the negotiations).
std::string dynamic_record(const DynamicSa& d) {
    pugi::xml_document doc;
    auto el = doc.append_child("dynamic-sa");
    xml::append_text(el, "owner", d.owner);
    xml::append_text(
        el, "installed-at",
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(d.installed_at.time_since_epoch()).count()));
    if (!d.local_identity.empty()) {
        xml::append_text(el, "local-identity", d.local_identity);
        xml::append_text(el, "remote-identity", d.remote_identity);
    }
    ipsec::append_sa_config(el, d.config);
    StringWriter writer;
    doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration);
    return std::move(writer.out);
}

}  // namespace

void Ipsecd::save_dynamic() {
    save_pending_ = false;
    std::string text = "<?xml version=\"1.0\"?>\n<dynamic-sas>";
    for (auto& d : dynamic_) {
        if (d.record.empty()) {
            d.record = dynamic_record(d);
        }
        text += d.record;
        text += '\n';
    }
    text += "</dynamic-sas>\n";
    const auto path = dynamic_file();
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    const auto tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        daemon_.log().error("ipsecd: cannot write " + tmp);
        return;
    }
    const bool ok =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        daemon_.log().error("ipsecd: cannot write " + path.string());
    }
}

void Ipsecd::load_dynamic() {
    pugi::xml_document doc;
    if (!doc.load_file(dynamic_file().c_str())) {
        return;
    }
    const auto now = std::chrono::system_clock::now();
    for (auto el : doc.child("dynamic-sas").children("dynamic-sa")) {
        std::string error;
        auto config = ipsec::parse_sa_config(el.child("sa"), error);
        if (!config) {
            continue;
        }
        DynamicSa d{std::move(*config),
                    el.child_value("owner"),
                    std::chrono::system_clock::time_point(
                        std::chrono::seconds(el.child("installed-at").text().as_llong())),
                    el.child_value("local-identity"),
                    el.child_value("remote-identity"),
                    {}};
        const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - d.installed_at).count();
        if (d.config.lifetime.hard_seconds && age >= static_cast<long long>(d.config.lifetime.hard_seconds)) {
            continue;  // expired while ipsecd was away
        }
        dynamic_.push_back(std::move(d));
    }
    if (!dynamic_.empty()) {
        daemon_.log().log("ipsecd: " + std::to_string(dynamic_.size()) + " dynamic SAs restored from " +
                          dynamic_file().string());
    }
}

// <install-dynamic-sas><owner>kmd</owner><sa>…</sa>…</install-dynamic-sas>: SAs negotiated by the owner for a
// configured dynamic SA name. A new outbound SA replaces the previous outbound SA of that name (a rekey);
// inbound SAs stay until the owner deletes them, so packets still in flight under the old SPI arrive.
void Ipsecd::install_dynamic(const pugi::xml_node& request, ipc::Responder r) {
    std::vector<ipsec::SaConfig> configs;
    for (auto sa : request.children("sa")) {
        std::string error;
        auto config = ipsec::parse_sa_config(sa, error);
        if (!config) {
            r.error("bad SA: " + error);
            return;
        }
        if (!dynamic_names_.count(config->name)) {
            r.error("security association " + config->name + " is not a configured dynamic SA");
            return;
        }
        configs.push_back(std::move(*config));
    }
    const std::string owner = request.child_value("owner");
    const auto now = std::chrono::system_clock::now();
    std::set<std::string> names;
    for (auto& c : configs) {
        names.insert(c.name);
        std::erase_if(dynamic_, [&](const DynamicSa& d) {
            return (c.direction == ipsec::Direction::outbound &&
                    d.config.direction == ipsec::Direction::outbound && d.config.name == c.name) ||
                   (d.config.direction == c.direction && d.config.protocol == c.protocol &&
                    d.config.spi == c.spi);
        });
        daemon_.log().log("ipsecd: dynamic SA " + c.name + " " + std::string(ipsec::to_string(c.direction)) +
                          " SPI " + std::to_string(c.spi) + " from " + owner);
        dynamic_.push_back({std::move(c),
                            owner,
                            now,
                            request.child_value("local-identity"),
                            request.child_value("remote-identity"),
                            {}});
    }
    schedule_save();
    reconcile_names(names);
    r.reply_ok();
}

// <delete-dynamic-sas><sa-key>…</sa-key>…</delete-dynamic-sas> (a destination of 0.0.0.0 matches any).
void Ipsecd::delete_dynamic(const pugi::xml_node& request, ipc::Responder r) {
    size_t removed = 0;
    std::set<std::string> names;
    for (auto k : request.children("sa-key")) {
        std::string error;
        auto key = ipsec::parse_sa_key(k, error);
        if (!key) {
            r.error("bad SA key: " + error);
            return;
        }
        removed += std::erase_if(dynamic_, [&](const DynamicSa& d) {
            const bool match = d.config.direction == key->direction && d.config.protocol == key->protocol &&
                               d.config.spi == key->spi &&
                               (key->destination == 0 || d.config.destination == 0 ||
                                d.config.destination == key->destination);
            if (match) {
                names.insert(d.config.name);
            }
            return match;
        });
    }
    if (removed != 0) {
        schedule_save();
        reconcile_names(names);
    }
    pugi::xml_document doc;
    xml::append_text(doc, "deleted", std::to_string(removed));
    r.reply(doc);
}

// <allocate-spi><sa-name/><protocol/></allocate-spi>: an unused inbound SPI on the PIC that carries the SA,
// for kmd to propose to the peer.
void Ipsecd::allocate_spi(const pugi::xml_node& request, ipc::Responder r) {
    const std::string name = request.child_value("sa-name");
    auto found = binding_of_.find(name);
    const EsBinding* b = found == binding_of_.end() ? nullptr : &bindings_[found->second];
    if (!b) {
        r.error("no online es- interface names security association " + name);
        return;
    }
    pugi::xml_document req;
    auto get = req.append_child("sa-get-spi");
    xml::append_text(get, "pic", b->pic);
    xml::append_text(get, "protocol", request.child("protocol") ? request.child_value("protocol") : "esp");
    xml::append_text(get, "destination", ipsec::format_ipv4(b->source));
    daemon_.call_peer("pfed", get, 5000ms, [r](ipc::Reply reply) {
        if (!reply.ok()) {
            r.error(reply.error_message);
            return;
        }
        pugi::xml_document doc;
        xml::append_text(doc, "spi", reply.root().child_value("spi"));
        r.reply(doc);
    });
}

// pfed says an SA reached a lifetime: tell its owner (which rekeys on soft, and knows the SA is gone on
// hard); a hard-expired SA leaves the database.
void Ipsecd::sa_expired(const pugi::xml_node& e) {
    std::string error;
    auto key = ipsec::parse_sa_key(e.child("sa-key"), error);
    if (!key) {
        return;
    }
    const std::string kind = e.child_value("kind");
    for (auto it = dynamic_.begin(); it != dynamic_.end(); ++it) {
        const auto& c = it->config;
        if (c.direction != key->direction || c.protocol != key->protocol || c.spi != key->spi) {
            continue;
        }
        daemon_.log().log("ipsecd: dynamic SA " + c.name + " SPI " + std::to_string(c.spi) + " reached its " +
                          kind + " lifetime");
        pugi::xml_document doc;
        auto note = doc.append_child("sa-expiry-notice");
        xml::append_text(note, "sa-name", c.name);
        ipsec::append_sa_key(note, *key);
        xml::append_text(note, "kind", kind);
        daemon_.call_peer(it->owner, doc.document_element(), 5000ms, [](ipc::Reply) {});
        if (kind == "hard") {
            const std::set<std::string> names{c.name};
            dynamic_.erase(it);
            schedule_save();
            reconcile_names(names);
        }
        return;
    }
}

// A PIC that carried dynamic SAs went offline (or the es- unit that named them went away): the SAs are gone
// with the PIC's state, so they leave the database and their owner is told (<sa-pic-offline>), to negotiate
// afresh when traffic comes back rather than expect them to return.
void Ipsecd::dynamic_pics_went_offline(const std::vector<EsBinding>& now) {
    auto online = [](const std::vector<EsBinding>& bindings, const std::string& name) {
        return std::any_of(bindings.begin(), bindings.end(),
                           [&](const EsBinding& b) { return b.sa_name == name && b.online; });
    };
    std::map<std::string, std::set<std::string>> lost;  // owner -> SA names
    for (const auto& sa : dynamic_) {
        if (online(bindings_, sa.config.name) && !online(now, sa.config.name)) {
            lost[sa.owner].insert(sa.config.name);
        }
    }
    if (lost.empty()) {
        return;
    }
    for (const auto& [owner, names] : lost) {
        pugi::xml_document doc;
        auto note = doc.append_child("sa-pic-offline");
        for (const auto& name : names) {
            xml::append_text(note, "sa-name", name);
            daemon_.log().log("ipsecd: the PIC carrying dynamic SA " + name + " went offline; " + owner +
                              " told to negotiate it again");
        }
        daemon_.call_peer(owner, doc.document_element(), 5000ms, [](ipc::Reply) {});
        std::erase_if(dynamic_, [&](const DynamicSa& sa) {
            return sa.owner == owner && names.contains(sa.config.name);
        });
    }
    schedule_save();
}

// clear ipsec security-associations [NAME]: manual SAs are installed afresh (counters, sequence numbers
// start over: they are configuration); dynamic SAs are deleted and their owner told (<sa-cleared>), which
// deletes them at the peer and negotiates new ones when traffic needs them.
void Ipsecd::clear(const pugi::xml_node& request, ipc::Responder r) {
    const std::string wanted = request.child_value("sa-name");
    if (!wanted.empty() && !manual_.count(wanted) && !dynamic_names_.count(wanted)) {
        r.error("security association " + wanted + " does not exist");
        return;
    }
    auto selected = [&](const std::string& name) { return wanted.empty() || name == wanted; };
    // An unknown fingerprint makes reconcile delete and add them again.
    for (auto& [key, inst] : installed_) {
        if (manual_.count(inst.config.name) != 0 && selected(inst.config.name)) {
            inst.fingerprint.clear();
        }
    }
    std::map<std::string, std::set<std::string>> cleared;  // owner -> SA names
    for (const auto& sa : dynamic_) {
        if (selected(sa.config.name)) {
            cleared[sa.owner].insert(sa.config.name);
        }
    }
    for (const auto& [owner, names] : cleared) {
        pugi::xml_document doc;
        auto note = doc.append_child("sa-cleared");
        for (const auto& name : names) {
            xml::append_text(note, "sa-name", name);
        }
        daemon_.call_peer(owner, doc.document_element(), 5000ms, [](ipc::Reply) {});
        std::erase_if(dynamic_, [&](const DynamicSa& sa) {
            return sa.owner == owner && names.contains(sa.config.name);
        });
    }
    if (!cleared.empty()) {
        schedule_save();
    }
    reconcile();
    r.reply_ok();
}

// At start (and after a restart) the committed configuration comes from mgd, which may not be up yet.
void Ipsecd::when_configured(std::function<void(bool fetched_now)> then) {
    if (have_configuration_) {
        then(false);
        return;
    }
    waiting_for_configuration_.push_back(std::move(then));
    if (waiting_for_configuration_.size() == 1) {
        config_timer_.cancel();  // ask now rather than at the next retry
        fetch_configuration();
    }
}

void Ipsecd::fetch_configuration() {
    if (fetching_configuration_) {
        return;
    }
    fetching_configuration_ = true;
    pugi::xml_document req;
    xml::append_text(req.append_child("get-owned-configuration"), "daemon", "ipsecd");
    daemon_.call_peer("mgd", req.document_element(), 10000ms, [this](ipc::Reply reply) {
        fetching_configuration_ = false;
        if (have_configuration_) {
            return;
        }
        if (!reply.ok()) {
            config_timer_.expires_after(1000ms);
            config_timer_.async_wait([this](const boost::system::error_code& ec) {
                if (!ec)
                    fetch_configuration();
            });
            return;
        }
        try {
            ++owned_generation_;
            owned_.load(reply.root().child("configuration-text").child_value("configuration-output"));
            manual_ = manual_sas(owned_.tree());
            dynamic_names_ = dynamic_sa_names(owned_.tree());
            daemon_.log().log("ipsecd: " + std::to_string(manual_.size()) +
                              " manual SAs in the configuration");
        } catch (const std::exception& e) {
            daemon_.log().error(std::string("ipsecd: cannot use the committed configuration: ") + e.what());
        }
        // Even a configuration ipsecd cannot use is the base the next commit's changes apply to.
        have_configuration_ = true;
        reconcile();
        auto waiting = std::move(waiting_for_configuration_);
        waiting_for_configuration_.clear();
        for (auto& then : waiting) {
            then(true);
        }
    });
}

void Ipsecd::schedule_poll(std::chrono::milliseconds delay) {
    poll_timer_.expires_after(delay);
    poll_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec)
            poll_pfed();
    });
}

// pfed's es- unit bindings and its epoch (which changes when pfed restarts and so has no SAs).
void Ipsecd::poll_pfed() {
    daemon_.call_peer("pfed", "get-es-bindings", 5000ms, [this](ipc::Reply reply) {
        if (!reply.ok()) {
            schedule_poll(poll_interval);
            return;
        }
        auto root = reply.root().child("es-bindings");
        const std::string epoch = root.child_value("epoch");
        std::vector<EsBinding> bindings;
        for (auto b : root.children("binding")) {
            if (auto parsed = parse_binding(b)) {
                bindings.push_back(std::move(*parsed));
            }
        }
        std::vector<std::string> online_pics;
        for (auto p : root.children("es-pic")) {
            if (p.child("online")) {
                online_pics.emplace_back(p.child_value("name"));
            }
        }
        bool changed = bindings != bindings_ || online_pics != online_es_pics_;
        if (changed) {
            dynamic_pics_went_offline(bindings);
        }
        if (bindings != bindings_) {
            binding_of_.clear();
            for (size_t i = 0; i < bindings.size(); ++i) {
                if (bindings[i].online) {
                    binding_of_.emplace(bindings[i].sa_name, i);
                }
            }
        }
        bindings_ = std::move(bindings);
        online_es_pics_ = std::move(online_pics);
        if (epoch != pfed_epoch_) {
            if (!pfed_epoch_.empty()) {
                daemon_.log().log("ipsecd: pfed restarted; reinstalling SAs");
            }
            pfed_epoch_ = epoch;
            subscribed_ = false;
            know_installed_ = false;
            installed_.clear();
            changed = true;
        }
        if (!subscribed_) {
            daemon_.call_peer("pfed", "subscribe-sa-events", 5000ms,
                              [this](ipc::Reply reply) { subscribed_ = reply.ok(); });
        }
        if (changed || !failures_.empty()) {
            reconcile();
        }
        schedule_poll(poll_interval);
    });
}

void Ipsecd::reconcile() {
    full_pending_ = true;
    run_reconcile();
}

void Ipsecd::reconcile_names(const std::set<std::string>& names) {
    names_pending_.insert(names.begin(), names.end());
    run_reconcile();
}

void Ipsecd::run_reconcile() {
    if (!have_configuration_ || pfed_epoch_.empty() || reconciling_ ||
        (!full_pending_ && names_pending_.empty())) {
        return;  // what is pending waits for the configuration, pfed, or the batch in flight
    }
    reconciling_ = true;
    auto finish = [this] {
        reconciling_ = false;
        run_reconcile();
    };
    if (!know_installed_) {
        // What pfed already carries (ipsecd restarted, pfed did not): start from that, fingerprints
        // unknown, so everything wanted is installed again and everything else removed.
        full_pending_ = true;
        daemon_.call_peer("pfed", "get-sa-states", pfed_timeout, [this, finish](ipc::Reply reply) {
            if (reply.ok()) {
                installed_.clear();
                for (auto pic : reply.root().child("sa-states").children("pic-sas")) {
                    const std::string pic_name = pic.child_value("pic");
                    for (auto st : pic.children("sa-state")) {
                        std::string error;
                        if (auto state = ipsec::parse_sa_state(st, error)) {
                            installed_[installed_key(pic_name, ipsec::key_of(state->config))] = {
                                pic_name, "", state->config};
                        }
                    }
                }
                know_installed_ = true;
                finish();
                return;
            }
            // pfed did not answer: the next poll tries again (failures make it reconcile).
            failures_["*"] = reply.error_message;
            reconciling_ = false;
        });
        return;
    }
    const bool full = full_pending_;
    const std::set<std::string> scope = full ? std::set<std::string>{} : std::move(names_pending_);
    full_pending_ = false;
    names_pending_.clear();
    auto in_scope = [&](const std::string& name) { return full || scope.count(name) != 0; };
    std::map<std::string, ManualSa> manual_scope;
    std::vector<DynamicSa> dynamic_scope;
    if (!full) {
        for (const auto& name : scope) {
            if (auto m = manual_.find(name); m != manual_.end()) {
                manual_scope.emplace(name, m->second);
            }
        }
        for (const auto& d : dynamic_) {
            if (scope.count(d.config.name)) {
                dynamic_scope.push_back(d);
            }
        }
    }
    const auto& manual = full ? manual_ : manual_scope;
    const auto& dynamic = full ? dynamic_ : dynamic_scope;
    // Each wanted SA is fingerprinted once per reconcile (the comparison with what is installed and the
    // bookkeeping after pfed's answer share it).
    struct Wanted {
        PlannedSa planned;
        std::string fingerprint;
    };
    std::map<std::string, Wanted> wanted;
    for (auto& p : plan_manual_sas(manual, bindings_, online_es_pics_)) {
        std::string key = installed_key(p.pic, ipsec::key_of(p.config));
        std::string print = fingerprint(p.config);
        wanted.emplace(std::move(key), Wanted{std::move(p), std::move(print)});
    }
    for (auto& p : plan_dynamic_sas(dynamic, bindings_)) {
        std::string key = installed_key(p.pic, ipsec::key_of(p.config));
        std::string print = fingerprint(p.config);
        wanted.emplace(std::move(key), Wanted{std::move(p), std::move(print)});
    }
    pugi::xml_document req;
    auto changes = req.append_child("sa-changes");
    struct Op {
        bool add;
        std::string key;
        PlannedSa planned;
        std::string fingerprint;  // of planned.config, for an add
    };
    auto ops = std::make_shared<std::vector<Op>>();
    for (const auto& [key, inst] : installed_) {
        if (!in_scope(inst.config.name)) {
            continue;
        }
        auto it = wanted.find(key);
        if (it == wanted.end() || it->second.fingerprint != inst.fingerprint) {
            auto del = changes.append_child("delete");
            xml::append_text(del, "pic", inst.pic);
            ipsec::append_sa_key(del, ipsec::key_of(inst.config));
            ops->push_back({false, key, {inst.pic, inst.config, std::nullopt}, {}});
        }
    }
    for (auto& [key, w] : wanted) {
        auto it = installed_.find(key);
        if (it == installed_.end() || it->second.fingerprint != w.fingerprint) {
            auto add = changes.append_child("add");
            xml::append_text(add, "pic", w.planned.pic);
            ipsec::SaConfig config = w.planned.config;
            if (w.planned.installed_at) {
                // What is left of the lifetimes (the fingerprint keeps the original ones).
                const auto age = static_cast<std::uint64_t>(std::max<long long>(
                    0, std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() -
                                                                        *w.planned.installed_at)
                           .count()));
                auto left = [age](std::uint64_t limit) {
                    return limit == 0 ? 0 : (limit > age ? limit - age : 1);
                };
                config.lifetime.soft_seconds = left(config.lifetime.soft_seconds);
                config.lifetime.hard_seconds = left(config.lifetime.hard_seconds);
            }
            ipsec::append_sa_config(add, config);
            ops->push_back({true, key, std::move(w.planned), std::move(w.fingerprint)});
        }
    }
    if (ops->empty()) {
        if (full) {
            failures_.clear();
        }
        finish();
        return;
    }
    daemon_.call_peer("pfed", changes, pfed_timeout, [this, ops, finish, full](ipc::Reply reply) {
        if (!reply.ok()) {
            // pfed went away or refused the whole batch: the next poll tries again.
            failures_["*"] = reply.error_message;
            finish();
            return;
        }
        std::map<size_t, std::string> failed;
        for (auto f : reply.root().child("sa-change-results").children("failed")) {
            failed[f.child("index").text().as_ullong()] = f.child_value("message");
        }
        std::map<std::string, std::string> failures;
        for (size_t i = 0; i < ops->size(); ++i) {
            const Op& op = (*ops)[i];
            auto bad = failed.find(i);
            if (bad != failed.end()) {
                if (!failures_.count(op.key)) {
                    daemon_.log().error("ipsecd: cannot " + std::string(op.add ? "install" : "remove") +
                                        " SA " + op.planned.config.name + " (" + op.key +
                                        "): " + bad->second);
                }
                failures[op.key] = bad->second;
                if (!op.add) {
                    installed_.erase(op.key);  // pfed does not have it: nothing to remove
                }
                continue;
            }
            if (op.add) {
                installed_[op.key] = {op.planned.pic, op.fingerprint, op.planned.config};
                daemon_.log().log("ipsecd: SA " + op.planned.config.name + " installed (" + op.key + ")");
            } else {
                installed_.erase(op.key);
                daemon_.log().log("ipsecd: SA " + op.planned.config.name + " removed (" + op.key + ")");
            }
        }
        if (full) {
            failures_ = std::move(failures);
        } else {
            for (const Op& op : *ops) {
                failures_.erase(op.key);
            }
            failures_.merge(failures);
        }
        finish();
    });
}

// show ipsec security-associations [brief|detail] [NAME]: the configured manual SAs, each with the PIC
// and the installed directions and their counters (from pfed).
void Ipsecd::show_security_associations(const pugi::xml_node& request, ipc::Responder r) {
    const std::string wanted = request.child_value("sa-name");
    const bool detail = bool(request.child("detail"));
    daemon_.call_peer("pfed", "get-sa-states", 10000ms, [this, wanted, detail, r](ipc::Reply reply) {
        std::map<std::string, std::vector<std::pair<std::string, ipsec::SaState>>> states;  // by SA name
        std::map<std::string, std::string> bad_spi;                                         // by PIC
        std::map<std::string, std::string> waited;  // by PIC: packets dropped waiting for a dynamic SA
        if (reply.ok()) {
            for (auto pic : reply.root().child("sa-states").children("pic-sas")) {
                bad_spi[pic.child_value("pic")] = pic.child("pic-counters").child_value("bad-spi");
                waited[pic.child_value("pic")] = pic.child("pic-counters").child_value("acquire-drops");
                for (auto st : pic.children("sa-state")) {
                    std::string error;
                    if (auto state = ipsec::parse_sa_state(st, error)) {
                        states[state->config.name].emplace_back(pic.child_value("pic"), std::move(*state));
                    }
                }
            }
        }
        pugi::xml_document doc;
        auto info = doc.append_child("ipsec-security-associations-information");
        if (detail) {
            info.append_child("detail");  // the level asked for, for the CLI's renderer
        }
        // Every configured SA: manual ones with their mode, dynamic ones (kmd's) with the mode they were
        // installed in.
        std::map<std::string, std::pair<std::string, ipsec::Mode>> configured;
        for (const auto& [name, sa] : manual_) {
            configured[name] = {"manual", sa.mode};
        }
        for (const auto& name : dynamic_names_) {
            auto st = states.find(name);
            configured[name] = {"dynamic", st != states.end() && !st->second.empty()
                                               ? st->second.front().second.config.mode
                                               : ipsec::Mode::tunnel};
        }
        if (!wanted.empty() && !configured.count(wanted)) {
            r.error("security association " + wanted + " does not exist");
            return;
        }
        for (const auto& [name, type_mode] : configured) {
            if (!wanted.empty() && name != wanted) {
                continue;
            }
            auto block = info.append_child("ipsec-security-associations-block");
            xml::append_text(block, "sa-name", name);
            xml::append_text(block, "sa-type", type_mode.first);
            xml::append_text(block, "sa-mode", ipsec::to_string(type_mode.second));
            auto found = states.find(name);
            const bool installed = found != states.end() && !found->second.empty();
            xml::append_text(block, "sa-block-state", installed ? "up" : "down");
            if (!installed) {
                const bool bound = std::any_of(bindings_.begin(), bindings_.end(),
                                               [&](const EsBinding& b) { return b.sa_name == name; });
                const bool host_traffic = !bound && type_mode.second == ipsec::Mode::transport;
                xml::append_text(block, "sa-reason",
                                 !reply.ok()                    ? "pfed not responding"
                                 : host_traffic                 ? "no ES PIC online"
                                 : !bound                       ? "no es- interface names this SA"
                                 : type_mode.first == "dynamic" ? "not negotiated"
                                                                : "PIC offline");
                continue;
            }
            // A dynamic SA's proxy identities (from its newest outbound SA, the one traffic uses).
            for (auto d = dynamic_.rbegin(); d != dynamic_.rend(); ++d) {
                if (d->config.name == name && !d->local_identity.empty()) {
                    xml::append_text(block, "sa-local-identity", d->local_identity);
                    xml::append_text(block, "sa-remote-identity", d->remote_identity);
                    break;
                }
            }
            for (const auto& [pic, st] : found->second) {
                const auto& c = st.config;
                auto sa_el = block.append_child("ipsec-security-associations");
                xml::append_text(sa_el, "sa-direction", ipsec::to_string(c.direction));
                xml::append_text(sa_el, "sa-pic", pic);
                xml::append_text(
                    sa_el, "sa-local-gateway",
                    ipsec::format_ipv4(c.direction == ipsec::Direction::outbound ? c.source : c.destination));
                xml::append_text(
                    sa_el, "sa-remote-gateway",
                    ipsec::format_ipv4(c.direction == ipsec::Direction::outbound ? c.destination : c.source));
                xml::append_text(sa_el, "sa-protocol", ipsec::to_string(c.protocol));
                xml::append_text(sa_el, "sa-spi", std::to_string(c.spi));
                xml::append_text(sa_el, "sa-aux-spi", std::to_string(c.auxiliary_spi));
                xml::append_text(sa_el, "sa-authentication-algorithm", ipsec::to_string(c.integrity));
                xml::append_text(sa_el, "sa-encryption-algorithm", ipsec::to_string(c.cipher));
                xml::append_text(sa_el, "sa-replay-window",
                                 c.replay_window ? std::to_string(c.replay_window) : "disabled");
                // What is left of the lifetimes (dynamic SAs; manual SAs have none).
                const auto age = static_cast<std::uint64_t>(
                    std::chrono::duration_cast<std::chrono::seconds>(st.age).count());
                auto left = [age](std::uint64_t limit) {
                    return "Expires in " + std::to_string(limit > age ? limit - age : 0) + " seconds";
                };
                if (c.lifetime.soft_seconds) {
                    xml::append_text(sa_el, "sa-soft-lifetime", left(c.lifetime.soft_seconds));
                }
                if (c.lifetime.hard_seconds) {
                    xml::append_text(sa_el, "sa-hard-lifetime", left(c.lifetime.hard_seconds));
                }
                const auto& k = st.counters;
                auto counters = sa_el.append_child("sa-counters");
                xml::append_text(counters, "packets-encrypted", std::to_string(k.packets_encrypted));
                xml::append_text(counters, "bytes-encrypted", std::to_string(k.bytes_encrypted));
                xml::append_text(counters, "packets-decrypted", std::to_string(k.packets_decrypted));
                xml::append_text(counters, "bytes-decrypted", std::to_string(k.bytes_decrypted));
                xml::append_text(counters, "authentication-failures", std::to_string(k.auth_failures));
                xml::append_text(counters, "replay-drops", std::to_string(k.replay_drops));
                xml::append_text(counters, "bad-padding", std::to_string(k.bad_padding));
                xml::append_text(counters, "malformed", std::to_string(k.malformed));
                xml::append_text(counters, "pic-bad-spi", bad_spi[pic]);
                if (type_mode.first == "dynamic") {
                    xml::append_text(counters, "pic-acquire-drops", waited[pic]);
                }
            }
        }
        r.reply(doc);
    });
}

}  // namespace msim::ipsecd
