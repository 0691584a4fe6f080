// ping, traceroute and monitor traffic as streaming RPCs on pfed. Each running command is a session object
// on pfed's event loop: it sends probes through the forwarding engine, listens to the engine's ICMP
// deliveries (or its packet tap) through PfedContext, reports each result as <rpc-progress>, and replies
// once with its summary when it completes, is cancelled (Ctrl-C in the CLI) or loses its caller.
#include <unistd.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "msim/common/xml.hpp"
#include "msim/dataplane/decode.hpp"
#include "msim/dataplane/protocols.hpp"
#include "msim/pfed/context.hpp"

namespace msim::pfed {

namespace {

namespace dp = msim::dataplane;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using Micros = std::chrono::microseconds;

// mgd relays a streaming call with an idle timeout (10 s): a session that has nothing to report (a quiet
// interface, a ping whose probes are all lost) sends an empty <msim-keepalive/> progress this often. The
// CLI renders it as nothing.
constexpr auto kKeepaliveInterval = 2s;
constexpr uint64_t kMaxCount = 100000;
constexpr size_t kMaxPingSize = 65468;       // Junos' limit: 65535 - 20 (IP) - 8 (ICMP) - 39 reserved
constexpr size_t kTracerouteDataBytes = 12;  // 20 + 8 + 12 = the "40 byte packets" of BSD traceroute
constexpr uint16_t kTracerouteBasePort = 33434;
constexpr int kProbesPerHop = 3;

// ---- request parsing (errors are rpc-error messages) ----

std::optional<uint64_t> parse_uint(std::string_view text) {
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    return std::stoull(std::string(text));
}

// Seconds with an optional fraction ("0.2", "1", "10").
std::optional<Micros> parse_seconds(std::string_view text) {
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789.") != std::string_view::npos ||
        text.find('.') != text.rfind('.') || text == ".") {
        return std::nullopt;
    }
    return Micros(static_cast<int64_t>(std::llround(std::stod(std::string(text)) * 1e6)));
}

struct Range {
    uint64_t low;
    uint64_t high;
};

// Reads the optional numeric element `name`; sets `error` for a bad value.
std::optional<uint64_t> number_arg(const pugi::xml_node& req, const char* name, Range range,
                                   std::string& error) {
    auto node = req.child(name);
    if (!node) {
        return std::nullopt;
    }
    auto v = parse_uint(node.child_value());
    if (!v || *v < range.low || *v > range.high) {
        if (error.empty()) {
            error = std::string("invalid ") + name + " '" + node.child_value() + "': expecting a number in " +
                    std::to_string(range.low) + ".." + std::to_string(range.high);
        }
        return std::nullopt;
    }
    return v;
}

std::optional<Micros> seconds_arg(const pugi::xml_node& req, const char* name, Micros low, Micros high,
                                  std::string& error) {
    auto node = req.child(name);
    if (!node) {
        return std::nullopt;
    }
    auto v = parse_seconds(node.child_value());
    if (!v || *v < low || *v > high) {
        if (error.empty()) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%g..%g", static_cast<double>(low.count()) / 1e6,
                          static_cast<double>(high.count()) / 1e6);
            error =
                std::string("invalid ") + name + " '" + node.child_value() + "': expecting seconds in " + buf;
        }
        return std::nullopt;
    }
    return v;
}

void add_number(pugi::xml_node parent, const char* name, uint64_t value) {
    parent.append_child(name).text().set(static_cast<unsigned long long>(value));
}

// The quoted datagram of an ICMP error (time exceeded, unreachable): its IPv4 header and the first bytes
// of its payload, when they are there.
struct Quoted {
    dp::Ipv4Address destination;
    uint8_t protocol = 0;
    std::span<const uint8_t> payload;  // at least 8 bytes
};

