// A byte buffer with headroom and tailroom, so ESP/AH headers are added and removed in place.
//
// The packet path never allocates as long as the buffer was created large enough: a caller keeps one
// Packet per worker and assigns each datagram into it. Growing (when headroom or tailroom run out) is
// correct but allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace msim::ipsec {

class Packet {
  public:
    // Room before and after the datagram: enough for outer IPv4 + UDP + ESP + IV + AH in front, and
    // padding + trailer + ICV behind.
    static constexpr std::size_t default_headroom = 128;
    static constexpr std::size_t default_tailroom = 64;

    explicit Packet(std::size_t capacity = 2048);
    explicit Packet(std::span<const std::uint8_t> datagram);

    // Replaces the contents with a copy of `datagram`, leaving the default headroom in front.
    void assign(std::span<const std::uint8_t> datagram);

    std::uint8_t* data() { return storage_.data() + head_; }
    const std::uint8_t* data() const { return storage_.data() + head_; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::span<std::uint8_t> bytes() { return {data(), size_}; }
    std::span<const std::uint8_t> bytes() const { return {data(), size_}; }

    std::size_t headroom() const { return head_; }
    std::size_t tailroom() const { return storage_.size() - head_ - size_; }

    // Grows the front by n bytes and returns a pointer to them (contents unspecified).
    std::uint8_t* prepend(std::size_t n);
    // Grows the back by n bytes and returns a pointer to them (contents unspecified).
    std::uint8_t* append(std::size_t n);
    // Drop n bytes from the front / back; n must not exceed size().
    void trim_front(std::size_t n);
    void trim_back(std::size_t n);

  private:
    void regrow(std::size_t front, std::size_t back);

    std::vector<std::uint8_t> storage_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

}  // namespace msim::ipsec
