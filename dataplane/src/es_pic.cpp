#include "msim/dataplane/es_pic.hpp"

#include <tuple>

namespace msim::dataplane {

namespace {

std::tuple<uint8_t, uint32_t, uint32_t> inbound_key(const ipsec::SaKey& key) {
    return {static_cast<uint8_t>(key.protocol), key.spi, key.destination};
}

}  // namespace

// Forwards every call to the crypto engine and keeps the name bookkeeping the forwarding path needs.
class EsPic::RecordingBackend final : public ipsec::SaBackend {
  public:
    explicit RecordingBackend(EsPic& pic) : pic_(pic) {}

    ipsec::Result<uint32_t> get_spi(ipsec::Protocol protocol, ipsec::Ipv4Address destination) override {
        return engine().get_spi(protocol, destination);
    }
    ipsec::Status add_sa(const ipsec::SaConfig& config) override {
        auto status = engine().add_sa(config);
        if (status.ok()) {
            record(ipsec::key_of(config), config.name);
            if (config.direction == ipsec::Direction::outbound && !config.name.empty()) {
                pic_.release(config.name);  // packets waiting for this SA go now
            }
        }
        return status;
    }
    ipsec::Status update_sa(const ipsec::SaKey& key, const ipsec::SaEndpoints& endpoints) override {
        auto status = engine().update_sa(key, endpoints);
        if (status.ok() && key.direction == ipsec::Direction::inbound &&
            endpoints.destination != key.destination) {
            auto it = pic_.inbound_names_.find(inbound_key(key));
            if (it != pic_.inbound_names_.end()) {
                std::string name = it->second;
                pic_.inbound_names_.erase(it);
                ipsec::SaKey moved = key;
                moved.destination = endpoints.destination;
                pic_.inbound_names_[inbound_key(moved)] = name;
            }
        }
        return status;
    }
    ipsec::Result<ipsec::SaState> query_sa(const ipsec::SaKey& key) const override {
        return pic_.crypto_->query_sa(key);
    }
    ipsec::Status del_sa(const ipsec::SaKey& key) override {
        std::string name;
        if (auto state = engine().query_sa(key)) {
            name = state->config.name;
        }
        auto status = engine().del_sa(key);
        if (status.ok()) {
            forget(key, name);
        }
        return status;
    }
    void flush_sas() override {
        engine().flush_sas();
        pic_.outbound_names_.clear();
        pic_.inbound_names_.clear();
    }
    std::vector<ipsec::SaKey> list_sas() const override { return pic_.crypto_->list_sas(); }
    void set_expiry_listener(ExpiryListener listener) override {
        engine().set_expiry_listener(std::move(listener));
    }
    void poll_lifetimes() override { engine().poll_lifetimes(); }

  private:
    ipsec::IpsecEngine& engine() { return *pic_.crypto_; }

    void record(const ipsec::SaKey& key, const std::string& name) {
        if (key.direction == ipsec::Direction::outbound) {
            if (!name.empty()) {
                ++pic_.outbound_names_[name];
            }
        } else {
            pic_.inbound_names_[inbound_key(key)] = name;
        }
    }
    void forget(const ipsec::SaKey& key, const std::string& name) {
        if (key.direction == ipsec::Direction::outbound) {
            auto it = pic_.outbound_names_.find(name);
            if (it != pic_.outbound_names_.end() && --it->second <= 0) {
                pic_.outbound_names_.erase(it);
            }
        } else {
            pic_.inbound_names_.erase(inbound_key(key));
        }
    }

