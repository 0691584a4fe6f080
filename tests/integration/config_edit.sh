#!/usr/bin/env bash
# Configuration mode end to end through `msim cli`: two concurrent sessions (configure private and
# exclusive, status), the commit family (check, comment, and-quit, confirmed expiring by itself and confirmed
# by a further commit), rollback N with show | compare rollback N, and the editing commands (annotate,
# rename, copy, insert, deactivate/activate, delete of a subtree, wildcard delete, edit/up/top) checked
# against the Junos text.
source "$(dirname "$0")/lib.sh"

"$MSIM" start >/dev/null 2>&1 || { fail "router did not start"; finish; }
cli() { "$MSIM" cli "$@" 2>&1; }
conf="$MSIM_HOME/default/config"

# A second CLI session that stays open: an interactive CLI on a terminal (tmux), as in cli_interactive.sh.
command -v tmux >/dev/null || { fail "tmux is missing (scripts/bootstrap installs it)"; finish; }
sock="$MSIM_HOME/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT
bg_screen() { tm capture-pane -t bg -p -S -300; }
open_bg() {
    tm new-session -d -s bg -x 200 -y 80 "MSIM_HOME=$MSIM_HOME $MSIM cli"
    wait_for 10 sh -c "tmux -S '$sock' capture-pane -t bg -p | grep -q 'root@default>'"
}
bg() { tm send-keys -t bg "$1" Enter; } # bg LINE
bg_wait() { wait_for 10 sh -c "tmux -S '$sock' capture-pane -t bg -p -S -300 | grep -qF -- \"\$1\"" _ "$1"; }
close_bg() { # ends the session the way a closed terminal does
    tm kill-session -t bg 2>/dev/null
    wait_for 10 sh -c "! '$MSIM' cli -c 'configure; status' | grep -qE ' (exclusive|private)\$'"
}

### Two sessions: configure exclusive.
open_bg
bg 'configure exclusive'
bg 'set system domain-name excl.example'
bg 'status'
bg_wait "Users currently editing the configuration:" && pass "exclusive session is in" || fail "exclusive session did not start"
expect_contains "configure exclusive warns" "$(bg_screen)" "warning: uncommitted changes will be discarded on exit
Entering configuration mode"
expect_contains "status lists the exclusive user" "$(bg_screen)" "[edit] exclusive"
out=$(cli -c 'configure; set system time-zone UTC'); rc=$?
expect_status "a change while another holds the exclusive lock fails" 1 "$rc"
expect_contains "others see the lock" "$out" "error: configuration database locked by:
  root terminal "
expect_contains "with the holder's level" "$out" "  exclusive [edit]"
expect_contains "configure tells who is editing" "$out" "Current configuration users:"
out=$(cli -c 'configure exclusive'); rc=$?
expect_status "a second configure exclusive is refused" 1 "$rc"
expect_contains "with the lock message" "$out" "error: configuration database locked by:"
out=$(cli -c 'configure private'); rc=$?
expect_status "configure private refused while the shared database is modified" 1 "$rc"
expect_contains "configure private refusal" "$out" "error: shared configuration database modified
Users currently editing the configuration:"
close_bg
expect_not_contains "exclusive changes are discarded when its session ends" "$(cli -c 'configure; show | compare')" "excl.example"
expect_not_contains "and never committed" "$(cat "$conf/juniper.conf")" "excl.example"
out=$(cli -c 'configure; set system time-zone UTC; commit'); rc=$?
expect_status "the lock is gone with its session" 0 "$rc"

# Exclusive, exiting with uncommitted changes: the Junos auto-rollback text.
out=$(cli -c 'configure exclusive; set system domain-name gone.example; exit configuration-mode')
expect_contains "exit from configure exclusive discards" "$out" "warning: Auto rollback on exiting 'configure exclusive'"
expect_contains "and says so" "$out" "warning: discarding uncommitted changes"
expect_not_contains "nothing left in the shared candidate" "$(cli -c 'configure; show | compare')" "gone.example"

# The same on a terminal: quit asks, yes discards.
open_bg
bg 'configure exclusive'
bg 'set system domain-name asked.example'
bg 'quit'
bg_wait "Discard uncommitted changes? [yes,no] (yes)" && pass "quit from configure exclusive asks" || fail "no question: $(bg_screen | tail -n 5)"
expect_contains "with the Junos lines before the question" "$(bg_screen)" "The configuration has been changed but not committed
warning: Auto rollback on exiting 'configure exclusive'
Discard uncommitted changes? [yes,no] (yes)"
bg 'yes'
bg_wait "warning: discarding uncommitted changes" && pass "yes discards" || fail "not discarded: $(bg_screen | tail -n 5)"
bg_wait "Exiting configuration mode" && pass "and leaves configuration mode" || fail "still in configuration mode"
close_bg
expect_not_contains "the answered quit left nothing" "$(cli -c 'configure; show | compare')" "asked.example"

