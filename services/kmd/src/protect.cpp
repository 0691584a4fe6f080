#include "protect.hpp"

#include <openssl/crypto.h>

namespace msim::kmd::detail {

Bytes concat(std::initializer_list<ByteView> parts) {
    std::size_t n = 0;
    for (auto p : parts)
        n += p.size();
    Bytes out;
    out.reserve(n);
    for (auto p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes be32(std::uint32_t v) {
    return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

Result<Sealed> seal(const CryptoProvider& c, EncryptionAlgorithm alg, ByteView key, ByteView iv,
                    isakmp::Header header, const std::vector<isakmp::Payload>& payloads) {
    Bytes body = isakmp::encode_payloads(payloads);
    std::size_t block = block_size(alg);
    // RFC 2409 5.3: always pad; zero bytes, the last one holding the number of padding bytes before it.
    std::size_t pad = block - (body.size() % block);
    body.insert(body.end(), pad, 0);
    body.back() = static_cast<std::uint8_t>(pad - 1);
    auto ct = c.encrypt(alg, key, iv, body);
    if (!ct)
        return ct.error();
    header.next_payload =
        payloads.empty() ? isakmp::PayloadType::None : isakmp::payload_type(payloads.front());
    header.flags |= isakmp::flags::Encryption;
    header.length = static_cast<std::uint32_t>(isakmp::kHeaderSize + ct->size());
    Sealed s;
    isakmp::encode_header(header, s.datagram);
    s.datagram.insert(s.datagram.end(), ct->begin(), ct->end());
    s.last_block.assign(ct->end() - static_cast<std::ptrdiff_t>(block), ct->end());
    return s;
}

Result<Opened> open(const CryptoProvider& c, EncryptionAlgorithm alg, ByteView key, ByteView iv,
                    const isakmp::Packet& packet) {
    std::size_t block = block_size(alg);
    if (packet.body.empty() || packet.body.size() % block != 0)
        return make_error(ErrorCode::Malformed, "encrypted body of " + std::to_string(packet.body.size()) +
                                                    " bytes is not a whole number of " +
                                                    std::to_string(block) + "-byte blocks");
    auto pt = c.decrypt(alg, key, iv, packet.body);
    if (!pt)
        return pt.error();
    Opened o;
    o.header = packet.header;
    o.plaintext = std::move(*pt);
    o.last_block.assign(packet.body.end() - static_cast<std::ptrdiff_t>(block), packet.body.end());
    auto payloads = isakmp::decode_payloads(packet.header.next_payload, o.plaintext, true, &o.raw);
    if (!payloads)
        return payloads.error();
    o.payloads = std::move(*payloads);
    return o;
}

Bytes bytes_after(const std::vector<std::span<const std::uint8_t>>& raw, std::size_t from) {
    if (from >= raw.size())
        return {};
    const std::uint8_t* begin = raw[from].data();
    const std::uint8_t* end = raw.back().data() + raw.back().size();
    return Bytes(begin, end);
}

bool constant_time_equal(ByteView a, ByteView b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string payload_list(const std::vector<isakmp::Payload>& payloads) {
    std::string s;
    for (const auto& p : payloads) {
        if (!s.empty())
            s += ", ";
        s += isakmp::to_string(isakmp::payload_type(p));
    }
    return s;
}

}  // namespace msim::kmd::detail
