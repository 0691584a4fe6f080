#!/usr/bin/env python3
"""Writes the configuration of issue 3's benchmark: 10,000 manual SAs, 10,000 filter terms and 2,000 IKE
policies, in the Junos text format (about 200,000 lines)."""
import sys

sas = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
terms = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
policies = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
out = open(sys.argv[1], "w")
w = out.write
w("system {\n    host-name bench;\n}\n")
w("firewall {\n")
per_filter = 1000
for f in range((terms + per_filter - 1) // per_filter):
    w(f"    filter f{f} {{\n")
    for t in range(min(per_filter, terms - f * per_filter)):
        n = f * per_filter + t
        w(f"        term t{t} {{\n")
        w("            from {\n")
        w(f"                source-address {{\n                    10.{n // 256 % 256}.{n % 256}.0/24;\n                }}\n")
        w("                destination-address {\n                    172.16.0.0/12;\n                }\n")
        w("                protocol tcp;\n")
        w(f"                destination-port {1024 + n % 60000};\n")
        w("            }\n")
        w(f"            then {{\n                count c{n};\n                accept;\n            }}\n")
        w("        }\n")
    w("    }\n")
w("}\n")
w("security {\n    ike {\n")
w("        proposal p1 {\n            authentication-method pre-shared-keys;\n            dh-group group2;\n"
  "            authentication-algorithm sha1;\n            encryption-algorithm 3des-cbc;\n        }\n")
for p in range(policies):
    w(f"        policy 10.{100 + p // 65536}.{p // 256 % 256}.{p % 256} {{\n")
    w("            mode main;\n            proposals p1;\n")
    w(f"            pre-shared-key ascii-text \"secret-{p}\";\n        }}\n")
w("    }\n    ipsec {\n")
for s in range(sas):
    w(f"        security-association sa{s} {{\n            manual {{\n                direction bidirectional {{\n")
    w(f"                    protocol esp;\n                    spi {256 + s};\n")
    w("                    authentication {\n                        algorithm hmac-sha1-96;\n"
      f"                        key ascii-text \"{s:020d}\";\n                    }}\n")
    w("                    encryption {\n                        algorithm 3des-cbc;\n"
      f"                        key ascii-text \"{s:012d}abcdefghijkl\";\n                    }}\n")
    w("                }\n            }\n        }\n")
w("    }\n}\n")
out.close()
