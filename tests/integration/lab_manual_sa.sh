#!/usr/bin/env bash
# IPsec with the seed's manual SA, for real: labs/two-gateways-manual-sa.yaml comes up, host-a pings host-b
# through the ES PICs, the wire between the gateways carries only ESP, tshark (an implementation nobody on
# this team wrote) decrypts it with the SA's keys and finds correct ICVs and the inner ICMP, and scapy's
# IPsec layer decrypts the same packets. show ipsec security-associations counts the traffic; a wrong key
# on one side gives authentication failures and no delivery; a PIC taken offline and back, and a pfed or
# ipsecd killed and restarted by init, all end with the SAs reinstalled and traffic flowing. A
# transport-mode SA protects the gateways' own pings to each other. Needs root.
source "$(dirname "$0")/lib.sh"

LAB="$(cd "$(dirname "$0")/../.." && pwd)/labs/two-gateways-manual-sa.yaml"
WORK=$(mktemp -d /tmp/msim-msa-it.XXXXXX)
lab_preflight host-a host-b
for tool in tshark /usr/bin/python3; do
    command -v "$tool" >/dev/null || { echo "FAIL - $tool is missing (scripts/bootstrap installs it)"; exit 1; }
done
capture_pid=""
lab_cleanup() {
    [ -n "$capture_pid" ] && kill -INT "$capture_pid" 2>/dev/null
    "$MSIM" lab down >/dev/null 2>&1
    rm -rf "$WORK"
    cleanup
}
trap lab_cleanup EXIT

cli_a() { "$MSIM" lab console gateway-a -c "$1" 2>&1; }
cli_b() { "$MSIM" lab console gateway-b -c "$1" 2>&1; }

out=$("$MSIM" lab up "$LAB" 2>&1); rc=$?
expect_status "the manual-SA lab comes up" 0 "$rc"
[ "$rc" -eq 0 ] || { echo "$out"; finish; }

ping_recovers 20 && pass "host-a reaches host-b through the tunnel" || fail "no ping through the tunnel"

# A capture of the gateway wire while host-a pings: only ESP (and ARP) on it.
"$MSIM" lab capture gateway-a:fe-0/0/0 "$WORK/esp.pcap" >"$WORK/capture.log" 2>&1 &
capture_pid=$!
sleep 1
host_ping 10.2.2.10 3 && pass "3 pings while capturing" || fail "pings while capturing failed"
kill -INT "$capture_pid"
wait "$capture_pid"
capture_pid=""
expect_contains "the capture ends cleanly" "$(cat "$WORK/capture.log")" "packets captured"
ip_protocols=$(tshark -r "$WORK/esp.pcap" -Y ip -T fields -e ip.proto 2>/dev/null | sort -u | tr '\n' ' ')
[ "$ip_protocols" = "50 " ] && pass "the gateway wire carries only ESP" || fail "IP protocols on the wire: '$ip_protocols'"

# tshark decrypts and verifies the ICV with the SA's keys (hex of the ascii-text keys).
enc=$(printf '123456789009876543211234' | od -An -tx1 | tr -d ' \n')
auth=$(printf '1234123412341234' | od -An -tx1 | tr -d ' \n')
decoded=$(tshark -r "$WORK/esp.pcap" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
    -o "uat:esp_sa:\"IPv4\",\"*\",\"*\",\"0x00000908\",\"TripleDES-CBC [RFC2451]\",\"0x$enc\",\"HMAC-MD5-96 [RFC2403]\",\"0x$auth\"" \
    -Y esp -T fields -e esp.spi -e esp.icv_good -e ip.src -e ip.dst -e icmp.type 2>/dev/null)
expect_contains "tshark: outbound ESP from A holds host-a's echo request, ICV good" "$decoded" \
    "$(printf '0x00000908\t1\t10.5.5.5,10.1.1.10\t10.6.6.6,10.2.2.10\t8')"
expect_contains "tshark: B's ESP holds host-b's echo reply, ICV good" "$decoded" \
    "$(printf '0x00000908\t1\t10.6.6.6,10.2.2.10\t10.5.5.5,10.1.1.10\t0')"
