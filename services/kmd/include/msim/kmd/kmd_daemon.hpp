// kmd, the IKE key management daemon: drives libmsim_kmd's phase 1 and quick mode sessions over pfed's IKE
// datagram service (subscribe-ike, then IKE datagrams both ways as binary packet frames on
// ipc::PacketChannel::ike), starts negotiations on pfed's sa-acquire, and hands the negotiated SAs to ipsecd
// (allocate-spi, install-dynamic-sas, delete-dynamic-sas). Configuration: `security ike` and `security
// traceoptions` (owned), `security ipsec` and `firewall` (read), kept with OwnedConfiguration like every
// daemon; es- unit bindings (SA name -> tunnel endpoints) from pfed's get-es-bindings, polled once a second
// with pfed's epoch.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "msim/common/daemon.hpp"
#include "msim/config/owned_configuration.hpp"
#include "msim/kmd/daemon_config.hpp"
#include "msim/kmd/phase1.hpp"
#include "msim/kmd/pkid_signer.hpp"
#include "msim/kmd/quick_mode.hpp"
#include "msim/kmd/trace_file.hpp"

namespace msim::kmd {

// Bounds on phase 1 negotiations that are not established yet (floods of new initiations). At the total
// bound, a new responder negotiation takes the place of the oldest one that never got past our first
// answer (a spoofed first message never does), so a flood cannot lock real peers out.
inline constexpr size_t max_half_open_per_peer = 8;
inline constexpr size_t max_half_open_total = 512;
// Phase 1 negotiations kmd initiates at once; well below the total, so that two kmds negotiating many tunnels
// with each other never fill the responder's half-open slots (which would make it drop first messages).
inline constexpr size_t max_initiating = 128;
// SAs to negotiate that wait for a half-open slot of their own (beyond, acquires are dropped: pfed asks
// again).
inline constexpr size_t max_queued_initiations = 16384;

// When an established IKE SA is renegotiated, as a fraction of its lifetime: the side that initiated it
// first, the responder later as a fallback, so the two rarely collide.
inline constexpr unsigned ike_rekey_percent_initiator = 85;
inline constexpr unsigned ike_rekey_percent_responder = 92;

class Kmd final : public EventSink {
  public:
    using Clock = std::chrono::steady_clock;
    // The clock lifetimes are measured with (tests move it forward to reach an IKE SA's rekey time).
    using Now = std::function<Clock::time_point()>;

    Kmd(Daemon& daemon, std::shared_ptr<const config::Schema> schema, Now now = {});
    ~Kmd() override;
    // Registers the hooks, RPCs and packet/notification handlers; fetches the configuration and polls pfed.
    void start();

    void on_event(const Event& event) override;

  private:
    struct Binding {
        std::string pic, sa_name, source, destination;
        bool online = false;
        bool operator==(const Binding&) const = default;
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
        Clock::time_point installed_at;
        bool rekeyed = false;  // a newer child of the same SA name replaced it
    };

    Clock::time_point now() const { return now_ ? now_() : Clock::now(); }

