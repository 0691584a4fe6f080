"""Interop checks of msim's ESP/AH (libmsim_ipsec_crypto, driven through esp_tool) against independent
implementations: scapy's IPsec layer decrypts and verifies our ESP, AH and bundle packets and builds
packets we must accept; tshark decrypts our ESP (tunnel, transport, NAT-T) and reports esp.icv_good.

usage: /usr/bin/python3 esp_interop.py PATH/TO/esp_tool
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

try:
    from scapy.all import IP, ICMP, UDP, Raw, Ether, wrpcap, raw
    from scapy.layers.ipsec import SecurityAssociation, ESP, AH, split_for_transport, zero_mutable_fields
except ImportError as error:  # fail loudly, never skip
    sys.exit("esp-scapy: scapy is not importable by %s (%s): install python3-scapy" % (sys.executable, error))

TSHARK = shutil.which("tshark")
if TSHARK is None:
    sys.exit("esp-scapy: tshark is missing: install tshark")

ESP_TOOL = sys.argv[1]
GW_A, GW_B = "10.5.5.5", "10.6.6.6"
HOST_A, HOST_B = "10.1.1.5", "10.2.2.5"

# msim name -> (scapy name, key bytes, tshark name)
CIPHERS = {
    "des-cbc": ("DES", 8, "DES-CBC [RFC2405]"),
    "3des-cbc": ("3DES", 24, "TripleDES-CBC [RFC2451]"),
    "aes-128-cbc": ("AES-CBC", 16, "AES-CBC [RFC3602]"),
    "aes-256-cbc": ("AES-CBC", 32, "AES-CBC [RFC3602]"),
}
INTEGRITY = {
    "hmac-md5-96": ("HMAC-MD5-96", 16, "HMAC-MD5-96 [RFC2403]"),
    "hmac-sha1-96": ("HMAC-SHA1-96", 20, "HMAC-SHA-1-96 [RFC2404]"),
    "hmac-sha-256-128": ("SHA2-256-128", 32, "HMAC-SHA-256-128 [RFC4868]"),
}

failures = []
checks = 0


def check(condition, what):
    global checks
    checks += 1
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def key(n, seed):
    return bytes((seed + 29 * i) & 0xFF for i in range(n))


class Case:
    def __init__(self, protocol, mode, cipher=None, integrity=None, udp=False, spi=0x908):
        self.protocol, self.mode, self.cipher, self.integrity, self.udp = protocol, mode, cipher, integrity, udp
        self.spi = spi
        self.aux_spi = spi + 1
        self.ckey = key(CIPHERS[cipher][1], spi & 0xFF) if cipher else b""
        self.akey = key(INTEGRITY[integrity][1], (spi >> 3) & 0xFF) if integrity else b""

    def __str__(self):
        return "%s %s %s %s%s" % (self.protocol, self.mode, self.cipher, self.integrity,
                                  " udp" if self.udp else "")

    def tool_args(self):
        a = ["--protocol", self.protocol, "--spi", str(self.spi), "--mode", self.mode, "--src", GW_A,
             "--dst", GW_B]
        if self.protocol == "bundle":
            a += ["--aux-spi", str(self.aux_spi)]
        if self.cipher:
            a += ["--cipher", self.cipher, "--cipher-key", self.ckey.hex()]
        if self.integrity:
            a += ["--integrity", self.integrity, "--integrity-key", self.akey.hex()]
        if self.udp:
            a += ["--udp", "4500:4500"]
        return a

    def inner_packets(self):
        out = []
        for n, size in enumerate((0, 1, 56, 500, 1400)):
            if self.mode == "tunnel":
                p = IP(src=HOST_A, dst=HOST_B, id=100 + n, tos=0x10) / ICMP(id=7, seq=n) / Raw((bytes(range(256)) * 6)[:size])
            else:
                p = IP(src=GW_A, dst=GW_B, id=100 + n) / UDP(sport=179, dport=1179) / Raw(b"x" * size)
            out.append(IP(raw(p)))
        return out

    def scapy_sas(self):
        """SAs in processing order for encryption (decryption runs them in reverse)."""
        tunnel = IP(src=GW_A, dst=GW_B) if self.mode == "tunnel" else None
        nat = UDP(sport=4500, dport=4500) if self.udp else None
        if self.protocol == "esp":
            return [SecurityAssociation(ESP, spi=self.spi, crypt_algo=CIPHERS[self.cipher][0], crypt_key=self.ckey,
                                        auth_algo=INTEGRITY[self.integrity][0], auth_key=self.akey,
                                        tunnel_header=tunnel, nat_t_header=nat)]
        if self.protocol == "ah":
            return [SecurityAssociation(AH, spi=self.spi, auth_algo=INTEGRITY[self.integrity][0],
                                        auth_key=self.akey, tunnel_header=tunnel)]
        # bundle: ESP (auxiliary SPI, encryption only) inside, AH over the resulting packet
        return [SecurityAssociation(ESP, spi=self.aux_spi, crypt_algo=CIPHERS[self.cipher][0], crypt_key=self.ckey,
                                    tunnel_header=tunnel),
                SecurityAssociation(AH, spi=self.spi, auth_algo=INTEGRITY[self.integrity][0], auth_key=self.akey)]


def scapy_encrypt(sa, packet, seq):
    """sa.encrypt(), working around two scapy 2.5 bugs so scapy's own algorithms build valid packets."""
    if sa.proto is AH and packet.haslayer(ESP):
        # AuthAlgo.sign() takes its ESP branch whenever the packet holds an ESP layer, so AH over ESP (a
        # bundle) comes out unsigned with the MAC appended to the ESP data. Build the AH packet the way
        # _encrypt_ah() does and sign it with scapy's AH branch (zero_mutable_fields + its HMAC).
        ah = AH(spi=sa.spi, seq=seq, icv=b"\0" * sa.auth_algo.icv_size)
        ip_header, nh, payload = split_for_transport(packet, socket.IPPROTO_AH)
        ah.nh = nh
        ah.payloadlen = len(ah) // 4 - 2
        ip_header.len = len(ip_header) + len(ah) + len(payload)
        ip_header = IP(raw(ip_header))
        signed = ip_header / ah / payload
        mac = sa.auth_algo.new_mac(sa.auth_key)
        mac.update(raw(zero_mutable_fields(signed.copy(), sending=True)))
        signed[AH].icv = mac.finalize()[:sa.auth_algo.icv_size]
        return IP(raw(signed))
    result = bytearray(raw(sa.encrypt(packet, seq_num=seq)))
    if sa.nat_t_header is not None:
        # _encrypt_esp() fixes the UDP length before the ESP payload is attached: it always says 8.
        header = (result[0] & 0x0F) * 4
        result[header + 4:header + 6] = (len(result) - header).to_bytes(2, "big")
    return IP(bytes(result))


