// ipsecd, the SA manager: keeps the SA database of the router and installs it into the ES PIC models of
// pfed through the narrow SA backend over IPC (msim/ipsec/sa_xml.hpp). The database is derived from state
// that survives ipsecd: the committed configuration (manual SAs, fetched from mgd at start and moved
// forward by commits) and pfed's es- unit bindings. Installation is a reconciliation: what should be
// installed is compared with what pfed has, and one batch of changes (`sa-changes`) fixes the
// difference — after a commit, a PIC going offline or online, pfed restarting (its epoch changes) or
// ipsecd restarting (it starts from what pfed reports). A commit that edits one SA touches only that SA.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "msim/common/daemon.hpp"
#include "msim/config/owned_configuration.hpp"
#include "msim/ipsecd/sa_plan.hpp"

namespace msim::ipsecd {

class Ipsecd {
  public:
    Ipsecd(Daemon& daemon, std::shared_ptr<const config::Schema> schema);
    ~Ipsecd();
    // Registers the hooks and RPCs and starts fetching the configuration and polling pfed.
    void start();

  private:
    struct Installed {
        std::string pic;
        std::string fingerprint;  // everything that matters about the SA, keys included ("" = unknown)
        ipsec::SaConfig config;
    };

    void fetch_configuration();
    // Runs `then` once the committed configuration is loaded (now, or after fetching it: fetched_now).
    void when_configured(std::function<void(bool fetched_now)> then);
    void poll_pfed();
    void schedule_poll(std::chrono::milliseconds delay);
    // Brings pfed in line with the database: everything (reconcile), or only the SAs of some names (a
    // dynamic SA installed or deleted: with thousands of SAs, one tunnel's change costs one tunnel's work).
    // One batch is in flight at a time; what is asked meanwhile goes in the next one.
    void reconcile();
    void reconcile_names(const std::set<std::string>& names);
    void run_reconcile();
    void show_security_associations(const pugi::xml_node& request, ipc::Responder r);
    // Dynamic SAs (kmd's): handed over, deleted, expired; kept in var/db/ipsecd-dynamic-sas.xml so that
    // an ipsecd restart installs them again with what is left of their lifetimes.
    void install_dynamic(const pugi::xml_node& request, ipc::Responder r);
    void delete_dynamic(const pugi::xml_node& request, ipc::Responder r);
    void allocate_spi(const pugi::xml_node& request, ipc::Responder r);
    void sa_expired(const pugi::xml_node& notification);
    void dynamic_pics_went_offline(const std::vector<EsBinding>& now);
    void clear(const pugi::xml_node& request, ipc::Responder r);
    void save_dynamic();
    // Saves soon (once for a burst of changes: the file holds every dynamic SA).
    void schedule_save();
    void load_dynamic();
    std::filesystem::path dynamic_file() const;
    std::map<std::string, ManualSa> manual_after(const pugi::xml_node& changes) const;
    static std::string commit_of(const pugi::xml_node& changes);

    Daemon& daemon_;
    config::OwnedConfiguration owned_;
    bool have_configuration_ = false;
    bool fetching_configuration_ = false;
    std::vector<std::function<void(bool)>> waiting_for_configuration_;
    // What the last validate worked out, for the apply of the same changes on the same base.
    struct Validated {
        std::string changes;      // identifies the changes (commit_of)
        uint64_t generation = 0;  // of owned_ when validated
        std::map<std::string, ManualSa> manual;
    };
    std::optional<Validated> validated_;
    uint64_t owned_generation_ = 0;
    std::map<std::string, ManualSa> manual_;
    std::set<std::string> dynamic_names_;  // configured `security-association NAME { dynamic … }`
    std::vector<DynamicSa> dynamic_;
    bool subscribed_ = false;  // to pfed's SA events (lifetimes), per pfed epoch
    std::vector<EsBinding> bindings_;
    std::vector<std::string> online_es_pics_;     // where transport-mode SAs of the router's own traffic go
    std::string pfed_epoch_;                      // "" until pfed answered once
    bool know_installed_ = false;                 // installed_ reflects pfed (after the first listing)
    std::map<std::string, Installed> installed_;  // by key (pic + SaKey)
    bool reconciling_ = false;
    bool full_pending_ = false;                 // a whole reconcile is asked for
    std::set<std::string> names_pending_;       // or the SAs of these names
    std::map<std::string, size_t> binding_of_;  // SA name -> its first online binding in bindings_
    bool save_pending_ = false;
    std::map<std::string, std::string> failures_;  // key -> last error, logged once
    boost::asio::steady_timer poll_timer_;
    boost::asio::steady_timer config_timer_;
    boost::asio::steady_timer save_timer_;
};

// The key ipsecd files an installed SA under: "es-0/1/0 inbound esp 2312 10.5.5.5".
std::string installed_key(const std::string& pic, const ipsec::SaKey& key);
// Everything about an SA that requires reinstalling it when it changes (keys included).
std::string fingerprint(const ipsec::SaConfig& config);

}  // namespace msim::ipsecd
