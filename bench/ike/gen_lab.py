#!/usr/bin/env python3
"""Writes the IKE benchmark lab: two msim gateways with N tunnels between them.

usage: gen_lab.py N pfs|nopfs OUT.yaml

Tunnel i (0 <= i < N) runs between 10.5.X.Y on gateway-a's lo0 and 10.6.X.Y on gateway-b's (X.Y from i),
carried by es-0/1/0 unit i+1 naming the dynamic SA t<i>; each gateway has one IKE policy per peer address
(main mode, pre-shared key, 3des-cbc/sha1/group2) and one filter term per tunnel steering traffic
10.1.0.0/16 -> 10.2.X.Y into t<i> (gateway-b's terms mirror them: 10.2.X.Y -> 10.1.0.0/16, so that the
proxy identities of both sides match). host-a behind gateway-a sends one datagram to each
10.2.X.Y to trigger the negotiations; gateway-b answers nothing itself (the datagrams are discarded on
arrival by a filter), the benchmark only counts SAs.
"""
import sys


def addr(prefix, i):
    return f"{prefix}.{i // 250}.{i % 250 + 1}"


def gateway(name, local, remote, selectors, n, pfs):
    out = []
    w = out.append
    w("        system {")
    w(f"            host-name {name};")
    w("        }")
    w("        interfaces {")
    w("            fe-0/0/0 {")
    w("                unit 0 {")
    w("                    family inet {")
    w(f"                        address {'10.0.0.1' if name == 'gateway-a' else '10.0.0.2'}/30;")
    w("                    }")
    w("                }")
    w("            }")
    w("            fe-0/0/1 {")
    w("                unit 0 {")
    w("                    family inet {")
    w("                        filter {")
    w("                            input steer;")
    w("                        }")
    w(f"                        address {'10.1.0.1/16' if name == 'gateway-a' else '10.2.255.254/16'};")
    w("                    }")
    w("                }")
    w("            }")
    w("            es-0/1/0 {")
    for i in range(n):
        w(f"                unit {i + 1} {{")
        w("                    tunnel {")
        w(f"                        source {addr(local, i)};")
        w(f"                        destination {addr(remote, i)};")
        w("                    }")
        w("                    family inet {")
        w("                        filter {")
        w("                            input sink;")
        w("                        }")
        w(f"                        ipsec-sa t{i};")
        w("                    }")
        w("                }")
    w("            }")
    w("            lo0 {")
    w("                unit 0 {")
    w("                    family inet {")
    for i in range(n):
        w(f"                        address {addr(local, i)}/32;")
    w("                    }")
    w("                }")
    w("            }")
    w("        }")
    w("        routing-options {")
    w("            static {")
    w(f"                route {remote}.0.0/16 next-hop {'10.0.0.2' if name == 'gateway-a' else '10.0.0.1'};")
    w("            }")
    w("        }")
    w("        security {")
    w("            ike {")
    w("                proposal p1 {")
    w("                    authentication-method pre-shared-keys;")
    w("                    dh-group group2;")
    w("                    authentication-algorithm sha1;")
    w("                    encryption-algorithm 3des-cbc;")
    w("                }")
    for i in range(n):
        w(f"                policy {addr(remote, i)} {{")
        w("                    mode main;")
        w("                    proposals p1;")
        w("                    pre-shared-key ascii-text bench-secret;")
        w("                }")
    w("            }")
    w("            ipsec {")
    w("                proposal e1 {")
    w("                    protocol esp;")
    w("                    authentication-algorithm hmac-sha1-96;")
    w("                    encryption-algorithm 3des-cbc;")
    w("                }")
    w("                policy pol {")
    if pfs:
        w("                    perfect-forward-secrecy {")
        w("                        keys group2;")
        w("                    }")
    w("                    proposals e1;")
    w("                }")
    for i in range(n):
        w(f"                security-association t{i} {{")
        w("                    dynamic {")
        w("                        ipsec-policy pol;")
        w("                    }")
        w("                }")
    w("            }")
    w("        }")
    w("        firewall {")
    w("            filter steer {")
    for i in range(n):
        w(f"                term t{i} {{")
        w("                    from {")
        source, destination = selectors(i)
        w("                        source-address {")
        w(f"                            {source};")
        w("                        }")
        w("                        destination-address {")
        w(f"                            {destination};")
        w("                        }")
        w("                    }")
        w(f"                    then ipsec-sa t{i};")
        w("                }")
    w("                term rest {")
    w("                    then accept;")
    w("                }")
    w("            }")
    w("            filter sink {")
    w("                term all {")
    w("                    then discard;")
    w("                }")
    w("            }")
    w("        }")
    return "\n".join(out)


def main():
    n = int(sys.argv[1])
    pfs = sys.argv[2] == "pfs"
    if not 1 <= n <= 62500:
        sys.exit("gen_lab.py: N must be 1..62500")
    # Tunnel i protects 10.1.0.0/16 (host-a's LAN) <-> 10.2.X.Y/32; the proxy identities mirror each other.
    a = gateway("gateway-a", "10.5", "10.6", lambda i: ("10.1.0.0/16", f"{addr('10.2', i)}/32"), n, pfs)
    b = gateway("gateway-b", "10.6", "10.5", lambda i: (f"{addr('10.2', i)}/32", "10.1.0.0/16"), n, pfs)
    with open(sys.argv[3], "w") as f:
        f.write(f"name: ike-bench\ntopology:\n  nodes:\n")
        for name, cfg in (("gateway-a", a), ("gateway-b", b)):
            f.write(f"    {name}:\n      kind: router\n      chassis: m10\n")
            f.write("      pics: { 0/0: 4x-fe, 0/1: es, 1/0: as, 1/1: 1x-ge }\n")
            f.write("      startup-config: |\n" + cfg + "\n")
        f.write("    host-a:\n      kind: host\n      address: 10.1.0.10/16\n      gateway: 10.1.0.1\n")
        f.write("  links:\n")
        f.write('    - endpoints: ["gateway-a:fe-0/0/0", "gateway-b:fe-0/0/0"]\n')
        f.write('    - endpoints: ["gateway-a:fe-0/0/1", "host-a:eth0"]\n')


if __name__ == "__main__":
    main()
