// The ARP cache of the engine: (logical unit, IPv4 address) -> MAC with an expiry time. Time is passed in by
// the caller (the engine's injected clock), so aging is deterministic under test.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "msim/dataplane/types.hpp"

namespace msim::dataplane {

class ArpCache {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    struct Entry {
        uint32_t unit = 0;  // logical interface index
        Ipv4Address address;
        MacAddress mac;
        TimePoint expires;
    };

    // Junos ages ARP entries after 20 minutes by default (`system arp aging-timer`).
    explicit ArpCache(std::chrono::seconds timeout = std::chrono::minutes(20)) : timeout_(timeout) {}

    void set_timeout(std::chrono::seconds timeout) { timeout_ = timeout; }
    std::chrono::seconds timeout() const { return timeout_; }

    // Inserts or refreshes an entry; its expiry restarts at now + timeout.
    void learn(uint32_t unit, Ipv4Address address, MacAddress mac, TimePoint now);
    // The MAC when a live entry exists (expired entries are ignored even before expire() removes them).
    std::optional<MacAddress> lookup(uint32_t unit, Ipv4Address address, TimePoint now) const;
    bool refresh_if_present(uint32_t unit, Ipv4Address address, MacAddress mac, TimePoint now);
    // Removes entries whose time has come; returns how many.
    size_t expire(TimePoint now);
    void remove_unit(uint32_t unit);
    void clear() { entries_.clear(); }
    size_t size() const { return entries_.size(); }
    // Sorted by unit, then address.
    std::vector<Entry> entries() const;

  private:
    static uint64_t key(uint32_t unit, Ipv4Address address) { return (uint64_t{unit} << 32) | address.value; }

    std::chrono::seconds timeout_;
    std::unordered_map<uint64_t, Entry> entries_;
};

}  // namespace msim::dataplane
