// RFC 4303 §3.4.3 / appendix A anti-replay window for 32-bit sequence numbers.
//
// check() is called before the ICV is verified (a cheap early drop) and accept() only after it passed,
// so forged packets can never move the window.
#pragma once

#include <array>
#include <cstdint>

namespace msim::ipsec {

class ReplayWindow {
  public:
    static constexpr std::uint32_t max_size = 1024;

    // size 0 disables the check (every sequence number but 0 is accepted). Sizes above max_size are
    // clamped; callers validate configuration before.
    explicit ReplayWindow(std::uint32_t size = 0);

    enum class Verdict : std::uint8_t { ok, duplicate, too_old, zero };
    Verdict check(std::uint32_t sequence) const;
    // Records an authenticated sequence number; sequence must have passed check().
    void accept(std::uint32_t sequence);

    std::uint32_t size() const { return size_; }
    std::uint32_t highest() const { return top_; }

  private:
    bool test(std::uint32_t sequence) const;
    void set(std::uint32_t sequence);
    void clear(std::uint32_t sequence);

    std::uint32_t size_;
    std::uint32_t top_ = 0;  // highest sequence number accepted so far
    // Bit (s mod max_size) says whether sequence s, within the window below top_, was seen.
    std::array<std::uint64_t, max_size / 64> bits_{};
};

}  // namespace msim::ipsec