def run_tool(command, case, hex_lines):
    result = subprocess.run([ESP_TOOL, command] + case.tool_args(), input="\n".join(hex_lines) + "\n",
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("esp-scapy: esp_tool failed for %s: %s" % (case, result.stderr.strip()))
    return result.stdout.split("\n")[:len(hex_lines)]


def ours_to_scapy(case):
    """Our outbound packets, decrypted and verified by scapy; returns our wire packets."""
    inner = case.inner_packets()
    lines = run_tool("protect", case, [raw(p).hex() for p in inner])
    wire = []
    for n, (plain, line) in enumerate(zip(inner, lines)):
        if line.startswith("DROP"):
            check(False, "%s: we dropped packet %d: %s" % (case, n, line))
            continue
        packet = IP(bytes.fromhex(line))
        wire.append(packet)
        try:
            result = packet.copy()
            for sa in reversed(case.scapy_sas()):
                result = sa.decrypt(IP(raw(result)))  # re-parse: scapy leaves the payload as Raw
            if case.mode == "tunnel":
                check(raw(result) == raw(plain), "%s: scapy's decryption of packet %d differs" % (case, n))
            else:
                restored = IP(raw(result))
                check(raw(restored) == raw(plain), "%s: scapy's transport decapsulation of %d differs" % (case, n))
        except Exception as error:  # IPSecIntegrityError and friends
            check(False, "%s: scapy rejected our packet %d: %r" % (case, n, error))
    return wire


def scapy_to_ours(case):
    """Packets scapy builds and protects, which our inbound path must accept and restore exactly."""
    inner = case.inner_packets()
    sas = case.scapy_sas()
    wire = []
    for n, plain in enumerate(inner):
        packet = plain.copy()
        for sa in sas:
            packet = scapy_encrypt(sa, IP(raw(packet)), n + 1)
        wire.append(raw(packet).hex())
    lines = run_tool("unprotect", case, wire)
    for n, (plain, line) in enumerate(zip(inner, lines)):
        check(not line.startswith(("DROP", "IKE", "NOT", "KEEP")), "%s: we refused scapy's packet %d: %s" % (case, n, line))
        if not line.startswith(("DROP", "IKE", "NOT", "KEEP")):
            check(bytes.fromhex(line) == raw(plain), "%s: our decapsulation of scapy's packet %d differs" % (case, n))
    # A scapy packet with one flipped ICV bit must be refused.
    if case.integrity:
        bad = bytearray(bytes.fromhex(wire[-1]))
        bad[-1] ^= 1
        if case.protocol != "esp":
            # AH's ICV is not at the end: flip a byte of the protected payload instead.
            bad[-1] ^= 1
            bad[-3] ^= 0x40
        line = run_tool("unprotect", case, [bytes(bad).hex()])[0]
        check(line.startswith("DROP authentication failure"), "%s: tampered packet not refused: %s" % (case, line))


def tshark_check(cases_and_wire, workdir):
    """tshark decrypts every ESP packet we produced and says its ICV is good."""
    pcap = os.path.join(workdir, "esp.pcap")
    frames = []
    uat = []
    expected = []
    for case, wire in cases_and_wire:
        uat.append('"IPv4","%s","%s","0x%08x","%s","0x%s","%s","0x%s"' % (
            GW_A, GW_B, case.spi, CIPHERS[case.cipher][2], case.ckey.hex(), INTEGRITY[case.integrity][2],
            case.akey.hex()))
        for packet in wire:
            frames.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / packet)
            expected.append(case)
    wrpcap(pcap, frames)
    config = os.path.join(workdir, "wireshark")
    os.makedirs(config, exist_ok=True)
    with open(os.path.join(config, "esp_sa"), "w") as f:
        f.write("\n".join(uat) + "\n")
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=config)
    result = subprocess.run([TSHARK, "-n", "-r", pcap, "-o", "esp.enable_encryption_decode:TRUE",
                             "-o", "esp.enable_authentication_check:TRUE", "-T", "fields", "-E", "separator=;",
                             "-e", "esp.spi", "-e", "esp.icv_good", "-e", "ip.dst", "-e", "udp.srcport"],
                            capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit("esp-scapy: tshark failed: " + result.stderr.strip())
    rows = [r for r in result.stdout.split("\n") if r]
    check(len(rows) == len(expected), "tshark printed %d rows for %d frames" % (len(rows), len(expected)))
    for n, (row, case) in enumerate(zip(rows, expected)):
        spi, icv_good, dsts, ports = (row.split(";") + ["", "", "", ""])[:4]
        check(int(spi, 16) == case.spi, "tshark: frame %d has SPI %s, expected %#x" % (n + 1, spi, case.spi))
        check(icv_good in ("1", "True", "true"), "tshark: %s frame %d ICV not good: %r" % (case, n + 1, row))
        # The inner header (tunnel) or the transport payload (UDP from port 179) shows only when decrypted.
        if case.mode == "tunnel":
            check(HOST_B in dsts.split(","), "tshark: %s frame %d not decrypted: %r" % (case, n + 1, row))
        else:
            check("179" in ports.split(","), "tshark: %s frame %d not decrypted: %r" % (case, n + 1, row))


def main():
    cases = []
    spi = 0x900
    for mode in ("tunnel", "transport"):
        for cipher in CIPHERS:
            for integrity in INTEGRITY:
                cases.append(Case("esp", mode, cipher, integrity, spi=spi))
                spi += 2
        for integrity in INTEGRITY:
            cases.append(Case("ah", mode, None, integrity, spi=spi))
            spi += 2
        for cipher, integrity in (("3des-cbc", "hmac-md5-96"), ("des-cbc", "hmac-sha1-96"),
                                  ("aes-128-cbc", "hmac-sha-256-128")):
            cases.append(Case("bundle", mode, cipher, integrity, spi=spi))
            spi += 2
        for cipher, integrity in (("3des-cbc", "hmac-sha1-96"), ("aes-128-cbc", "hmac-sha1-96")):
            cases.append(Case("esp", mode, cipher, integrity, udp=True, spi=spi))
            spi += 2
    esp_wire = []
    for case in cases:
        wire = ours_to_scapy(case)
        scapy_to_ours(case)
        if case.protocol == "esp":
            esp_wire.append((case, wire))
    with tempfile.TemporaryDirectory() as workdir:
        tshark_check(esp_wire, workdir)
    print("esp-scapy: %d SA cases, %d checks, %d failures" % (len(cases), checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
