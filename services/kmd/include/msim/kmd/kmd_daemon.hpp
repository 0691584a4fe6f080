// kmd, the IKE key management daemon: drives libmsim_kmd's phase 1 and quick mode sessions over pfed's IKE
// datagram service (subscribe-ike / ike-datagram / send-ike-datagram), starts negotiations on pfed's
// sa-acquire, and hands the negotiated SAs to ipsecd (allocate-spi, install-dynamic-sas,
// delete-dynamic-sas). Configuration: `security ike` and `security traceoptions` (owned), `security ipsec`
// and `firewall` (read), kept with OwnedConfiguration like every daemon; es- unit bindings (SA name ->
// tunnel endpoints) from pfed's get-es-bindings, polled once a second with pfed's epoch.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "msim/common/daemon.hpp"
#include "msim/config/owned_configuration.hpp"
#include "msim/kmd/daemon_config.hpp"
#include "msim/kmd/phase1.hpp"
#include "msim/kmd/pkid_signer.hpp"
#include "msim/kmd/quick_mode.hpp"
#include "msim/kmd/trace_file.hpp"

namespace msim::kmd {

// Bounds on phase 1 negotiations that are not established yet (floods of new initiations).
inline constexpr size_t max_half_open_per_peer = 8;
inline constexpr size_t max_half_open_total = 512;

class Kmd final : public EventSink {
  public:
    Kmd(Daemon& daemon, std::shared_ptr<const config::Schema> schema);
    ~Kmd() override;
    // Registers the hooks, RPCs and notification handler; fetches the configuration and polls pfed.
    void start();

    void on_event(const Event& event) override;

  private:
    struct Binding {
        std::string pic, sa_name, source, destination;
        bool online = false;
    };
    struct QuickEntry;
    struct IkeEntry;
    // A negotiated child SA handed to ipsecd.
    struct Child {
        std::uint64_t id = 0;
        std::string sa_name;
        std::string peer;
        std::uint64_t ike_id = 0;
        ChildSa sa;
        std::chrono::steady_clock::time_point installed_at;
        bool rekeyed = false;  // a newer child of the same SA name replaced it
    };

    // Configuration.
    void fetch_configuration();
    void use_configuration(const config::Node& tree);
    // The pkid-backed signer of the policy for `peer` (null for pre-shared keys).
    std::shared_ptr<const SignatureProvider> signer_for(const std::string& peer) const;
    // pfed: bindings, epoch, subscription.
    void poll_pfed();
    void schedule_poll(std::chrono::milliseconds delay);
    const Binding* binding_for(const std::string& sa_name) const;
    // Datagrams.
    void on_datagram(const pugi::xml_node& n);
    void send(IkeEntry& entry, const std::vector<Bytes>& datagrams);
    void start_responder(const std::string& local, const std::string& remote, std::uint16_t local_port,
                         std::uint16_t remote_port, const Bytes& data);
    void after_phase1_step(std::uint64_t id, Step step);
    void arm_phase1_timer(IkeEntry& entry);
    void phase1_established(IkeEntry& entry);
    void phase1_failed(IkeEntry& entry, const std::string& why);
    void handle_established(IkeEntry& entry, const Bytes& data, const isakmp::Header& header);
    void handle_informational(IkeEntry& entry, const Bytes& data);
    // Quick mode.
    void start_quick_mode(std::uint64_t ike_id, const std::string& sa_name);
    void respond_quick_mode(std::uint64_t ike_id, std::uint32_t message_id, Bytes data);
    void after_quick_step(std::uint64_t ike_id, std::uint32_t message_id, Step step);
    void arm_quick_timer(IkeEntry& entry, QuickEntry& qe);
    void quick_established(IkeEntry& entry, QuickEntry& qe);
    void allocate_spis(
        const std::string& sa_name, bool want_ah,
        std::function<void(std::optional<std::uint32_t>, std::optional<std::uint32_t>, std::string error)>
            done);
    // Acquire, expiry, deletes.
    void on_acquire(const pugi::xml_node& n);
    void negotiate(const std::string& sa_name);
    void sa_expiry(const pugi::xml_node& request, ipc::Responder r);
    void sa_pic_offline(const pugi::xml_node& request, ipc::Responder r);
    void delete_children(const std::vector<std::uint64_t>& child_ids, bool tell_peer);
    void remove_ike(std::uint64_t id, bool tell_peer, const std::string& why);
    void housekeeping();
    // Operational commands.
    void show(const pugi::xml_node& request, ipc::Responder r);
    void clear(const pugi::xml_node& request, ipc::Responder r);
    // Tracing.
    void trace(const std::string& flag, const std::string& line);

    IkeEntry* find_ike(std::uint64_t id);
    IkeEntry* find_by_cookie(const isakmp::Cookie& icookie);
    size_t half_open(const std::string& peer) const;

    Daemon& daemon_;
    config::OwnedConfiguration owned_;
    bool have_configuration_ = false;
    KmdConfig config_;
    std::map<std::string, std::shared_ptr<PkidSigner>> signers_;  // by policy (peer address)
    std::unique_ptr<CryptoProvider> crypto_;
    std::map<std::string, Binding> bindings_;  // by SA name
    std::string pfed_epoch_;
    bool subscribed_ = false;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::unique_ptr<IkeEntry>> ikes_;
    std::map<std::uint64_t, Child> children_;
    std::set<std::string> negotiating_;  // SA names with a negotiation under way
    std::map<std::string, std::chrono::steady_clock::time_point> last_failure_;  // by SA name
    TraceFile trace_;
    std::string trace_key_;  // path/files/size the trace file was opened with
    boost::asio::steady_timer poll_timer_;
    boost::asio::steady_timer config_timer_;
};

}  // namespace msim::kmd
