#include "msim/dataplane/arp_cache.hpp"

#include <algorithm>

namespace msim::dataplane {

void ArpCache::learn(uint32_t unit, Ipv4Address address, MacAddress mac, TimePoint now) {
    entries_[key(unit, address)] = Entry{unit, address, mac, now + timeout_};
}

bool ArpCache::refresh_if_present(uint32_t unit, Ipv4Address address, MacAddress mac, TimePoint now) {
    auto it = entries_.find(key(unit, address));
    if (it == entries_.end()) {
        return false;
    }
    it->second.mac = mac;
    it->second.expires = now + timeout_;
    return true;
}

std::optional<MacAddress> ArpCache::lookup(uint32_t unit, Ipv4Address address, TimePoint now) const {
    auto it = entries_.find(key(unit, address));
    if (it == entries_.end() || it->second.expires <= now) {
        return std::nullopt;
    }
    return it->second.mac;
}

size_t ArpCache::expire(TimePoint now) {
    return std::erase_if(entries_, [now](const auto& kv) { return kv.second.expires <= now; });
}

void ArpCache::remove_unit(uint32_t unit) {
    std::erase_if(entries_, [unit](const auto& kv) { return kv.second.unit == unit; });
}

std::vector<ArpCache::Entry> ArpCache::entries() const {
    std::vector<Entry> out;
    out.reserve(entries_.size());
    for (const auto& [k, e] : entries_) {
        out.push_back(e);
    }
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
        return a.unit != b.unit ? a.unit < b.unit : a.address < b.address;
    });
    return out;
}

}  // namespace msim::dataplane
