#!/usr/bin/env bash
# pfed in real routers: two routers wired back to back by a UDP wire (wires.conf), a Linux host in a network
# namespace on a TAP wire of r1. Addresses committed through the CLI reach pfed (validate, apply), a commit
# with an overlapping address fails with pfed's error, the host pings r1 and, routed by r1 over the UDP wire,
# r2 (real Linux ping, real ARP), and the show RPCs (interfaces, arp, route) say so. A capture of the wire
# is read back by tshark.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
ns="msim-pfed-it-$$"
netns_made=false
cleanup_netns() {
    if $netns_made; then
        ip netns del "$ns" 2>/dev/null
    fi
}
trap 'cleanup_netns; cleanup' EXIT

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
    echo "SKIP: needs root and iproute2 for the network namespace"
    exit 77
fi

# rpc ROUTER DAEMON XML: one RPC straight to a daemon's socket (the show commands' renderers live in the
# shell; this reads the XML they render). Prints the <rpc-reply>.
rpc() {
    "$PY" - "$MSIM_HOME/$1/var/run/$2.sock" "$3" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
body = ('<rpc message-id="1">' + sys.argv[2] + '</rpc>').encode()
s.sendall(struct.pack('>IBBH', len(body), 1, 0, 0) + body)
def read(n):
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            sys.exit(1)
        data += chunk
    return data
while True:
    length, kind, _, _ = struct.unpack('>IBBH', read(8))
    payload = read(length).decode()
    if '<rpc-reply' in payload:
        print(payload)
        break
EOF
}
flat() { tr -d ' \n'; }

