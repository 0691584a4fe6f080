"""Regenerates seeds/ for fuzz_esp_inbound with esp_tool, using the SAs fuzz_esp_inbound.cpp installs.

usage: /usr/bin/python3 gen_seeds.py PATH/TO/esp_tool
Valid packets for every SA, then mangled copies (truncated, flipped ICV, bad lengths, wrong SPI), plus
IKE/keepalive datagrams on UDP 4500 and round-trip inputs (first byte < 0x40 selects an outbound SA).
"""
import os
import subprocess
import sys

TOOL = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds")


def pattern(n, seed):
    return bytes((seed + i) & 0xFF for i in range(n))


KEYS = {"des-cbc": 8, "3des-cbc": 24, "aes-128-cbc": 16, "hmac-md5-96": 16, "hmac-sha1-96": 20,
        "hmac-sha-256-128": 32}
SAS = [  # name, protocol, spi, mode, cipher, integrity, udp (as in fuzz_esp_inbound.cpp)
    ("esp-3des-md5-tunnel", "esp", 2312, "tunnel", "3des-cbc", "hmac-md5-96", False),
    ("ah-sha1-transport", "ah", 3000, "transport", None, "hmac-sha1-96", False),
    ("bundle-aes-sha256-tunnel", "bundle", 4000, "tunnel", "aes-128-cbc", "hmac-sha-256-128", False),
    ("natt-aes-sha1-tunnel", "esp", 5000, "tunnel", "aes-128-cbc", "hmac-sha1-96", True),
    ("esp-des-md5-transport", "esp", 6000, "transport", "des-cbc", "hmac-md5-96", False),
    ("esp-null-sha1-tunnel", "esp", 7000, "tunnel", None, "hmac-sha1-96", False),
]


def checksum(header):
    s = sum(int.from_bytes(header[i:i + 2], "big") for i in range(0, len(header), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, df=True):
    total = 20 + len(payload)
    h = bytearray([0x45, 0, total >> 8, total & 0xFF, 0x12, 0x34, 0x40 if df else 0, 0, 64, proto, 0, 0])
    h += bytes(map(int, src.split("."))) + bytes(map(int, dst.split(".")))
    h[10:12] = checksum(h).to_bytes(2, "big")
    return bytes(h) + payload


def fix(packet):
    """Total length and checksum made consistent again after mangling."""
    p = bytearray(packet)
    p[2:4] = len(p).to_bytes(2, "big")
    p[10:12] = b"\0\0"
    p[10:12] = checksum(p[:20]).to_bytes(2, "big")
    return bytes(p)


def protect(sa, datagram):
    name, protocol, spi, mode, cipher, integrity, udp = sa
    args = [TOOL, "protect", "--protocol", protocol, "--spi", str(spi), "--mode", mode, "--src", "10.5.5.5",
            "--dst", "10.6.6.6", "--integrity", integrity, "--integrity-key", pattern(KEYS[integrity], 0x40).hex()]
    if protocol == "bundle":
        args += ["--aux-spi", str(spi + 1)]
    if cipher:
        args += ["--cipher", cipher, "--cipher-key", pattern(KEYS[cipher], 0x10).hex()]
    if udp:
        args += ["--udp", "4500:4500"]
    out = subprocess.run(args, input=datagram.hex() + "\n", capture_output=True, text=True, check=True).stdout
    return bytes.fromhex(out.strip())


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    for index, sa in enumerate(SAS):
        name, mode = sa[0], sa[3]
        src, dst = ("10.1.1.5", "10.2.2.5") if mode == "tunnel" else ("10.5.5.5", "10.6.6.6")
        udp = (12345).to_bytes(2, "big") + (7).to_bytes(2, "big") + (8 + 40).to_bytes(2, "big") + b"\0\0"
        datagram = ipv4(src, dst, 17, udp + bytes(range(40)))
        wire = protect(sa, datagram)
        seeds["valid-" + name] = wire
        seeds["truncated-" + name] = fix(wire[:len(wire) - 5])
        seeds["cut-header-" + name] = wire[:30]
        flipped = bytearray(wire)
        flipped[-1] ^= 0x01
        seeds["bad-icv-" + name] = bytes(flipped)
        spi = bytearray(wire)
        spi[20 + (8 + 3 if sa[6] else 3 if sa[1] == "esp" else 7)] ^= 0x55
        seeds["unknown-spi-" + name] = bytes(spi)
        long_length = bytearray(wire)
        long_length[2:4] = (len(wire) + 100).to_bytes(2, "big")
        seeds["long-total-length-" + name] = bytes(long_length)
        seeds["roundtrip-" + name] = bytes([index]) + datagram
    ike = (4500).to_bytes(2, "big") * 2 + (8 + 4 + 28).to_bytes(2, "big") + b"\0\0" + b"\0\0\0\0" + bytes(28)
    seeds["natt-ike-marker"] = ipv4("10.5.5.5", "10.6.6.6", 17, ike)
    keepalive = (4500).to_bytes(2, "big") * 2 + (9).to_bytes(2, "big") + b"\0\0\xff"
    seeds["natt-keepalive"] = ipv4("10.5.5.5", "10.6.6.6", 17, keepalive)
    seeds["bad-udp-length"] = ipv4("10.5.5.5", "10.6.6.6", 17, (4500).to_bytes(2, "big") * 2 + b"\xff\xff\0\0")
    seeds["fragment-esp"] = fix(bytearray(seeds["valid-esp-3des-md5-tunnel"][:6]) + b"\x20\x00" +
                                seeds["valid-esp-3des-md5-tunnel"][8:])
    seeds["options-ah"] = ipv4("10.5.5.5", "10.6.6.6", 51, bytes(24))
    seeds["empty-ip"] = bytes([0x45])
    for name, data in seeds.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds), OUT))


if __name__ == "__main__":
    main()
