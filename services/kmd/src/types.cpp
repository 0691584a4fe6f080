#include "msim/kmd/types.hpp"

#include <arpa/inet.h>

#include <openssl/x509.h>

#include <cstdio>
#include <memory>

namespace msim::kmd {

std::string Endpoint::to_string() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", address[0], address[1], address[2], address[3], port);
    return buf;
}

std::optional<Endpoint> Endpoint::parse(const std::string& dotted, std::uint16_t port) {
    Endpoint e;
    if (inet_pton(AF_INET, dotted.c_str(), e.address.data()) != 1)
        return std::nullopt;
    e.port = port;
    return e;
}

Identity Identity::ipv4(const std::array<std::uint8_t, 4>& address) {
    return Identity{isakmp::IdType::Ipv4Addr, Bytes(address.begin(), address.end())};
}
Identity Identity::fqdn(const std::string& name) {
    return Identity{isakmp::IdType::Fqdn, Bytes(name.begin(), name.end())};
}
Identity Identity::user_fqdn(const std::string& name) {
    return Identity{isakmp::IdType::UserFqdn, Bytes(name.begin(), name.end())};
}
Identity Identity::der_dn(Bytes der) {
    return Identity{isakmp::IdType::DerAsn1Dn, std::move(der)};
}

std::string Identity::to_string() const {
    switch (type) {
        case isakmp::IdType::Ipv4Addr:
            if (data.size() == 4) {
                char buf[20];
                std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", data[0], data[1], data[2], data[3]);
                return buf;
            }
            break;
        case isakmp::IdType::Fqdn:
        case isakmp::IdType::UserFqdn:
            return std::string(data.begin(), data.end());
        default:
            break;
    }
    std::string hex = "id-type-" + std::to_string(static_cast<int>(type)) + ":";
    static const char* digits = "0123456789abcdef";
    for (auto b : data) {
        hex += digits[b >> 4];
        hex += digits[b & 15];
    }
    return hex;
}

isakmp::IdPayload TrafficSelector::to_id() const {
    isakmp::IdPayload id;
    id.protocol = protocol;
    id.port = port;
    id.data.assign(address.begin(), address.end());
    if (prefix_length == 32) {
        id.type = isakmp::IdType::Ipv4Addr;
    } else {
        id.type = isakmp::IdType::Ipv4AddrSubnet;
        std::uint32_t mask = prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_length);
        for (int i = 3; i >= 0; --i)
            id.data.push_back(static_cast<std::uint8_t>(mask >> (8 * i)));
    }
    return id;
}

std::optional<TrafficSelector> TrafficSelector::from_id(const isakmp::IdPayload& id) {
    TrafficSelector ts;
    ts.protocol = id.protocol;
    ts.port = id.port;
    if (id.type == isakmp::IdType::Ipv4Addr && id.data.size() == 4) {
        std::copy(id.data.begin(), id.data.end(), ts.address.begin());
        ts.prefix_length = 32;
        return ts;
    }
    if (id.type == isakmp::IdType::Ipv4AddrSubnet && id.data.size() == 8) {
        std::copy(id.data.begin(), id.data.begin() + 4, ts.address.begin());
        std::uint32_t mask = (std::uint32_t{id.data[4]} << 24) | (std::uint32_t{id.data[5]} << 16) |
                             (std::uint32_t{id.data[6]} << 8) | id.data[7];
        // Only contiguous masks describe a prefix.
        std::uint32_t inverted = ~mask;
        if ((inverted & (inverted + 1)) != 0)
            return std::nullopt;
        ts.prefix_length = static_cast<std::uint8_t>(__builtin_popcount(mask));
        return ts;
    }
    return std::nullopt;
}

std::string TrafficSelector::to_string() const {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%u", address[0], address[1], address[2], address[3],
                  prefix_length);
    std::string s = buf;
    if (protocol)
        s += " proto " + std::to_string(protocol);
    if (port)
        s += " port " + std::to_string(port);
    return s;
}

const char* to_string(EspCipher cipher) {
    switch (cipher) {
        case EspCipher::Des:
            return "des-cbc";
        case EspCipher::TripleDes:
            return "3des-cbc";
        case EspCipher::Null:
            return "null";
        case EspCipher::Aes:
            return "aes-cbc";
    }
    return "unknown";
}
const char* to_string(AuthAlgorithm alg) {
    switch (alg) {
        case AuthAlgorithm::None:
            return "none";
        case AuthAlgorithm::HmacMd5:
            return "hmac-md5-96";
        case AuthAlgorithm::HmacSha1:
            return "hmac-sha1-96";
        case AuthAlgorithm::HmacSha256:
            return "hmac-sha-256-128";
    }
    return "unknown";
}
const char* to_string(EncapsulationMode mode) {
    switch (mode) {
        case EncapsulationMode::Tunnel:
            return "tunnel";
        case EncapsulationMode::Transport:
            return "transport";
        case EncapsulationMode::UdpTunnel:
            return "udp-encapsulated-tunnel";
        case EncapsulationMode::UdpTransport:
            return "udp-encapsulated-transport";
        case EncapsulationMode::UdpTunnelDraft:
            return "udp-encapsulated-tunnel (draft)";
        case EncapsulationMode::UdpTransportDraft:
            return "udp-encapsulated-transport (draft)";
    }
    return "unknown";
}
std::size_t esp_key_size(EspCipher cipher, std::uint16_t key_bits) {
    switch (cipher) {
        case EspCipher::Des:
            return 8;
        case EspCipher::TripleDes:
            return 24;
        case EspCipher::Null:
            return 0;
        case EspCipher::Aes:
            return key_bits / 8u;
    }
    return 0;
}
std::size_t auth_key_size(AuthAlgorithm alg) {
    switch (alg) {
        case AuthAlgorithm::None:
            return 0;
        case AuthAlgorithm::HmacMd5:
            return 16;
        case AuthAlgorithm::HmacSha1:
            return 20;
        case AuthAlgorithm::HmacSha256:
            return 32;
    }
    return 0;
}

Bytes SignatureProvider::certificate_authority() const {
    const Bytes der = certificate();
    if (der.empty()) {
        return {};
    }
    const unsigned char* p = der.data();
    std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())),
                                                     &X509_free);
    if (!cert) {
        return {};
    }
    unsigned char* out = nullptr;
    const int len = i2d_X509_NAME(X509_get_issuer_name(cert.get()), &out);
    if (len <= 0) {
        return {};
    }
    Bytes issuer(out, out + len);
    OPENSSL_free(out);
    return issuer;
}

}  // namespace msim::kmd
