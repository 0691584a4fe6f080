// IKE datagrams and SA acquires between pfed's forwarding engine and kmd (see ike_service.hpp).
#include "msim/pfed/ike_service.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "msim/common/xml.hpp"

namespace msim::pfed {

namespace dp = msim::dataplane;

namespace {

constexpr uint16_t kIkePort = 500;
constexpr uint16_t kNatTPort = 4500;
constexpr size_t kMarker = 4;  // RFC 3948 non-ESP marker: four zero bytes before IKE on 4500
// The largest UDP payload of one IPv4 datagram (65535 - 20 - 8).
constexpr size_t kMaxUdpPayload = 65507;

}  // namespace

IkeService::IkeService(Daemon& daemon, dp::ForwardingEngine& engine) : daemon_(daemon), engine_(engine) {}

IkeService::~IkeService() {
    if (bound_) {
        engine_.unbind_udp(kIkePort);
        engine_.unbind_udp(kNatTPort);
    }
}

void IkeService::register_rpcs() {
    daemon_.register_session_rpc("subscribe-ike",
                                 [this](ipc::Connection& conn, const pugi::xml_node&, ipc::Responder r) {
                                     subscribe(conn);
                                     r.reply_ok();
                                 });
}

void IkeService::packet(ipc::Connection& conn, const ipc::PacketMeta& meta, std::span<const uint8_t> ike) {
    const std::string error = send(meta, ike);
    if (error.empty()) {
        return;
    }
    // The sender learns why (kmd traces it); a packet frame has no reply of its own.
    pugi::xml_document doc;
    auto e = doc.append_child("ike-send-failed");
    xml::append_text(e, "remote", dp::Ipv4Address(meta.destination_address).to_string());
    xml::append_text(e, "remote-port", std::to_string(meta.destination_port));
    xml::append_text(e, "message", error);
    conn.notify(e);
}

void IkeService::subscribe(ipc::Connection& conn) {
    prune();
    const bool known = std::any_of(subscribers_.begin(), subscribers_.end(),
                                   [&](const auto& w) { return w.lock().get() == &conn; });
    if (!known) {
        subscribers_.push_back(conn.shared_from_this());
    }
    if (!bound_) {
        // Nobody else in pfed listens on these ports; a failure would be a bug worth a log line.
        const bool ike = engine_.bind_udp(kIkePort, [this](const dp::UdpDatagram& dg) { datagram(dg); });
        const bool natt = engine_.bind_udp(kNatTPort, [this](const dp::UdpDatagram& dg) { datagram(dg); });
        if (!ike || !natt) {
            daemon_.log().log("cannot listen on UDP 500/4500 for kmd: port already bound");
        }
        bound_ = true;
        daemon_.log().log("IKE subscriber connected: UDP 500 and 4500 open for kmd");
    }
}

void IkeService::connection_closed(const ipc::Connection& conn) {
    std::erase_if(subscribers_, [&](const auto& w) {
        auto c = w.lock();
        return !c || c.get() == &conn;
    });
    prune();
}

void IkeService::prune() {
    std::erase_if(subscribers_, [](const auto& w) {
        auto c = w.lock();
        return !c || !c->is_open();
    });
    if (subscribers_.empty() && bound_ && !unbind_posted_) {
        // Later, from the event loop: this may run inside the engine's UDP handler (a notification whose
        // connection fails at once), which unbinding would destroy while it runs.
        unbind_posted_ = true;
        boost::asio::post(daemon_.io(), [this, alive = std::weak_ptr<int>(alive_)] {
            if (alive.expired()) {
                return;
            }
            unbind_posted_ = false;
            if (subscribers_.empty() && bound_) {
                engine_.unbind_udp(kIkePort);
                engine_.unbind_udp(kNatTPort);
                bound_ = false;
                daemon_.log().log("no IKE subscriber left: UDP 500 and 4500 closed");
            }
        });
    }
}

size_t IkeService::subscribers() {
    prune();
    return subscribers_.size();
}

void IkeService::notify(const pugi::xml_node& body) {
    // A copy: a connection that fails may be forgotten (connection_closed) while we go through the list.
    const std::vector<std::weak_ptr<ipc::Connection>> subscribers = subscribers_;
    for (const auto& w : subscribers) {
        if (auto conn = w.lock(); conn && conn->is_open()) {
            conn->notify(body);
        }
    }
}

void IkeService::send_to_subscribers(const ipc::PacketMeta& meta, std::span<const uint8_t> ike) {
    const std::vector<std::weak_ptr<ipc::Connection>> subscribers = subscribers_;  // see notify()
    for (const auto& w : subscribers) {
        if (auto conn = w.lock(); conn && conn->is_open()) {
            conn->send_packet(meta, ike);
        }
    }
}

void IkeService::datagram(const dp::UdpDatagram& dg) {
    std::span<const uint8_t> ike = dg.payload;
    if (dg.destination_port == kNatTPort) {
        if (ike.size() < kMarker) {
            ++counters_.keepalives_in;  // RFC 3948 §2.3 NAT-keepalive (one 0xFF byte): consumed
            return;
        }
        // The engine gives the PICs every datagram whose first word is not zero (ESP); this is IKE.
        if (dp::load_be32(ike.data()) != 0) {
            return;
        }
        ike = ike.subspan(kMarker);
    }
    ++counters_.datagrams_in;
    ipc::PacketMeta meta;
    meta.channel = static_cast<uint16_t>(ipc::PacketChannel::ike);
    meta.source_address = dg.source.value;
    meta.destination_address = dg.destination.value;
    meta.source_port = dg.source_port;
    meta.destination_port = dg.destination_port;
    send_to_subscribers(meta, ike);
}

bool IkeService::acquire(const dp::EsPic::Acquire& acquire) {
    prune();
    if (subscribers_.empty()) {
        return false;  // nobody negotiates SAs: the ES PIC drops the packet at once
    }
    ++counters_.acquires;
    pugi::xml_document doc;
    auto e = doc.append_child("sa-acquire");
    xml::append_text(e, "sa-name", acquire.sa_name);
    xml::append_text(e, "pic", acquire.pic);
    xml::append_text(e, "source", acquire.source.to_string());
    xml::append_text(e, "destination", acquire.destination.to_string());
    xml::append_text(e, "protocol", std::to_string(acquire.protocol));
    notify(e);
    return true;
}

std::optional<IkeSend> parse_ike_send(const ipc::PacketMeta& meta, std::span<const uint8_t> ike,
                                      const dp::ForwardingEngine& engine, std::string& error) {
    auto fail = [&error](std::string message) -> std::optional<IkeSend> {
        error = std::move(message);
        return std::nullopt;
    };
    if (meta.channel != static_cast<uint16_t>(ipc::PacketChannel::ike)) {
        return fail("not an IKE packet (channel " + std::to_string(meta.channel) + ")");
    }
    const dp::Ipv4Address local(meta.source_address);
    const dp::Ipv4Address remote(meta.destination_address);
    if (!engine.is_local_address(local)) {
        return fail(local.to_string() + " is not a local address");
    }
    if (meta.source_port != kIkePort && meta.source_port != kNatTPort) {
        return fail("invalid local port " + std::to_string(meta.source_port) + " (500 or 4500)");
    }
    if (meta.destination_port == 0) {
        return fail("invalid remote port 0 (1-65535)");
    }
    if (remote.value == 0 || remote.value == 0xffffffffu) {
        return fail("invalid remote address " + remote.to_string());
    }
    if (ike.empty()) {
        return fail("empty IKE datagram");
    }
    const size_t marker = meta.source_port == kNatTPort ? kMarker : 0;
    if (ike.size() + marker > kMaxUdpPayload) {
        return fail("datagram too big: " + std::to_string(ike.size()) + " bytes of IKE, at most " +
                    std::to_string(kMaxUdpPayload - marker) + " on port " + std::to_string(meta.source_port));
    }
    IkeSend out;
    out.local = local;
    out.local_port = meta.source_port;
    out.remote = remote;
    out.remote_port = meta.destination_port;
    out.payload.reserve(marker + ike.size());
    out.payload.insert(out.payload.end(), marker, 0);
    out.payload.insert(out.payload.end(), ike.begin(), ike.end());
    return out;
}

std::string IkeService::send(const ipc::PacketMeta& meta, std::span<const uint8_t> ike) {
    std::string error;
    auto datagram = parse_ike_send(meta, ike, engine_, error);
    if (!datagram) {
        ++counters_.send_failures;
        return error;
    }
    const dp::SendResult result = engine_.send_udp(datagram->remote, datagram->local_port,
                                                   datagram->remote_port, datagram->payload, datagram->local);
    switch (result) {
        case dp::SendResult::kSent:
        case dp::SendResult::kPendingArp:
            ++counters_.datagrams_out;
            return {};
        case dp::SendResult::kNoRoute:
            error = "no route to " + datagram->remote.to_string();
            break;
        case dp::SendResult::kInterfaceDown:
            error = "interface toward " + datagram->remote.to_string() + " is down";
            break;
        case dp::SendResult::kFiltered:
            error = "datagram to " + datagram->remote.to_string() + " discarded by an output filter";
            break;
        case dp::SendResult::kInvalid:
            error =
                "cannot send to " + datagram->remote.to_string() + ": " + std::string(dp::to_string(result));
            break;
    }
    ++counters_.send_failures;
    return error;
}

}  // namespace msim::pfed
