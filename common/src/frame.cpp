#include "msim/common/ipc/frame.hpp"

#include <algorithm>

namespace msim::ipc {
namespace {

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
    put_u16(out, static_cast<uint16_t>(v >> 16));
    put_u16(out, static_cast<uint16_t>(v));
}

uint16_t get_u16(std::span<const uint8_t> b, size_t at) {
    return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}

uint32_t get_u32(std::span<const uint8_t> b, size_t at) {
    return (static_cast<uint32_t>(get_u16(b, at)) << 16) | get_u16(b, at + 2);
}

}  // namespace

void PacketMeta::encode(std::vector<uint8_t>& out) const {
    put_u16(out, channel);
    put_u16(out, flags);
    put_u32(out, interface_index);
    put_u32(out, source_address);
    put_u32(out, destination_address);
    put_u16(out, source_port);
    put_u16(out, destination_port);
}

std::optional<PacketMeta> PacketMeta::decode(std::span<const uint8_t> bytes) {
    if (bytes.size() < wire_size) {
        return std::nullopt;
    }
    PacketMeta m;
    m.channel = get_u16(bytes, 0);
    m.flags = get_u16(bytes, 2);
    m.interface_index = get_u32(bytes, 4);
    m.source_address = get_u32(bytes, 8);
    m.destination_address = get_u32(bytes, 12);
    m.source_port = get_u16(bytes, 16);
    m.destination_port = get_u16(bytes, 18);
    return m;
}

std::vector<uint8_t> encode_frame(FrameType type, std::span<const uint8_t> payload) {
    std::vector<uint8_t> out;
    out.reserve(frame_header_size + payload.size());
    put_u32(out, static_cast<uint32_t>(payload.size()));
    out.push_back(static_cast<uint8_t>(type));
    out.push_back(0);
    put_u16(out, 0);
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

std::vector<uint8_t> encode_rpc_frame(std::string_view xml) {
    return encode_frame(FrameType::rpc, std::span(reinterpret_cast<const uint8_t*>(xml.data()), xml.size()));
}

std::vector<uint8_t> encode_packet_frame(const PacketMeta& meta, std::span<const uint8_t> bytes) {
    std::vector<uint8_t> payload;
    payload.reserve(PacketMeta::wire_size + bytes.size());
    meta.encode(payload);
    payload.insert(payload.end(), bytes.begin(), bytes.end());
    return encode_frame(FrameType::packet, payload);
}

std::optional<FrameHeader> decode_frame_header(std::span<const uint8_t, frame_header_size> bytes,
                                               size_t max_payload, std::string& error) {
    FrameHeader h;
    h.payload_length = get_u32(bytes, 0);
    const uint8_t type = bytes[4];
    if (type != static_cast<uint8_t>(FrameType::rpc) && type != static_cast<uint8_t>(FrameType::packet)) {
        error = "unknown frame type " + std::to_string(type);
        return std::nullopt;
    }
    if (bytes[5] != 0 || get_u16(bytes, 6) != 0) {
        error = "reserved frame header bits set";
        return std::nullopt;
    }
    if (h.payload_length > max_payload) {
        error = "oversized frame of " + std::to_string(h.payload_length) + " bytes (limit " +
                std::to_string(max_payload) + ")";
        return std::nullopt;
    }
    h.type = static_cast<FrameType>(type);
    return h;
}

}  // namespace msim::ipc