### Two sessions: configure private.
open_bg
bg 'configure private'
bg 'set system domain-name private.example'
bg 'status'
bg_wait "[edit] private" && pass "private session is in" || fail "private session did not start"
expect_contains "configure private warns" "$(bg_screen)" "warning: uncommitted changes will be discarded on exit
Entering configuration mode"
out=$(cli -c 'configure exclusive'); rc=$?
expect_status "configure exclusive refused while someone is private" 1 "$rc"
expect_contains "its message" "$out" "error: configure exclusive is not allowed while users are in configure private"
out=$(cli -c 'configure; status')
expect_contains "status shows the private user" "$out" "[edit] private"
expect_not_contains "a private change is not in the shared candidate" "$(cli -c 'configure; show | compare')" "private.example"
# A batch leaves a change in the shared candidate: the private commit is refused.
out=$(cli -c 'configure; set system host-name shared-dirty'); rc=$?
expect_status "a batch leaves an uncommitted shared change" 0 "$rc"
bg 'commit confirmed 1'
bg_wait "error: You cannot perform this commit operation on a private copy" && pass "no commit confirmed in private mode" || fail "private commit confirmed accepted: $(bg_screen | tail -n 5)"
expect_not_contains "nothing committed by it" "$(cat "$conf/juniper.conf")" "private.example"
bg 'commit'
bg_wait "error: shared configuration database modified" && pass "private commit refused while the shared database is modified" || fail "private commit not refused: $(bg_screen | tail -n 5)"
cli -c 'configure; rollback 0' >/dev/null  # discard the shared change
bg 'commit and-quit'
bg_wait "Exiting configuration mode" && pass "private commit once the shared database is clean" || fail "private commit failed: $(bg_screen | tail -n 5)"
close_bg
expect_contains "the private change is committed" "$(cat "$conf/juniper.conf")" "domain-name private.example;"

### The commit family.
out=$(cli -c 'configure; set system domain-name check.example; commit check; exit configuration-mode'); rc=$?
expect_contains "commit check" "$out" "configuration check succeeds"
expect_not_contains "commit check commits nothing" "$(cat "$conf/juniper.conf")" "check.example"
cli -c 'configure; rollback 0' >/dev/null
out=$(cli -c 'configure; set system domain-name comment.example; commit comment "set the domain"')
expect_contains "commit comment" "$out" "commit complete"
expect_contains "show system commit: the comment under entry 0" "$(cli -c 'show system commit')" "by root via cli
    set the domain"
out=$(cli -c 'configure; set system domain-name quit.example; commit and-quit; show version')
expect_contains "commit and-quit" "$out" "commit complete
Exiting configuration mode"
expect_contains "and-quit leaves configuration mode" "$out" "Hostname:"
sc=$(cli -c 'show system commit')
[[ "$sc" =~ ^0\ \ \ [0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:]{8}\ [A-Z]+\ by\ root\ via\ cli ]] && pass "show system commit entry format" || fail "show system commit format: $sc"

# commit confirmed, then commit: confirmed, nothing rolls back.
out=$(cli -c 'configure; set system domain-name confirmed.example; commit confirmed 1')
expect_contains "commit confirmed announces the rollback" "$out" "commit confirmed will be automatically rolled back in 1 minutes unless confirmed
commit complete"
expect_contains "the history marks it" "$(cli -c 'show system commit')" "via cli commit confirmed, rollback in 1mins"
[ -f "$conf/.commit-confirmed" ] && pass "the deadline is kept" || fail "no .commit-confirmed"
# While it waits, every configuration-mode banner is preceded by the reminder.
open_bg
bg 'configure'
bg_wait "# commit confirmed will be rolled back in 1 minutes" && pass "configure shows the pending rollback" \
    || fail "no reminder: $(bg_screen | tail -n 5)"
expect_contains "the reminder sits above the banner" "$(bg_screen)" "# commit confirmed will be rolled back in 1 minutes
[edit]
root@default#"
bg 'commit'
bg_wait "commit complete" && sleep 0.3
expect_not_contains "a further commit confirms it: no reminder after it" "$(bg_screen | sed -n '/commit complete/,$p')" "# commit confirmed"
bg 'exit'
close_bg
[ ! -f "$conf/.commit-confirmed" ] && pass "the bg session's commit confirmed it" || fail "still pending after commit"

# commit confirmed 1 that nobody confirms: the deadline survives an mgd restart; moved 2 s ahead it expires
# and mgd rolls back by itself (without waiting the whole minute).
cli -c 'configure; set system domain-name unconfirmed.example; commit confirmed 1' >/dev/null
expect_contains "unconfirmed commit is active" "$(cat "$conf/juniper.conf")" "unconfirmed.example"
"$MSIM" stop >/dev/null 2>&1
echo $(( $(date +%s) + 2 )) >"$conf/.commit-confirmed"
"$MSIM" start >/dev/null 2>&1 || fail "router did not restart"
if wait_for 20 sh -c "! grep -q unconfirmed.example '$conf/juniper.conf'"; then
    pass "an unconfirmed commit rolls back by itself"
else
    fail "no automatic rollback"
