// One-line, tcpdump-style summaries of frames and datagrams, for `monitor traffic interface NAME` (which on
// Junos is tcpdump) and for logs: "IP 10.1.1.10 > 10.2.2.10: ICMP echo request, id 4660, seq 0, length 64".
// Never reads past the buffer; truncated input is summarised as such.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "msim/dataplane/interfaces.hpp"

namespace msim::dataplane {

// A frame as it appears on the wire of an interface of `kind` (Ethernet II, Cisco HDLC, or raw IPv4 for
// es-/sp-/lo0).
std::string summarize_frame(InterfaceKind kind, std::span<const uint8_t> frame);
// An IPv4 datagram (no link-layer header).
std::string summarize_ipv4(std::span<const uint8_t> datagram);

}  // namespace msim::dataplane
