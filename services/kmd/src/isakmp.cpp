#include "msim/kmd/isakmp.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace msim::kmd {

const char* to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::Truncated:
            return "truncated";
        case ErrorCode::Malformed:
            return "malformed";
        case ErrorCode::TooLarge:
            return "too large";
        case ErrorCode::UnsupportedVersion:
            return "unsupported version";
        case ErrorCode::UnsupportedExchange:
            return "unsupported exchange";
        case ErrorCode::UnexpectedMessage:
            return "unexpected message";
        case ErrorCode::NoProposalChosen:
            return "no proposal chosen";
        case ErrorCode::InvalidIdInformation:
            return "invalid id information";
        case ErrorCode::AuthenticationFailed:
            return "authentication failed";
        case ErrorCode::PayloadMissing:
            return "payload missing";
        case ErrorCode::CryptoFailure:
            return "crypto failure";
        case ErrorCode::PeerNotified:
            return "peer notified an error";
        case ErrorCode::RetransmitsExhausted:
            return "retransmits exhausted";
    }
    return "unknown";
}

}  // namespace msim::kmd

namespace msim::kmd::isakmp {
namespace {

// Bounds-checked big-endian reader over a span; every read checks the remaining length first.
class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}
    std::size_t remaining() const { return data_.size() - pos_; }
    bool has(std::size_t n) const { return remaining() >= n; }
    std::uint8_t u8() { return data_[pos_++]; }
    std::uint16_t u16() {
        std::uint16_t v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    std::uint32_t u32() {
        std::uint32_t v = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
                          (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
        pos_ += 4;
        return v;
    }
    std::span<const std::uint8_t> take(std::size_t n) {
        auto s = data_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    Bytes bytes(std::size_t n) {
        auto s = take(n);
        return Bytes(s.begin(), s.end());
    }
    Bytes rest() { return bytes(remaining()); }

  private:
    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};

void put8(Bytes& out, std::uint8_t v) {
    out.push_back(v);
}
void put16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put(Bytes& out, std::span<const std::uint8_t> data) {
    out.insert(out.end(), data.begin(), data.end());
}
void patch16(Bytes& out, std::size_t at, std::size_t v) {
    out[at] = static_cast<std::uint8_t>(v >> 8);
    out[at + 1] = static_cast<std::uint8_t>(v);
}

Error truncated(const char* what) {
    return make_error(ErrorCode::Truncated, std::string("truncated ") + what);
}
Error malformed(std::string what) {
    return make_error(ErrorCode::Malformed, std::move(what));
}

// Generic payload header walk shared by the top-level chain and the nested proposal/transform chains.
struct Generic {
    std::uint8_t next;
    std::span<const std::uint8_t> body;
};

Result<Generic> read_generic(Reader& r, const char* what) {
    if (!r.has(4))
        return truncated(what);
    Generic g{};
    g.next = r.u8();
    r.u8();  // reserved
    std::uint16_t len = r.u16();
    if (len < 4)
        return malformed(std::string(what) + " length " + std::to_string(len) + " below 4");
    if (!r.has(len - 4u))
        return make_error(ErrorCode::Truncated, std::string(what) + " length " + std::to_string(len) +
                                                    " exceeds the remaining " +
                                                    std::to_string(r.remaining() + 4) + " bytes");
    g.body = r.take(len - 4u);
    return g;
}

Result<std::vector<Attribute>> decode_attributes(Reader& r) {
    std::vector<Attribute> attrs;
    while (r.remaining() > 0) {
        if (!r.has(4))
            return truncated("data attribute");
        std::uint16_t t = r.u16();
        Attribute a;
        a.type = t & 0x7fff;
        a.basic = (t & 0x8000) != 0;
        std::uint16_t v = r.u16();
        if (a.basic) {
            a.value = v;
        } else {
            if (!r.has(v))
                return truncated("variable-length attribute");
            a.data = r.bytes(v);
        }
        if (attrs.size() >= 256)
            return make_error(ErrorCode::TooLarge, "more than 256 attributes in a transform");
        attrs.push_back(std::move(a));
    }
    return attrs;
}

Result<SaPayload> decode_sa(std::span<const std::uint8_t> body, std::size_t& count) {
    Reader r(body);
    if (!r.has(8))
        return truncated("SA payload");
    SaPayload sa;
    sa.doi = r.u32();
    sa.situation = r.u32();
    if (sa.doi != 1)
        return malformed("SA payload DOI " + std::to_string(sa.doi) + " is not the IPsec DOI");
    if (sa.situation != 1)
        return malformed("SA situation " + std::to_string(sa.situation) + " is not SIT_IDENTITY_ONLY");
    std::uint8_t next = static_cast<std::uint8_t>(PayloadType::Proposal);
    while (next != 0) {
        if (next != static_cast<std::uint8_t>(PayloadType::Proposal))
            return malformed("SA payload holds payload type " + std::to_string(next) +
                             " instead of a proposal");
        if (++count > kMaxPayloads)
            return make_error(ErrorCode::TooLarge, "too many payloads");
        auto g = read_generic(r, "proposal payload");
        if (!g)
            return g.error();
        next = g->next;
        Reader p(g->body);
        if (!p.has(4))
            return truncated("proposal payload");
        Proposal prop;
        prop.number = p.u8();
        std::uint8_t proto = p.u8();
        if (proto < 1 || proto > 4)
            return malformed("proposal protocol id " + std::to_string(proto));
        prop.protocol = static_cast<ProtocolId>(proto);
        std::uint8_t spi_size = p.u8();
        std::uint8_t n_transforms = p.u8();
        if (!p.has(spi_size))
            return truncated("proposal SPI");
        prop.spi = p.bytes(spi_size);
        std::uint8_t tnext = n_transforms ? static_cast<std::uint8_t>(PayloadType::Transform) : 0;
        while (tnext != 0) {
            if (tnext != static_cast<std::uint8_t>(PayloadType::Transform))
                return malformed("proposal holds payload type " + std::to_string(tnext) +
                                 " instead of a transform");
            if (++count > kMaxPayloads)
                return make_error(ErrorCode::TooLarge, "too many payloads");
            auto tg = read_generic(p, "transform payload");
            if (!tg)
                return tg.error();
            tnext = tg->next;
            Reader t(tg->body);
            if (!t.has(4))
                return truncated("transform payload");
            Transform tr;
            tr.number = t.u8();
            tr.id = t.u8();
            t.u16();  // reserved
            auto attrs = decode_attributes(t);
            if (!attrs)
                return attrs.error();
            tr.attributes = std::move(*attrs);
            prop.transforms.push_back(std::move(tr));
        }
        if (p.remaining() != 0)
            return malformed("bytes after the last transform of a proposal");
        if (prop.transforms.size() != n_transforms)
            return malformed("proposal announces " + std::to_string(n_transforms) + " transforms but holds " +
                             std::to_string(prop.transforms.size()));
        sa.proposals.push_back(std::move(prop));
    }
    if (r.remaining() != 0)
        return malformed("bytes after the last proposal of an SA payload");
    if (sa.proposals.empty())
        return malformed("SA payload without proposals");
    return sa;
}

Result<Payload> decode_one(std::uint8_t type, std::span<const std::uint8_t> body, std::size_t& count) {
    Reader r(body);
    switch (static_cast<PayloadType>(type)) {
        case PayloadType::SecurityAssociation: {
            auto sa = decode_sa(body, count);
            if (!sa)
                return sa.error();
            return Payload{std::move(*sa)};
        }
        case PayloadType::KeyExchange:
            if (body.empty())
                return malformed("empty KE payload");
            return Payload{KePayload{r.rest()}};
        case PayloadType::Identification: {
            if (!r.has(4))
                return truncated("ID payload");
            IdPayload id;
            id.type = static_cast<IdType>(r.u8());
            id.protocol = r.u8();
            id.port = r.u16();
            id.data = r.rest();
            return Payload{std::move(id)};
        }
        case PayloadType::Certificate: {
            if (!r.has(1))
                return truncated("CERT payload");
            CertPayload c;
            c.encoding = r.u8();
            c.data = r.rest();
            return Payload{std::move(c)};
        }
        case PayloadType::CertificateRequest: {
            if (!r.has(1))
                return truncated("CERTREQ payload");
            CertRequestPayload c;
            c.encoding = r.u8();
            c.authority = r.rest();
            return Payload{std::move(c)};
        }
        case PayloadType::Hash:
            return Payload{HashPayload{r.rest()}};
        case PayloadType::Signature:
            return Payload{SignaturePayload{r.rest()}};
        case PayloadType::Nonce:
            // RFC 2409 5: nonces are 8 to 256 bytes.
            if (body.size() < 8 || body.size() > 256)
                return malformed("nonce of " + std::to_string(body.size()) + " bytes (8..256 allowed)");
            return Payload{NoncePayload{r.rest()}};
        case PayloadType::Notification: {
            if (!r.has(8))
                return truncated("notification payload");
            NotifyPayload n;
            n.doi = r.u32();
            n.protocol = static_cast<ProtocolId>(r.u8());
            std::uint8_t spi_size = r.u8();
            n.type = r.u16();
            if (!r.has(spi_size))
                return truncated("notification SPI");
            n.spi = r.bytes(spi_size);
            n.data = r.rest();
            return Payload{std::move(n)};
        }
        case PayloadType::Delete: {
            if (!r.has(8))
                return truncated("delete payload");
            DeletePayload d;
            d.doi = r.u32();
            d.protocol = static_cast<ProtocolId>(r.u8());
            d.spi_size = r.u8();
            std::uint16_t n = r.u16();
            if (d.spi_size == 0 && n != 0)
                return malformed("delete payload with zero-size SPIs");
            if (std::size_t{d.spi_size} * n != r.remaining())
                return malformed("delete payload announces " + std::to_string(n) + " SPIs of " +
                                 std::to_string(d.spi_size) + " bytes but holds " +
                                 std::to_string(r.remaining()) + " bytes");
            for (std::uint16_t i = 0; i < n; ++i)
                d.spis.push_back(r.bytes(d.spi_size));
            return Payload{std::move(d)};
        }
        case PayloadType::VendorId:
            return Payload{VendorIdPayload{r.rest()}};
        case PayloadType::NatD:
        case PayloadType::NatDDraft:
            return Payload{NatDPayload{r.rest(), type == static_cast<std::uint8_t>(PayloadType::NatDDraft)}};
        case PayloadType::NatOa:
        case PayloadType::NatOaDraft: {
            if (!r.has(4))
                return truncated("NAT-OA payload");
            NatOaPayload oa;
            oa.type = static_cast<IdType>(r.u8());
            r.u8();
            r.u16();
            oa.address = r.rest();
            oa.draft = type == static_cast<std::uint8_t>(PayloadType::NatOaDraft);
            return Payload{std::move(oa)};
        }
        case PayloadType::Proposal:
        case PayloadType::Transform:
            return malformed(std::string(to_string(static_cast<PayloadType>(type))) +
                             " payload outside an SA");
        case PayloadType::None:
            break;
    }
    return Payload{UnknownPayload{type, r.rest()}};
}

void encode_attributes(const std::vector<Attribute>& attrs, Bytes& out) {
    for (const auto& a : attrs) {
        if (a.basic) {
            put16(out, static_cast<std::uint16_t>(0x8000 | (a.type & 0x7fff)));
            put16(out, a.value);
        } else {
            put16(out, a.type & 0x7fff);
            put16(out, static_cast<std::uint16_t>(a.data.size()));
            put(out, a.data);
        }
    }
}

void encode_sa_body(const SaPayload& sa, Bytes& out) {
    put32(out, sa.doi);
    put32(out, sa.situation);
    for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
        const auto& p = sa.proposals[i];
        std::size_t start = out.size();
        put8(out, i + 1 < sa.proposals.size() ? static_cast<std::uint8_t>(PayloadType::Proposal) : 0);
        put8(out, 0);
        put16(out, 0);
        put8(out, p.number);
        put8(out, static_cast<std::uint8_t>(p.protocol));
        put8(out, static_cast<std::uint8_t>(p.spi.size()));
        put8(out, static_cast<std::uint8_t>(p.transforms.size()));
        put(out, p.spi);
        for (std::size_t j = 0; j < p.transforms.size(); ++j) {
            const auto& t = p.transforms[j];
            std::size_t tstart = out.size();
            put8(out, j + 1 < p.transforms.size() ? static_cast<std::uint8_t>(PayloadType::Transform) : 0);
            put8(out, 0);
            put16(out, 0);
            put8(out, t.number);
            put8(out, t.id);
            put16(out, 0);
            encode_attributes(t.attributes, out);
            patch16(out, tstart + 2, out.size() - tstart);
        }
        patch16(out, start + 2, out.size() - start);
    }
}

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

Attribute Attribute::make_basic(std::uint16_t type, std::uint16_t value) {
    Attribute a;
    a.type = type;
    a.basic = true;
    a.value = value;
    return a;
}

Attribute Attribute::make_number(std::uint16_t type, std::uint64_t value) {
    if (value <= 0xffff)
        return make_basic(type, static_cast<std::uint16_t>(value));
    Attribute a;
    a.type = type;
    a.basic = false;
    int bytes = value > 0xffffffffULL ? 8 : 4;
    for (int i = bytes - 1; i >= 0; --i)
        a.data.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    return a;
}

std::optional<std::uint64_t> Attribute::number() const {
    if (basic)
        return value;
    if (data.empty() || data.size() > 8)
        return std::nullopt;
    std::uint64_t v = 0;
    for (auto b : data)
        v = (v << 8) | b;
    return v;
}

const Attribute* Transform::find(std::uint16_t type) const {
    for (const auto& a : attributes)
        if (a.type == type)
            return &a;
    return nullptr;
}

PayloadType payload_type(const Payload& payload) {
    return std::visit(
        Overloaded{
            [](const SaPayload&) { return PayloadType::SecurityAssociation; },
            [](const KePayload&) { return PayloadType::KeyExchange; },
            [](const IdPayload&) { return PayloadType::Identification; },
            [](const CertPayload&) { return PayloadType::Certificate; },
            [](const CertRequestPayload&) { return PayloadType::CertificateRequest; },
            [](const HashPayload&) { return PayloadType::Hash; },
            [](const SignaturePayload&) { return PayloadType::Signature; },
            [](const NoncePayload&) { return PayloadType::Nonce; },
            [](const NotifyPayload&) { return PayloadType::Notification; },
            [](const DeletePayload&) { return PayloadType::Delete; },
            [](const VendorIdPayload&) { return PayloadType::VendorId; },
            [](const NatDPayload& p) { return p.draft ? PayloadType::NatDDraft : PayloadType::NatD; },
            [](const NatOaPayload& p) { return p.draft ? PayloadType::NatOaDraft : PayloadType::NatOa; },
            [](const UnknownPayload& p) { return static_cast<PayloadType>(p.type); },
        },
        payload);
}

Result<Packet> parse_packet(std::span<const std::uint8_t> datagram) {
    if (datagram.size() < kHeaderSize)
        return make_error(ErrorCode::Truncated, "datagram of " + std::to_string(datagram.size()) +
                                                    " bytes is shorter than an ISAKMP header");
    if (datagram.size() > kMaxMessageSize)
        return make_error(ErrorCode::TooLarge, "datagram of " + std::to_string(datagram.size()) + " bytes");
    Reader r(datagram);
    Packet p;
    std::copy_n(r.take(8).begin(), 8, p.header.initiator_cookie.begin());
    std::copy_n(r.take(8).begin(), 8, p.header.responder_cookie.begin());
    p.header.next_payload = static_cast<PayloadType>(r.u8());
    p.header.version = r.u8();
    p.header.exchange = static_cast<ExchangeType>(r.u8());
    p.header.flags = r.u8();
    p.header.message_id = r.u32();
    p.header.length = r.u32();
    if ((p.header.version >> 4) != 1)
        return make_error(ErrorCode::UnsupportedVersion,
                          "ISAKMP major version " + std::to_string(p.header.version >> 4));
    if (p.header.length < kHeaderSize)
        return malformed("header length " + std::to_string(p.header.length) + " below 28");
    if (p.header.length > datagram.size())
        return make_error(ErrorCode::Truncated, "header length " + std::to_string(p.header.length) +
                                                    " exceeds the datagram of " +
                                                    std::to_string(datagram.size()));
    if (p.header.length != datagram.size())
        return malformed("header length " + std::to_string(p.header.length) +
                         " differs from the datagram of " + std::to_string(datagram.size()));
    if (std::all_of(p.header.initiator_cookie.begin(), p.header.initiator_cookie.end(),
                    [](std::uint8_t b) { return b == 0; }))
        return malformed("zero initiator cookie");
    p.body = datagram.subspan(kHeaderSize, p.header.length - kHeaderSize);
    return p;
}

Result<std::vector<Payload>> decode_payloads(PayloadType first, std::span<const std::uint8_t> body,
                                             bool allow_trailing,
                                             std::vector<std::span<const std::uint8_t>>* raw) {
    std::vector<Payload> out;
    Reader r(body);
    std::uint8_t next = static_cast<std::uint8_t>(first);
    std::size_t count = 0;
    while (next != 0) {
        if (++count > kMaxPayloads)
            return make_error(ErrorCode::TooLarge, "more than " + std::to_string(kMaxPayloads) + " payloads");
        std::uint8_t type = next;
        auto g = read_generic(r, to_string(static_cast<PayloadType>(type)));
        if (!g)
            return g.error();
        next = g->next;
        if (raw)
            raw->push_back(std::span<const std::uint8_t>(g->body.data() - 4, g->body.size() + 4));
        auto p = decode_one(type, g->body, count);
        if (!p)
            return p.error();
        out.push_back(std::move(*p));
    }
    if (!allow_trailing && r.remaining() != 0)
        return malformed(std::to_string(r.remaining()) + " bytes after the last payload");
    return out;
}

Result<Message> decode(std::span<const std::uint8_t> datagram) {
    auto p = parse_packet(datagram);
    if (!p)
        return p.error();
    if (p->header.flags & flags::Encryption)
        return make_error(ErrorCode::UnexpectedMessage, "encrypted message needs the IKE SA keys");
    auto payloads = decode_payloads(p->header.next_payload, p->body, false);
    if (!payloads)
        return payloads.error();
    return Message{p->header, std::move(*payloads)};
}

Bytes encode_attributes(const std::vector<Attribute>& attributes) {
    Bytes out;
    encode_attributes(attributes, out);
    return out;
}

Result<std::vector<Attribute>> decode_attributes(std::span<const std::uint8_t> data) {
    Reader r(data);
    return decode_attributes(r);
}

Bytes encode_payload_body(const Payload& payload) {
    Bytes out;
    std::visit(Overloaded{
                   [&](const SaPayload& p) { encode_sa_body(p, out); },
                   [&](const KePayload& p) { put(out, p.data); },
                   [&](const IdPayload& p) {
                       put8(out, static_cast<std::uint8_t>(p.type));
                       put8(out, p.protocol);
                       put16(out, p.port);
                       put(out, p.data);
                   },
                   [&](const CertPayload& p) {
                       put8(out, p.encoding);
                       put(out, p.data);
                   },
                   [&](const CertRequestPayload& p) {
                       put8(out, p.encoding);
                       put(out, p.authority);
                   },
                   [&](const HashPayload& p) { put(out, p.data); },
                   [&](const SignaturePayload& p) { put(out, p.data); },
                   [&](const NoncePayload& p) { put(out, p.data); },
                   [&](const NotifyPayload& p) {
                       put32(out, p.doi);
                       put8(out, static_cast<std::uint8_t>(p.protocol));
                       put8(out, static_cast<std::uint8_t>(p.spi.size()));
                       put16(out, p.type);
                       put(out, p.spi);
                       put(out, p.data);
                   },
                   [&](const DeletePayload& p) {
                       put32(out, p.doi);
                       put8(out, static_cast<std::uint8_t>(p.protocol));
                       put8(out, p.spi_size);
                       put16(out, static_cast<std::uint16_t>(p.spis.size()));
                       for (const auto& s : p.spis)
                           put(out, s);
                   },
                   [&](const VendorIdPayload& p) { put(out, p.data); },
                   [&](const NatDPayload& p) { put(out, p.hash); },
                   [&](const NatOaPayload& p) {
                       put8(out, static_cast<std::uint8_t>(p.type));
                       put8(out, 0);
                       put16(out, 0);
                       put(out, p.address);
                   },
                   [&](const UnknownPayload& p) { put(out, p.body); },
               },
               payload);
    return out;
}

Bytes encode_payloads(const std::vector<Payload>& payloads) {
    Bytes out;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        Bytes body = encode_payload_body(payloads[i]);
        put8(out, i + 1 < payloads.size() ? static_cast<std::uint8_t>(payload_type(payloads[i + 1])) : 0);
        put8(out, 0);
        put16(out, static_cast<std::uint16_t>(body.size() + 4));
        put(out, body);
    }
    return out;
}

void encode_header(const Header& h, Bytes& out) {
    put(out, h.initiator_cookie);
    put(out, h.responder_cookie);
    put8(out, static_cast<std::uint8_t>(h.next_payload));
    put8(out, h.version);
    put8(out, static_cast<std::uint8_t>(h.exchange));
    put8(out, h.flags);
    put32(out, h.message_id);
    put32(out, h.length);
}

Bytes encode(const Header& header, const std::vector<Payload>& payloads) {
    Header h = header;
    h.next_payload = payloads.empty() ? PayloadType::None : payload_type(payloads.front());
    Bytes body = encode_payloads(payloads);
    h.length = static_cast<std::uint32_t>(kHeaderSize + body.size());
    Bytes out;
    out.reserve(h.length);
    encode_header(h, out);
    put(out, body);
    return out;
}

namespace {
Bytes md5_of(std::string_view text) {
    Bytes out(16);
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_md5(), nullptr);
    return out;
}
bool starts_with(std::span<const std::uint8_t> vid, const Bytes& prefix) {
    return vid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), vid.begin());
}
bool equals(std::span<const std::uint8_t> vid, const Bytes& value) {
    return vid.size() == value.size() && std::equal(value.begin(), value.end(), vid.begin());
}
}  // namespace

