#!/usr/bin/env bash
# IPsec checked against scapy, an implementation nobody on this team wrote (RFC 4302 AH, RFC 4303 ESP).
# 1. AH: variants of labs/two-gateways-manual-sa.yaml with `protocol ah` (hmac-sha1-96, 20-character key,
#    no encryption) and with `protocol bundle` (AH SPI 2312 over ESP auxiliary-spi 2313, 3des-cbc) come up
#    in turn; host-a pings host-b; the gateway wire carries only AH, and scapy's SecurityAssociation(AH, …)
#    verifies the ICV of every AH packet (tshark parses AH but does not check it), then, for the bundle,
#    decrypts the ESP under it. The same packets checked with a wrong key all fail, so the check is real.
# 2. scapy as gateway-a: with the ESP lab up, gateway-a is stopped and a /usr/bin/python3 peer binds
#    gateway-a's end of the UDP wire, answers gateway-b's ARP for 10.0.0.1, and sends ESP that scapy
#    encrypted (IP 10.1.1.10 -> 10.2.2.10 ICMP echo inside). gateway-b decrypts it, its policy filter accepts
#    it, host-b (a real Linux namespace) answers, and the reply comes back as ESP that scapy decrypts into an
#    echo reply from 10.2.2.10. A packet with a corrupted ICV gets no reply and is counted by gateway-b as an
#    authentication failure. Needs root, tshark and /usr/bin/python3 with scapy.
source "$(dirname "$0")/lib.sh"

LAB="$(cd "$(dirname "$0")/../.." && pwd)/labs/two-gateways-manual-sa.yaml"
PY=/usr/bin/python3
lab_preflight host-a host-b
command -v tshark >/dev/null || { echo "FAIL - tshark is missing (scripts/bootstrap installs it)"; exit 1; }
[ -x "$PY" ] || { echo "FAIL - $PY is missing (scripts/bootstrap installs python3-scapy)"; exit 1; }
"$PY" -c 'from scapy.layers.ipsec import SecurityAssociation, ESP, AH' >/dev/null 2>&1 ||
    { echo "FAIL - $PY has no scapy with IPsec support (apt-get install python3-scapy python3-cryptography)"; exit 1; }
capture_pid=""
peer_pid=""
WORK=""
lab_cleanup() {
    [ -n "$capture_pid" ] && kill -INT "$capture_pid" 2>/dev/null && wait "$capture_pid" 2>/dev/null
    [ -n "$peer_pid" ] && kill -9 "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null
    "$MSIM" lab down >/dev/null 2>&1
    [ -n "$WORK" ] && rm -rf "$WORK"
    cleanup
}
trap lab_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
WORK=$(mktemp -d /tmp/msim-scapy-it.XXXXXX)

cli_b() { "$MSIM" lab console gateway-b -c "$1" 2>&1; }

# ---------------------------------------------------------------------------------------------------------
# 1. AH and bundle (AH over ESP), verified by scapy.
AH_KEY=abcdefghij0123456789 # 20 characters: the HMAC-SHA1 key length
# write_variant KIND FILE: the ESP lab with `protocol ah` (hmac-sha1-96, no encryption) or `protocol
# bundle` (AH SPI 2312 with hmac-sha1-96 over ESP auxiliary-spi 2313 with 3des-cbc).
write_variant() {
    "$PY" - "$LAB" "$2" "$AH_KEY" "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
key, kind = sys.argv[3], sys.argv[4]
text = text.replace("name: two-gateways-manual-sa", "name: two-gateways-manual-" + kind)
if kind == "ah":
    text, n = re.subn(r"\n *encryption \{[^}]*\}", "", text)
    assert n == 2, "two encryption blocks"
    text = text.replace("protocol esp;", "protocol ah;")
else:
    text = text.replace("protocol esp;\n                            spi 2312;",
                        "protocol bundle;\n                            spi 2312;\n"
                        "                            auxiliary-spi 2313;")
text = text.replace("hmac-md5-96", "hmac-sha1-96")
text = text.replace("key ascii-text 1234123412341234;", "key ascii-text %s;" % key)
assert text.count("protocol %s;" % kind) == 2 and text.count(key) == 2, "lab variant"
open(sys.argv[2], "w").write(text)
PY
}

