#include "msim/ipsec/packet.hpp"

#include <algorithm>
#include <cstring>

namespace msim::ipsec {

Packet::Packet(std::size_t capacity)
    : storage_(std::max(capacity, default_headroom + default_tailroom)), head_(default_headroom) {}

Packet::Packet(std::span<const std::uint8_t> datagram)
    : Packet(datagram.size() + default_headroom + default_tailroom) {
    assign(datagram);
}

void Packet::assign(std::span<const std::uint8_t> datagram) {
    std::size_t needed = default_headroom + datagram.size() + default_tailroom;
    if (storage_.size() < needed) {
        storage_.resize(needed);
    }
    head_ = default_headroom;
    size_ = datagram.size();
    if (!datagram.empty()) {
        std::memcpy(storage_.data() + head_, datagram.data(), datagram.size());
    }
}

void Packet::regrow(std::size_t front, std::size_t back) {
    std::vector<std::uint8_t> bigger(front + size_ + back);
    if (size_ > 0) {
        std::memcpy(bigger.data() + front, data(), size_);
    }
    storage_.swap(bigger);
    head_ = front;
}

std::uint8_t* Packet::prepend(std::size_t n) {
    if (head_ < n) {
        regrow(n + default_headroom, tailroom() + default_tailroom);
    }
    head_ -= n;
    size_ += n;
    return data();
}

std::uint8_t* Packet::append(std::size_t n) {
    if (tailroom() < n) {
        regrow(head_, n + default_tailroom);
    }
    std::uint8_t* tail = data() + size_;
    size_ += n;
    return tail;
}

void Packet::trim_front(std::size_t n) {
    n = std::min(n, size_);
    head_ += n;
    size_ -= n;
}

void Packet::trim_back(std::size_t n) {
    size_ -= std::min(n, size_);
}

}  // namespace msim::ipsec