Bytes vendor_id(KnownVendor vendor) {
    switch (vendor) {
        case KnownVendor::NatTraversalRfc3947:
            return md5_of("RFC 3947");
        case KnownVendor::NatTraversalDraft02:
            return md5_of("draft-ietf-ipsec-nat-t-ike-02");
        case KnownVendor::NatTraversalDraft02N:
            return md5_of("draft-ietf-ipsec-nat-t-ike-02\n");
        case KnownVendor::NatTraversalDraft03:
            return md5_of("draft-ietf-ipsec-nat-t-ike-03");
        case KnownVendor::StrongSwan:
            return md5_of("strongSwan");
        case KnownVendor::DeadPeerDetection:
            // RFC 3706: fixed value, major 1 minor 0.
            return {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                    0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};
        case KnownVendor::XAuth:
            return {0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12};
        case KnownVendor::Fragmentation: {
            // MD5("FRAGMENTATION") followed by the capability flags strongSwan sends.
            Bytes v = md5_of("FRAGMENTATION");
            v.insert(v.end(), {0x80, 0x00, 0x00, 0x00});
            return v;
        }
        case KnownVendor::CiscoUnity: {
            Bytes v = md5_of("CISCO-UNITY");
            v[14] = 0x01;  // major version 1, minor 0
            v[15] = 0x00;
            return v;
        }
        case KnownVendor::Unknown:
            break;
    }
    return {};
}

