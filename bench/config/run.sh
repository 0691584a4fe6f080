#!/usr/bin/env bash
# Configuration benchmark (issue 3): a configuration of 10,000 manual SAs, 10,000 filter terms and 2,000
# IKE policies (~230,000 lines). Prints, each next to yanglint's time to validate the same data against
# the same YANG (as a ratio: ours / yanglint, lower is better):
#   load override + commit, a one-line change + commit, show | compare, show configuration > /dev/null,
#   and mgd's peak resident memory.
# usage: bench/config/run.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
msim="$build/launcher/msim"
work=$(mktemp -d /tmp/msim-bench.XXXXXX)
export MSIM_HOME="$work/home"
trap '"$msim" stop >/dev/null 2>&1; cp "$MSIM_HOME/default/var/log/commit-trace" /tmp/msim-bench-commit-trace 2>/dev/null; rm -rf "$work"' EXIT

/usr/bin/python3 "$root/bench/config/gen_config.py" "$work/big.conf"
lines=$(wc -l <"$work/big.conf")
"$build/bench/config/config_to_xml" "$work/big.conf" "$work/big.xml"

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

# Reference: yanglint validating the same data with the same modules.
t=$(now)
yanglint -p "$root/config-engine/yang" "$root/config-engine/yang/msim-extensions.yang" "$root/config-engine/yang/msim-config.yang" "$work/big.xml" >/dev/null
yanglint_s=$(elapsed "$t")

"$msim" start >/dev/null
mgd_pid=$(pgrep -f -- "libexec/msim/mgd --state $MSIM_HOME/default " | head -n 1)

t=$(now)
out=$("$msim" cli -c "configure; load override $work/big.conf; commit")
load_commit_s=$(elapsed "$t")
grep -q "commit complete" <<<"$out" || { echo "bench: the big commit failed:"; echo "$out" | tail -20; exit 1; }

t=$(now)
out=$("$msim" cli -c "configure; set security ipsec security-association sa17 description changed; commit")
one_line_s=$(elapsed "$t")
grep -q "commit complete" <<<"$out" || { echo "bench: the one-line commit failed:"; echo "$out" | tail; exit 1; }

t=$(now)
"$msim" cli -c "configure; set security ipsec security-association sa18 description again; show | compare" >/dev/null
compare_s=$(elapsed "$t")

t=$(now)
"$msim" cli -c "show configuration" >/dev/null
show_s=$(elapsed "$t")

peak_kb=$(awk '/VmHWM/ {print $2}' "/proc/$mgd_pid/status")

ratio() { echo "scale=2; $1 / $yanglint_s" | bc; }
printf 'configuration: %s lines (10,000 manual SAs, 10,000 filter terms, 2,000 IKE policies)\n' "$lines"
printf 'yanglint validate (reference)      %7.3f s\n' "$yanglint_s"
printf 'load override + commit             %7.3f s   ratio to yanglint %s   (target <= 3 s)\n' "$load_commit_s" "$(ratio "$load_commit_s")"
printf 'one-line change + commit           %7.3f s   ratio to yanglint %s   (target <= 0.25 s)\n' "$one_line_s" "$(ratio "$one_line_s")"
printf 'show | compare (one change)        %7.3f s   ratio to yanglint %s\n' "$compare_s" "$(ratio "$compare_s")"
printf 'show configuration > /dev/null     %7.3f s   ratio to yanglint %s\n' "$show_s" "$(ratio "$show_s")"
printf 'mgd peak resident memory           %7d KiB\n' "$peak_kb"