    // Configuration.
    void fetch_configuration();
    // Runs `then` once the committed configuration is loaded (now, or after fetching it: fetched_now).
    void when_configured(std::function<void(bool fetched_now)> then);
    void use_configuration(const config::Node& tree);
    // The pkid-backed signer of the policy for `peer` (null for pre-shared keys).
    std::shared_ptr<const SignatureProvider> signer_for(const std::string& peer) const;
    // pfed: bindings, epoch, subscription.
    void poll_pfed();
    void schedule_poll(std::chrono::milliseconds delay);
    const Binding* binding_for(const std::string& sa_name) const;
    // Datagrams (packet frames on the IKE channel).
    void on_packet(const ipc::PacketMeta& meta, std::span<const std::uint8_t> data);
    void send(IkeEntry& entry, const std::vector<Bytes>& datagrams);
    void start_responder(const std::string& local, const std::string& remote, std::uint16_t local_port,
                         std::uint16_t remote_port, const Bytes& data);
    // A new phase 1 as initiator (for an SA name waiting on it, or to replace an ageing IKE SA).
    IkeEntry* start_initiator(const std::string& local, const std::string& remote,
                              const IkePolicyConfig& policy, bool rekey);
    void add_ike(std::unique_ptr<IkeEntry> entry);
    void after_phase1_step(std::uint64_t id, Step step);
    void arm_phase1_timer(IkeEntry& entry);
    void phase1_established(IkeEntry& entry);
    void phase1_failed(IkeEntry& entry, const std::string& why);
    void mark_dead(IkeEntry& entry);
    void uncount_half_open(IkeEntry& entry);
    void erase_ike(std::uint64_t id);
    struct Ports {
        std::uint16_t local = 500, remote = 500;
    };
    void handle_established(IkeEntry& entry, const Bytes& data, const isakmp::Header& header, Ports ports);
    void handle_informational(IkeEntry& entry, const Bytes& data, Ports ports);
    // Quick mode.
    void start_quick_mode(std::uint64_t ike_id, const std::string& sa_name);
    void respond_quick_mode(std::uint64_t ike_id, std::uint32_t message_id, Bytes data);
    void after_quick_step(std::uint64_t ike_id, std::uint32_t message_id, Step step);
    void arm_quick_timer(IkeEntry& entry, QuickEntry& qe);
    void quick_established(IkeEntry& entry, QuickEntry& qe);
    void child_installed(std::uint64_t ike_id, const std::string& peer, const std::string& name,
                         const ChildSa& child);
    void allocate_spis(
        const std::string& sa_name, bool want_ah,
        std::function<void(std::optional<std::uint32_t>, std::optional<std::uint32_t>, std::string error)>
            done);
    // Acquire, expiry, deletes.
    void on_acquire(const pugi::xml_node& n);
    void negotiate(const std::string& sa_name);
    void start_queued();
    void sa_expiry(const pugi::xml_node& request, ipc::Responder r);
    void sa_pic_offline(const pugi::xml_node& request, ipc::Responder r);
    void delete_children(const std::vector<std::uint64_t>& child_ids, bool tell_peer);
    void erase_child(std::map<std::uint64_t, Child>::iterator it);
    void remove_ike(std::uint64_t id, bool tell_peer, const std::string& why);
    void housekeeping();
    void rekey_ike_sas();
    // Operational commands.
    void show(const pugi::xml_node& request, ipc::Responder r);
    void clear(const pugi::xml_node& request, ipc::Responder r);
    // Tracing: `tracing(flag)` first, so that lines nobody reads are not even formatted.
    bool tracing(const char* flag) const { return trace_.is_open() && config_.trace.on(flag); }
    void trace(const char* flag, const std::string& line);

    IkeEntry* find_ike(std::uint64_t id);
    IkeEntry* find_by_cookie(const isakmp::Cookie& icookie);
    // The newest established IKE SA with `peer` (quick modes and deletes go there), or null.
    IkeEntry* established_with(const std::string& peer);
    size_t half_open(const std::string& peer) const;
    bool has_children_with(const std::string& peer) const;  // any child SA, replaced ones included

    Daemon& daemon_;
    Now now_;
    config::OwnedConfiguration owned_;
    bool have_configuration_ = false;
    bool fetching_configuration_ = false;
    std::vector<std::function<void(bool)>> waiting_for_configuration_;
    KmdConfig config_;
    std::map<std::string, std::shared_ptr<PkidSigner>> signers_;  // by policy (peer address)
    std::unique_ptr<CryptoProvider> crypto_;
    std::map<std::string, Binding> bindings_;                                     // by SA name
    std::unordered_map<std::string, std::vector<std::string>> sa_names_by_peer_;  // online bindings
    std::string pfed_epoch_;
    bool subscribed_ = false;
    std::uint64_t next_id_ = 1;
    // IKE SAs by id, and indexes into them: by initiator cookie, and by peer address (dead ones included
    // until they are erased).
    std::map<std::uint64_t, std::unique_ptr<IkeEntry>> ikes_;
    std::unordered_map<std::uint64_t, std::uint64_t> ike_by_cookie_;
    std::unordered_map<std::string, std::vector<std::uint64_t>> ikes_by_peer_;
    size_t half_open_initiators_ = 0;           // of which we initiated
    size_t half_open_total_ = 0;                // neither established nor dead
    std::deque<std::uint64_t> responder_fifo_;  // responder negotiations in the order they started
    // Child SAs by id, and by SA name and by (direction, SPI).
    std::map<std::uint64_t, Child> children_;
    std::unordered_map<std::string, std::vector<std::uint64_t>> children_by_name_;
    std::unordered_multimap<std::uint64_t, std::uint64_t> children_by_spi_;
    std::unordered_map<std::string, size_t> children_per_peer_;
    std::set<std::string> negotiating_;  // SA names with a negotiation under way
    std::deque<std::string> queued_;     // SA names waiting for a half-open slot, in order
    std::set<std::string> queued_names_;
    bool start_queued_posted_ = false;
    std::map<std::string, Clock::time_point> last_failure_;  // by SA name
    TraceFile trace_;
    std::string trace_key_;  // path/files/size the trace file was opened with
    boost::asio::steady_timer poll_timer_;
    boost::asio::steady_timer config_timer_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted work checks that kmd still exists
};

}  // namespace msim::kmd