std::optional<Quoted> quoted_datagram(const dp::IcmpEvent& ev) {
    if (ev.header.type != dp::icmp_type::kTimeExceeded &&
        ev.header.type != dp::icmp_type::kDestinationUnreachable) {
        return std::nullopt;
    }
    if (ev.message.size() < dp::kIcmpHeaderSize + dp::kIpv4MinHeader + 8) {
        return std::nullopt;
    }
    auto ip = ev.message.subspan(dp::kIcmpHeaderSize);
    if ((ip[0] >> 4) != 4) {
        return std::nullopt;
    }
    const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
    if (ihl < dp::kIpv4MinHeader || ip.size() < ihl + 8) {
        return std::nullopt;
    }
    return Quoted{dp::Ipv4Address(dp::load_be32(ip.data() + 16)), ip[9], ip.subspan(ihl)};
}

// The text BSD ping and traceroute print for an ICMP error.
std::string icmp_error_text(const dp::IcmpHeader& h) {
    if (h.type == dp::icmp_type::kTimeExceeded) {
        return h.code == 0 ? "Time to live exceeded" : "Frag reassembly time exceeded";
    }
    switch (h.code) {
        case dp::icmp_unreach::kNetwork:
            return "Destination Net Unreachable";
        case dp::icmp_unreach::kHost:
            return "Destination Host Unreachable";
        case dp::icmp_unreach::kProtocol:
            return "Destination Protocol Unreachable";
        case dp::icmp_unreach::kPort:
            return "Destination Port Unreachable";
        case dp::icmp_unreach::kFragmentationNeeded:
            return "frag needed and DF set (MTU " + std::to_string(h.rest & 0xffff) + ")";
        case dp::icmp_unreach::kAdministrativelyProhibited:
            return "Communication prohibited by filter";
        default:
            return "Dest Unreachable, Bad Code: " + std::to_string(h.code);
    }
}

// What sendto(2) would have said about a packet the engine could not send.
std::optional<std::string> send_error_text(dp::SendResult r) {
    switch (r) {
        case dp::SendResult::kSent:
        case dp::SendResult::kPendingArp:
            return std::nullopt;
        case dp::SendResult::kNoRoute:
            return "No route to host";
        case dp::SendResult::kInterfaceDown:
            return "Network is down";
        case dp::SendResult::kFiltered:
            return "Operation not permitted";
        case dp::SendResult::kInvalid:
            return "Invalid argument";
    }
    return "Invalid argument";
}

// A source address must be one of the router's own (BSD ping and traceroute bind(2) to it).
bool is_local_address(const dp::ForwardingEngine& engine, dp::Ipv4Address a) {
    for (const auto& p : engine.interfaces()) {
        for (const auto& u : p.units) {
            for (const auto& addr : u.addresses) {
                if (addr.local.address == a) {
                    return true;
                }
            }
        }
    }
    return false;
}

int64_t micros_since(SteadyClock::time_point t) {
    return std::chrono::duration_cast<Micros>(SteadyClock::now() - t).count();
}

// Shared by the sessions of one pfed: identifiers for ping and traceroute (so concurrent sessions never
// take each other's answers).
struct ToolState {
    uint16_t next_ident;
    uint16_t take_ident() { return next_ident++; }
};