KnownVendor classify_vendor_id(std::span<const std::uint8_t> vid) {
    for (auto v : {KnownVendor::NatTraversalRfc3947, KnownVendor::NatTraversalDraft02,
                   KnownVendor::NatTraversalDraft02N, KnownVendor::NatTraversalDraft03,
                   KnownVendor::StrongSwan, KnownVendor::DeadPeerDetection, KnownVendor::XAuth})
        if (equals(vid, vendor_id(v)))
            return v;
    if (starts_with(vid, md5_of("FRAGMENTATION")))
        return KnownVendor::Fragmentation;
    Bytes unity = vendor_id(KnownVendor::CiscoUnity);
    unity.resize(14);  // the last two bytes carry the version
    if (vid.size() == 16 && starts_with(vid, unity))
        return KnownVendor::CiscoUnity;
    return KnownVendor::Unknown;
}

const char* to_string(KnownVendor vendor) {
    switch (vendor) {
        case KnownVendor::NatTraversalRfc3947:
            return "NAT-T (RFC 3947)";
        case KnownVendor::NatTraversalDraft02:
            return "draft-ietf-ipsec-nat-t-ike-02";
        case KnownVendor::NatTraversalDraft02N:
            return "draft-ietf-ipsec-nat-t-ike-02\\n";
        case KnownVendor::NatTraversalDraft03:
            return "draft-ietf-ipsec-nat-t-ike-03";
        case KnownVendor::DeadPeerDetection:
            return "Dead Peer Detection";
        case KnownVendor::XAuth:
            return "XAuth";
        case KnownVendor::Fragmentation:
            return "FRAGMENTATION";
        case KnownVendor::StrongSwan:
            return "strongSwan";
        case KnownVendor::CiscoUnity:
            return "Cisco Unity";
        case KnownVendor::Unknown:
            break;
    }
    return "unknown";
}

const char* to_string(PayloadType type) {
    switch (type) {
        case PayloadType::None:
            return "none";
        case PayloadType::SecurityAssociation:
            return "SA";
        case PayloadType::Proposal:
            return "proposal";
        case PayloadType::Transform:
            return "transform";
        case PayloadType::KeyExchange:
            return "KE";
        case PayloadType::Identification:
            return "ID";
        case PayloadType::Certificate:
            return "CERT";
        case PayloadType::CertificateRequest:
            return "CERTREQ";
        case PayloadType::Hash:
            return "HASH";
        case PayloadType::Signature:
            return "SIG";
        case PayloadType::Nonce:
            return "NONCE";
        case PayloadType::Notification:
            return "NOTIFY";
        case PayloadType::Delete:
            return "DELETE";
        case PayloadType::VendorId:
            return "VID";
        case PayloadType::NatD:
            return "NAT-D";
        case PayloadType::NatOa:
            return "NAT-OA";
        case PayloadType::NatDDraft:
            return "NAT-D (draft)";
        case PayloadType::NatOaDraft:
            return "NAT-OA (draft)";
    }
    return "unknown payload";
}

}  // namespace msim::kmd::isakmp