# ah_variant KIND BRIEF: lab up, ping, capture the gateway wire, scapy checks every packet, lab down.
ah_variant() {
    local kind=$1 brief=$2 K out rc ip_protocols ah_fields scapy_out
    K=$(tr a-z A-Z <<<"$kind")
    write_variant "$kind" "$WORK/$kind.yaml"
    expect_status "$K: the $kind variant of the lab file is written" 0 "$?"
    out=$("$MSIM" lab up "$WORK/$kind.yaml" 2>&1); rc=$?
    expect_status "$K: the lab comes up" 0 "$rc"
    [ "$rc" -eq 0 ] || { echo "$out"; return; }
    ping_recovers 20 && pass "$K: host-a reaches host-b through the tunnel" || fail "$K: no ping through the tunnel"
    out=$("$MSIM" lab console gateway-a -c 'show ipsec security-associations' 2>&1)
    expect_contains "$K: show ipsec security-associations" "$out" "$brief"

    "$MSIM" lab capture gateway-a:fe-0/0/0 "$WORK/$kind.pcap" >"$WORK/capture.log" 2>&1 &
    capture_pid=$!
    sleep 1
    host_ping 10.2.2.10 3 && pass "$K: 3 pings while capturing" || fail "$K: pings while capturing failed"
    kill -INT "$capture_pid"
    wait "$capture_pid"
    capture_pid=""
    expect_contains "$K: the capture ends cleanly" "$(cat "$WORK/capture.log")" "packets captured"
    # The outer header's protocol only (AH leaves the inner header readable).
    ip_protocols=$(tshark -r "$WORK/$kind.pcap" -Y ip -T fields -E occurrence=f -e ip.proto 2>/dev/null | sort -u | tr '\n' ' ')
    [ "$ip_protocols" = "51 " ] && pass "$K: the gateway wire carries only AH" || fail "$K: IP protocols on the wire: '$ip_protocols'"
    ah_fields=$(tshark -r "$WORK/$kind.pcap" -Y ah -T fields -e ah.spi -e ah.next_header 2>/dev/null | sort -u | tr '\t\n' ', ')
    [ "$ah_fields" = "$([ "$kind" = ah ] && echo '0x00000908,4 ' || echo '0x00000908,50 ')" ] &&
        pass "$K: tshark: SPI 2312 on every AH header, next header $([ "$kind" = ah ] && echo IPv4 || echo ESP)" ||
        fail "$K: AH SPI and next header: '$ah_fields'"

    # scapy verifies every AH ICV (and strips the tunnel header); with a wrong key every check must fail.
    # For a bundle, the ESP under the AH (no ICV of its own) is then decrypted with the auxiliary SPI.
    scapy_out=$("$PY" - "$WORK/$kind.pcap" "$AH_KEY" "$kind" <<'PY' 2>&1
import sys
from scapy.all import rdpcap, raw, IP, ICMP
from scapy.layers.ipsec import SecurityAssociation, AH, ESP
tunnel = IP(src="10.5.5.5", dst="10.6.6.6")
def ah_sa(key):
    return SecurityAssociation(AH, spi=2312, auth_algo="HMAC-SHA1-96", auth_key=key, tunnel_header=tunnel)
good, bad = ah_sa(sys.argv[2].encode()), ah_sa(b"X" * 20)
esp = SecurityAssociation(ESP, spi=2313, crypt_algo="3DES", crypt_key=b"123456789009876543211234",
                          auth_algo="NULL", tunnel_header=tunnel)
bundle = sys.argv[3] == "bundle"
total = verified = rejected_by_wrong_key = 0
seen = set()
for p in rdpcap(sys.argv[1]):
    if IP not in p or p[IP].proto != 51:
        continue
    total += 1
    ip = IP(raw(p[IP])[:p[IP].len])  # without the Ethernet minimum-size padding
    if ip[AH].spi != 2312 or len(ip[AH].icv) != 12:
        print("bad AH header: spi %d icv %d bytes" % (ip[AH].spi, len(ip[AH].icv)))
        continue
    try:
        payload = good.decrypt(ip.copy())  # raises IPSecIntegrityError on a wrong ICV
    except Exception as e:
        print("ICV check failed: %s -> %s seq %d: %r" % (ip.src, ip.dst, ip[AH].seq, e))
        continue
    try:
        bad.decrypt(ip.copy())
    except Exception:
        rejected_by_wrong_key += 1
    try:
        if bundle:
            e = IP(raw(IP(src=ip.src, dst=ip.dst, proto=50) / ESP(raw(payload))))
            if e[ESP].spi != 2313:
                print("ESP under AH has SPI %d" % e[ESP].spi)
                continue
            inner = esp.decrypt(e)
        else:
            inner = IP(raw(payload))  # scapy leaves the tunnelled header as Raw
    except Exception as e:
        print("inner packet unreadable: %r" % e)
        continue
    if ICMP in inner:
        verified += 1
        seen.add("%s>%s type %d" % (inner[IP].src, inner[IP].dst, inner[ICMP].type))
print("scapy verified %d of %d AH packets" % (verified, total))
print("wrong key rejected %d" % rejected_by_wrong_key)
for s in sorted(seen):
    print("inner " + s)
PY
)
    expect_contains "$K: scapy verifies the ICV of every AH packet (and finds ICMP inside)" "$scapy_out" \
        "scapy verified 6 of 6 AH packets"
    expect_contains "$K: the same packets fail with a wrong key" "$scapy_out" "wrong key rejected 6"
    expect_contains "$K: echo requests from host-a inside" "$scapy_out" "inner 10.1.1.10>10.2.2.10 type 8"
    expect_contains "$K: echo replies from host-b inside" "$scapy_out" "inner 10.2.2.10>10.1.1.10 type 0"
    out=$("$MSIM" lab down 2>&1)
    expect_contains "$K: lab down" "$out" "is down"
}
ah_variant ah "    outbound  2312        0           tunnel     manual   AH"
ah_variant bundle "    outbound  2312        2313        tunnel     manual   BUNDLE"

