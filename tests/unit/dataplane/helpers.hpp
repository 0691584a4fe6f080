// Test helpers: a manual clock, frame builders written independently of the library's codecs (so a codec
// bug cannot hide behind itself), and an in-memory network that wires engines together.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "msim/dataplane/engine.hpp"

namespace msim::dataplane::test {

using Bytes = std::vector<uint8_t>;

struct ManualClock {
    TimePoint t{std::chrono::hours(1)};
    std::function<TimePoint()> fn() {
        return [this] { return t; };
    }
    void advance(std::chrono::milliseconds d) { t += d; }
};

inline Ipv4Address ip(const char* text) {
    return *Ipv4Address::parse(text);
}
inline Ipv4Prefix pfx(const char* text) {
    return *Ipv4Prefix::parse(text);
}

// Plain RFC 1071 sum, written out separately from the library's.
inline uint16_t ref_checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (p[i] << 8) | p[i + 1];
    }
    if (n % 2 == 1) {
        sum += p[n - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

inline void put16(Bytes& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}
inline uint16_t get16(const Bytes& b, size_t at) {
    return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
inline uint32_t get32(const Bytes& b, size_t at) {
    return (uint32_t(b[at]) << 24) | (uint32_t(b[at + 1]) << 16) | (uint32_t(b[at + 2]) << 8) | b[at + 3];
}

struct IpOptions {
    uint8_t ttl = 64;
    uint16_t id = 0x1234;
    bool df = false;
    bool mf = false;
    uint16_t frag_offset = 0;
    size_t option_bytes = 0;  // multiple of 4: NOP options
};

inline Bytes ipv4(Ipv4Address src, Ipv4Address dst, uint8_t proto, const Bytes& payload, IpOptions o = {}) {
    const size_t hl = 20 + o.option_bytes;
    Bytes b(hl + payload.size());
    b[0] = static_cast<uint8_t>(0x40 | (hl / 4));
    put16(b, 2, static_cast<uint16_t>(b.size()));
    put16(b, 4, o.id);
    put16(b, 6, static_cast<uint16_t>((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | o.frag_offset));
    b[8] = o.ttl;
    b[9] = proto;
    for (int i = 0; i < 4; ++i) {
        b[12 + i] = static_cast<uint8_t>(src.value >> (24 - 8 * i));
        b[16 + i] = static_cast<uint8_t>(dst.value >> (24 - 8 * i));
    }
    for (size_t i = 20; i < hl; ++i) {
        b[i] = 1;  // NOP
    }
    put16(b, 10, ref_checksum(b.data(), hl));
    std::copy(payload.begin(), payload.end(), b.begin() + static_cast<long>(hl));
    return b;
}

inline Bytes icmp(uint8_t type, uint8_t code, uint16_t id, uint16_t seq, const Bytes& data) {
    Bytes b(8 + data.size());
    b[0] = type;
    b[1] = code;
    put16(b, 4, id);
    put16(b, 6, seq);
    std::copy(data.begin(), data.end(), b.begin() + 8);
    put16(b, 2, ref_checksum(b.data(), b.size()));
    return b;
}

inline Bytes udp(Ipv4Address src, Ipv4Address dst, uint16_t sport, uint16_t dport, const Bytes& data) {
    Bytes b(8 + data.size());
    put16(b, 0, sport);
    put16(b, 2, dport);
    put16(b, 4, static_cast<uint16_t>(b.size()));
    std::copy(data.begin(), data.end(), b.begin() + 8);
    uint32_t pseudo = (src.value >> 16) + (src.value & 0xffff) + (dst.value >> 16) + (dst.value & 0xffff) +
                      17 + static_cast<uint32_t>(b.size());
    uint16_t c = ref_checksum(b.data(), b.size(), pseudo);
    put16(b, 6, c == 0 ? 0xffff : c);
    return b;
}

inline Bytes ethernet(MacAddress dst, MacAddress src, uint16_t type, const Bytes& payload) {
    Bytes b(14 + payload.size());
    std::copy(dst.bytes.begin(), dst.bytes.end(), b.begin());
    std::copy(src.bytes.begin(), src.bytes.end(), b.begin() + 6);
    put16(b, 12, type);
    std::copy(payload.begin(), payload.end(), b.begin() + 14);
    return b;
}

inline Bytes arp(uint16_t op, MacAddress smac, Ipv4Address sip, MacAddress tmac, Ipv4Address tip) {
    Bytes b(28);
    put16(b, 0, 1);
    put16(b, 2, 0x0800);
    b[4] = 6;
    b[5] = 4;
    put16(b, 6, op);
    std::copy(smac.bytes.begin(), smac.bytes.end(), b.begin() + 8);
    for (int i = 0; i < 4; ++i) {
        b[14 + i] = static_cast<uint8_t>(sip.value >> (24 - 8 * i));
        b[24 + i] = static_cast<uint8_t>(tip.value >> (24 - 8 * i));
    }
    std::copy(tmac.bytes.begin(), tmac.bytes.end(), b.begin() + 18);
    return b;
}

inline EchoRequest echo_to(Ipv4Address destination) {
    EchoRequest r;
    r.destination = destination;
    return r;
}

inline MacAddress mac(const char* text) {
    return *MacAddress::parse(text);
}

// Collects every frame an engine emits.
struct Capture {
    std::vector<std::pair<std::string, Bytes>> frames;
    ForwardingEngine::FrameSink sink() {
        return [this](const std::string& ifname, std::span<const uint8_t> f) {
            frames.emplace_back(ifname, Bytes(f.begin(), f.end()));
        };
    }
    void clear() { frames.clear(); }
};

// Strips the Ethernet header of a captured frame and trims padding using the IPv4 total length.
inline Bytes ip_of(const Bytes& frame) {
    Bytes b(frame.begin() + 14, frame.end());
    if (b.size() >= 4) {
        b.resize(std::min<size_t>(b.size(), get16(b, 2)));
    }
    return b;
}

inline UnitConfig unit0(const char* address, const char* destination = nullptr) {
    UnitConfig u;
    u.addresses.push_back({pfx(address), destination ? std::optional(ip(destination)) : std::nullopt});
    return u;
}

// Engines wired back to back in memory. Frames are queued and delivered by run(), so nothing recurses.
class Network {
  public:
    // Sees every frame any engine emits (a capture point), before it is delivered.
    std::function<void(const std::string& node, const std::string& ifname, std::span<const uint8_t>)> tap;

    void add(const std::string& node, ForwardingEngine& engine) {
        engines_[node] = &engine;
        engine.set_frame_sink([this, node](const std::string& ifname, std::span<const uint8_t> f) {
            if (tap) {
                tap(node, ifname, f);
            }
            queue_.emplace_back(node, ifname, Bytes(f.begin(), f.end()));
        });
    }
    void link(const std::string& a, const std::string& a_if, const std::string& b, const std::string& b_if) {
        peers_[{a, a_if}] = {b, b_if};
        peers_[{b, b_if}] = {a, a_if};
        (void)engines_[a]->set_link_up(a_if, true);
        (void)engines_[b]->set_link_up(b_if, true);
    }
    // Delivers queued frames until quiet; returns how many were delivered.
    size_t run(size_t limit = 10000) {
        size_t n = 0;
        while (!queue_.empty() && n < limit) {
            auto [node, ifname, frame] = std::move(queue_.front());
            queue_.pop_front();
            auto it = peers_.find({node, ifname});
            ++n;
            if (it == peers_.end()) {
                continue;
            }
            engines_[it->second.first]->receive(it->second.second, frame);
        }
        return n;
    }
    void tick_all() {
        for (auto& [n, e] : engines_) {
            e->tick();
        }
    }

  private:
    std::map<std::string, ForwardingEngine*> engines_;
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> peers_;
    std::deque<std::tuple<std::string, std::string, Bytes>> queue_;
};

}  // namespace msim::dataplane::test
