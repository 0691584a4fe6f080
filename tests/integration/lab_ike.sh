#!/usr/bin/env bash
# IKE for real: labs/two-gateways-ike.yaml comes up with no SA at all; host-a's first packets into sa-dyn make
# pfed ask kmd (sa-acquire), the gateways negotiate main mode + quick mode (PSK, 3des/sha1/group2, ESP
# 3des/hmac-sha1-96, PFS group2) and host-a reaches host-b through the negotiated tunnel. show ike
# security-associations says Matured on both sides, show ipsec security-associations lists the dynamic SAs
# with traffic counted, and a capture of the gateway wire holds ISAKMP (tshark decodes main mode and quick
# mode, nothing malformed) and ESP, nothing else. The proxy identities and remaining lifetimes are shown; a
# configuration change leaves the running SAs alone; clear ike / clear ipsec force renegotiation. Then the
# lab again with a wrong pre-shared key on gateway-b: no SA, AUTHENTICATION-FAILED in var/log/messages, kmd
# still running. Needs root.
source "$(dirname "$0")/lib.sh"

LAB="$(cd "$(dirname "$0")/../.." && pwd)/labs/two-gateways-ike.yaml"
WORK=$(mktemp -d /tmp/msim-ike-it.XXXXXX)
lab_preflight host-a host-b
command -v tshark >/dev/null || { echo "FAIL - tshark is missing (scripts/bootstrap installs it)"; exit 1; }
capture_pid=""
IT_HOME="$MSIM_HOME"  # the second lab runs in a state directory below it
lab_cleanup() {
    [ -n "$capture_pid" ] && kill -INT "$capture_pid" 2>/dev/null
    "$MSIM" lab down >/dev/null 2>&1
    rm -rf "$WORK"
    cleanup
    rm -rf "$IT_HOME"
}
trap lab_cleanup EXIT INT TERM

cli_a() { "$MSIM" lab console gateway-a -c "$1" 2>&1; }
cli_b() { "$MSIM" lab console gateway-b -c "$1" 2>&1; }

out=$("$MSIM" lab up "$LAB" 2>&1); rc=$?
expect_status "the IKE lab comes up" 0 "$rc"
[ "$rc" -eq 0 ] || { echo "$out"; finish; }

out=$(cli_a 'show ipsec security-associations')
expect_contains "before any traffic: sa-dyn is not negotiated" "$out" "Security association: sa-dyn, Interface family: Down"

# The capture runs from before the first packet: it sees the whole negotiation.
"$MSIM" lab capture gateway-a:fe-0/0/0 "$WORK/ike.pcap" >"$WORK/capture.log" 2>&1 &
capture_pid=$!
sleep 1
ping_recovers 40 && pass "host-a reaches host-b through the negotiated tunnel" || fail "no ping through the IKE tunnel"
host_ping 10.2.2.10 3 && pass "3 more pings through the tunnel" || fail "pings through the tunnel failed"
kill -INT "$capture_pid"
wait "$capture_pid"
capture_pid=""
expect_contains "the capture ends cleanly" "$(cat "$WORK/capture.log")" "packets captured"

out=$(cli_a 'show ike security-associations')
expect_contains "A: show ike security-associations header" "$out" "Remote Address  State         Initiator cookie  Responder cookie  Exchange type"
expect_contains "A: the IKE SA with B is Matured (main mode)" "$out" "10.6.6.6        Matured"
expect_contains "A: exchange type Main" "$out" " Main"
out=$(cli_b 'show ike security-associations')
expect_contains "B: the IKE SA with A is Matured" "$out" "10.5.5.5        Matured"
out=$(cli_a 'show ike security-associations detail 10.6.6.6')
expect_contains "A: detail: initiator" "$out" "Role: Initiator, State: Matured"
expect_contains "A: detail: algorithms (the ES PIC layout, junos-cli.md 5.4.1)" "$out" "  Algorithms:
   Authentication        : sha1
   Encryption            : 3des-cbc
   Pseudo random function: hmac-sha1"

out=$(cli_a 'show ipsec security-associations')
expect_contains "A: sa-dyn is up" "$out" "Security association: sa-dyn, Interface family: Up"
expect_contains "A: dynamic ESP SAs in both directions" "$out" "tunnel     dynamic  ESP"
out=$(cli_a 'show ipsec security-associations detail sa-dyn')
echo "$out" | grep -Eq 'Packets encrypted: [1-9]' && pass "A: packets encrypted counted" || fail "A: no packets encrypted: $out"
echo "$out" | grep -Eq 'Packets decrypted: [1-9]' && pass "A: packets decrypted counted" || fail "A: no packets decrypted"
expect_contains "A: anti-replay from the dynamic SA" "$out" "Enabled, Replay window size: 64"
out=$(cli_b 'show ipsec security-associations detail sa-dyn')
echo "$out" | grep -Eq 'Packets decrypted: [1-9]' && pass "B: packets decrypted counted" || fail "B: no packets decrypted"
out=$(cli_a 'show log messages')
expect_contains "A: var/log/messages says the tunnel is up" "$out" "KMD_VPN_UP_ALARM_USER: VPN sa-dyn from 10.6.6.6 is up"

