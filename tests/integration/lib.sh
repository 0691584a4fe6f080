# Shared helpers for integration suites (bash). Each suite sources this file, gets a private $MSIM_HOME,
# and is guaranteed that every router it started is stopped and no process of it is left on exit.
set -uo pipefail

: "${MSIM:?MSIM must name the msim executable (meson test sets it)}"
export MSIM_HOME
MSIM_HOME=$(mktemp -d /tmp/msim-it.XXXXXX)
failures=0
checks=0

cleanup() {
    stop_all_routers
    # Anything still carrying our state directory on its command line is a leak: kill it and say so.
    local left
    left=$(pgrep -f -- "--state $MSIM_HOME/" || true)
    if [ -n "$left" ]; then
        echo "cleanup: killing leftover processes: $left" >&2
        kill -9 $left 2>/dev/null
    fi
    rm -rf "$MSIM_HOME"
}
trap cleanup EXIT

pass() { checks=$((checks + 1)); echo "ok - $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL - $*"; }

# expect_contains "description" "haystack" "needle"
expect_contains() {
    if [[ "$2" == *"$3"* ]]; then pass "$1"; else fail "$1: expected to find '$3' in:"; printf '%s\n' "$2" | sed 's/^/    | /'; fi
}
expect_not_contains() {
    if [[ "$2" != *"$3"* ]]; then pass "$1"; else fail "$1: did not expect '$3' in:"; printf '%s\n' "$2" | sed 's/^/    | /'; fi
}
# expect_status "description" EXPECTED ACTUAL
expect_status() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: exit status $3, expected $2"; fi
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds; bounded.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt $deadline ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

daemon_pid() { # daemon_pid ROUTER DAEMON (call it from this shell, not from a `bash -c` whose own
    # command line would match the pattern)
    pgrep -f -- "libexec/msim/$2 --state $MSIM_HOME/$1 " | head -n 1
}

stop_all_routers() {
    local dir
    for dir in "$MSIM_HOME"/*/; do
        [ -d "$dir" ] || continue
        "$MSIM" stop --router "$(basename "$dir")" >/dev/null 2>&1
    done
}

finish() {
    stop_all_routers
    # A sanitizer report from any daemon (their stderr goes to var/log/<daemon>.stderr) fails the suite.
    local reports
    reports=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$MSIM_HOME"/*/var/log/*.stderr 2>/dev/null)
    if [ -n "$reports" ]; then
        fail "sanitizer reports in: $reports"
        grep -h -A20 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' $reports | head -n 80
    else
        pass "no sanitizer report from any daemon"
    fi
    echo "$checks checks, $failures failed"
    [ "$failures" -eq 0 ]
    exit $?
}

# ---- labs (the two-gateways topology: host-a 10.1.1.10 behind gateway-a, host-b 10.2.2.10 behind gateway-b)

# lab_preflight NS...: labs need root, and never touch namespaces another lab on this machine holds.
lab_preflight() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "FAIL - network namespaces need root"
        exit 1
    fi
    local ns
    for ns in "$@"; do
        if [ -e "/var/run/netns/$ns" ]; then
            echo "FAIL - network namespace $ns already exists (another lab is up on this machine); not touching it"
            exit 1
        fi
    done
}

# host_ping [DEST [COUNT]]: host-a pings DEST (default host-b).
host_ping() { ip netns exec host-a ping -c "${2:-1}" -W 1 "${1:-10.2.2.10}" >/dev/null 2>&1; }

# ping_recovers SECONDS: bounded retries until host-a reaches host-b (the first packets may be lost while
# ARP resolves or SAs are negotiated).
ping_recovers() {
    local deadline=$((SECONDS + $1))
    while [ $SECONDS -lt $deadline ]; do
        host_ping && return 0
        sleep 0.5
    done
    return 1
}
