#include "msim/dataplane/decode.hpp"

#include <algorithm>
#include <cstdio>

#include "msim/dataplane/protocols.hpp"

namespace msim::dataplane {

namespace {

std::string hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::string hex_plain(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

std::string icmp_text(const uint8_t* p, size_t n) {
    if (n < kIcmpHeaderSize) {
        return "ICMP [|icmp]";
    }
    const uint8_t type = p[0];
    const uint8_t code = p[1];
    const std::string id_seq =
        ", id " + std::to_string(load_be16(p + 4)) + ", seq " + std::to_string(load_be16(p + 6));
    switch (type) {
        case icmp_type::kEchoRequest:
            return "ICMP echo request" + id_seq;
        case icmp_type::kEchoReply:
            return "ICMP echo reply" + id_seq;
        case icmp_type::kTimeExceeded:
            return code == 0 ? "ICMP time exceeded in-transit" : "ICMP ip reassembly time exceeded";
        case icmp_type::kDestinationUnreachable: {
            // Name the quoted datagram's destination, as tcpdump does.
            std::string what = "ICMP unreachable code " + std::to_string(code);
            if (n >= kIcmpHeaderSize + kIpv4MinHeader) {
                const Ipv4Address dst(load_be32(p + kIcmpHeaderSize + 16));
                switch (code) {
                    case icmp_unreach::kNetwork:
                        return "ICMP net " + dst.to_string() + " unreachable";
                    case icmp_unreach::kHost:
                        return "ICMP host " + dst.to_string() + " unreachable";
                    case icmp_unreach::kProtocol:
                        return "ICMP " + dst.to_string() + " protocol " +
                               std::to_string(p[kIcmpHeaderSize + 9]) + " unreachable";
                    case icmp_unreach::kPort:
                        if (n >= kIcmpHeaderSize + kIpv4MinHeader + 4) {
                            const size_t ihl = size_t{p[kIcmpHeaderSize] & 0x0fu} * 4;
                            if (n >= kIcmpHeaderSize + ihl + 4) {
                                return "ICMP " + dst.to_string() + " udp port " +
                                       std::to_string(load_be16(p + kIcmpHeaderSize + ihl + 2)) +
                                       " unreachable";
                            }
                        }
                        return "ICMP " + dst.to_string() + " port unreachable";
                    case icmp_unreach::kFragmentationNeeded:
                        return "ICMP " + dst.to_string() + " unreachable - need to frag (mtu " +
                               std::to_string(load_be16(p + 6)) + ")";
                    case icmp_unreach::kAdministrativelyProhibited:
                        return "ICMP " + dst.to_string() + " unreachable - admin prohibited filter";
                    default:
                        return what;
                }
            }
            return what;
        }
        default:
            return "ICMP type " + std::to_string(type) + " code " + std::to_string(code);
    }
}

}  // namespace

std::string summarize_ipv4(std::span<const uint8_t> d) {
    if (d.size() < kIpv4MinHeader || (d[0] >> 4) != 4) {
        return "IP [|ip] length " + std::to_string(d.size());
    }
    const size_t ihl = size_t{d[0] & 0x0fu} * 4;
    const size_t total = load_be16(d.data() + 2);
    if (ihl < kIpv4MinHeader || ihl > d.size()) {
        return "IP bad-hlen " + std::to_string(ihl);
    }
    const Ipv4Address src(load_be32(d.data() + 12));
    const Ipv4Address dst(load_be32(d.data() + 16));
    const uint8_t proto = d[9];
    const uint16_t frag = load_be16(d.data() + 6);
    const uint16_t offset = static_cast<uint16_t>((frag & 0x1fff) * 8);
    const bool more = (frag & 0x2000) != 0;
    const size_t avail = std::min(d.size(), std::max(total, ihl));
    const uint8_t* l4 = d.data() + ihl;
    const size_t l4_len = avail - ihl;
    std::string frag_text;
    if (offset != 0 || more) {
        frag_text = " (frag " + std::to_string(load_be16(d.data() + 4)) + ":" + std::to_string(l4_len) + "@" +
                    std::to_string(offset) + (more ? "+" : "") + ")";
    }
    if (offset != 0) {
        return "IP " + src.to_string() + " > " + dst.to_string() + ": ip-proto-" + std::to_string(proto) +
               frag_text;
    }
    switch (proto) {
        case ip_protocol::kIcmp:
            return "IP " + src.to_string() + " > " + dst.to_string() + ": " + icmp_text(l4, l4_len) +
                   ", length " + std::to_string(l4_len) + frag_text;
        case ip_protocol::kUdp:
            if (l4_len >= kUdpHeaderSize) {
                const uint16_t ulen = load_be16(l4 + 4);
                return "IP " + src.to_string() + "." + std::to_string(load_be16(l4)) + " > " +
                       dst.to_string() + "." + std::to_string(load_be16(l4 + 2)) + ": UDP, length " +
                       std::to_string(ulen >= kUdpHeaderSize ? ulen - kUdpHeaderSize : 0) + frag_text;
            }
            return "IP " + src.to_string() + " > " + dst.to_string() + ": [|udp]";
        case ip_protocol::kTcp:
            if (l4_len >= 20) {
                const size_t doff = static_cast<size_t>(l4[12] >> 4) * 4;
                std::string flags;
                const uint8_t f = l4[13];
                if (f & 0x02)
                    flags += 'S';
                if (f & 0x01)
                    flags += 'F';
                if (f & 0x04)
                    flags += 'R';
                if (f & 0x08)
                    flags += 'P';
                if (f & 0x10)
                    flags += '.';
                return "IP " + src.to_string() + "." + std::to_string(load_be16(l4)) + " > " +
                       dst.to_string() + "." + std::to_string(load_be16(l4 + 2)) + ": Flags [" + flags +
                       "], length " + std::to_string(l4_len >= doff ? l4_len - doff : 0) + frag_text;
            }
            return "IP " + src.to_string() + " > " + dst.to_string() + ": [|tcp]";
        case ip_protocol::kEsp:
            if (l4_len >= 8) {
                return "IP " + src.to_string() + " > " + dst.to_string() +
                       ": ESP(spi=" + hex32(load_be32(l4)) + ",seq=" + hex_plain(load_be32(l4 + 4)) +
                       "), length " + std::to_string(l4_len) + frag_text;
            }
            return "IP " + src.to_string() + " > " + dst.to_string() + ": [|esp]";
        case ip_protocol::kAh:
            if (l4_len >= 12) {
                return "IP " + src.to_string() + " > " + dst.to_string() +
                       ": AH(spi=" + hex32(load_be32(l4 + 4)) + ",seq=" + hex_plain(load_be32(l4 + 8)) +
                       "), length " + std::to_string(l4_len) + frag_text;
            }
            return "IP " + src.to_string() + " > " + dst.to_string() + ": [|ah]";
        default:
            return "IP " + src.to_string() + " > " + dst.to_string() + ": ip-proto-" + std::to_string(proto) +
                   " " + std::to_string(l4_len) + frag_text;
    }
}

std::string summarize_frame(InterfaceKind kind, std::span<const uint8_t> frame) {
    if (is_ethernet(kind)) {
        auto eth = EthernetHeader::parse(frame);
        if (!eth) {
            return "[|ether]";
        }
        const auto payload = frame.subspan(kEthernetHeaderSize);
        if (eth->ethertype == ethertype::kIpv4) {
            return summarize_ipv4(payload);
        }
        if (eth->ethertype == ethertype::kArp) {
            auto arp = ArpMessage::parse(payload);
            if (!arp) {
                return "arp [|arp]";
            }
            if (arp->operation == arp_op::kRequest) {
                return "arp who-has " + arp->target_ip.to_string() + " tell " + arp->sender_ip.to_string();
            }
            return "arp reply " + arp->sender_ip.to_string() + " is-at " + arp->sender_mac.to_string();
        }
        char buf[48];
        std::snprintf(buf, sizeof buf, "ethertype 0x%04x, length %zu", eth->ethertype, frame.size());
        return buf;
    }
    if (kind == InterfaceKind::kSonet) {
        auto hdlc = CiscoHdlcHeader::parse(frame);
        if (!hdlc) {
            return "[|chdlc]";
        }
        if (hdlc->protocol == ethertype::kIpv4) {
            return summarize_ipv4(frame.subspan(kCiscoHdlcHeaderSize));
        }
        if (hdlc->protocol == cisco_hdlc::kSlarp) {
            return "SLARP, length " + std::to_string(frame.size() - kCiscoHdlcHeaderSize);
        }
        char buf[48];
        std::snprintf(buf, sizeof buf, "chdlc protocol 0x%04x, length %zu", hdlc->protocol, frame.size());
        return buf;
    }
    return summarize_ipv4(frame);
}

}  // namespace msim::dataplane
