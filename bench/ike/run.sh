#!/usr/bin/env bash
# IKE tunnels per second between two msim routers (issue 7): N IKE + IPsec SA pairs (main mode, PSK,
# 3des-sha1-group2), without and with PFS group2, established on this machine. The lab (gen_lab.py) has N
# es- tunnels between gateway-a and gateway-b, each with its own pair of peer addresses (so N IKE SAs and N
# IPsec SA pairs); host-a sends one UDP datagram to each protected destination (again every 2 s while
# tunnels are missing), each first packet makes pfed ask kmd for an SA (sa-acquire) and kmd negotiates main
# mode + quick mode with the other gateway.
#
# Measured: from the first datagram until both kmds have reported every tunnel up (KMD_VPN_UP_ALARM_USER,
# read from var/log/messages so that watching costs the routers nothing). Then the tunnels are checked
# where they matter: `show ipsec security-associations` on both gateways must list N SAs up (ipsecd's
# view of what pfed's ES PIC really holds: inbound and outbound), and `show ike security-associations`
# N matured IKE SAs. Printed next to strongSwan's charon on a machine of this kind (about 300 tunnels/s
# without PFS and 220 with PFS group2, both daemons on the two cores) as a ratio (>= 1 meets the target),
# and kmd's resident memory per established tunnel.
# usage: bench/ike/run.sh BUILD_DIR [N]     (default N=2000; root: the lab has a host namespace)
#        run it under `flock /tmp/msim-bench.lock` so that another benchmark does not share the cores.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-2000}
msim="$build/launcher/msim"
[ "$(id -u)" -eq 0 ] || { echo "bench ike: needs root (network namespace for host-a)"; exit 1; }
[ -e /var/run/netns/host-a ] && { echo "bench ike: namespace host-a exists (another lab is up); not touching it"; exit 1; }
base=$(mktemp -d /tmp/msim-bench-ike.XXXXXX)
export MSIM_HOME="$base"  # each case gets a fresh state directory below it
trigger=""
cleanup() {
    [ -n "$trigger" ] && kill "$trigger" 2>/dev/null
    "$msim" lab down >/dev/null 2>&1
    rm -rf "$base"
}
trap cleanup EXIT

now() { date +%s.%N; }
up_lines() { # up_lines ROUTER: tunnels its kmd reported up
    grep -c "KMD_VPN_UP_ALARM_USER" "$MSIM_HOME/$1/var/log/messages" 2>/dev/null
}
sas_up() { # sas_up ROUTER: SAs whose inbound and outbound directions pfed carries (through ipsecd's show)
    "$msim" lab console "$1" -c 'show ipsec security-associations | match "Interface family: Up" | count' 2>/dev/null |
        awk '/Count:/ {print $2}'
}
ike_up() {
    "$msim" lab console "$1" -c 'show ike security-associations | match Matured | count' 2>/dev/null |
        awk '/Count:/ {print $2}'
}
rss_kb() { # rss_kb ROUTER: kmd's VmRSS
    local pid
    pid=$(pgrep -f -- "libexec/msim/kmd --state $MSIM_HOME/$1 " | head -n 1)
    awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null
}