// The part every session shares: the responder, the keepalive, and a once-only finish.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(PfedContext& ctx, ipc::Responder r) : ctx_(ctx), responder_(std::move(r)), keepalive_(ctx.io()) {}
    virtual ~Session() = default;

    // Registers the cancel handler and starts on pfed's thread.
    void launch() {
        std::weak_ptr<Session> weak = weak_from_this();
        responder_.on_cancel([weak, &io = ctx_.io()] {
            boost::asio::post(io, [weak] {
                if (auto s = weak.lock()) {
                    s->finish();
                }
            });
        });
        boost::asio::post(ctx_.io(), [self = shared_from_this()] {
            self->arm_keepalive();
            self->begin();
        });
    }

    void finish() {
        if (finished_) {
            return;
        }
        finished_ = true;
        keepalive_.cancel();
        stop();
        pugi::xml_document doc;
        build_reply(doc);
        responder_.reply(doc);
    }

    // Ends the session with an rpc-error instead of a result.
    void fail(const std::string& message) {
        if (finished_) {
            return;
        }
        finished_ = true;
        keepalive_.cancel();
        stop();
        responder_.error(message);
    }

  protected:
    virtual void begin() = 0;
    virtual void stop() = 0;  // cancel timers, remove listeners
    virtual void build_reply(pugi::xml_document& doc) = 0;

    void progress(const pugi::xml_node& body) {
        if (finished_) {
            return;
        }
        last_progress_ = SteadyClock::now();
        responder_.progress(body);
    }
    // finish() from inside an engine callback would remove a listener while pfed iterates its listeners:
    // finish on the next turn of the loop instead.
    void finish_soon() {
        boost::asio::post(ctx_.io(), [weak = weak_from_this()] {
            if (auto s = weak.lock()) {
                s->finish();
            }
        });
    }
    template <class F>
    void post_self(F f) {
        boost::asio::post(ctx_.io(), [weak = weak_from_this(), f = std::move(f)]() mutable {
            if (auto s = weak.lock()) {
                if (!s->finished_) {
                    f();
                }
            }
        });
    }

    PfedContext& ctx_;
    ipc::Responder responder_;
    bool finished_ = false;

  private:
    void arm_keepalive() {
        keepalive_.expires_after(kKeepaliveInterval);
        keepalive_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec || self->finished_) {
                return;
            }
            if (SteadyClock::now() - self->last_progress_ >= kKeepaliveInterval - 200ms) {
                pugi::xml_document doc;
                self->progress(doc.append_child("msim-keepalive"));
            }
            self->arm_keepalive();
        });
    }

    boost::asio::steady_timer keepalive_;
    SteadyClock::time_point last_progress_ = SteadyClock::now();
};

// ================================================================ ping

struct PingOptions {
    std::string host;
    dp::Ipv4Address target;
    std::optional<uint64_t> count;  // none: until cancelled
    std::optional<dp::Ipv4Address> source;
    bool rapid = false;
    size_t size = 56;
    Micros interval = 1s;
    uint8_t ttl = 64;
    bool dont_fragment = false;
    Micros wait = 1s;
};

class PingSession final : public Session {
  public:
    PingSession(PfedContext& ctx, ipc::Responder r, PingOptions o, uint16_t ident)
        : Session(ctx, std::move(r)), o_(std::move(o)), ident_(ident), timer_(ctx.io()) {}

  private:
    void begin() override {
        if (o_.source && !is_local_address(ctx_.engine(), *o_.source)) {
            fail("ping: bind: Can't assign requested address");
            return;
        }
        std::weak_ptr<Session> weak = weak_from_this();
        listener_ = ctx_.add_icmp_listener([weak](const dp::IcmpEvent& ev) {
            if (auto s = weak.lock()) {
                static_cast<PingSession&>(*s).on_icmp(ev);
            }
        });
        pugi::xml_document doc;
        auto start = doc.append_child("ping-start");
        header(start);
        if (o_.rapid) {
            start.append_child("rapid");
        }
        progress(start);
        send_probe();
    }

    void stop() override {
        timer_.cancel();
        if (listener_) {
            ctx_.remove_icmp_listener(*listener_);
            listener_.reset();
        }
    }

    void header(pugi::xml_node parent) const {
        xml::append_text(parent, "target-host", o_.host);
        xml::append_text(parent, "target-ip", o_.target.to_string());
        add_number(parent, "packet-size", o_.size);
    }

    bool all_sent() const { return o_.count && sent_ >= *o_.count; }

    void send_probe() {
        if (finished_ || all_sent()) {
            return;
        }
        const auto seq = static_cast<uint16_t>(sent_);
        dp::EchoRequest req;
        req.destination = o_.target;
        req.source = o_.source;
        req.identifier = ident_;
        req.sequence = seq;
        req.payload_size = o_.size;
        req.ttl = o_.ttl;
        req.dont_fragment = o_.dont_fragment;
        outstanding_[seq] = SteadyClock::now();
        current_ = seq;
        ++sent_;
        const auto result = ctx_.engine().send_echo_request(req);
        if (auto err = send_error_text(result)) {
            outstanding_.erase(seq);
            pugi::xml_document doc;
            auto pr = doc.append_child("probe-result");
            add_number(pr, "icmp-sequence", seq);
            xml::append_text(pr, "send-error", "ping: sendto: " + *err);
            progress(pr);
        }
        schedule_after_send(outstanding_.count(seq) == 0);
    }

