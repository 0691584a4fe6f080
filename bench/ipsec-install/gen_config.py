#!/usr/bin/env python3
"""Writes the IPsec install benchmark's configuration: N manual SAs (default 10,000; ESP, hmac-sha1-96,
3des-cbc, bidirectional, SPIs 256..256+N-1) and, unless --no-units, N es-0/1/0 tunnel units (1..N) from
lo0's 10.5.5.5 to 10.6.X.Y, each naming one SA so that ipsecd installs it in pfed (2 SAs each: inbound and
outbound). With --no-units it is the same SAs, configured but named by no unit (nothing to install): the
benchmark's reference.
usage: gen_config.py FILE [N] [--no-units]"""
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
units = "--no-units" not in sys.argv[1:]
n = int(args[1]) if len(args) > 1 else 10000
assert 1 <= n <= 16384, "es- unit numbers and SPIs 256..16639 allow at most 16,384 SAs"
out = open(args[0], "w")
w = out.write
w("system {\n    host-name ipsec-bench;\n}\n")
w("interfaces {\n")
if units:
    w("    es-0/1/0 {\n")
    for s in range(n):
        w(f"        unit {s + 1} {{\n")
        w(f"            tunnel {{\n                source 10.5.5.5;\n"
          f"                destination 10.6.{s // 250}.{s % 250 + 1};\n            }}\n")
        w(f"            family inet {{\n                ipsec-sa sa{s};\n            }}\n")
        w("        }\n")
    w("    }\n")
w("    lo0 {\n        unit 0 {\n            family inet {\n                address 10.5.5.5/32;\n"
  "            }\n        }\n    }\n")
w("}\n")
w("security {\n    ipsec {\n")
for s in range(n):
    w(f"        security-association sa{s} {{\n            manual {{\n                direction bidirectional {{\n")
    w(f"                    protocol esp;\n                    spi {256 + s};\n")
    w("                    authentication {\n                        algorithm hmac-sha1-96;\n"
      f"                        key ascii-text \"{s:020d}\";\n                    }}\n")
    w("                    encryption {\n                        algorithm 3des-cbc;\n"
      f"                        key ascii-text \"{s:012d}abcdefghijkl\";\n                    }}\n")
    w("                }\n            }\n        }\n")
w("    }\n}\n")
out.close()
