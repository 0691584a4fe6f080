#!/usr/bin/python3
"""Interop check: tshark (an ISAKMP dissector nobody on this team wrote) must decode every message of
complete kmd exchanges without a malformed-packet warning, and must decrypt the encrypted ones with the
keys kmd derived (ikev1_decryption_table) into payloads it recognises.

usage: check_tshark.py <write_exchange_pcap executable>
"""
import os
import shutil
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: check_tshark.py <write_exchange_pcap>")
    tshark = shutil.which("tshark")
    if not tshark:
        fail("tshark is missing: install Debian's tshark package (scripts/bootstrap)")
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "ike.pcap")
        table = os.path.join(tmp, "ikev1_decryption_table")
        expected_file = os.path.join(tmp, "expected")
        subprocess.run([sys.argv[1], pcap, table, expected_file], check=True)
        expected = [tuple(int(x) for x in line.split()) for line in open(expected_file) if line.strip()]
        env = dict(os.environ, WIRESHARK_CONFIG_DIR=tmp, HOME=tmp)

        verbose = subprocess.run([tshark, "-r", pcap, "-V"], env=env, capture_output=True, text=True, check=True).stdout
        if "Malformed" in verbose:
            fail("tshark reports a malformed packet:\n" + verbose[max(0, verbose.find("Malformed") - 2000):][:3000])
        if "[Expert Info (Error" in verbose:
            fail("tshark reports an expert error")

        fields = ["frame.number", "isakmp.ispi", "isakmp.exchangetype", "isakmp.flags", "isakmp.id.type", "isakmp.hash",
                  "isakmp.sa.doi", "isakmp.nonce", "isakmp.delete.spi", "isakmp.notify.msgtype",
                  "isakmp.ipsec.attr.encap_mode", "isakmp.vid_string", "isakmp.key_exchange.data"]
        cmd = [tshark, "-r", pcap, "-T", "fields", "-E", "separator=|"]
        for f in fields:
            cmd += ["-e", f]
        rows = [line.split("|") for line in
                subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout.splitlines()]
        if len(rows) != len(expected):
            fail(f"tshark shows {len(rows)} frames, the exchanges produced {len(expected)}")
        names = {2: "main", 4: "aggressive", 32: "quick", 5: "informational"}
        position = {}
        for row, (exchange, encrypted) in zip(rows, expected):
            r = dict(zip(fields, row))
            frame = r["frame.number"]
            if r["isakmp.exchangetype"] != str(exchange):
                fail(f"frame {frame}: tshark sees exchange {r['isakmp.exchangetype']!r}, expected {exchange}")
            flags = int(r["isakmp.flags"], 16) if r["isakmp.flags"] else -1
            if (flags & 1) != encrypted:
                fail(f"frame {frame}: encryption flag {flags:#x}, expected {encrypted}")
            # Position of this message within its exchange (per IKE SA and exchange type).
            key = (r["isakmp.ispi"], exchange)
            position[key] = position.get(key, 0) + 1
            n = position[key]
            what = f"frame {frame} ({names.get(exchange)} message {n})"
            if encrypted:
                # Recognised decrypted payloads prove that tshark decrypted with our keys.
                if not r["isakmp.hash"]:
                    fail(f"{what}: no HASH payload after decryption (wrong keys or layout)")
                if exchange == 2 and not r["isakmp.id.type"]:
                    fail(f"{what}: decrypted main mode message without an ID payload")
                if exchange == 32 and n <= 2 and not (r["isakmp.sa.doi"] and r["isakmp.nonce"]):
                    fail(f"{what}: decrypted quick mode message without SA and NONCE")
                if exchange == 5 and not r["isakmp.delete.spi"]:
                    fail(f"{what}: decrypted informational without its DELETE payload")
            else:
                if exchange == 2 and n in (3, 4) and not (r["isakmp.nonce"] and r["isakmp.key_exchange.data"]):
                    fail(f"{what}: main mode message without KE and NONCE")
                if exchange in (2, 4) and n == 1 and "RFC 3947" not in r["isakmp.vid_string"]:
                    fail(f"{what}: tshark does not recognise the RFC 3947 NAT-T vendor ID")
        print(f"OK: {len(rows)} ISAKMP frames decoded and decrypted by tshark without malformed packets")


if __name__ == "__main__":
    main()