# ---------------------------------------------------------------------------------------------------------
# 2. scapy takes gateway-a's place on the wire and talks ESP to gateway-b.
out=$("$MSIM" lab up "$LAB" 2>&1); rc=$?
expect_status "the ESP lab comes up" 0 "$rc"
[ "$rc" -eq 0 ] || { echo "$out"; finish; }
ping_recovers 20 && pass "ESP: host-a reaches host-b through gateway-a" || fail "ESP: no ping through the tunnel"

# gateway-a's end of the wire and gateway-b's, from both wires.conf files (they must agree).
wire_a=$(awk '$1 == "fe-0/0/0" && $2 == "udp" {print $3, $4}' "$MSIM_HOME/gateway-a/wires.conf")
wire_b=$(awk '$1 == "fe-0/0/0" && $2 == "udp" {print $4, $3}' "$MSIM_HOME/gateway-b/wires.conf")
[ -n "$wire_a" ] && [ "$wire_a" = "$wire_b" ] && pass "the two wires.conf describe the same wire ($wire_a)" ||
    fail "wires.conf: gateway-a '$wire_a', gateway-b reversed '$wire_b'"
read -r local_end remote_end <<<"$wire_a"

"$MSIM" stop --router gateway-a >/dev/null 2>&1
pfed_a_gone() { [ -z "$(daemon_pid gateway-a pfed)" ]; }
wait_for 10 pfed_a_gone && pass "gateway-a stopped (its pfed is gone)" || fail "gateway-a's pfed still runs"
# gateway-b forgets gateway-a's MAC: to answer, it must ARP for 10.0.0.1, and scapy answers.
expect_not_contains "gateway-b: clear arp" "$(cli_b 'clear arp')" "error"
expect_not_contains "gateway-b: no ARP entry for 10.0.0.1 left" "$(cli_b 'show arp')" " 10.0.0.1 "
out_before=$(cli_b 'show ipsec security-associations detail')
expect_contains "gateway-b: no authentication failure yet" "$out_before" "Authentication failures: 0, "
decrypted_before=$(grep -o 'Packets decrypted: [0-9]*' <<<"$out_before" | grep -o '[0-9]*$')