    // Rapid mode sends the next probe as soon as the previous one is answered (or lost after `wait`); the
    // normal mode sends one per interval and waits `wait` after the last one.
    void schedule_after_send(bool already_answered) {
        Micros delay = o_.interval;
        if (o_.rapid) {
            delay = already_answered ? Micros(0) : o_.wait;
        } else if (all_sent()) {
            if (outstanding_.empty()) {
                finish_soon();
                return;
            }
            delay = o_.wait;
        }
        arm(delay);
    }

    void arm(Micros delay) {
        timer_.expires_after(delay);
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) {
                static_cast<PingSession&>(*self).on_timer();
            }
        });
    }

    void on_timer() {
        if (finished_) {
            return;
        }
        if (o_.rapid && outstanding_.count(current_) != 0) {
            outstanding_.erase(current_);
            pugi::xml_document doc;
            auto pr = doc.append_child("probe-result");
            add_number(pr, "icmp-sequence", current_);
            pr.append_child("timeout");
            progress(pr);
        }
        if (all_sent()) {
            finish();
            return;
        }
        send_probe();
    }

    void on_icmp(const dp::IcmpEvent& ev) {
        if (finished_) {
            return;
        }
        uint16_t seq = 0;
        const bool reply = ev.header.type == dp::icmp_type::kEchoReply;
        if (reply) {
            if (ev.header.identifier() != ident_ || ev.source != o_.target) {
                return;
            }
            seq = ev.header.sequence();
        } else {
            auto q = quoted_datagram(ev);
            if (!q || q->protocol != dp::ip_protocol::kIcmp || q->destination != o_.target ||
                q->payload[0] != dp::icmp_type::kEchoRequest ||
                dp::load_be16(q->payload.data() + 4) != ident_) {
                return;
            }
            seq = dp::load_be16(q->payload.data() + 6);
        }
        auto it = outstanding_.find(seq);
        if (it == outstanding_.end()) {
            return;  // a duplicate, or an answer after rapid mode gave up on it
        }
        const int64_t rtt = micros_since(it->second);
        outstanding_.erase(it);
        pugi::xml_document doc;
        auto pr = doc.append_child("probe-result");
        if (reply) {
            ++received_;
            rtts_.push_back(rtt);
            add_number(pr, "probe-index", received_);
            pr.append_child("probe-success");
            xml::append_text(pr, "ip-address", ev.source.to_string());
            add_number(pr, "icmp-sequence", seq);
            add_number(pr, "time-to-live", ev.ttl);
            add_number(pr, "response-size", ev.message.size());
            add_number(pr, "rtt", static_cast<uint64_t>(rtt));
        } else {
            xml::append_text(pr, "ip-address", ev.source.to_string());
            add_number(pr, "icmp-sequence", seq);
            add_number(pr, "response-size", ev.message.size());
            xml::append_text(pr, "icmp-error", icmp_error_text(ev.header));
            // BSD ping also dumps the returned IP header; the renderer prints it from these bytes.
            auto quoted = ev.message.subspan(dp::kIcmpHeaderSize);
            std::string hex;
            char b[3];
            for (size_t i = 0; i < std::min<size_t>(quoted.size(), 28); ++i) {
                std::snprintf(b, sizeof b, "%02x", quoted[i]);
                hex += b;
            }
            xml::append_text(pr, "msim-returned-header", hex);
        }
        progress(pr);
        if (o_.rapid && seq == current_) {
            // The next probe (or the end) right away. This may run inside send_echo_request (a ping to the
            // router itself is answered synchronously); send_probe's own scheduling then replaces this.
            arm(Micros(0));
        } else if (all_sent() && outstanding_.empty()) {
            finish_soon();
        }
    }

    void build_reply(pugi::xml_document& doc) override {
        auto res = doc.append_child("ping-results");
        header(res);
        auto sum = res.append_child("probe-results-summary");
        add_number(sum, "probes-sent", sent_);
        add_number(sum, "responses-received", received_);
        const uint64_t loss = sent_ == 0 ? 0 : (sent_ - std::min(sent_, received_)) * 100 / sent_;
        add_number(sum, "packet-loss", loss);
        if (!rtts_.empty()) {
            int64_t lo = rtts_.front(), hi = rtts_.front();
            double total = 0, squares = 0;
            for (int64_t r : rtts_) {
                lo = std::min(lo, r);
                hi = std::max(hi, r);
                total += static_cast<double>(r);
                squares += static_cast<double>(r) * static_cast<double>(r);
            }
            const double n = static_cast<double>(rtts_.size());
            const double avg = total / n;
            const double var = std::max(0.0, squares / n - avg * avg);
            add_number(sum, "rtt-minimum", static_cast<uint64_t>(lo));
            add_number(sum, "rtt-maximum", static_cast<uint64_t>(hi));
            add_number(sum, "rtt-average", static_cast<uint64_t>(std::llround(avg)));
            add_number(sum, "rtt-stddev", static_cast<uint64_t>(std::llround(std::sqrt(var))));
        }
    }

    PingOptions o_;
    uint16_t ident_;
    boost::asio::steady_timer timer_;
    std::optional<uint64_t> listener_;
    std::map<uint16_t, SteadyClock::time_point> outstanding_;  // sequence -> sent at
    uint16_t current_ = 0;
    uint64_t sent_ = 0;
    uint64_t received_ = 0;
    std::vector<int64_t> rtts_;
};

