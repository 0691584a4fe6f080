#!/usr/bin/env bash
# Labs: labs/two-gateways.yaml comes up (two routers, two Linux hosts in network namespaces), the lab runner
# wrote each router's hardware.conf and wires.conf and committed its startup configuration; host-a pings
# host-b with the real Linux ping and from the router CLI; a PIC taken offline breaks the path and brings it
# back when online again; a capture of the wire between the gateways opens in tshark; a bad lab file and a
# bad startup configuration create nothing; `lab down` leaves no namespace and no process. Needs root.
source "$(dirname "$0")/lib.sh"

LAB="$(cd "$(dirname "$0")/../.." && pwd)/labs/two-gateways.yaml"
WORK=$(mktemp -d /tmp/msim-lab-it.XXXXXX)

if [ "$(id -u)" -ne 0 ]; then
    echo "skip: network namespaces need root"
    exit 77
fi
for ns in host-a host-b; do
    if [ -e "/var/run/netns/$ns" ]; then
        echo "FAIL - network namespace $ns already exists (another lab is up on this machine); not touching it"
        exit 1
    fi
done

# Whatever happens, the lab goes down (it removes only what its state file says it created), then lib.sh
# stops any router left and removes MSIM_HOME.
capture_pid=""
lab_cleanup() {
    [ -n "$capture_pid" ] && kill -INT "$capture_pid" 2>/dev/null
    "$MSIM" lab down >/dev/null 2>&1
    rm -rf "$WORK"
    cleanup
}
trap lab_cleanup EXIT

# --- a lab file that is wrong creates nothing ---
cat >"$WORK/bad.yaml" <<'EOF'
name: bad
topology:
  nodes:
    r1: { kind: router, chasis: m10 }
    h1: { kind: host, gateway: 10.9.9.1 }
  links:
    - endpoints: ["r1:fe-0/0/9", "h1:eth0"]
EOF
out=$("$MSIM" lab up "$WORK/bad.yaml" 2>&1); rc=$?
expect_status "an invalid lab file is refused" 1 "$rc"
expect_contains "unknown key with its line" "$out" "bad.yaml:4: unknown key 'chasis' in router r1"
expect_contains "host without address with its line" "$out" "bad.yaml:5: host h1 has no address"
expect_contains "missing interface with its line" "$out" "bad.yaml:7: router r1 has no interface fe-0/0/9"
[ ! -e /var/run/netns/h1 ] && [ ! -d "$MSIM_HOME/r1" ] && pass "nothing was created" || fail "an invalid lab created something"

# --- a startup configuration that does not commit: the lab is torn down again ---
cat >"$WORK/badconf.yaml" <<'EOF'
name: badconf
topology:
  nodes:
    r1:
      kind: router
      startup-config: |
        interfaces { fe-0/0/0 { unit 0 { family inet { adress 10.0.0.1/30; } } } }
    h9: { kind: host, address: 10.9.9.10/24 }
  links:
    - endpoints: ["r1:fe-0/0/1", "h9:eth0"]
EOF
out=$("$MSIM" lab up "$WORK/badconf.yaml" 2>&1); rc=$?
expect_status "a startup configuration with an error fails lab up" 1 "$rc"
expect_contains "and shows the router's error" "$out" "router r1 refused its startup-config"
expect_contains "the CLI's own words" "$out" "syntax error"
[ ! -e /var/run/netns/h9 ] && pass "its host namespace was removed" || fail "namespace h9 left behind"
[ -z "$(pgrep -f -- "--state $MSIM_HOME/r1 ")" ] && pass "its router was stopped" || fail "router r1 still runs"
[ ! -e "$MSIM_HOME/.labs/badconf.yaml" ] && pass "its state file was removed" || fail "state file left"

# --- the two-gateways lab ---
out=$("$MSIM" lab up "$LAB" 2>&1); rc=$?
expect_status "lab up succeeds" 0 "$rc"
expect_contains "lab up says so" "$out" "Lab two-gateways is up: 2 router(s), 2 host(s), 3 link(s)"
[ "$rc" -eq 0 ] || { echo "$out"; finish; }

