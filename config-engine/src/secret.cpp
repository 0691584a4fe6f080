#include "msim/config/secret.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace msim::config {

namespace {

// The 65-character alphabet, in four families; a salt from family f is followed by 3 - f padding
// characters. Each plaintext byte becomes 2..4 characters whose alphabet distances ("gaps") from the
// previous character, weighted by the cyclic encoding table, sum to the byte value.
constexpr std::string_view kFamilies[] = {"QzF3n6/9CAtpu0O", "B1IREhcSyrleKvMW8LXx", "7N-dVbwsY2g4oaJZGUDj",
                                          "iHkq.mPf5T"};
constexpr std::string_view kAlphabet = "QzF3n6/9CAtpu0OB1IREhcSyrleKvMW8LXx7N-dVbwsY2g4oaJZGUDjiHkq.mPf5T";
constexpr int kAlphabetSize = 65;
const std::array<std::vector<int>, 7> kEncoding = {
    {{1, 4, 32}, {1, 16, 32}, {1, 8, 32}, {1, 64}, {1, 32}, {1, 4, 16, 128}, {1, 32, 64}}};

// Position of each byte in the alphabet (-1: not in it): a table, as decoding looks up every character.
constexpr std::array<int, 256> kIndex = [] {
    std::array<int, 256> t{};
    for (auto& v : t)
        v = -1;
    for (size_t i = 0; i < kAlphabet.size(); ++i)
        t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    return t;
}();

int index_of(char c) {
    return kIndex[static_cast<unsigned char>(c)];
}

int padding_for(char salt) {
    for (int f = 0; f < 4; ++f)
        if (kFamilies[f].find(salt) != std::string_view::npos)
            return 3 - f;
    return -1;
}

// Uniform characters of the alphabet from one draw of random bytes (RAND_bytes is a system call's worth
// of work per call: loading 10,000 keys drew one byte at a time).
class RandomChars {
  public:
    char next() {
        for (;;) {
            if (used_ == bytes_.size()) {
                if (RAND_bytes(bytes_.data(), static_cast<int>(bytes_.size())) != 1)
                    throw std::runtime_error("RAND_bytes failed");
                used_ = 0;
            }
            const unsigned char b = bytes_[used_++];
            if (b < 195)  // 195 = 3 * 65: keep the draw uniform
                return kAlphabet[b % kAlphabetSize];
        }
    }

  private:
    std::array<unsigned char, 16> bytes_{};
    size_t used_ = 16;
};

}  // namespace

bool is_secret_encoded(std::string_view text) {
    return decode_secret(text).has_value();
}

std::string encode_secret(std::string_view plain, char salt, std::string_view padding) {
    const int pad = padding_for(salt);
    if (pad < 0 || padding.size() < static_cast<size_t>(pad))
        throw std::invalid_argument("bad $9$ salt");
    std::string out = "$9$";
    out += salt;
    out.append(padding.substr(0, static_cast<size_t>(pad)));
    char prev = salt;
    for (size_t pos = 0; pos < plain.size(); ++pos) {
        const auto& enc = kEncoding[pos % kEncoding.size()];
        int value = static_cast<unsigned char>(plain[pos]);
        std::vector<int> gaps(enc.size());
        for (size_t i = enc.size(); i-- > 0;) {
            gaps[i] = value / enc[i];
            value %= enc[i];
        }
        for (int g : gaps) {
            const int next = (index_of(prev) + g + 1) % kAlphabetSize;
            prev = kAlphabet[static_cast<size_t>(next)];
            out += prev;
        }
    }
    return out;
}

std::string encode_secret(std::string_view plain) {
    RandomChars random;
    const char salt = random.next();
    std::string padding;
    for (int i = 0; i < 3; ++i)
        padding += random.next();
    return encode_secret(plain, salt, padding);
}

std::optional<std::string> decode_secret(std::string_view encoded) {
    if (encoded.substr(0, 3) != "$9$" || encoded.size() < 4)
        return std::nullopt;
    std::string_view rest = encoded.substr(3);
    for (char c : rest)
        if (index_of(c) < 0)
            return std::nullopt;
    const char salt = rest[0];
    const int pad = padding_for(salt);
    if (rest.size() < 1 + static_cast<size_t>(pad))
        return std::nullopt;
    char prev = salt;
    rest.remove_prefix(1 + static_cast<size_t>(pad));
    std::string out;
    while (!rest.empty()) {
        const auto& enc = kEncoding[out.size() % kEncoding.size()];
        if (rest.size() < enc.size())
            return std::nullopt;
        int value = 0;
        for (size_t i = 0; i < enc.size(); ++i) {
            const int gap =
                ((index_of(rest[i]) - index_of(prev)) % kAlphabetSize + kAlphabetSize) % kAlphabetSize - 1;
            if (gap < 0)
                return std::nullopt;
            value += gap * enc[i];
            prev = rest[i];
        }
        if (value < 0 || value > 255)
            return std::nullopt;
        out += static_cast<char>(value);
        rest.remove_prefix(enc.size());
    }
    return out;
}

}  // namespace msim::config