cat >"$WORK/peer.py" <<'PY'
# gateway-a played by scapy on the UDP wire: one Ethernet frame per datagram.
import signal, socket, subprocess, sys, time

signal.alarm(90)  # the whole exchange is bounded: SIGALRM ends the process
from scapy.all import Ether, ARP, IP, ICMP, Raw, raw
from scapy.layers.ipsec import SecurityAssociation, ESP

def addr(s):
    host, port = s.rsplit(":", 1)
    return (host, int(port))
local, far = addr(sys.argv[1]), addr(sys.argv[2])
MY_MAC, MY_IP, B_IP = "02:5c:a9:00:00:01", "10.0.0.1", "10.0.0.2"
sa = SecurityAssociation(ESP, spi=2312, crypt_algo="3DES", crypt_key=b"123456789009876543211234",
                         auth_algo="HMAC-MD5-96", auth_key=b"1234123412341234",
                         tunnel_header=IP(src="10.5.5.5", dst="10.6.6.6"))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(40):  # gateway-a's pfed may take a moment to release the port
    try:
        sock.bind(local)
        break
    except OSError:
        time.sleep(0.25)
else:
    print("bind failed")
    sys.exit(2)
sock.settimeout(0.2)
print("bound %s:%d" % local, flush=True)
b_mac = None
arp_answered = 0

def send(frame):
    sock.sendto(raw(frame), far)

def pump(seconds):
    """Receives for up to SECONDS, answering gateway-b's ARP for 10.0.0.1; returns the ESP packets seen."""
    global b_mac, arp_answered
    deadline, esp = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        try:
            data, src = sock.recvfrom(65535)
        except socket.timeout:
            continue
        if src != far:
            continue
        f = Ether(data)
        if ARP in f:
            a = f[ARP]
            if a.op == 1 and a.pdst == MY_IP and a.psrc == B_IP:
                b_mac = a.hwsrc
                send(Ether(dst=a.hwsrc, src=MY_MAC) /
                     ARP(op=2, hwsrc=MY_MAC, psrc=MY_IP, hwdst=a.hwsrc, pdst=a.psrc))
                arp_answered += 1
            elif a.op == 2 and a.psrc == B_IP:
                b_mac = a.hwsrc
        elif IP in f and f[IP].proto == 50:
            esp.append(IP(raw(f[IP])[:f[IP].len]))
            if seconds > 0:
                return esp
    return esp

# gateway-b's MAC: ask for it (answering whatever it asks meanwhile), up to 10 times.
for attempt in range(10):
    send(Ether(dst="ff:ff:ff:ff:ff:ff", src=MY_MAC) / ARP(op=1, hwsrc=MY_MAC, psrc=MY_IP, pdst=B_IP))
    pump(1)
    if b_mac:
        break
if not b_mac:
    print("no ARP from gateway-b")
    sys.exit(3)