// ================================================================ traceroute

struct TracerouteOptions {
    std::string host;
    dp::Ipv4Address target;
    std::optional<dp::Ipv4Address> source;
    unsigned max_hops = 30;
    Micros wait = 5s;
};

class TracerouteSession final : public Session {
  public:
    TracerouteSession(PfedContext& ctx, ipc::Responder r, TracerouteOptions o, uint16_t ident)
        : Session(ctx, std::move(r)),
          o_(std::move(o)),
          port_(static_cast<uint16_t>(0x8000 | ident)),
          timer_(ctx.io()) {}

  private:
    struct Probe {
        std::optional<dp::Ipv4Address> from;
        int64_t rtt = 0;
        uint8_t type = 0;
        uint8_t code = 0;
        std::string send_error;
    };

    void begin() override {
        if (o_.source && !is_local_address(ctx_.engine(), *o_.source)) {
            fail("traceroute: bind: Can't assign requested address");
            return;
        }
        std::weak_ptr<Session> weak = weak_from_this();
        listener_ = ctx_.add_icmp_listener([weak](const dp::IcmpEvent& ev) {
            if (auto s = weak.lock()) {
                static_cast<TracerouteSession&>(*s).on_icmp(ev);
            }
        });
        pugi::xml_document doc;
        auto start = doc.append_child("traceroute-start");
        xml::append_text(start, "target-host", o_.host);
        xml::append_text(start, "target-ip", o_.target.to_string());
        add_number(start, "max-hops", o_.max_hops);
        add_number(start, "packet-size", dp::kIpv4MinHeader + dp::kUdpHeaderSize + kTracerouteDataBytes);
        progress(start);
        send_probe();
    }

    void stop() override {
        timer_.cancel();
        if (listener_) {
            ctx_.remove_icmp_listener(*listener_);
            listener_.reset();
        }
    }

    uint16_t current_port() const { return static_cast<uint16_t>(kTracerouteBasePort + sequence_); }