fi
expect_contains "back to the confirmed configuration" "$(cat "$conf/juniper.conf")" "domain-name confirmed.example;"
expect_contains "the rollback is a commit via other" "$(cli -c 'show system commit')" "by root via other"
wait_for 5 grep -q "UI_COMMIT_CONFIRMED_TIMED" "$MSIM_HOME/default/var/log/messages" && pass "and is logged" || fail "rollback not logged"
[ ! -f "$conf/.commit-confirmed" ] && pass "nothing pending after the rollback" || fail ".commit-confirmed left"

# rollback N + show | compare rollback N.
out=$(cli -c 'configure; show | compare rollback 1')
expect_contains "show | compare rollback 1" "$out" "[edit system]
-  domain-name unconfirmed.example;
+  domain-name confirmed.example;"
out=$(cli -c 'configure; rollback 1; show | compare; commit')
expect_contains "rollback 1: load complete" "$out" "load complete"
expect_contains "rollback 1 brings back rollback 1" "$out" "[edit system]
-  domain-name confirmed.example;
+  domain-name unconfirmed.example;"
expect_contains "committed" "$(cat "$conf/juniper.conf")" "domain-name unconfirmed.example;"

### Editing commands, checked against the Junos text.
out=$(cli -c 'configure
set firewall filter f1 term t1 then accept
set firewall filter f1 term t2 then discard
set firewall filter f1 term t3 then reject
insert firewall filter f1 term t3 before term t1
annotate firewall filter f1 "edge filter"
edit firewall filter f1
annotate term t2 "drops"
deactivate term t2
show
up
status
top
edit interfaces fe-0/0/1 unit 0
set family inet address 10.9.9.1/24
set description "core link"
up
copy unit 0 to unit 1
rename unit 1 to unit 5
top
show interfaces fe-0/0/1')
expect_contains "insert before, annotate, deactivate: show" "$out" "term t3 {
    then reject;
}
term t1 {
    then accept;
}
/* drops */
inactive: term t2 {
    then discard;
}"
expect_contains "up 2 from a list entry" "$out" "      [edit firewall]"
expect_contains "copy and rename" "$out" "unit 0 {
    description \"core link\";
    family inet {
        address 10.9.9.1/24;
    }
}
unit 5 {
    description \"core link\";
    family inet {
        address 10.9.9.1/24;
    }
}"
out=$(cli -c 'configure; show firewall')
expect_contains "the annotation of the filter" "$out" "/* edge filter */
filter f1 {"
out=$(cli -c 'configure; show firewall | display set')
expect_contains "display set: the inactive term" "$out" "deactivate firewall filter f1 term t2"
out=$(cli -c 'configure; activate firewall filter f1 term t2; insert firewall filter f1 term t1 after term t2; show firewall filter f1')
expect_contains "activate and insert after" "$out" "term t3 {
    then reject;
}
/* drops */
term t2 {
    then discard;
}
term t1 {
    then accept;
}"
out=$(cli -c 'configure; activate firewall filter f1 term t2')
expect_contains "activate of an active statement" "$out" "warning: statement not inactive"
out=$(cli -c 'configure; rename interfaces fe-0/0/1 unit 0 to unit 5')
expect_contains "rename onto an existing statement" "$out" "error: target statement already exists"
out=$(cli -c 'configure; copy interfaces fe-0/0/9 to fe-0/0/8')
expect_contains "copy of a missing statement" "$out" "error: statement not found"
cli -c 'configure; rollback 0; set firewall filter f1 term t1 then accept; set firewall filter f1 term t2 then discard; commit' >/dev/null
out=$(cli -c 'configure; delete firewall; show firewall; show | compare')
expect_contains "delete of a whole subtree" "$out" "[edit]
-  firewall {
-      filter f1 {
-          term t1 {
-              then accept;
-          }
-          term t2 {
-              then discard;
-          }
-      }
-  }"
out=$(cli -c 'configure; delete firewall; delete firewall')
expect_contains "delete of what is not there" "$out" "warning: statement not found"
out=$(cli -c 'configure; set interfaces fe-0/0/2 unit 0; set interfaces fe-0/0/3 unit 0; wildcard delete interfaces fe-0/0/.*')
expect_contains "wildcard delete lists its matches" "$out" "  matched: fe-0/0/2
  matched: fe-0/0/3"
out=$(cli -c 'configure; up')
expect_contains "up at the top" "$out" "Already at top of hierarchy"
cli -c 'configure; rollback 0' >/dev/null

### groups, | display inheritance, show of a leaf, run.
out=$(cli -c 'configure; set groups g1 system ntp server 10.7.7.7; set apply-groups g1; show system | display inheritance; run show system uptime; commit and-quit')
expect_contains "display inheritance marks the inherited statement" "$out" "##
## 'ntp' was inherited from group 'g1'
##
ntp {"
expect_contains "run from configuration mode" "$out" "System booted: "
out=$(cli -c 'show configuration system | display inheritance')
expect_contains "show configuration | display inheritance" "$out" "## 'ntp' was inherited from group 'g1'"
out=$(cli -c 'show configuration system host-name'); rc=$?
expect_status "show configuration of a leaf" 0 "$rc"
expect_contains "prints its statement" "$out" "host-name default;"
out=$(cli -c 'configure; edit system; show host-name')
expect_contains "show of a leaf relative to the edit level" "$out" "host-name default;"
finish
