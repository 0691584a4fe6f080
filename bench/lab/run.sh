#!/usr/bin/env bash
# Lab bring-up benchmark: `msim lab up` of a chain of N routers (default 20, see gen_chain.sh), then the
# wall time it took, the resident memory per router (init and its six daemons, from /proc), and the ratio
# of each figure to the budget named below; then `msim lab down`. Routers only, so it needs no root.
#
# The issue names no reference figure, so the budget is ours: a 20-router lab up within 60 s on the 2-core
# machine, and at most 100 MiB resident per router. A ratio below 1.0 is within budget.
#
# usage: bench/lab/run.sh BUILD_DIR [N]
set -uo pipefail
build=${1:?usage: bench/lab/run.sh BUILD_DIR [N]}
n=${2:-20}
msim=$(cd "$build" && pwd)/launcher/msim
here=$(cd "$(dirname "$0")" && pwd)
budget_seconds=60
budget_mib=100

export MSIM_HOME
MSIM_HOME=$(mktemp -d /tmp/msim-bench-lab.XXXXXX)
cleanup() {
    "$msim" lab down >/dev/null 2>&1
    rm -rf "$MSIM_HOME"
}
trap cleanup EXIT

lab="$MSIM_HOME/chain$n.yaml"
"$here/gen_chain.sh" "$n" >"$lab" || exit 2

start=$(date +%s.%N)
if ! "$msim" lab up "$lab"; then
    echo "bench lab: lab up failed" >&2
    exit 1
fi
end=$(date +%s.%N)
up_seconds=$(echo "$end - $start" | bc -l)

# Memory: VmRSS counts shared library pages once per process (an upper bound); Pss shares them out (what
# the machine really spends). Both summed over every process whose command line names a router's folder.
rss_kib=0
pss_kib=0
procs=0
for ((i = 1; i <= n; i++)); do
    for pid in $(pgrep -f -- "--state $MSIM_HOME/r$i( |$)"); do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
        pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null)
        [ -n "$rss" ] || continue
        rss_kib=$((rss_kib + rss))
        pss_kib=$((pss_kib + ${pss:-0}))
        procs=$((procs + 1))
    done
done
rss_mib=$(echo "$rss_kib / 1024 / $n" | bc -l)
pss_mib=$(echo "$pss_kib / 1024 / $n" | bc -l)

# Does the chain forward end to end? (Informational: it needs pfed's wires and the CLI's ping.)
reach=$("$msim" lab console r1 -c "ping 10.255.0.$n source 10.255.0.1 count 1" 2>&1 | grep -o '[0-9]* packets received' || true)

printf 'lab bring-up, %d routers in a chain (%d processes)\n' "$n" "$procs"
printf '  bring-up time        %8.1f s      ratio to the %d s budget: %.2f\n' "$up_seconds" "$budget_seconds" \
    "$(echo "$up_seconds / $budget_seconds" | bc -l)"
printf '  resident per router  %8.1f MiB    ratio to the %d MiB budget: %.2f   (VmRSS, shared pages counted per process)\n' \
    "$rss_mib" "$budget_mib" "$(echo "$rss_mib / $budget_mib" | bc -l)"
printf '  proportional (PSS)   %8.1f MiB    ratio to the %d MiB budget: %.2f\n' "$pss_mib" "$budget_mib" \
    "$(echo "$pss_mib / $budget_mib" | bc -l)"
printf '  r1 -> r%d ping        %s\n' "$n" "${reach:-no answer (needs pfed wires and the CLI ping)}"

start=$(date +%s.%N)
"$msim" lab down >/dev/null
end=$(date +%s.%N)
printf '  tear-down time       %8.1f s\n' "$(echo "$end - $start" | bc -l)"