    EsPic& pic_;
};

EsPic::EsPic(std::string interface, ipsec::IpsecEngine::Clock clock)
    : interface_(std::move(interface)),
      crypto_(std::make_unique<ipsec::IpsecEngine>(std::move(clock))),
      backend_(std::make_unique<RecordingBackend>(*this)),
      scratch_(65535 + ipsec::Packet::default_headroom + ipsec::Packet::default_tailroom) {}

EsPic::~EsPic() = default;

ipsec::SaBackend& EsPic::sa_backend() {
    return *backend_;
}

bool EsPic::has_sa(const std::string& sa_name) const {
    return outbound_names_.count(sa_name) != 0;
}

void EsPic::outbound(Packet&& datagram, const std::string& sa_name, PicContext& ctx) {
    scratch_.assign(datagram.bytes());
    const auto result = crypto_->protect(sa_name, scratch_);
    if (!result.ok()) {
        if (result.drop == ipsec::DropReason::no_sa && !sa_name.empty() && acquire_listener_) {
            hold(std::move(datagram), sa_name, ctx);  // not the steady state: the SA is being negotiated
            return;
        }
        ++counters_.outbound_drops;
        const std::string what = std::string(ipsec::to_string(result.drop));
        ctx.report_once(
            interface_ + " out " + sa_name + " " + what,
            interface_ + ": outbound packet for SA " + (sa_name.empty() ? "(none)" : sa_name) + ": " + what);
        return;
    }
    ++counters_.outbound_packets;
    ctx.send_to_network(Packet(scratch_.bytes()));
}

// ---- SA acquires: packets waiting for a dynamic SA ----

void EsPic::hold(Packet&& datagram, const std::string& sa_name, PicContext& ctx) {
    const TimePoint now = ctx.now();
    auto it = acquires_.find(sa_name);
    if (it == acquires_.end()) {
        it = acquires_.emplace(sa_name, AcquireState{}).first;
    }
    AcquireState& state = it->second;
    expire(state, now);
    if (!state.notified || now - state.last_notified >= kAcquireInterval) {
        // The engine hands PICs valid IPv4 datagrams; the length check only guards the reads.
        const auto bytes = datagram.bytes();
        Acquire acquire{sa_name, interface_, {}, {}, 0};
        if (bytes.size() >= 20) {
            acquire.source = Ipv4Address(load_be32(bytes.data() + 12));
            acquire.destination = Ipv4Address(load_be32(bytes.data() + 16));
            acquire.protocol = bytes[9];
        }
        if (!acquire_listener_(acquire)) {
            ++counters_.outbound_drops;  // nobody negotiates SAs: dropped at once, as without a listener
            if (state.queue.empty()) {
                acquires_.erase(it);
            }
            return;
        }
        ++counters_.acquires;
        state.notified = true;
        state.last_notified = now;
    }
    if (state.queue.size() >= kAcquireQueueLimit) {
        ++counters_.outbound_drops;
        ++counters_.acquire_drops;
        return;
    }
    ++counters_.acquire_queued;
    state.ctx = &ctx;
    state.queue.emplace_back(now + kAcquireHold, std::move(datagram));
}

void EsPic::release(const std::string& sa_name) {
    auto it = acquires_.find(sa_name);
    if (it == acquires_.end()) {
        return;
    }
    // Taken out first: sending may re-enter outbound() (and so hold()) through the engine.
    std::deque<std::pair<TimePoint, Packet>> queue = std::move(it->second.queue);
    PicContext* ctx = it->second.ctx;
    acquires_.erase(it);
    if (queue.empty() || ctx == nullptr) {
        return;
    }
    const TimePoint now = ctx->now();
    for (auto& [deadline, packet] : queue) {
        if (deadline <= now) {
            ++counters_.outbound_drops;
            ++counters_.acquire_drops;
            continue;
        }
        scratch_.assign(packet.bytes());
        if (!crypto_->protect(sa_name, scratch_).ok()) {
            ++counters_.outbound_drops;
            ++counters_.acquire_drops;
            continue;
        }
        ++counters_.outbound_packets;
        ++counters_.acquire_sent;
        ctx->send_to_network(Packet(scratch_.bytes()));
    }
}

void EsPic::expire(AcquireState& state, TimePoint now) {
    while (!state.queue.empty() && state.queue.front().first <= now) {
        state.queue.pop_front();
        ++counters_.outbound_drops;
        ++counters_.acquire_drops;
    }
}

void EsPic::tick(PicContext& ctx) {
    const TimePoint now = ctx.now();
    for (auto it = acquires_.begin(); it != acquires_.end();) {
        expire(it->second, now);
        // A name with nothing held and no recent acquire needs no state: the map stays as small as the
        // set of SA names being negotiated.
        if (it->second.queue.empty() && now - it->second.last_notified >= kAcquireInterval) {
            it = acquires_.erase(it);
        } else {
            ++it;
        }
    }
}

size_t EsPic::acquire_queued() const {
    size_t n = 0;
    for (const auto& [name, state] : acquires_) {
        n += state.queue.size();
    }
    return n;
}

void EsPic::drop_acquire_queues() {
    for (auto& [name, state] : acquires_) {
        counters_.outbound_drops += state.queue.size();
        counters_.acquire_drops += state.queue.size();
    }
    acquires_.clear();
}

bool EsPic::inbound(Packet& datagram, PicContext& ctx) {
    scratch_.assign(datagram.bytes());
    const auto result = crypto_->unprotect(scratch_);
    switch (result.kind) {
        case ipsec::InboundKind::delivered: {
            std::string unit;
            if (result.sa) {
                auto it = inbound_names_.find(inbound_key(*result.sa));
                if (it != inbound_names_.end()) {
                    unit = ctx.unit_for_sa(it->second);
                }
            }
            if (unit.empty() && result.mode == ipsec::Mode::tunnel) {
                unit = interface_ + ".0";  // transport mode with no unit: the router's own traffic
            }
            ++counters_.inbound_packets;
            datagram = Packet();
            ctx.receive_from_pic(Packet(scratch_.bytes()), unit);
            return true;
        }
        case ipsec::InboundKind::nat_keepalive:
            ++counters_.keepalives;
            datagram = Packet();
            return true;
        case ipsec::InboundKind::ike:
        case ipsec::InboundKind::not_ipsec:
            return false;
        case ipsec::InboundKind::dropped:
            if (result.drop == ipsec::DropReason::unknown_spi) {
                return false;  // maybe another PIC's SA; the engine counts it if nobody takes it
            }
            ++counters_.inbound_drops;
            {
                std::string sa = "(unknown)";
                if (result.sa) {
                    auto it = inbound_names_.find(inbound_key(*result.sa));
                    sa = (it != inbound_names_.end() ? it->second + " " : std::string()) + "SPI " +
                         std::to_string(result.sa->spi);
                }
                const std::string what = std::string(ipsec::to_string(result.drop));
                ctx.report_once(interface_ + " in " + sa + " " + what,
                                interface_ + ": inbound packet for SA " + sa + ": " + what);
            }
            datagram = Packet();
            return true;
    }
    return false;
}

}  // namespace msim::dataplane