    void send_probe() {
        if (finished_) {
            return;
        }
        ++sequence_;
        const size_t total = dp::kIpv4MinHeader + dp::kUdpHeaderSize + kTracerouteDataBytes;
        dp::Packet pkt = dp::Packet::zeroed(total);
        dp::Ipv4Header h;
        h.total_length = static_cast<uint16_t>(total);
        h.identification = static_cast<uint16_t>(port_ + sequence_);
        h.ttl = static_cast<uint8_t>(ttl_);
        h.protocol = dp::ip_protocol::kUdp;
        h.source = o_.source.value_or(dp::Ipv4Address{});
        h.destination = o_.target;
        h.write(pkt.data());
        auto segment = pkt.bytes().subspan(dp::kIpv4MinHeader);
        segment[dp::kUdpHeaderSize] = static_cast<uint8_t>(sequence_);  // BSD puts seq and ttl in the data
        segment[dp::kUdpHeaderSize + 1] = static_cast<uint8_t>(ttl_);
        dp::udp_write(segment, h.source, h.destination, port_, current_port());
        // A probe to one of the router's own addresses is answered (port unreachable) before
        // send_datagram returns: be waiting for it already.
        sent_at_ = SteadyClock::now();
        waiting_ = true;
        const auto result = ctx_.engine().send_datagram(std::move(pkt));
        if (auto err = send_error_text(result)) {
            waiting_ = false;
            Probe p;
            p.send_error = "traceroute: sendto: " + *err;
            probes_.push_back(p);
            post_self([this] { next_probe(); });
            return;
        }
        if (!waiting_) {
            return;  // answered already
        }
        timer_.expires_after(o_.wait);
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) {
                auto& t = static_cast<TracerouteSession&>(*self);
                if (!t.finished_ && t.waiting_) {
                    t.waiting_ = false;
                    t.probes_.push_back(Probe{});
                    t.next_probe();
                }
            }
        });
    }

    void on_icmp(const dp::IcmpEvent& ev) {
        if (finished_ || !waiting_) {
            return;
        }
        auto q = quoted_datagram(ev);
        if (!q || q->protocol != dp::ip_protocol::kUdp || q->destination != o_.target ||
            dp::load_be16(q->payload.data()) != port_ ||
            dp::load_be16(q->payload.data() + 2) != current_port()) {
            return;
        }
        waiting_ = false;
        timer_.cancel();
        Probe p;
        p.from = ev.source;
        p.rtt = micros_since(sent_at_);
        p.type = ev.header.type;
        p.code = ev.header.code;
        probes_.push_back(p);
        post_self([this] { next_probe(); });
    }

    void next_probe() {
        if (probes_.size() < kProbesPerHop) {
            send_probe();
            return;
        }
        pugi::xml_document doc;
        auto hop = doc.append_child("hop");
        add_number(hop, "ttl-value", ttl_);
        bool got_there = false;
        int unreachable = 0, send_errors = 0;
        for (const auto& p : probes_) {
            auto pr = hop.append_child("probe-result");
            if (!p.send_error.empty()) {
                ++send_errors;
                xml::append_text(pr, "send-error", p.send_error);
                pr.append_child("timeout");
                continue;
            }
            if (!p.from) {
                pr.append_child("timeout");
                continue;
            }
            xml::append_text(pr, "ip-address", p.from->to_string());
            add_number(pr, "rtt", static_cast<uint64_t>(p.rtt));
            if (p.type == dp::icmp_type::kDestinationUnreachable) {
                if (p.code == dp::icmp_unreach::kPort) {
                    got_there = got_there || *p.from == o_.target;
                } else {
                    ++unreachable;
                    static const char* flags[] = {"!N", "!H", "!P", "", "!F"};
                    const char* flag = p.code < 5 ? flags[p.code] : "!X";
                    xml::append_text(pr, "unreachable-flag",
                                     p.code == dp::icmp_unreach::kAdministrativelyProhibited ? "!X" : flag);
                }
            }
        }
        progress(hop);
        probes_.clear();
        // BSD traceroute stops at the destination, or when most probes of a hop were unreachable.
        if (got_there || unreachable >= kProbesPerHop - 1 || send_errors == kProbesPerHop ||
            ttl_ >= o_.max_hops) {
            finish();
            return;
        }
        ++ttl_;
        send_probe();
    }

    void build_reply(pugi::xml_document& doc) override {
        auto res = doc.append_child("traceroute-results");
        xml::append_text(res, "target-host", o_.host);
        xml::append_text(res, "target-ip", o_.target.to_string());
    }

    TracerouteOptions o_;
    uint16_t port_;  // our source port, which identifies our probes in the quoted datagrams
    boost::asio::steady_timer timer_;
    std::optional<uint64_t> listener_;
    unsigned ttl_ = 1;
    unsigned sequence_ = 0;
    bool waiting_ = false;
    SteadyClock::time_point sent_at_;
    std::vector<Probe> probes_;
};

