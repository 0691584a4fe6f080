#!/usr/bin/env bash
# Foundation: a router starts, answers show version through every daemon, survives a daemon killed with
# SIGKILL (init restarts it), holds down a daemon that keeps dying, reports a hung daemon instead of
# hanging, and stops leaving no process behind.
source "$(dirname "$0")/lib.sh"

out=$("$MSIM" start 2>&1); rc=$?
expect_status "start succeeds" 0 "$rc"
expect_contains "start says so" "$out" "Router default started"

out=$("$MSIM" start 2>&1); rc=$?
expect_status "starting a running router fails" 1 "$rc"
expect_contains "and says why" "$out" "router default is already running"

out=$("$MSIM" status 2>&1); rc=$?
expect_status "status succeeds" 0 "$rc"
for d in mgd chassisd pfed kmd pkid ipsecd; do
    expect_contains "status lists $d running" "$out" "$d"
done
expect_not_contains "no daemon is held down" "$out" "held-down"

out=$("$MSIM" cli -c 'show version' 2>&1); rc=$?
expect_status "show version succeeds" 0 "$rc"
expect_contains "show version: hostname" "$out" "Hostname: default"
expect_contains "show version: model from chassisd" "$out" "Model: m10"
for d in mgd chassisd pfed kmd pkid ipsecd; do
    expect_contains "show version: $d answered" "$out" "($d) [9.3R2.8-msim"
done
expect_contains "abbreviations work" "$("$MSIM" cli -c 'sh ver' 2>&1)" "Model: m10"

# new_incarnation DAEMON OLD_PID: the daemon runs with a pid other than OLD_PID.
new_incarnation() {
    local pid
    pid=$(daemon_pid default "$1")
    [ -n "$pid" ] && [ "$pid" != "$2" ]
}

# A daemon killed with SIGKILL is restarted within a second or so and answers again.
old=$(daemon_pid default kmd)
kill -9 "$old"
if wait_for 5 new_incarnation kmd "$old"; then
    pass "kmd restarted after SIGKILL"
else
    fail "kmd was not restarted within 5 s"
fi
wait_for 5 bash -c "'$MSIM' cli -c 'show version' | grep -q '(kmd) \[9.3R2.8'" && pass "restarted kmd answers show version" || fail "restarted kmd does not answer"
# init marks the daemon running on its own readiness probe, which may lag the first answered RPC.
kmd_running_once() { "$MSIM" status 2>&1 | awk '$1=="kmd" {exit !($4==1 && $5=="running")}'; }
if wait_for 5 kmd_running_once; then pass "kmd: 1 restart, running"; else fail "kmd restart count/state wrong:"; "$MSIM" status; fi
out=$("$MSIM" status 2>&1)
expect_contains "status counts the restart" "$out" "$(printf '%-10s' kmd)"
expect_contains "messages logs the death" "$(cat "$MSIM_HOME/default/var/log/messages")" "init: kmd exited on signal 9, restarting"

# A daemon that does not answer (stopped) is reported, show version does not hang.
pkid=$(daemon_pid default pkid)
kill -STOP "$pkid"
start=$SECONDS
out=$(timeout 20 "$MSIM" cli -c 'show version' 2>&1); rc=$?
kill -CONT "$pkid"
expect_status "show version with a hung daemon still completes" 0 "$rc"
expect_contains "and names the daemon that did not answer" "$out" "(pkid) [not responding]"
[ $((SECONDS - start)) -le 10 ] && pass "within 10 s" || fail "show version took $((SECONDS - start)) s"

# A daemon that keeps dying is held down after a handful of restarts.
prev=""
for i in 1 2 3 4 5 6; do
    # Each round waits for a new incarnation (not the one just killed), then kills it.
    wait_for 10 new_incarnation ipsecd "$prev"
    pid=$(daemon_pid default ipsecd)
    [ -n "$pid" ] && [ "$pid" != "$prev" ] && kill -9 "$pid"
    prev=$pid
done
wait_for 10 bash -c "'$MSIM' status | grep -q 'held-down'" && pass "ipsecd held down after repeated deaths" || fail "ipsecd not held down"
expect_contains "thrashing is logged" "$(cat "$MSIM_HOME/default/var/log/messages")" "ipsecd exited on signal 9; it died 6 times"
expect_contains "show version reports the held-down daemon" "$("$MSIM" cli -c 'show version' 2>&1)" "(ipsecd) [not responding]"

# Errors in batch mode: caret, message, non-zero exit.
out=$("$MSIM" cli -c 'show versio; shw version' 2>&1); rc=$?
expect_status "a bad command makes the batch fail" 1 "$rc"
expect_contains "unknown command is reported" "$out" "unknown command."
expect_contains "the good command still ran" "$out" "Model: m10"

out=$("$MSIM" stop 2>&1); rc=$?
expect_status "stop succeeds" 0 "$rc"
sleep 0.2
left=$(pgrep -f -- "--state $MSIM_HOME/default" || true)
[ -z "$left" ] && pass "no process of the router is left" || fail "processes left: $left"
out=$("$MSIM" stop 2>&1); rc=$?
expect_status "stopping a stopped router fails" 1 "$rc"
expect_contains "and says so" "$out" "router default is not running"
out=$("$MSIM" status 2>&1); rc=$?
expect_status "status of a stopped router is non-zero" 1 "$rc"
out=$("$MSIM" cli -c 'show version' 2>&1); rc=$?
expect_status "cli to a stopped router fails" 1 "$rc"

# A second router runs beside the first, in its own folder.
"$MSIM" start --router r2 >/dev/null 2>&1
expect_contains "a named router works" "$("$MSIM" cli --router r2 -c 'show version' 2>&1)" "Hostname: r2"
[ -S "$MSIM_HOME/r2/var/run/mgd.sock" ] && pass "state lives in \$MSIM_HOME/r2" || fail "no mgd socket under r2"
"$MSIM" stop --router r2 >/dev/null 2>&1

finish