status=0
run_case() { # run_case pfs|nopfs REFERENCE
    local mode=$1 reference=$2
    MSIM_HOME="$base/$mode"
    mkdir -p "$MSIM_HOME"
    /usr/bin/python3 "$root/bench/ike/gen_lab.py" "$n" "$mode" "$MSIM_HOME/ike-$mode.yaml"
    local t_up
    t_up=$(now)
    if ! "$msim" lab up "$MSIM_HOME/ike-$mode.yaml" >"$MSIM_HOME/up.log" 2>&1; then
        echo "bench ike: lab up failed"; tail "$MSIM_HOME/up.log"; exit 1
    fi
    echo "  ($mode: lab of $n tunnels up in $(echo "$(now) - $t_up" | bc | xargs printf '%.1f') s)"
    sleep 3  # kmd and ipsecd pick up pfed's es- bindings once a second
    local rss_before
    rss_before=$(rss_kb gateway-a)
    # The trigger: one datagram per tunnel, again every 2 s (as long as pfed holds a first packet; kmd
    # queues the SAs beyond its bound on negotiations in progress, so one acquire each is enough).
    ip netns exec host-a /usr/bin/python3 - "$n" >"$MSIM_HOME/trigger.log" 2>&1 <<'PY' &
import socket, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
deadline = time.time() + 900
while time.time() < deadline:
    for i in range(n):
        try:
            s.sendto(b"x", (f"10.2.{i // 250}.{i % 250 + 1}", 9))
        except OSError:
            pass
        if i % 50 == 49:
            time.sleep(0.01)  # paced (5,000/s): a burst of thousands overflows the TAP queue into pfed
    time.sleep(2)
PY
    trigger=$!
    local t0 done=0 a=0 b=0 elapsed
    t0=$(now)
    local deadline=$((SECONDS + ${BENCH_IKE_TIMEOUT:-600}))
    while [ $SECONDS -lt $deadline ]; do
        a=$(up_lines gateway-a)
        b=$(up_lines gateway-b)
        if [ "${a:-0}" -ge "$n" ] && [ "${b:-0}" -ge "$n" ]; then
            done=1
            break
        fi
        sleep 0.1
    done
    elapsed=$(echo "$(now) - $t0" | bc)
    kill "$trigger" 2>/dev/null
    wait "$trigger" 2>/dev/null
    trigger=""
    local rss_after
    rss_after=$(rss_kb gateway-a)
    if [ "$done" -ne 1 ]; then
        echo "bench ike ($mode): only ${a:-0} (gateway-a) and ${b:-0} (gateway-b) of $n tunnels up after ${elapsed}s"
        "$msim" lab console gateway-a -c 'show log messages | last 20'
        "$msim" lab down >/dev/null 2>&1
        status=1
        return 1
    fi
    # Really established: the SAs are in both ES PICs, the IKE SAs matured on both sides.
    local sa_a sa_b ike_a ike_b
    sa_a=$(sas_up gateway-a); sa_b=$(sas_up gateway-b)
    ike_a=$(ike_up gateway-a); ike_b=$(ike_up gateway-b)
    if [ "${sa_a:-0}" -ne "$n" ] || [ "${sa_b:-0}" -ne "$n" ] || [ "${ike_a:-0}" -ne "$n" ] || [ "${ike_b:-0}" -ne "$n" ]; then
        echo "bench ike ($mode): kmd reported $n tunnels, but the PICs carry ${sa_a:-0}/${sa_b:-0} SAs and" \
             "${ike_a:-0}/${ike_b:-0} IKE SAs are matured (gateway-a/gateway-b)"
        status=1
    fi
    local rate
    rate=$(echo "scale=1; $n / $elapsed" | bc)
    printf '%-36s %8.2f s  %7.1f tunnels/s  ratio to strongSwan (%s/s): %s\n' \
        "$n tunnels, main mode, $mode" "$elapsed" "$rate" "$reference" "$(echo "scale=2; $rate / $reference" | bc)"
    printf '%-36s %8s  SAs up in the ES PICs %s / %s, IKE SAs matured %s / %s\n' "  checked (gateway-a / gateway-b)" \
        "" "${sa_a:-0}" "${sa_b:-0}" "${ike_a:-0}" "${ike_b:-0}"
    printf '%-36s %8d KiB  %5.1f KiB per tunnel (%.1f KiB per tunnel above the idle %d KiB)\n' \
        "  kmd (gateway-a) resident memory" "${rss_after:-0}" "$(echo "scale=2; ${rss_after:-0} / $n" | bc)" \
        "$(echo "scale=2; (${rss_after:-0} - ${rss_before:-0}) / $n" | bc)" "${rss_before:-0}"
    "$msim" lab down >/dev/null 2>&1
}

echo "IKE tunnel set-up between two msim routers on $(nproc) cores (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
run_case nopfs 300
run_case pfs 220
exit $status