port_pair=$("$PY" -c '
import socket
a, b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
read -r p1 p2 <<<"$port_pair"

# The host: a namespace with a persistent TAP eth0 (as the lab runner makes it), 192.168.77.10/24 via r1.
ip netns add "$ns" && netns_made=true
ip -n "$ns" tuntap add dev eth0 mode tap
ip -n "$ns" addr add 192.168.77.10/24 dev eth0
ip -n "$ns" link set lo up
ip -n "$ns" link set eth0 up
ip -n "$ns" route add default via 192.168.77.1

for r in r1 r2; do
    mkdir -p "$MSIM_HOME/$r"
    printf 'chassis m10\npic 0/0 4x-fe\npic 0/1 es\npic 1/0 as\npic 1/1 1x-ge\n' >"$MSIM_HOME/$r/hardware.conf"
done
cat >"$MSIM_HOME/r1/wires.conf" <<EOF
# interface  kind  arguments
fe-0/0/0 udp 127.0.0.1:$p1 127.0.0.1:$p2
fe-0/0/1 tap eth0 netns $ns
fe-0/0/2 bogus line      # reported with its line number and skipped
EOF
echo "fe-0/0/0 udp 127.0.0.1:$p2 127.0.0.1:$p1" >"$MSIM_HOME/r2/wires.conf"

for r in r1 r2; do
    out=$("$MSIM" start --router $r 2>&1); rc=$?
    expect_status "router $r starts" 0 "$rc"
done

has_fe() { rpc "$1" pfed '<get-interface-information><terse/></get-interface-information>' | grep -q '<name>fe-0/0/0</name>'; }
if ! wait_for 10 has_fe r1; then
    if grep -q "cannot subscribe to chassisd" "$MSIM_HOME/r1/var/log/messages" &&
        ! grep -q "PIC 0/0 online" "$MSIM_HOME/r1/var/log/messages"; then
        echo "SKIP: this chassisd does not publish PIC state (subscribe-pic-state) yet"
        exit 77
    fi
    fail "pfed of r1 never got fe-0/0/0 from chassisd"
    finish
fi
wait_for 10 has_fe r2 || fail "pfed of r2 never got fe-0/0/0 from chassisd"
pass "interfaces of online PICs exist"

log1=$(cat "$MSIM_HOME/r1/var/log/messages")
expect_contains "interfaces appear in messages" "$log1" "PIC 0/0 online: interface fe-0/0/0 created"
expect_contains "the UDP wire is attached" "$log1" "interface fe-0/0/0 wired to udp 127.0.0.1:$p1"
expect_contains "the TAP wire is attached" "$log1" "interface fe-0/0/1 wired to tap eth0 netns $ns"
expect_contains "a bad wires.conf line is reported with its number" "$log1" "wires.conf:4: unknown wire kind 'bogus'"

cli() { "$MSIM" cli --router "$1" -c "$2" 2>&1; }
out=$(cli r1 'configure; set interfaces fe-0/0/0 unit 0 family inet address 10.0.0.1/30; set interfaces fe-0/0/1 unit 0 family inet address 192.168.77.1/24; commit'); rc=$?
expect_status "r1 commit succeeds" 0 "$rc"
expect_contains "r1 commit complete" "$out" "commit complete"
out=$(cli r2 'configure; set interfaces fe-0/0/0 unit 0 family inet address 10.0.0.2/30; set routing-options static route 192.168.77.0/24 next-hop 10.0.0.1; commit'); rc=$?
expect_status "r2 commit succeeds" 0 "$rc"

terse=$(rpc r1 pfed '<get-interface-information><terse/></get-interface-information>' | flat)
expect_contains "fe-0/0/0 is up/up (UDP wire)" "$terse" "<name>fe-0/0/0</name><admin-status>up</admin-status><oper-status>up</oper-status>"
expect_contains "fe-0/0/1 is up/up (TAP wire)" "$terse" "<name>fe-0/0/1</name><admin-status>up</admin-status><oper-status>up</oper-status>"
expect_contains "fe-0/0/2 has no wire: down" "$terse" "<name>fe-0/0/2</name><admin-status>up</admin-status><oper-status>down</oper-status>"
expect_contains "the committed address is on fe-0/0/0.0" "$terse" "<ifa-local>10.0.0.1/30</ifa-local>"
expect_contains "es-0/1/0 exists (ES PIC online)" "$terse" "<name>es-0/1/0</name>"
out=$(rpc r1 pfed '<get-interface-information><interface-name>fe-0/0/9</interface-name></get-interface-information>')
expect_contains "an unknown interface" "$out" "device fe-0/0/9 not found"

# pfed refuses what only it knows: an address overlapping another interface's subnet.
before=$(cat "$MSIM_HOME/r1/config/juniper.conf")
out=$(cli r1 'configure; set interfaces fe-0/0/2 unit 0 family inet address 10.0.0.2/30; commit'); rc=$?
expect_status "an overlapping address fails the commit" 1 "$rc"
expect_contains "with the path" "$out" "[edit interfaces fe-0/0/2 unit 0 family inet]"
expect_contains "the statement" "$out" "'address 10.0.0.2/30'"
expect_contains "and pfed's message" "$out" "overlaps subnet 10.0.0.0/30 of fe-0/0/0.0"
expect_contains "check-out failed" "$out" "error: configuration check-out failed"
[ "$before" = "$(cat "$MSIM_HOME/r1/config/juniper.conf")" ] && pass "juniper.conf untouched" || fail "juniper.conf changed"
expect_not_contains "pfed did not apply it" "$(rpc r1 pfed '<get-interface-information><terse/></get-interface-information>' | flat)" "10.0.0.2/30"

# A real Linux host pings r1, then r2 through r1 (ARP on the TAP, forwarding, ARP over the UDP wire).
out=$(ip netns exec "$ns" ping -c 3 -W 1 192.168.77.1 2>&1); rc=$?
expect_status "the host pings r1" 0 "$rc"
expect_contains "three replies" "$out" "3 received"
out=$(ip netns exec "$ns" ping -c 3 -W 1 10.0.0.2 2>&1); rc=$?
expect_status "the host pings r2 through r1 and the UDP wire" 0 "$rc"
expect_contains "TTL decremented by r1" "$out" "ttl=63"

arp=$(rpc r1 pfed '<get-arp-table-information/>' | flat)
expect_contains "r1 learned the host" "$arp" "<ip-address>192.168.77.10</ip-address>"
expect_contains "r1 learned r2" "$arp" "<ip-address>10.0.0.2</ip-address>"
expect_contains "r2 learned r1" "$(rpc r2 pfed '<get-arp-table-information/>' | flat)" "<ip-address>10.0.0.1</ip-address>"
route=$(rpc r2 pfed '<get-route-information/>' | flat)
expect_contains "r2 has its direct route" "$route" "<rt-destination>10.0.0.0/30</rt-destination>"
expect_contains "r2 has the static route" "$route" "<rt-destination>192.168.77.0/24</rt-destination>"
expect_contains "static via 10.0.0.1" "$route" "<to>10.0.0.1</to>"
out=$(rpc r2 pfed '<get-route-information><destination>192.168.77.10</destination></get-route-information>' | flat)
expect_contains "show route ADDRESS: the longest match" "$out" "<rt-destination>192.168.77.0/24</rt-destination>"
expect_not_contains "and only it" "$out" "10.0.0.0/30"
counters=$(rpc r2 pfed '<get-interface-information><extensive/><interface-name>fe-0/0/0</interface-name></get-interface-information>' | flat)
expect_contains "real counters on r2 fe-0/0/0" "$counters" "<input-packets>"
rpc r1 pfed '<clear-arp-table/>' >/dev/null
expect_not_contains "clear arp" "$(rpc r1 pfed '<get-arp-table-information/>' | flat)" "10.0.0.2"

# Removing the address through a commit takes it away in pfed (apply by difference).
out=$(cli r2 'configure; delete routing-options static route 192.168.77.0/24; commit'); rc=$?
expect_status "r2 deletes its static route" 0 "$rc"
expect_not_contains "the route is gone" "$(rpc r2 pfed '<get-route-information/>' | flat)" "192.168.77.0/24"
out=$(ip netns exec "$ns" ping -c 1 -W 1 10.0.0.2 2>&1); rc=$?
expect_status "and r2 no longer answers the host" 1 "$rc"

# The host's PIC goes offline: fe-0/0/1 disappears, pings fail; back online, its configuration returns.
pic_request() {
    rpc r1 chassisd "<request-chassis-pic><fpc-slot>0</fpc-slot><pic-slot>0</pic-slot><$1/></request-chassis-pic>"
}
no_fe1() { ! rpc r1 pfed '<get-interface-information><terse/></get-interface-information>' | grep -q '<name>fe-0/0/1</name>'; }
pic_request offline >/dev/null
if wait_for 5 no_fe1; then pass "PIC offline: its interfaces are gone"; else fail "fe-0/0/1 still there with its PIC offline"; fi
out=$(ip netns exec "$ns" ping -c 1 -W 1 192.168.77.1 2>&1); rc=$?
expect_status "no answer while the PIC is offline" 1 "$rc"
expect_contains "messages says so" "$(cat "$MSIM_HOME/r1/var/log/messages")" "PIC 0/0 offline: interface fe-0/0/1 deleted"
pic_request online >/dev/null
wait_for 5 has_fe r1
out=$(ip netns exec "$ns" ping -c 2 -W 1 192.168.77.1 2>&1); rc=$?
expect_status "PIC back online: the host pings r1 again (configuration and wire survived)" 0 "$rc"

# pfed restarted by init: it re-reads wires.conf, re-subscribes to chassisd, reloads its configuration.
old=$(daemon_pid r1 pfed)
kill -9 "$old"
restarted() {
    local pid
    pid=$(daemon_pid r1 pfed)
    [ -n "$pid" ] && [ "$pid" != "$old" ] &&
        rpc r1 pfed '<get-interface-information><terse/></get-interface-information>' | grep -q '192.168.77.1/24'
}
if wait_for 15 restarted; then pass "pfed restarted with its interfaces and configuration"; else fail "pfed did not come back"; fi
out=$(ip netns exec "$ns" ping -c 2 -W 1 192.168.77.1 2>&1); rc=$?
expect_status "the TAP wire is re-attached after the restart" 0 "$rc"

# A capture of r1's TAP wire (the lab runner's start-capture), read back by tshark.
pcap="$MSIM_HOME/capture.pcap"
"$PY" - "$MSIM_HOME/r1/var/run/pfed.sock" "$pcap" >"$MSIM_HOME/capture.out" 2>&1 <<'EOF' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
body = ('<rpc message-id="1"><start-capture><interface>fe-0/0/1</interface><file>%s</file></start-capture></rpc>' % sys.argv[2]).encode()
s.sendall(struct.pack('>IBBH', len(body), 1, 0, 0) + body)
s.settimeout(10)
def read(n):
    data = b''
    while len(data) < n:
        data += s.recv(n - len(data))
    return data
progress = 0
deadline = time.time() + 4
while time.time() < deadline:
    length, kind, _, _ = struct.unpack('>IBBH', read(8))
    payload = read(length).decode()
    if 'capture-status' in payload:
        progress += 1
        print(payload)
cancel = b'<cancel-rpc message-id="1"/>'
s.sendall(struct.pack('>IBBH', len(cancel), 1, 0, 0) + cancel)
while True:
    length, kind, _, _ = struct.unpack('>IBBH', read(8))
    payload = read(length).decode()
    if '<rpc-reply' in payload:
        print(payload)
        break
EOF
capture_pid=$!
sleep 1
ip netns exec "$ns" ping -c 2 -W 1 192.168.77.1 >/dev/null 2>&1
wait "$capture_pid"
cap=$(cat "$MSIM_HOME/capture.out")
expect_contains "capture progress once a second" "$cap" "<capture-status><packets>"
expect_contains "the capture replies when cancelled" "$cap" "<capture-information><packets>"
if command -v tshark >/dev/null; then
    out=$(tshark -r "$pcap" 2>&1)
    expect_contains "tshark decodes the echo requests" "$out" "Echo (ping) request"
    expect_contains "and r1's replies" "$out" "Echo (ping) reply"
fi
out=$(rpc r1 pfed "<start-capture><interface>fe-0/0/9</interface><file>$pcap</file></start-capture>")
expect_contains "capture of a missing interface" "$out" "device fe-0/0/9 not found"

finish
