#!/usr/bin/env bash
# IKE tunnels per second between two msim routers (issue 7): N IKE + IPsec SA pairs (main mode, PSK,
# 3des-sha1-group2), without and with PFS group2, established on this machine. The lab (gen_lab.py) has N
# es- tunnels between gateway-a and gateway-b; host-a sends one UDP datagram to each protected destination
# (every 0.5 s until the tunnel is up), each first packet makes pfed ask kmd for an SA and kmd negotiates
# main mode + quick mode with the other gateway. Measured: from the first datagram until gateway-a shows N
# installed outbound SAs. Printed next to strongSwan's charon on a machine of this kind (about 300 tunnels/s
# without PFS and 220 with PFS group2, both daemons on the two cores) as a ratio (>= 1 meets the target),
# and kmd's resident memory per established tunnel.
# usage: bench/ike/run.sh BUILD_DIR [N]     (default N=2000; root: the lab has a host namespace)
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-2000}
msim="$build/launcher/msim"
export MSIM_HOME
MSIM_HOME=$(mktemp -d /tmp/msim-bench-ike.XXXXXX)
trap '"$msim" lab down >/dev/null 2>&1; rm -rf "$MSIM_HOME"' EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench ike: needs root (network namespace for host-a)"; exit 1; }

now() { date +%s.%N; }

# tunnels_up: tunnels gateway-a reported up (kmd's KMD_VPN_UP_ALARM_USER line per installed SA pair, read from
# the log file so that polling costs the daemons nothing); checked against the SAs pfed carries at the end.
tunnels_up() {
    grep -c "KMD_VPN_UP_ALARM_USER" "$MSIM_HOME/gateway-a/var/log/messages" 2>/dev/null
}
installed_outbound() {
    "$msim" lab console gateway-a -c 'show ipsec security-associations | match outbound | count' 2>/dev/null |
        awk '/Count:/ {print $2}'
}

run_case() { # run_case pfs|nopfs REFERENCE
    local mode=$1 reference=$2
    /usr/bin/python3 "$root/bench/ike/gen_lab.py" "$n" "$mode" "$MSIM_HOME/ike-$mode.yaml"
    if ! "$msim" lab up "$MSIM_HOME/ike-$mode.yaml" >"$MSIM_HOME/up.log" 2>&1; then
        echo "bench ike: lab up failed"; tail "$MSIM_HOME/up.log"; exit 1
    fi
    sleep 2  # kmd and ipsecd pick up pfed's es- bindings once a second
    # The trigger: one datagram per tunnel, repeated for the tunnels not up yet (pfed holds a first packet
    # 2 s and asks once a second; kmd bounds half-open negotiations, so not all start at once).
    ip netns exec host-a /usr/bin/python3 - "$n" >"$MSIM_HOME/trigger.log" 2>&1 <<'PY' &
import socket, sys, time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
deadline = time.time() + 600
while time.time() < deadline:
    for i in range(n):
        try:
            s.sendto(b"x", (f"10.2.{i // 250}.{i % 250 + 1}", 9))
        except OSError:
            pass
    time.sleep(0.5)
PY
    local trigger=$! t0 done=0 count elapsed
    t0=$(now)
    local deadline=$((SECONDS + 900))
    while [ $SECONDS -lt $deadline ]; do
        count=$(tunnels_up)
        if [ "${count:-0}" -ge "$n" ]; then
            done=1
            break
        fi
        sleep 0.2
    done
    elapsed=$(echo "$(now) - $t0" | bc)
    kill "$trigger" 2>/dev/null
    wait "$trigger" 2>/dev/null
    local kmd_pid rss_kb rate
    kmd_pid=$(pgrep -f -- "libexec/msim/kmd --state $MSIM_HOME/gateway-a " | head -n 1)
    rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$kmd_pid/status" 2>/dev/null)
    if [ "$done" -ne 1 ]; then
        echo "bench ike ($mode): only ${count:-0} of $n tunnels up after ${elapsed}s"
        "$msim" lab console gateway-a -c 'show log messages | last 20'
        "$msim" lab down >/dev/null 2>&1
        return 1
    fi
    local sas
    sas=$(installed_outbound)
    [ "${sas:-0}" -ge "$n" ] || echo "bench ike ($mode): kmd reported $n tunnels up but pfed carries ${sas:-0} outbound SAs"
    rate=$(echo "scale=1; $n / $elapsed" | bc)
    printf '%-34s %8.2f s  %7.1f tunnels/s  ratio to strongSwan (%s/s) %s\n' \
        "$n tunnels, main mode, $mode" "$elapsed" "$rate" "$reference" "$(echo "scale=2; $rate / $reference" | bc)"
    printf '%-34s %8d KiB  %7.1f KiB per tunnel\n' "kmd (gateway-a) resident memory" "${rss_kb:-0}" \
        "$(echo "scale=1; ${rss_kb:-0} / $n" | bc)"
    "$msim" lab down >/dev/null 2>&1
}

echo "IKE tunnel set-up between two msim routers on $(nproc) cores"
run_case nopfs 300
run_case pfs 220
