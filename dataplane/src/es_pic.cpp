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
        ++counters_.outbound_drops;
        return;
    }
    ++counters_.outbound_packets;
    ctx.send_to_network(Packet(scratch_.bytes()));
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
            datagram = Packet();
            return true;
    }
    return false;
}

}  // namespace msim::dataplane