# The wire: IKE on UDP 500 and ESP, nothing else (ARP aside); tshark decodes every ISAKMP message.
ip_protocols=$(tshark -r "$WORK/ike.pcap" -Y ip -T fields -e ip.proto 2>/dev/null | sort -u | tr '\n' ' ')
[ "$ip_protocols" = "17 50 " ] && pass "the gateway wire carries UDP (IKE) and ESP only" || fail "IP protocols on the wire: '$ip_protocols'"
udp_ports=$(tshark -r "$WORK/ike.pcap" -Y udp -T fields -e udp.srcport -e udp.dstport 2>/dev/null | sort -u | tr '\t\n' '  ')
[ "$udp_ports" = "500 500 " ] && pass "UDP on the wire is IKE on port 500" || fail "UDP ports on the wire: '$udp_ports'"
exchange_count() { tshark -r "$WORK/ike.pcap" -Y "isakmp.exchangetype == $1" 2>/dev/null | wc -l; }
main_mode=$(exchange_count 2)
quick_mode=$(exchange_count 32)
[ "$main_mode" -ge 6 ] && pass "tshark: main mode ($main_mode messages)" || fail "tshark: $main_mode main mode messages"
[ "$quick_mode" -ge 3 ] && pass "tshark: quick mode ($quick_mode messages)" || fail "tshark: $quick_mode quick mode messages"
malformed=$(tshark -r "$WORK/ike.pcap" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
[ "$malformed" -eq 0 ] && pass "tshark: no malformed packet" || fail "tshark: $malformed malformed packets"
esp=$(tshark -r "$WORK/ike.pcap" -Y esp 2>/dev/null | wc -l)
[ "$esp" -ge 8 ] && pass "tshark: ESP carries the pings ($esp packets)" || fail "tshark: only $esp ESP packets"

out=$(cli_a 'show log kmd')
expect_contains "show log kmd: gateway-a's IKE trace (traceoptions flag ike)" "$out" "ike: ike-sa-up peer 10.6.6.6"
expect_contains "show log kmd: the SA database trace (flag database)" "$out" "database: IPsec SA sa-dyn installed"

# clear ipsec security-associations: ipsecd deletes the dynamic SAs and tells kmd, which tells the peer; the
# next packet negotiates new ones over the IKE SA that is still there.
out=$(cli_a 'show ipsec security-associations')
old_spi=$(echo "$out" | awk '$1 == "outbound" { print $2 }')
cli_a 'clear ipsec security-associations' >/dev/null
ping_recovers 30 && pass "after clear ipsec security-associations: traffic flows again" || fail "no traffic after clear ipsec"
out=$(cli_a 'show ipsec security-associations')
new_spi=$(echo "$out" | awk '$1 == "outbound" { print $2 }')
[ -n "$new_spi" ] && [ "$new_spi" != "$old_spi" ] && pass "new SAs negotiated (outbound SPI $old_spi -> $new_spi)" \
    || fail "outbound SPI '$old_spi' -> '$new_spi'"
out=$(cli_a 'show ike security-associations detail')
expect_contains "the same IKE SA carried the new quick mode" "$out" "IPSec security associations: 2 created"

# The proxy identities and what is left of the lifetimes (junos-cli.md 5.4.5, 5.4.1).
out=$(cli_a 'show ipsec security-associations sa-dyn')
expect_contains "A: the negotiated local identity" "$out" "  Local identity: ipv4_subnet(any:0,[0..7]=10.1.1.0/24)"
expect_contains "A: the negotiated remote identity" "$out" "  Remote identity: ipv4_subnet(any:0,[0..7]=10.2.2.0/24)"
out=$(cli_a 'show ipsec security-associations detail sa-dyn')
echo "$out" | grep -Eq '^    Soft lifetime: Expires in [0-9]+ seconds$' && pass "A: soft lifetime remaining" || fail "A: no soft lifetime: $out"
echo "$out" | grep -Eq '^    Hard lifetime: Expires in [0-9]+ seconds$' && pass "A: hard lifetime remaining" || fail "A: no hard lifetime"
expect_contains "A: packets that waited in vain are counted" "$out" "Packets dropped waiting for negotiation on this PIC: "

# A configuration change applies to new SAs only (the seed): the running IKE and IPsec SAs stay.
spi_before=$(cli_a 'show ipsec security-associations' | awk '$1 == "outbound" { print $2 }')
cookie_before=$(cli_a 'show ike security-associations' | awk '$1 == "10.6.6.6" { print $3 }')
out=$(cli_a 'configure
set security ike proposal ike-proposal lifetime-seconds 7200
set security ipsec proposal esp-proposal lifetime-seconds 7200
set security ipsec policy ipsec-policy perfect-forward-secrecy keys group1
commit and-quit')
expect_contains "A: proposals and PFS changed" "$out" "commit complete"
host_ping 10.2.2.10 2 && pass "traffic flows through the running tunnel after the change" || fail "no traffic after a configuration change"
spi_after=$(cli_a 'show ipsec security-associations' | awk '$1 == "outbound" { print $2 }')
cookie_after=$(cli_a 'show ike security-associations' | awk '$1 == "10.6.6.6" { print $3 }')
[ -n "$spi_before" ] && [ "$spi_before" = "$spi_after" ] && pass "the IPsec SA was not torn down (SPI $spi_after)" ||
    fail "outbound SPI '$spi_before' -> '$spi_after' after a configuration change"
[ -n "$cookie_before" ] && [ "$cookie_before" = "$cookie_after" ] && pass "the IKE SA was not torn down" ||
    fail "IKE SA cookie '$cookie_before' -> '$cookie_after' after a configuration change"
out=$(cli_a 'configure
set security ipsec policy ipsec-policy perfect-forward-secrecy keys group2
delete security ike proposal ike-proposal lifetime-seconds
delete security ipsec proposal esp-proposal lifetime-seconds
commit and-quit')

# clear ike security-associations PEER: the IKE SAs go on both sides (A tells B), the IPsec SAs keep
# carrying traffic; clearing the IPsec SAs then needs a new phase 1 first.
cli_a 'clear ike security-associations 10.6.6.6' >/dev/null
expect_not_contains "A: no IKE SA after clear ike" "$(cli_a 'show ike security-associations')" "10.6.6.6"
cleared_b=0
for _ in $(seq 1 20); do
    case "$(cli_b 'show ike security-associations')" in *10.5.5.5*) sleep 0.3 ;; *) cleared_b=1; break ;; esac
done
[ "$cleared_b" -eq 1 ] && pass "B: the peer's delete removed its IKE SA too" || fail "B still lists the IKE SA"
host_ping 10.2.2.10 2 && pass "the IPsec SAs still carry traffic without an IKE SA" || fail "no traffic after clear ike"
cli_a 'clear ipsec security-associations' >/dev/null
ping_recovers 30 && pass "after clearing both: traffic flows again" || fail "no traffic after clear ike + clear ipsec"
out=$(cli_a 'show ike security-associations')
new_cookie=$(echo "$out" | awk '$1 == "10.6.6.6" && $2 == "Matured" { print $3 }')
[ -n "$new_cookie" ] && [ "$new_cookie" != "$cookie_after" ] && pass "a new IKE SA was negotiated ($new_cookie)" ||
    fail "no new IKE SA: $out"
expect_contains "A: clear and rekey lines in var/log/messages" "$(cli_a 'show log messages')" "IKE SA with 10.6.6.6 deleted (cleared by the operator)"

out=$("$MSIM" lab down 2>&1)
expect_contains "lab down" "$out" "is down"

# The same lab with a wrong pre-shared key on gateway-b: no SA, the failure logged, no crash.
# (gateway-b's policy is the second pre-shared key in the file; a state directory of its own, so nothing of
# the first lab — ipsecd keeps dynamic SAs on disk — comes back.)
awk '/pre-shared-key ascii-text example-pre-shared-key;/ && ++n == 2 { sub(/example-pre-shared-key/, "a-wrong-pre-shared-key") } { print }' \
    "$LAB" >"$WORK/wrong-psk.yaml"
[ "$(grep -c a-wrong-pre-shared-key "$WORK/wrong-psk.yaml")" -eq 1 ] && pass "wrong-PSK lab: one gateway's key changed" \
    || fail "wrong-PSK lab file not as intended"
export MSIM_HOME="$MSIM_HOME/wrong-psk"
mkdir -p "$MSIM_HOME"
out=$("$MSIM" lab up "$WORK/wrong-psk.yaml" 2>&1); rc=$?
expect_status "the wrong-PSK lab comes up" 0 "$rc"
[ "$rc" -eq 0 ] || { echo "$out"; finish; }
kmd_b=$(daemon_pid gateway-b kmd)
ping_recovers 8 && fail "traffic passed with mismatched pre-shared keys" || pass "wrong pre-shared key: no traffic"
logged=""
for _ in $(seq 1 20); do
    logged=$(cli_b 'show log messages')
    case "$logged" in *AUTHENTICATION-FAILED*) break ;; esac
    sleep 0.5
done
expect_contains "B logs AUTHENTICATION-FAILED" "$logged" "AUTHENTICATION-FAILED"
expect_contains "A logs the failure too" "$(cli_a 'show log messages')" "AUTHENTICATION-FAILED"
out=$(cli_a 'show ike security-associations')
expect_not_contains "A: no matured IKE SA" "$out" "Matured"
out=$(cli_a 'show ipsec security-associations')
expect_contains "A: sa-dyn not negotiated" "$out" "Security association: sa-dyn, Interface family: Down"
[ -n "$kmd_b" ] && [ "$(daemon_pid gateway-b kmd)" = "$kmd_b" ] && pass "B's kmd did not crash" || fail "B's kmd restarted"

out=$("$MSIM" lab down 2>&1)
expect_contains "lab down" "$out" "is down"
[ ! -e /var/run/netns/host-a ] && pass "no namespace left" || fail "namespace host-a left behind"
finish