out=$("$MSIM" lab up "$LAB" 2>&1); rc=$?
expect_status "bringing it up twice is refused" 1 "$rc"
expect_contains "and says why" "$out" "lab two-gateways is already up"

expect_contains "hardware.conf written" "$(cat "$MSIM_HOME/gateway-a/hardware.conf")" "pic 0/1 es"
wires_a=$(cat "$MSIM_HOME/gateway-a/wires.conf")
expect_contains "wires.conf: tap to host-a" "$wires_a" "fe-0/0/1 tap eth0 netns host-a"
port_a=$(awk '$1=="fe-0/0/0" && $2=="udp" {split($3, a, ":"); print a[2]}' "$MSIM_HOME/gateway-a/wires.conf")
peer_a=$(awk '$1=="fe-0/0/0" && $2=="udp" {split($4, a, ":"); print a[2]}' "$MSIM_HOME/gateway-a/wires.conf")
expect_contains "wires.conf: the other end of the UDP wire" "$(cat "$MSIM_HOME/gateway-b/wires.conf")" \
    "fe-0/0/0 udp 127.0.0.1:$peer_a 127.0.0.1:$port_a"
for r in gateway-a gateway-b; do
    out=$("$MSIM" status --router "$r" 2>&1)
    expect_contains "$r is running" "$out" "Router $r: running"
done
expect_contains "startup configuration committed" "$("$MSIM" lab console gateway-a -c 'show configuration interfaces lo0' 2>&1)" "10.5.5.5/32"
expect_contains "host name from the startup configuration" "$("$MSIM" lab console gateway-b -c 'show version' 2>&1)" "Hostname: gateway-b"

out=$(ip -n host-a -o -4 addr show dev eth0 2>&1)
expect_contains "host-a has its address" "$out" "10.1.1.10/24"
expect_contains "host-a has its default route" "$(ip -n host-a route show default 2>&1)" "default via 10.1.1.1"
expect_contains "lab console runs commands in a host" "$("$MSIM" lab console host-b -c 'ip -4 -o addr show dev eth0' 2>&1)" "10.2.2.10/24"

out=$("$MSIM" lab status 2>&1); rc=$?
expect_status "lab status succeeds" 0 "$rc"
echo "$out" | sed 's/^/    | /'
expect_contains "status: gateway-a running" "$out" "gateway-a  router  running"
expect_contains "status: host-a present" "$out" "host-a     host    present  eth0 10.1.1.10/24, gateway 10.1.1.1"
expect_contains "status: the UDP link" "$out" "gateway-a:fe-0/0/0 <-> gateway-b:fe-0/0/0"
expect_contains "status -t FILE works too" "$("$MSIM" lab status -t "$LAB" 2>&1)" "Lab two-gateways: up"

# --- end to end through pfed, chassisd and the CLI ---
host_ping() { ip netns exec host-a ping -c 1 -W 1 10.2.2.10; }
if wait_for 20 host_ping; then pass "host-a reaches host-b"; else fail "host-a cannot reach host-b"; fi
out=$(ip netns exec host-a ping -c 3 -W 2 10.2.2.10 2>&1); rc=$?
expect_status "Linux ping host-a -> host-b, 3 packets" 0 "$rc"
expect_contains "no loss" "$out" "3 received"

out=$("$MSIM" lab console gateway-a -c 'ping 10.2.2.10 count 3' 2>&1)
expect_contains "ping from the router CLI" "$out" "3 packets received"
out=$("$MSIM" lab console gateway-a -c 'ping 10.6.6.6 source 10.5.5.5 count 2' 2>&1)
expect_contains "the tunnel endpoints reach each other" "$out" "2 packets received"

out=$("$MSIM" lab status 2>&1)
if echo "$out" | grep -E 'gateway-a:fe-0/0/1 <-> host-a:eth0 +tap +up' >/dev/null; then
    pass "status: the tap link is up"
else
    fail "status: the tap link is not up:"; echo "$out"
fi