expect_not_contains "no packet with a bad ICV" "$decoded" "$(printf '\t0\t10.')"

# scapy's IPsec layer decrypts the same packets.
scapy_out=$(/usr/bin/python3 - "$WORK/esp.pcap" <<'PY' 2>&1
import sys
from scapy.all import rdpcap, IP, ESP, ICMP
from scapy.layers.ipsec import SecurityAssociation
sa = SecurityAssociation(ESP, spi=2312, crypt_algo="3DES", crypt_key=b"123456789009876543211234",
                         auth_algo="HMAC-MD5-96", auth_key=b"1234123412341234",
                         tunnel_header=IP(src="10.5.5.5", dst="10.6.6.6"))
n = 0
for p in rdpcap(sys.argv[1]):
    if IP in p and p[IP].proto == 50:
        inner = sa.decrypt(p[IP])  # verifies the ICV, raises on a mismatch
        if ICMP in inner:
            n += 1
print("scapy decrypted %d ICMP packets" % n)
PY
)
expect_contains "scapy decrypts and verifies our ESP" "$scapy_out" "scapy decrypted 6 ICMP packets"

out=$(cli_a 'show ipsec security-associations')
expect_contains "show ipsec security-associations" "$out" "Security association: manual-sa1, Interface family: Up"
expect_contains "brief lists both directions" "$out" "    outbound  2312        0           tunnel     manual   ESP"
out=$(cli_a 'show ipsec security-associations detail manual-sa1')
expect_contains "detail counts encrypted packets" "$out" "Packets encrypted:"
expect_not_contains "detail: none of them failed authentication" "$out" "Authentication failures: 1"

# A wrong key on B: authentication failures counted on A's inbound SA, nothing delivered; fixed, it works.
out=$(cli_b 'configure; set security ipsec security-association manual-sa1 manual direction bidirectional authentication key ascii-text 9999999999999999; commit and-quit')
expect_contains "B commits a wrong key" "$out" "commit complete"
sleep 2
host_ping 10.2.2.10 2 && fail "traffic passed with mismatched keys" || pass "mismatched keys: nothing delivered"
out=$(cli_b 'show ipsec security-associations detail')
expect_contains "B counts authentication failures" "$out" "Authentication failures: 2"
expect_contains "and logs them once" "$(cli_b 'show log messages | match "authentication failure" | count')" "Count: 1 lines"
out=$(cli_b 'configure; rollback 1; commit and-quit')
expect_contains "B rolls back to the right key" "$out" "commit complete"
ping_recovers 20 && pass "the right key again: traffic flows" || fail "no recovery after the key was fixed"

# The ES PIC goes offline: traffic stops; back online, the SAs are reinstalled and traffic flows.
out=$(cli_a 'request chassis pic fpc-slot 0 pic-slot 1 offline')
expect_contains "ES PIC offline" "$out" "offline initiated"
sleep 2
host_ping && fail "traffic passed with the ES PIC offline" || pass "ES PIC offline: no tunnel"
expect_contains "the SA shows it" "$(cli_a 'show ipsec security-associations')" "Interface family: Down"
cli_a 'request chassis pic fpc-slot 0 pic-slot 1 online' >/dev/null
ping_recovers 20 && pass "ES PIC online again: SAs reinstalled, traffic flows" || fail "no recovery after the PIC came back"

# pfed dies (its ES PIC models with it): init restarts it, ipsecd sees the new epoch and reinstalls.
kill -9 "$(daemon_pid gateway-a pfed)"
ping_recovers 30 && pass "pfed killed: restarted, SAs reinstalled, traffic flows" || fail "no recovery after pfed was killed"
kill -9 "$(daemon_pid gateway-a ipsecd)"
sleep 1
ping_recovers 30 && pass "ipsecd killed: traffic keeps flowing, ipsecd back" || fail "no traffic after ipsecd was killed"
expect_contains "ipsecd reports the SA again" "$(cli_a 'show ipsec security-associations')" "manual-sa1, Interface family: Up"

