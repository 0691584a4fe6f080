#!/usr/bin/env bash
# IPsec SA install benchmark (issue 5): "10,000 manual SAs committed, time until all are usable". One router
# configuration with 10,000 manual SAs (ESP, hmac-sha1-96 + 3des-cbc, bidirectional) and 10,000 es-0/1/0
# tunnel units naming them, loaded with `load override` and committed; the probe (sa_count) polls pfed's
# get-sa-states RPC on its socket until pfed carries all 20,000 SAs (inbound + outbound). Prints:
#   the commit time, the time from the start of the commit until all SAs are usable, SAs per second, and the
#   ratio to the reference: committing the same 10,000 SAs with no es- unit naming them (configured, nothing
#   installed), so the ratio reads "configuring and installing costs X times configuring";
#   a one-SA change (one SA's encryption key + commit): the commit time, the time until that SA's two SAs are
#   reinstalled in pfed, and how many other SAs were reinstalled with them (should be 0).
# usage: bench/ipsec-install/run.sh [BUILD_DIR] [N]   (default: build, 10000)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-10000}
msim="$build/launcher/msim"
probe="$build/bench/ipsec-install/sa_count"
work=$(mktemp -d /tmp/msim-bench.XXXXXX)
export MSIM_HOME="$work/home"
trap '"$msim" stop >/dev/null 2>&1; cp "$MSIM_HOME/default/var/log/commit-trace" /tmp/msim-bench-ipsec-commit-trace 2>/dev/null; rm -rf "$work"' EXIT

/usr/bin/python3 "$root/bench/ipsec-install/gen_config.py" "$work/full.conf" "$n"
/usr/bin/python3 "$root/bench/ipsec-install/gen_config.py" "$work/ref.conf" "$n" --no-units
printf 'system {\n    host-name ipsec-bench;\n}\n' >"$work/empty.conf"
lines=$(wc -l <"$work/full.conf")

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
commit() {  # commit FILE-OR-COMMANDS: runs the CLI, fails the benchmark unless the commit completes
    local out
    out=$("$msim" cli -c "$1")
    grep -q "commit complete" <<<"$out" || { echo "bench: commit failed ($1):"; echo "$out" | tail -20; exit 1; }
}

"$msim" start >/dev/null
sock="$MSIM_HOME/default/var/run/pfed.sock"
for _ in $(seq 100); do "$probe" "$sock" >/dev/null 2>&1 && break; sleep 0.1; done

# Reference: the same SAs, configured only.
t=$(now)
commit "configure; load override $work/ref.conf; commit"
ref_s=$(elapsed "$t")
[ "$("$probe" "$sock")" = 0 ] || { echo "bench: pfed carries SAs that no unit names"; exit 1; }
commit "configure; load override $work/empty.conf; commit"

# The benchmark: SAs and the units that name them, from the same starting point (SAs not configured).
want=$((2 * n))
t=$(now)
"$probe" "$sock" wait "$want" 600 >"$work/all" &
probe_pid=$!
commit "configure; load override $work/full.conf; commit"
commit_s=$(elapsed "$t")
wait "$probe_pid" || { echo "bench: pfed never carried all $want SAs"; exit 1; }
read -r t_all polls <"$work/all"
all_s=$(echo "$t_all - $t" | bc)
cp "$MSIM_HOME/default/var/log/commit-trace" "$work/trace-full" 2>/dev/null || true

# One-SA change: sa17's encryption key. Ages are whole seconds, so let every SA age past 2 s first: an SA
# installed again after the snapshot is then younger than it was in the snapshot.
sleep 3
"$probe" "$sock" ages "$work/ages"
t=$(now)
"$probe" "$sock" reinstalled "$work/ages" $((256 + 17)) 60 >"$work/one" &
probe_pid=$!
commit "configure; set security ipsec security-association sa17 manual direction bidirectional encryption key ascii-text \"changed17abcdefghijklmno\"; commit"
one_commit_s=$(elapsed "$t")
wait "$probe_pid" || { echo "bench: sa17 was not reinstalled"; exit 1; }
read -r t_one one_sas others <"$work/one"
one_s=$(echo "$t_one - $t" | bc)

printf 'configuration: %s lines (%d manual SAs, %d es-0/1/0 units naming them; %d SAs in pfed)\n' \
    "$lines" "$n" "$n" "$want"
printf 'reference: commit of the SAs alone   %7.3f s   (configured, nothing to install)\n' "$ref_s"
printf 'load override + commit               %7.3f s   ratio to reference %s\n' "$commit_s" \
    "$(echo "scale=2; $commit_s / $ref_s" | bc)"
printf 'commit start -> all %d SAs usable %7.3f s   ratio to reference %s   (%d polls)\n' "$want" "$all_s" \
    "$(echo "scale=2; $all_s / $ref_s" | bc)" "$polls"
printf 'install rate                         %7.0f SAs/s (pfed SAs / time until all usable)\n' \
    "$(echo "$want / $all_s" | bc -l)"
printf 'one-SA key change + commit           %7.3f s\n' "$one_commit_s"
printf 'commit start -> that SA reinstalled  %7.3f s   (%d SAs reinstalled; others reinstalled: %d)\n' "$one_s" \
    "$one_sas" "$others"
if [ -s "$work/trace-full" ]; then
    echo "commit trace of the big commit (var/log/commit-trace):"
    sed 's/^/  /' "$work/trace-full" | tail -40
fi
