// Internal: encryption of ISAKMP bodies (RFC 2408 3.1 / RFC 2409 5.3) and small helpers shared by the
// phase 1, quick mode and informational code.
#pragma once

#include <span>
#include <vector>

#include "msim/kmd/crypto.hpp"
#include "msim/kmd/isakmp.hpp"

namespace msim::kmd::detail {

struct Sealed {
    Bytes datagram;
    Bytes last_block;  // the next IV of this exchange
};

// Encodes `payloads`, pads the body to the cipher block (zeros, last byte = pad length - 1) and encrypts.
Result<Sealed> seal(const CryptoProvider& c, EncryptionAlgorithm alg, ByteView key, ByteView iv,
                    isakmp::Header header, const std::vector<isakmp::Payload>& payloads);

// A decrypted message; `raw` views point into `plaintext`, so an Opened must not be copied.
struct Opened {
    isakmp::Header header;
    Bytes plaintext;
    std::vector<isakmp::Payload> payloads;
    std::vector<std::span<const std::uint8_t>> raw;
    Bytes last_block;
    Opened() = default;
    Opened(const Opened&) = delete;
    Opened& operator=(const Opened&) = delete;
    Opened(Opened&&) = default;
    Opened& operator=(Opened&&) = default;
};

Result<Opened> open(const CryptoProvider& c, EncryptionAlgorithm alg, ByteView key, ByteView iv,
                    const isakmp::Packet& packet);

Bytes concat(std::initializer_list<ByteView> parts);
Bytes be32(std::uint32_t v);

template <typename T>
const T* find_payload(const std::vector<isakmp::Payload>& payloads) {
    for (const auto& p : payloads)
        if (const T* t = std::get_if<T>(&p))
            return t;
    return nullptr;
}

template <typename T>
std::vector<const T*> find_payloads(const std::vector<isakmp::Payload>& payloads) {
    std::vector<const T*> out;
    for (const auto& p : payloads)
        if (const T* t = std::get_if<T>(&p))
            out.push_back(t);
    return out;
}

// Index of the first payload of type T, or payloads.size().
template <typename T>
std::size_t index_of(const std::vector<isakmp::Payload>& payloads) {
    for (std::size_t i = 0; i < payloads.size(); ++i)
        if (std::holds_alternative<T>(payloads[i]))
            return i;
    return payloads.size();
}

// Bytes from the start of raw[from] to the end of raw.back(): what HASH(1)/(2) cover.
Bytes bytes_after(const std::vector<std::span<const std::uint8_t>>& raw, std::size_t from);

bool constant_time_equal(ByteView a, ByteView b);

std::string payload_list(const std::vector<isakmp::Payload>& payloads);

}  // namespace msim::kmd::detail