# Transport mode for the router's own traffic: host-sa (no es- unit names it) goes on the ES PIC, an
# output filter on the gateway link steers each gateway's own ICMP to the other into it.
for gw in a b; do
    peer=$([ $gw = a ] && echo 10.0.0.2 || echo 10.0.0.1)
    out=$("cli_$gw" "configure
set security ipsec security-association host-sa mode transport
set security ipsec security-association host-sa manual direction bidirectional protocol esp spi 3000
set security ipsec security-association host-sa manual direction bidirectional authentication algorithm hmac-sha1-96 key ascii-text 12345678901234567890
set security ipsec security-association host-sa manual direction bidirectional encryption algorithm 3des-cbc key ascii-text abcdefghijklmnopqrstuvwx
set firewall filter protect-own-icmp term own from destination-address $peer/32
set firewall filter protect-own-icmp term own from protocol icmp
set firewall filter protect-own-icmp term own then ipsec-sa host-sa
set firewall filter protect-own-icmp term rest then accept
set interfaces fe-0/0/0 unit 0 family inet filter output protect-own-icmp
commit and-quit")
    expect_contains "gateway-$gw commits the transport-mode SA" "$out" "commit complete"
done
sleep 2
"$MSIM" lab capture gateway-a:fe-0/0/0 "$WORK/transport.pcap" >"$WORK/capture2.log" 2>&1 &
capture_pid=$!
sleep 1
out=$(cli_a 'ping 10.0.0.2 count 3')
expect_contains "gateway-a pings gateway-b through the transport-mode SA" "$out" "3 packets transmitted, 3 packets received"
kill -INT "$capture_pid"
wait "$capture_pid"
capture_pid=""
enc=$(printf 'abcdefghijklmnopqrstuvwx' | od -An -tx1 | tr -d ' \n')
auth=$(printf '12345678901234567890' | od -An -tx1 | tr -d ' \n')
decoded=$(tshark -r "$WORK/transport.pcap" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
    -o "uat:esp_sa:\"IPv4\",\"*\",\"*\",\"0x00000bb8\",\"TripleDES-CBC [RFC2451]\",\"0x$enc\",\"HMAC-SHA-1-96 [RFC2404]\",\"0x$auth\"" \
    -Y 'esp.spi == 0xbb8' -T fields -e esp.icv_good -e ip.src -e ip.dst -e icmp.type 2>/dev/null)
expect_contains "tshark: the router's echo request in transport-mode ESP, ICV good" "$decoded" \
    "$(printf '1\t10.0.0.1\t10.0.0.2\t8')"
expect_contains "tshark: the peer router's echo reply, ICV good" "$decoded" "$(printf '1\t10.0.0.2\t10.0.0.1\t0')"
ip_protocols=$(tshark -r "$WORK/transport.pcap" -Y ip -T fields -e ip.proto 2>/dev/null | sort -u | tr '\n' ' ')
[ "$ip_protocols" = "50 " ] && pass "no clear ICMP between the routers" || fail "IP protocols on the wire: '$ip_protocols'"
out=$(cli_a 'show ipsec security-associations detail host-sa')
expect_contains "show: host-sa is up on the ES PIC" "$out" "Security association: host-sa, Interface family: Up"
expect_contains "show: in transport mode" "$out" "transport"
expect_contains "show: it counted the pings" "$out" "Packets encrypted: 3,"
out=$(cli_a 'clear ipsec security-associations host-sa'); rc=$?
expect_status "clear ipsec security-associations host-sa" 0 "$rc"
sleep 1
out=$(cli_a 'show ipsec security-associations detail host-sa')
expect_contains "cleared: installed afresh, counters start over" "$out" "Packets encrypted: 0,"
expect_contains "clear of an unknown SA" "$(cli_a 'clear ipsec security-associations nope')" \
    "error: security association nope does not exist"

out=$("$MSIM" lab down 2>&1)
expect_contains "lab down" "$out" "is down"
[ ! -e /var/run/netns/host-a ] && pass "no namespace left" || fail "namespace host-a left behind"
finish
