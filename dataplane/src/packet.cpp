#include "msim/dataplane/packet.hpp"

#include <cstring>

namespace msim::dataplane {

Packet::Packet(std::span<const uint8_t> bytes, size_t headroom, size_t tailroom)
    : buf_(new uint8_t[headroom + bytes.size() + tailroom]),
      cap_(headroom + bytes.size() + tailroom),
      head_(headroom),
      len_(bytes.size()) {
    if (!bytes.empty()) {
        std::memcpy(buf_.get() + head_, bytes.data(), bytes.size());
    }
}

Packet Packet::zeroed(size_t size, size_t headroom, size_t tailroom) {
    Packet p;
    p.cap_ = headroom + size + tailroom;
    p.buf_.reset(new uint8_t[p.cap_]());
    p.head_ = headroom;
    p.len_ = size;
    return p;
}

Packet Packet::clone() const {
    return Packet(bytes(), head_, tailroom());
}

void Packet::reallocate(size_t headroom, size_t tailroom) {
    const size_t cap = headroom + len_ + tailroom;
    std::unique_ptr<uint8_t[]> buf(new uint8_t[cap]);
    if (len_ != 0) {
        std::memcpy(buf.get() + headroom, data(), len_);
    }
    buf_ = std::move(buf);
    cap_ = cap;
    head_ = headroom;
}

uint8_t* Packet::push_front(size_t n) {
    if (head_ < n) {
        reallocate(n + kDefaultHeadroom, buf_ ? tailroom() : kDefaultTailroom);
    }
    head_ -= n;
    len_ += n;
    return data();
}

bool Packet::pull_front(size_t n) {
    if (n > len_) {
        return false;
    }
    head_ += n;
    len_ -= n;
    return true;
}

bool Packet::trim(size_t new_size) {
    if (new_size > len_) {
        return false;
    }
    len_ = new_size;
    return true;
}

uint8_t* Packet::push_back(size_t n) {
    if (!buf_ || tailroom() < n) {
        reallocate(buf_ ? head_ : kDefaultHeadroom, n + kDefaultTailroom);
    }
    uint8_t* end = data() + len_;
    len_ += n;
    return end;
}

}  // namespace msim::dataplane
