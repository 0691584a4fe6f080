// The ES PIC model: the ServicePic seam of the forwarding engine on top of the ESP/AH library of
// dataplane/ipsec (msim::ipsec::IpsecEngine). One EsPic per es- interface (per ES PIC).
//
// ipsecd installs SAs through sa_backend() — the narrow strongSwan-style interface of dataplane/ipsec —
// and this class remembers which SA names it carries, so `then ipsec-sa NAME` finds the right PIC and
// decrypted traffic re-enters on the es- unit that names the SA (`family inet ipsec-sa NAME`), or on
// unit 0 of this interface when no unit names it.
//
// SA acquires (dynamic SAs, kmd): a packet steered into SA NAME while this PIC has no outbound SA of that
// name is reported to the acquire listener (at most once per name per second) and, if the listener says
// someone will negotiate, held in a queue of at most 16 packets per name for at most 2 s. Adding an outbound
// SA of that name through sa_backend() sends the queue through it at once; packets that overflow the queue
// or outlive the 2 s are dropped and counted (outbound_drops and acquire_drops). Without a listener, or
// when it declines, the packet is dropped at once as before.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "msim/dataplane/service_pic.hpp"
#include "msim/dataplane/types.hpp"
#include "msim/ipsec/engine.hpp"

namespace msim::dataplane {

class EsPic final : public ServicePic {
  public:
    struct Counters {
        uint64_t outbound_packets = 0;  // protected and sent
        uint64_t outbound_drops = 0;   // protect() refused (no SA, expired, too big, ...), counted per SA too
        uint64_t inbound_packets = 0;  // verified, decapsulated and re-injected
        uint64_t inbound_drops = 0;    // auth failures, replays, bad padding, ... (per SA in the library)
        uint64_t keepalives = 0;       // NAT-T keepalives consumed
        uint64_t acquires = 0;         // acquire notifications given to the listener
        uint64_t acquire_queued = 0;   // packets held for an SA being negotiated
        uint64_t acquire_sent = 0;     // held packets sent once the SA was added
        uint64_t acquire_drops = 0;    // held packets dropped (queue full, 2 s passed, PIC offline)
    };

    static constexpr size_t kAcquireQueueLimit = 16;                    // packets per SA name
    static constexpr std::chrono::milliseconds kAcquireHold{2000};      // how long a packet waits
    static constexpr std::chrono::milliseconds kAcquireInterval{1000};  // between two acquires of a name

    // What a packet without an SA tells the SA negotiator (pfed's <sa-acquire> notification).
    struct Acquire {
        const std::string& sa_name;
        const std::string& pic;  // this PIC's es- interface
        Ipv4Address source;      // of the packet that triggered it
        Ipv4Address destination;
        uint8_t protocol = 0;
    };
    // Returns true when the SA will be negotiated (the packet is then held), false to drop it now.
    using AcquireListener = std::function<bool(const Acquire&)>;

    // `interface` is the es- interface this PIC serves ("es-0/1/0").
    explicit EsPic(std::string interface, ipsec::IpsecEngine::Clock clock = {});
    ~EsPic() override;

    // What ipsecd drives: add/update/query/delete SAs (a recording decorator over the crypto engine).
    ipsec::SaBackend& sa_backend();
    // Direct access for counters and tests.
    ipsec::IpsecEngine& crypto() { return *crypto_; }
    const Counters& counters() const { return counters_; }
    const std::string& interface() const { return interface_; }

    void set_acquire_listener(AcquireListener listener) { acquire_listener_ = std::move(listener); }
    // Packets held for SA names that have no outbound SA yet (all names).
    size_t acquire_queued() const;
    // Drops every held packet (counted): the PIC went offline, or its context is about to go away.
    void drop_acquire_queues();

    // ServicePic
    void outbound(Packet&& datagram, const std::string& sa_name, PicContext& ctx) override;
    bool inbound(Packet& datagram, PicContext& ctx) override;
    bool has_sa(const std::string& sa_name) const override;
    void tick(PicContext& ctx) override;  // drops held packets older than kAcquireHold

  private:
    using TimePoint = std::chrono::steady_clock::time_point;
    struct AcquireState {
        bool notified = false;
        TimePoint last_notified{};
        PicContext* ctx = nullptr;  // the engine that handed over the held packets (sends them later)
        std::deque<std::pair<TimePoint, Packet>> queue;  // (deadline, packet)
    };
    void hold(Packet&& datagram, const std::string& sa_name, PicContext& ctx);
    void release(const std::string& sa_name);  // an outbound SA of that name was added
    void expire(AcquireState& state, TimePoint now);

    class RecordingBackend;
    friend class RecordingBackend;

    std::string interface_;
    std::unique_ptr<ipsec::IpsecEngine> crypto_;
    std::unique_ptr<RecordingBackend> backend_;
    std::map<std::string, int> outbound_names_;  // SA name -> installed outbound SAs with that name
    std::map<std::tuple<uint8_t, uint32_t, uint32_t>, std::string> inbound_names_;  // (proto, spi, dst)
    ipsec::Packet scratch_;  // reused per packet: no allocation in steady state
    Counters counters_;
    AcquireListener acquire_listener_;
    std::map<std::string, AcquireState, std::less<>> acquires_;
};

}  // namespace msim::dataplane
