// IKE datagrams and SA acquires between pfed's forwarding engine and kmd (see ike_service.hpp).
#include "msim/pfed/ike_service.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>

#include "msim/common/hex.hpp"
#include "msim/common/xml.hpp"

namespace msim::pfed {

namespace dp = msim::dataplane;

namespace {

constexpr uint16_t kIkePort = 500;
constexpr uint16_t kNatTPort = 4500;
constexpr size_t kMarker = 4;  // RFC 3948 non-ESP marker: four zero bytes before IKE on 4500
// The largest UDP payload of one IPv4 datagram (65535 - 20 - 8).
constexpr size_t kMaxUdpPayload = 65507;

std::optional<uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<uint16_t>(value);
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

}  // namespace

std::string to_hex(std::span<const uint8_t> bytes) {
    return msim::to_hex(bytes);
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view text) {
    return msim::from_hex(text);
}

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
    daemon_.register_rpc("send-ike-datagram", [this](const pugi::xml_node& request, ipc::Responder r) {
        const std::string error = send(request);
        if (error.empty()) {
            r.reply_ok();
        } else {
            r.error(error);
        }
    });
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
    pugi::xml_document doc;
    auto e = doc.append_child("ike-datagram");
    xml::append_text(e, "local", dg.destination.to_string());
    xml::append_text(e, "local-port", std::to_string(dg.destination_port));
    xml::append_text(e, "remote", dg.source.to_string());
    xml::append_text(e, "remote-port", std::to_string(dg.source_port));
    xml::append_text(e, "unit", dg.unit);
    xml::append_text(e, "data", to_hex(ike));
    notify(e);
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

std::optional<IkeSend> parse_send_ike_datagram(const pugi::xml_node& request,
                                               const dp::ForwardingEngine& engine, std::string& error) {
    auto fail = [&error](std::string message) -> std::optional<IkeSend> {
        error = std::move(message);
        return std::nullopt;
    };
    const std::string local_text = trimmed(request.child_value("local"));
    const std::string remote_text = trimmed(request.child_value("remote"));
    const std::string local_port_text = trimmed(request.child_value("local-port"));
    const std::string remote_port_text = trimmed(request.child_value("remote-port"));
    IkeSend out;
    auto local = dp::Ipv4Address::parse(local_text);
    if (!local) {
        return fail(local_text.empty() ? "missing local address"
                                       : "invalid local address '" + local_text + "'");
    }
    if (!engine.is_local_address(*local)) {
        return fail(local_text + " is not a local address");
    }
    auto local_port = parse_port(local_port_text);
    if (!local_port || (*local_port != kIkePort && *local_port != kNatTPort)) {
        return fail("invalid local-port '" + local_port_text + "' (500 or 4500)");
    }
    auto remote = dp::Ipv4Address::parse(remote_text);
    if (!remote) {
        return fail(remote_text.empty() ? "missing remote address"
                                        : "invalid remote address '" + remote_text + "'");
    }
    auto remote_port = parse_port(remote_port_text);
    if (!remote_port) {
        return fail("invalid remote-port '" + remote_port_text + "' (1-65535)");
    }
    const std::string_view hex = request.child_value("data");
    if (hex.empty()) {
        return fail("missing data");
    }
    auto data = from_hex(hex);
    if (!data) {
        return fail("invalid data: not an even number of hex digits");
    }
    const size_t marker = *local_port == kNatTPort ? kMarker : 0;
    if (data->size() + marker > kMaxUdpPayload) {
        return fail("datagram too big: " + std::to_string(data->size()) + " bytes of IKE, at most " +
                    std::to_string(kMaxUdpPayload - marker) + " on port " + std::to_string(*local_port));
    }
    if (marker != 0) {
        data->insert(data->begin(), kMarker, 0);
    }
    out.local = *local;
    out.local_port = *local_port;
    out.remote = *remote;
    out.remote_port = *remote_port;
    out.payload = std::move(*data);
    return out;
}

std::string IkeService::send(const pugi::xml_node& request) {
    std::string error;
    auto datagram = parse_send_ike_datagram(request, engine_, error);
    if (!datagram) {
        return error;
    }
    const std::string remote_text = datagram->remote.to_string();
    const dp::SendResult result = engine_.send_udp(datagram->remote, datagram->local_port,
                                                   datagram->remote_port, datagram->payload, datagram->local);
    switch (result) {
        case dp::SendResult::kSent:
        case dp::SendResult::kPendingArp:
            ++counters_.datagrams_out;
            return {};
        case dp::SendResult::kNoRoute:
            return "no route to " + remote_text;
        case dp::SendResult::kInterfaceDown:
            return "interface toward " + remote_text + " is down";
        case dp::SendResult::kFiltered:
            return "datagram to " + remote_text + " discarded by an output filter";
        case dp::SendResult::kInvalid:
            break;
    }
    return "cannot send to " + remote_text + ": " + std::string(dp::to_string(result));
}

}  // namespace msim::pfed