print("gateway-b mac %s" % b_mac, flush=True)
# Our request taught gateway-b our MAC; make it forget it, so that it has to ask for 10.0.0.1 to answer.
# (An RFC 5227 probe, sender 0.0.0.0, would teach it nothing, but gateway-b does not answer probes.)
cleared = subprocess.run([sys.argv[3], "lab", "console", "gateway-b", "-c", "clear arp"], timeout=30,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
print("clear arp: status %d %s" % (cleared.returncode, cleared.stdout.strip()), flush=True)

def echo(seq, seq_num, corrupt=False):
    inner = IP(src="10.1.1.10", dst="10.2.2.10") / ICMP(type=8, id=0x5ca9, seq=seq) / Raw(b"scapy-%04d" % seq)
    frame = bytearray(raw(Ether(dst=b_mac, src=MY_MAC) / sa.encrypt(inner, seq_num=seq_num)))
    if corrupt:
        frame[-1] ^= 0x5a  # the last byte of the ICV
    sock.sendto(bytes(frame), far)

# A good packet: up to 5 attempts (the first may wait on gateway-b's ARP for 10.0.0.1), 3 s each.
ok = False
for attempt in range(1, 6):
    echo(attempt, 1000 + attempt)
    deadline = time.monotonic() + 3
    while not ok and time.monotonic() < deadline:
        for p in pump(deadline - time.monotonic()):
            print("ESP from %s to %s spi %d seq %d" % (p.src, p.dst, p[ESP].spi, p[ESP].seq), flush=True)
            try:
                d = sa.decrypt(p.copy())
            except Exception as e:
                print("decrypt failed: %r" % e)
                continue
            if ICMP in d and d[ICMP].type == 0 and d[ICMP].id == 0x5ca9:
                print("echo reply from %s to %s seq %d payload %s" %
                      (d[IP].src, d[IP].dst, d[ICMP].seq, bytes(d[ICMP].payload)[:10].decode()), flush=True)
                ok = True
    if ok:
        break
print("good packet answered after %d attempts" % attempt if ok else "good packet never answered", flush=True)

# Drain anything late, then one packet with a corrupted ICV: no reply may come back.
pump(1)
echo(99, 2000, corrupt=True)
late = pump(4)
print("corrupted ICV: %d ESP packets back" % len(late))
print("ARP requests answered: %d" % arp_answered)
PY

"$PY" "$WORK/peer.py" "$local_end" "$remote_end" "$MSIM" >"$WORK/peer.log" 2>&1 &
peer_pid=$!
wait "$peer_pid"
rc=$?
peer_pid=""
peer_out=$(cat "$WORK/peer.log")
expect_status "the scapy peer runs to the end" 0 "$rc"
expect_contains "scapy binds gateway-a's end of the wire" "$peer_out" "bound ${local_end}"
expect_contains "scapy learns gateway-b's MAC by ARP" "$peer_out" "gateway-b mac "
expect_contains "gateway-b forgets our MAC (clear arp from the peer)" "$peer_out" "clear arp: status 0"
expect_contains "gateway-b's reply is ESP from 10.6.6.6 to 10.5.5.5 with SPI 2312" "$peer_out" \
    "ESP from 10.6.6.6 to 10.5.5.5 spi 2312"
expect_contains "scapy decrypts it: host-b's echo reply to scapy's request" "$peer_out" \
    "echo reply from 10.2.2.10 to 10.1.1.10 seq "
expect_contains "scapy's ESP crossed gateway-b" "$peer_out" "good packet answered after"
expect_not_contains "scapy's ESP never failed to decrypt" "$peer_out" "decrypt failed"
expect_contains "the corrupted ICV gets no reply" "$peer_out" "corrupted ICV: 0 ESP packets back"
expect_not_contains "gateway-b's ARP for 10.0.0.1 was answered" "$peer_out" "ARP requests answered: 0"
expect_contains "the reply echoes scapy's payload" "$peer_out" " payload scapy-000"
expect_contains "gateway-b learnt the MAC scapy chose for 10.0.0.1" "$(cli_b 'show arp')" \
    "02:5c:a9:00:00:01 10.0.0.1 "

out=$(cli_b 'show ipsec security-associations detail')
decrypted_after=$(grep -o 'Packets decrypted: [0-9]*' <<<"$out" | grep -o '[0-9]*$')
[ -n "$decrypted_before" ] && [ -n "$decrypted_after" ] && [ "$decrypted_after" -gt "$decrypted_before" ] &&
    pass "gateway-b counts scapy's packets as decrypted ($decrypted_before -> $decrypted_after)" ||
    fail "gateway-b's decrypted count: '$decrypted_before' -> '$decrypted_after'"
expect_contains "gateway-b counts the corrupted ICV as one authentication failure" "$out" \
    "Authentication failures: 1, "

out=$("$MSIM" lab down 2>&1)
expect_contains "ESP lab down" "$out" "is down"
[ ! -e /var/run/netns/host-a ] && pass "no namespace left" || fail "namespace host-a left behind"
finish