// ================================================================ monitor traffic

class MonitorSession final : public Session {
  public:
    MonitorSession(PfedContext& ctx, ipc::Responder r, std::string interface, dp::InterfaceKind kind,
                   std::optional<uint64_t> count, bool detail)
        : Session(ctx, std::move(r)),
          interface_(std::move(interface)),
          kind_(kind),
          count_(count),
          detail_(detail) {}

  private:
    void begin() override {
        std::weak_ptr<Session> weak = weak_from_this();
        tap_ = ctx_.add_packet_tap(
            [weak](const std::string& ifname, dp::TapDirection dir, std::span<const uint8_t> frame) {
                if (auto s = weak.lock()) {
                    static_cast<MonitorSession&>(*s).on_frame(ifname, dir, frame);
                }
            });
        pugi::xml_document doc;
        auto start = doc.append_child("monitor-start");
        xml::append_text(start, "interface", interface_);
        if (detail_) {
            start.append_child("detail");
        }
        progress(start);
    }

    void stop() override {
        if (tap_) {
            ctx_.remove_packet_tap(*tap_);
            tap_.reset();
        }
    }

    static std::string time_of_day() {
        const auto now = std::chrono::system_clock::now();
        const std::time_t t = std::chrono::system_clock::to_time_t(now);
        const auto us = std::chrono::duration_cast<Micros>(now.time_since_epoch()).count() % 1000000;
        std::tm tm{};
        ::localtime_r(&t, &tm);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
                      static_cast<long long>(us));
        return buf;
    }

    void on_frame(const std::string& ifname, dp::TapDirection dir, std::span<const uint8_t> frame) {
        if (finished_ || ifname != interface_ || (count_ && packets_ >= *count_)) {
            return;
        }
        ++packets_;
        pugi::xml_document doc;
        auto p = doc.append_child("packet");
        xml::append_text(p, "time", time_of_day());
        xml::append_text(p, "direction", dir == dp::TapDirection::kIn ? "In" : "Out");
        xml::append_text(p, "summary", dp::summarize_frame(kind_, frame));
        add_number(p, "length", frame.size());
        progress(p);
        if (count_ && packets_ >= *count_) {
            finish_soon();
        }
    }

    void build_reply(pugi::xml_document& doc) override {
        auto res = doc.append_child("monitor-traffic-results");
        xml::append_text(res, "interface", interface_);
        add_number(res, "packets", packets_);
    }

    std::string interface_;
    dp::InterfaceKind kind_;
    std::optional<uint64_t> count_;
    bool detail_;
    std::optional<uint64_t> tap_;
    uint64_t packets_ = 0;
};

// ================================================================ the RPC handlers

std::optional<dp::Ipv4Address> address_arg(const pugi::xml_node& req, const char* name, std::string& error) {
    auto node = req.child(name);
    if (!node) {
        return std::nullopt;
    }
    auto a = dp::Ipv4Address::parse(node.child_value());
    if (!a && error.empty()) {
        error = std::string("invalid ") + name + " address '" + node.child_value() + "'";
    }
    return a;
}