# PIC 0/0 carries fe-0/0/0 and fe-0/0/1: offline, the path breaks; online, it comes back.
out=$("$MSIM" lab console gateway-a -c 'request chassis pic fpc-slot 0 pic-slot 0 offline' 2>&1); rc=$?
expect_status "PIC offline accepted" 0 "$rc"
host_ping_fails() { ! ip netns exec host-a ping -c 1 -W 1 10.2.2.10; }
if wait_for 10 host_ping_fails; then pass "PIC offline: host-a no longer reaches host-b"; else fail "ping still works with the PIC offline"; fi
out=$("$MSIM" lab console gateway-a -c 'request chassis pic fpc-slot 0 pic-slot 0 online' 2>&1); rc=$?
expect_status "PIC online accepted" 0 "$rc"
# An interface keeps its MAC across offline/online, so the hosts' and the peer's neighbour caches stay right
# and the path is back as soon as pfed has re-created the interface (a changing MAC took ~45 s here).
online_at=$SECONDS
if wait_for 20 host_ping; then
    pass "PIC online: the ping recovers (after $((SECONDS - online_at)) s)"
else
    fail "ping did not recover within 20 s after the PIC came back"
fi

# A capture of the wire between the gateways while host-a pings host-b.
pcap="$WORK/gw.pcap"
"$MSIM" lab capture gateway-a:fe-0/0/0 "$pcap" >"$WORK/capture.out" 2>&1 &
capture_pid=$!
wait_for 5 test -s "$pcap" || sleep 1
wait_for 20 host_ping
ip netns exec host-a ping -c 3 -W 2 10.2.2.10 >/dev/null 2>&1
sleep 1
kill -INT "$capture_pid"
wait "$capture_pid"; rc=$?
capture_pid=""
expect_status "capture stops cleanly on SIGINT" 0 "$rc"
out=$(cat "$WORK/capture.out")
expect_contains "capture reports its count" "$out" "packets captured"
out=$(tshark -r "$pcap" -Y icmp -T fields -e ip.src -e ip.dst -e icmp.type 2>&1)
expect_contains "tshark: echo request host-a -> host-b" "$out" "$(printf '10.1.1.10\t10.2.2.10\t8')"
expect_contains "tshark: echo reply host-b -> host-a" "$out" "$(printf '10.2.2.10\t10.1.1.10\t0')"
out=$("$MSIM" lab capture host-a:eth0 "$WORK/host.pcap" 2>&1 </dev/null & sleep 2; kill -INT $! 2>/dev/null; wait $!)
expect_contains "a host end is captured on its router end" "$out" "on its router end gateway-a:fe-0/0/1"

# --- down ---
# A process an instructor left running in a host (here a sleep that ignores SIGTERM) ends with the lab.
ip netns exec host-a sh -c 'trap "" TERM; exec sleep 600' >/dev/null 2>&1 &
left_in_host=$!
wait_for 5 bash -c "ip netns pids host-a | grep -qx $left_in_host"
out=$("$MSIM" lab down 2>&1); rc=$?
expect_status "lab down succeeds" 0 "$rc"
expect_contains "lab down says so" "$out" "Lab two-gateways is down"
expect_contains "and stops what still ran in a host" "$out" "Stopping 1 process left in host host-a"
wait_for 5 bash -c "! kill -0 $left_in_host 2>/dev/null" && pass "the process left in host-a is gone" ||
    { fail "the process left in host-a still runs"; kill -9 "$left_in_host" 2>/dev/null; }
[ ! -e /var/run/netns/host-a ] && [ ! -e /var/run/netns/host-b ] && pass "no namespace left" || fail "namespaces left: $(ip netns list)"
left=$(pgrep -f -- "--state $MSIM_HOME/" || true)
[ -z "$left" ] && pass "no msim process left" || fail "processes left: $left"
out=$("$MSIM" lab down 2>&1); rc=$?
expect_status "lab down twice is harmless" 0 "$rc"
expect_contains "and says there is nothing to do" "$out" "No lab is up"
out=$("$MSIM" lab status 2>&1); rc=$?
expect_status "status without a lab fails" 1 "$rc"

finish
