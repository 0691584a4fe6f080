#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_ethernet_rx: valid frames for every path the harness configures, and
malformed ones (truncated, bad lengths, bad checksums). Plain struct packing, no third-party modules.
Run from this folder: python3 make_seeds.py"""
import os
import struct

FE0 = bytes.fromhex("000585000080")  # fe-0/0/0 (interface index 128)
FE1 = bytes.fromhex("000585000081")  # fe-0/0/1
HOST = bytes.fromhex("02000000010a")
BCAST = b"\xff" * 6


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ipv4(src, dst, proto, payload, ttl=64, ident=1, flags=0, opts=b""):
    hl = 20 + len(opts)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(payload), ident, flags, ttl, proto, 0,
                    ip4(src), ip4(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def icmp(t, code, ident, seq, data):
    m = struct.pack("!BBHHH", t, code, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def udp(src, dst, sport, dport, data):
    length = 8 + len(data)
    seg = struct.pack("!HHHH", sport, dport, length, 0) + data
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, length)
    c = csum(pseudo + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def arp(op, smac, sip, tmac, tip):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, smac, ip4(sip), tmac, ip4(tip))


def rec(selector, frame):
    return struct.pack("!BH", selector, len(frame)) + frame


def hdlc(payload, proto=0x0800):
    return struct.pack("!BBH", 0x0F, 0, proto) + payload


ping = ipv4("10.1.1.10", "10.1.1.254", 1, icmp(8, 0, 7, 1, bytes(range(56))))
arp_req = eth(BCAST, HOST, 0x0806, arp(1, HOST, "10.1.1.10", b"\0" * 6, "10.1.1.254"))
to_b = ipv4("10.1.1.10", "10.2.2.10", 1, icmp(8, 0, 7, 2, b"x" * 32))
esp_in = ipv4("10.6.6.6", "10.5.5.5", 50, struct.pack("!I", 2312) +
              ipv4("10.2.2.10", "10.1.1.10", 1, icmp(0, 0, 7, 2, b"x" * 32)))

seeds = {
    "arp_request": rec(1, arp_req),
    "arp_then_ping": rec(1, arp_req) + rec(1, eth(FE1, HOST, 0x0800, ping)),
    "ipsec_sa_filter": rec(1, arp_req) + rec(1, eth(FE1, HOST, 0x0800, to_b)),
    "esp_inbound": rec(0, eth(FE0, HOST, 0x0800, esp_in)),
    "decrypted_from_pic": rec(3, ipv4("10.2.2.10", "10.1.1.10", 1, icmp(0, 0, 7, 3, b"y" * 8))),
    "udp_ike": rec(0, eth(FE0, HOST, 0x0800, ipv4("10.5.5.1", "10.5.5.5", 17,
                                                  udp("10.5.5.1", "10.5.5.5", 500, 500, b"\0" * 28)))),
    "udp_port_unreachable": rec(0, eth(FE0, HOST, 0x0800, ipv4("10.5.5.1", "10.5.5.5", 17,
                                                              udp("10.5.5.1", "10.5.5.5", 4000, 33434, b"")))),
    "telnet_reject": rec(1, arp_req) + rec(1, eth(FE1, HOST, 0x0800, ipv4("10.1.1.10", "10.9.9.9", 6,
                                                                        struct.pack("!HH", 4000, 23) + b"\0" * 16))),
    "ttl_expired": rec(1, arp_req) + rec(1, eth(FE1, HOST, 0x0800, ipv4("10.1.1.10", "192.0.2.1", 1,
                                                                      icmp(8, 0, 1, 1, b""), ttl=1))),
    "arp_timeout": rec(1, eth(FE1, HOST, 0x0800, ipv4("10.1.1.10", "10.5.5.77", 1, icmp(8, 0, 1, 1, b""))))
    + rec(4, b"") + rec(4, b"") + rec(4, b"") + rec(4, b""),
    "hdlc_ping": rec(2, hdlc(ipv4("10.7.7.2", "10.7.7.1", 1, icmp(8, 0, 1, 1, b"z" * 600)))),
    "hdlc_big_forward": rec(1, arp_req) + rec(1, eth(FE1, HOST, 0x0800, ipv4("10.1.1.10", "198.51.100.1", 17,
                                                                           udp("10.1.1.10", "198.51.100.1", 1, 2,
                                                                               b"q" * 1200)))),
    "hdlc_slarp": rec(2, hdlc(b"\0" * 18, 0x8035)),
    "fragments": rec(0, eth(FE0, HOST, 0x0800, ipv4("10.5.5.1", "10.5.5.5", 1, icmp(8, 0, 1, 1, b"f" * 16),
                                                    ident=9, flags=0x2000)))
    + rec(0, eth(FE0, HOST, 0x0800, ipv4("10.5.5.1", "10.5.5.5", 1, b"g" * 8, ident=9, flags=3))),
    "ip_options": rec(1, eth(FE1, HOST, 0x0800, ipv4("10.1.1.10", "10.1.1.254", 1, icmp(8, 0, 1, 1, b""),
                                                     opts=b"\x01" * 8))),
    "reject_route": rec(1, arp_req) + rec(1, eth(FE1, HOST, 0x0800, ipv4("10.1.1.10", "10.4.1.1", 1,
                                                                       icmp(8, 0, 1, 1, b"")))),
    # Malformed.
    "truncated_ethernet": rec(0, FE0 + HOST),
    "truncated_ip": rec(1, eth(FE1, HOST, 0x0800, ping[:15])),
    "bad_ip_checksum": rec(1, eth(FE1, HOST, 0x0800, ping[:10] + b"\xde\xad" + ping[12:])),
    "bad_total_length": rec(1, eth(FE1, HOST, 0x0800, ping[:2] + b"\xff\xff" + ping[4:])),
    "bad_ihl": rec(1, eth(FE1, HOST, 0x0800, b"\x4f" + ping[1:])),
    "bad_icmp_checksum": rec(1, eth(FE1, HOST, 0x0800, ping[:-1] + b"\0")),
    "bad_udp_length": rec(0, eth(FE0, HOST, 0x0800, ipv4("10.5.5.1", "10.5.5.5", 17,
                                                         struct.pack("!HHHH", 500, 500, 900, 0)))),
    "bad_arp": rec(1, eth(BCAST, HOST, 0x0806, arp_req[14:30])),
    "bad_hdlc": rec(2, b"\xff\x03\x00\x21" + ping),
    "overlapping_fragments": rec(0, eth(FE0, HOST, 0x0800, ipv4("10.5.5.1", "10.5.5.5", 17, b"a" * 64, ident=5,
                                                                flags=0x2000)))
    + rec(0, eth(FE0, HOST, 0x0800, ipv4("10.5.5.1", "10.5.5.5", 17, b"b" * 64, ident=5, flags=4))),
    "short_record": b"\x01\x00",
}

os.makedirs("seeds", exist_ok=True)
for name, blob in seeds.items():
    with open(os.path.join("seeds", name + ".bin"), "wb") as f:
        f.write(blob)
print("wrote", len(seeds), "seeds")