void handle_ping(Daemon& daemon, PfedContext& ctx, ToolState& state, const pugi::xml_node& req,
                 ipc::Responder r) {
    if (!req.first_child()) {
        // A bare <ping/> is every daemon's liveness check; keep answering it as the built-in does.
        pugi::xml_document doc;
        auto pong = doc.append_child("pong");
        xml::append_text(pong, "daemon", daemon.name());
        xml::append_text(pong, "pid", std::to_string(::getpid()));
        r.reply(doc);
        return;
    }
    PingOptions o;
    o.host = req.child_value("host");
    if (o.host.empty()) {
        r.error("ping: missing host");
        return;
    }
    auto target = dp::Ipv4Address::parse(o.host);
    if (!target) {
        r.error("ping: cannot resolve " + o.host + ": Unknown host");
        return;
    }
    o.target = *target;
    std::string error;
    o.rapid = static_cast<bool>(req.child("rapid"));
    o.count = number_arg(req, "count", {1, kMaxCount}, error);
    if (!o.count && o.rapid && !req.child("count")) {
        o.count = 5;  // Junos: rapid pings default to 5 probes
    }
    o.source = address_arg(req, "source", error);
    if (auto v = number_arg(req, "size", {0, kMaxPingSize}, error)) {
        o.size = *v;
    }
    if (auto v = seconds_arg(req, "interval", o.rapid ? Micros(0) : Micros(100ms), Micros(10s), error)) {
        o.interval = *v;
    }
    if (auto v = number_arg(req, "ttl", {1, 255}, error)) {
        o.ttl = static_cast<uint8_t>(*v);
    }
    o.dont_fragment = static_cast<bool>(req.child("do-not-fragment"));
    if (auto v = seconds_arg(req, "wait", Micros(1s), Micros(60s), error)) {
        o.wait = *v;
    }
    if (!error.empty()) {
        r.error(error);
        return;
    }
    auto s = std::make_shared<PingSession>(ctx, r, std::move(o), state.take_ident());
    s->launch();
}

void handle_traceroute(PfedContext& ctx, ToolState& state, const pugi::xml_node& req, ipc::Responder r) {
    TracerouteOptions o;
    o.host = req.child_value("host");
    if (o.host.empty()) {
        r.error("traceroute: missing host");
        return;
    }
    auto target = dp::Ipv4Address::parse(o.host);
    if (!target) {
        r.error("traceroute: unknown host " + o.host);
        return;
    }
    o.target = *target;
    std::string error;
    o.source = address_arg(req, "source", error);
    if (auto v = number_arg(req, "ttl", {1, 255}, error)) {
        o.max_hops = static_cast<unsigned>(*v);
    }
    if (auto v = seconds_arg(req, "wait", Micros(1s), Micros(86400s), error)) {
        o.wait = *v;
    }
    if (!error.empty()) {
        r.error(error);
        return;
    }
    auto s = std::make_shared<TracerouteSession>(ctx, r, std::move(o), state.take_ident());
    s->launch();
}

void handle_monitor(PfedContext& ctx, const pugi::xml_node& req, ipc::Responder r) {
    std::string name = req.child_value("interface");
    if (name.empty()) {
        r.error("monitor traffic: missing interface");
        return;
    }
    // `monitor traffic interface fe-0/0/1.0` watches the physical interface of that unit.
    std::string physical = name;
    auto kind = ctx.interface_kind(physical);
    if (!kind && name.find('.') != std::string::npos) {
        physical = name.substr(0, name.find('.'));
        kind = ctx.interface_kind(physical);
    }
    if (!kind) {
        r.error("interface " + name + " not found");
        return;
    }
    std::string error;
    auto count = number_arg(req, "count", {1, kMaxCount}, error);
    if (!error.empty()) {
        r.error(error);
        return;
    }
    auto s = std::make_shared<MonitorSession>(ctx, r, physical, *kind, count,
                                              req.child("detail") || req.child("extensive"));
    s->launch();
}

}  // namespace

void register_operational_tools(Daemon& daemon, PfedContext& context) {
    // Identifiers start from the pid, as BSD ping's do, so two routers on one host differ.
    auto state = std::make_shared<ToolState>(ToolState{static_cast<uint16_t>(::getpid())});
    daemon.register_rpc("ping", [&daemon, &context, state](const pugi::xml_node& req, ipc::Responder r) {
        handle_ping(daemon, context, *state, req, std::move(r));
    });
    daemon.register_rpc("traceroute", [&context, state](const pugi::xml_node& req, ipc::Responder r) {
        handle_traceroute(context, *state, req, std::move(r));
    });
    daemon.register_rpc("monitor-traffic", [&context](const pugi::xml_node& req, ipc::Responder r) {
        handle_monitor(context, req, std::move(r));
    });
}

}  // namespace msim::pfed
