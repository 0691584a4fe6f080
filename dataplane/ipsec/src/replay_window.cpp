#include "msim/ipsec/replay_window.hpp"

#include <algorithm>

namespace msim::ipsec {

ReplayWindow::ReplayWindow(std::uint32_t size) : size_(std::min(size, max_size)) {}

bool ReplayWindow::test(std::uint32_t s) const {
    std::uint32_t bit = s % max_size;
    return (bits_[bit / 64] >> (bit % 64)) & 1U;
}

void ReplayWindow::set(std::uint32_t s) {
    std::uint32_t bit = s % max_size;
    bits_[bit / 64] |= std::uint64_t{1} << (bit % 64);
}

void ReplayWindow::clear(std::uint32_t s) {
    std::uint32_t bit = s % max_size;
    bits_[bit / 64] &= ~(std::uint64_t{1} << (bit % 64));
}

ReplayWindow::Verdict ReplayWindow::check(std::uint32_t sequence) const {
    if (size_ == 0) {
        return Verdict::ok;
    }
    if (sequence == 0) {
        return Verdict::zero;
    }
    if (sequence > top_) {
        return Verdict::ok;
    }
    if (top_ - sequence >= size_) {
        return Verdict::too_old;
    }
    return test(sequence) ? Verdict::duplicate : Verdict::ok;
}

void ReplayWindow::accept(std::uint32_t sequence) {
    if (size_ == 0) {
        top_ = std::max(top_, sequence);
        return;
    }
    if (sequence > top_) {
        std::uint32_t advance = sequence - top_;
        if (advance >= max_size) {
            bits_.fill(0);
        } else {
            // Forget the slots the window slides onto; whole words at a time where possible.
            std::uint32_t s = top_ + 1;
            while (s != sequence + 1) {
                if (s % 64 == 0 && sequence - s >= 63) {
                    bits_[(s % max_size) / 64] = 0;
                    s += 64;
                } else {
                    clear(s);
                    ++s;
                }
            }
        }
        top_ = sequence;
    }
    set(sequence);
}

}  // namespace msim::ipsec
