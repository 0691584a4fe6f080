// Frame layer of msim's IPC: length-prefixed frames over Unix stream sockets.
//
// Every frame is an 8-byte header followed by its payload:
//   u32 payload length (big-endian) | u8 frame type | u8 flags (0) | u16 reserved (0)
// An RPC frame carries one XML document (<rpc>, <rpc-reply> or <notification>); a packet frame carries a
// PacketMeta header and raw bytes, so packets never travel as XML.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace msim::ipc {

enum class FrameType : uint8_t { rpc = 1, packet = 2 };

inline constexpr size_t frame_header_size = 8;
// A whole 200,000-line configuration is a few MB of XML; anything beyond this is a bug or an attack.
inline constexpr size_t default_max_frame_payload = 64 * 1024 * 1024;

// Metadata of a packet frame (pfed <-> kmd: IKE datagrams; pfed <-> capture tools later).
struct PacketMeta {
    uint16_t channel = 0;  // what the packet is for, e.g. PacketChannel::ike
    uint16_t flags = 0;    // channel-specific (e.g. NAT-T non-ESP-marker stripped)
    uint32_t interface_index = 0;
    uint32_t source_address = 0;  // IPv4, host byte order
    uint32_t destination_address = 0;
    uint16_t source_port = 0;
    uint16_t destination_port = 0;

    static constexpr size_t wire_size = 20;
    void encode(std::vector<uint8_t>& out) const;
    // Returns nothing when the bytes are too short to hold a PacketMeta.
    static std::optional<PacketMeta> decode(std::span<const uint8_t> bytes);
};

// PacketChannel::ike (pfed <-> kmd), the IKE payload of one UDP datagram (RFC 2408 header first):
//   pfed -> kmd: a datagram for one of the router's addresses on UDP 500, or on 4500 with the RFC 3948
//                non-ESP marker removed; source = the peer, destination = the local address and port.
//   kmd -> pfed: a datagram to send; source = the local address and port (500 or 4500: pfed puts the
//                marker in front on 4500), destination = the peer.
// Addresses and ports are those of the UDP/IPv4 headers; flags and interface_index are 0.
enum class PacketChannel : uint16_t { ike = 1, capture = 2 };

// Builds a complete frame (header + payload) ready to write to a socket.
std::vector<uint8_t> encode_frame(FrameType type, std::span<const uint8_t> payload);
std::vector<uint8_t> encode_rpc_frame(std::string_view xml);
std::vector<uint8_t> encode_packet_frame(const PacketMeta& meta, std::span<const uint8_t> bytes);

struct FrameHeader {
    uint32_t payload_length = 0;
    FrameType type = FrameType::rpc;
};

// Parses and checks a header. On failure returns nothing and sets `error` to a sentence for the log.
std::optional<FrameHeader> decode_frame_header(std::span<const uint8_t, frame_header_size> bytes,
                                               size_t max_payload, std::string& error);

}  // namespace msim::ipc
