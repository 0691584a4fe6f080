// Longest-prefix-match table: a binary trie over the address bits, nodes in one vector (indices, not
// pointers, so it copies and grows cheaply). Lookup is at most 32 node visits whatever the table size.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "msim/dataplane/types.hpp"

namespace msim::dataplane {

template <class T>
class PrefixTrie {
  public:
    PrefixTrie() { clear(); }

    // Inserts or replaces the value for the network of `prefix` (host bits ignored). True when new.
    bool insert(Ipv4Prefix prefix, T value) {
        const uint32_t node = walk_create(prefix.network());
        if (nodes_[node].value >= 0) {
            values_[nodes_[node].value] = std::move(value);
            return false;
        }
        nodes_[node].value = static_cast<int32_t>(values_.size());
        values_.push_back(std::move(value));
        ++size_;
        return true;
    }

    // Removes the exact prefix. The value slot is released by swapping the last value into its place.
    bool erase(Ipv4Prefix prefix) {
        const int64_t node = find_node(prefix.network());
        if (node < 0 || nodes_[node].value < 0) {
            return false;
        }
        const int32_t slot = nodes_[node].value;
        nodes_[node].value = -1;
        const int32_t last = static_cast<int32_t>(values_.size()) - 1;
        if (slot != last) {
            values_[slot] = std::move(values_[last]);
            nodes_[owner_of(last)].value = slot;
        }
        values_.pop_back();
        --size_;
        return true;
    }

    // Longest match for `address`, or nullptr.
    const T* lookup(Ipv4Address address) const {
        int32_t best = nodes_[0].value;
        uint32_t node = 0;
        for (unsigned depth = 0; depth < 32; ++depth) {
            const uint32_t bit = (address.value >> (31 - depth)) & 1u;
            node = nodes_[node].child[bit];
            if (node == 0) {
                break;
            }
            if (nodes_[node].value >= 0) {
                best = nodes_[node].value;
            }
        }
        return best >= 0 ? &values_[best] : nullptr;
    }

    // The longest matching prefix together with its value.
    std::optional<std::pair<Ipv4Prefix, const T*>> lookup_prefix(Ipv4Address address) const {
        int32_t best = nodes_[0].value;
        uint8_t best_len = 0;
        uint32_t node = 0;
        for (unsigned depth = 0; depth < 32; ++depth) {
            const uint32_t bit = (address.value >> (31 - depth)) & 1u;
            node = nodes_[node].child[bit];
            if (node == 0) {
                break;
            }
            if (nodes_[node].value >= 0) {
                best = nodes_[node].value;
                best_len = static_cast<uint8_t>(depth + 1);
            }
        }
        if (best < 0) {
            return std::nullopt;
        }
        return std::make_pair(Ipv4Prefix{Ipv4Address(address.value & prefix_mask(best_len)), best_len},
                              &values_[best]);
    }

    const T* find(Ipv4Prefix prefix) const {
        const int64_t node = find_node(prefix.network());
        return node >= 0 && nodes_[node].value >= 0 ? &values_[nodes_[node].value] : nullptr;
    }
    T* find(Ipv4Prefix prefix) {
        const int64_t node = find_node(prefix.network());
        return node >= 0 && nodes_[node].value >= 0 ? &values_[nodes_[node].value] : nullptr;
    }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    void clear() {
        nodes_.assign(1, Node{});
        values_.clear();
        size_ = 0;
    }

    // Visits every (prefix, value) in address order, shorter prefixes before longer ones at one address.
    template <class F>
    void for_each(F&& visit) const {
        visit_node(0, 0, 0, visit);
    }

  private:
    struct Node {
        uint32_t child[2] = {0, 0};  // 0 = none (the root is never a child)
        int32_t value = -1;          // index into values_
    };

    uint32_t walk_create(Ipv4Prefix prefix) {
        uint32_t node = 0;
        for (unsigned depth = 0; depth < prefix.length; ++depth) {
            const uint32_t bit = (prefix.address.value >> (31 - depth)) & 1u;
            if (nodes_[node].child[bit] == 0) {
                nodes_[node].child[bit] = static_cast<uint32_t>(nodes_.size());
                nodes_.push_back(Node{});
            }
            node = nodes_[node].child[bit];
        }
        return node;
    }

    int64_t find_node(Ipv4Prefix prefix) const {
        uint32_t node = 0;
        for (unsigned depth = 0; depth < prefix.length; ++depth) {
            const uint32_t bit = (prefix.address.value >> (31 - depth)) & 1u;
            node = nodes_[node].child[bit];
            if (node == 0) {
                return -1;
            }
        }
        return node;
    }

    // Erase is rare (configuration changes), so a linear search for the node holding a slot is fine.
    uint32_t owner_of(int32_t slot) const {
        for (uint32_t i = 0; i < nodes_.size(); ++i) {
            if (nodes_[i].value == slot) {
                return i;
            }
        }
        return 0;
    }

    template <class F>
    void visit_node(uint32_t node, uint32_t bits, unsigned depth, F& visit) const {
        if (nodes_[node].value >= 0) {
            visit(Ipv4Prefix{Ipv4Address(bits), static_cast<uint8_t>(depth)}, values_[nodes_[node].value]);
        }
        for (uint32_t bit = 0; bit < 2; ++bit) {
            const uint32_t child = nodes_[node].child[bit];
            if (child != 0) {
                visit_node(child, bits | (bit << (31 - depth)), depth + 1, visit);
            }
        }
    }

    std::vector<Node> nodes_;
    std::vector<T> values_;
    size_t size_ = 0;
};

}  // namespace msim::dataplane
