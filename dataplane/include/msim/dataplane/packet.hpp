// A packet buffer with headroom, so encapsulation (Ethernet, HDLC, an outer IPv4/ESP header) prepends in
// place instead of copying the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace msim::dataplane {

class Packet {
  public:
    static constexpr size_t kDefaultHeadroom = 96;
    static constexpr size_t kDefaultTailroom = 64;

    Packet() = default;
    // Copies `bytes` into a fresh buffer with `headroom` free bytes in front and `tailroom` behind.
    explicit Packet(std::span<const uint8_t> bytes, size_t headroom = kDefaultHeadroom,
                    size_t tailroom = kDefaultTailroom);
    // A zero-filled packet of `size` bytes.
    static Packet zeroed(size_t size, size_t headroom = kDefaultHeadroom, size_t tailroom = kDefaultTailroom);

    Packet(Packet&&) noexcept = default;
    Packet& operator=(Packet&&) noexcept = default;
    Packet(const Packet&) = delete;
    Packet& operator=(const Packet&) = delete;
    Packet clone() const;

    uint8_t* data() { return buf_.get() + head_; }
    const uint8_t* data() const { return buf_.get() + head_; }
    size_t size() const { return len_; }
    bool empty() const { return len_ == 0; }
    std::span<uint8_t> bytes() { return {data(), len_}; }
    std::span<const uint8_t> bytes() const { return {data(), len_}; }
    size_t headroom() const { return head_; }
    size_t tailroom() const { return cap_ - head_ - len_; }

    // Makes `n` bytes in front of the data part of the packet and returns a pointer to them; reallocates
    // (one copy) only when the headroom is too small.
    uint8_t* push_front(size_t n);
    // Drops `n` bytes from the front; returns false (and changes nothing) when the packet is shorter.
    bool pull_front(size_t n);
    // Shortens the packet to `new_size` bytes; returns false when it is already shorter.
    bool trim(size_t new_size);
    // Grows the packet by `n` bytes at the end and returns a pointer to them (contents unspecified).
    uint8_t* push_back(size_t n);

  private:
    void reallocate(size_t headroom, size_t tailroom);

    std::unique_ptr<uint8_t[]> buf_;
    size_t cap_ = 0;
    size_t head_ = 0;
    size_t len_ = 0;
};

}  // namespace msim::dataplane
