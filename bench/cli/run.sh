#!/usr/bin/env bash
# `?` latency (operator shell issue): commits the configuration benchmark's large configuration
# (bench/config/gen_config.py: 10,000 manual SAs, 10,000 filter terms, 2,000 IKE policies) and measures
# the completion listing for several lines through the CLI's own code path, against the 20 ms target.
# usage: bench/cli/run.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
msim="$build/launcher/msim"
work=$(mktemp -d /tmp/msim-bench-cli.XXXXXX)
export MSIM_HOME="$work/home"
trap '"$msim" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
/usr/bin/python3 "$root/bench/config/gen_config.py" "$work/big.conf"
printf 'configuration: %s lines\n' "$(wc -l <"$work/big.conf")"
"$msim" start >/dev/null
out=$("$msim" cli -c "configure; load override $work/big.conf; commit")
grep -q "commit complete" <<<"$out" || { echo "bench: the commit failed:"; echo "$out" | tail -20; exit 1; }
"$build/bench/cli/bench_question_mark" "$MSIM_HOME/default" "${REPEATS:-50}"
