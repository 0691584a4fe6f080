#!/usr/bin/env bash
# Configuration engine through `msim cli` in batch mode: set, show, compare, commit, rollback, load,
# commit-time errors that change nothing, users and classes.
source "$(dirname "$0")/lib.sh"

"$MSIM" start >/dev/null 2>&1 || { fail "router did not start"; finish; }
cli() { "$MSIM" cli "$@" 2>&1; }

out=$(cli -c 'configure; set system host-name gw-a; show | compare; commit comment "first"'); rc=$?
expect_status "set and commit succeed" 0 "$rc"
expect_contains "entering configuration mode" "$out" "Entering configuration mode"
expect_contains "compare shows the change" "$out" "+  host-name gw-a;"
expect_contains "commit complete" "$out" "commit complete"
expect_contains "hostname follows the commit" "$(cli -c 'show version')" "Hostname: gw-a"
expect_contains "show system commit lists it" "$(cli -c 'show system commit')" "by root via cli"
expect_contains "with its comment" "$(cli -c 'show system commit')" "    first"
expect_contains "juniper.conf holds it" "$(cat "$MSIM_HOME/default/config/juniper.conf")" "host-name gw-a;"
[ -f "$MSIM_HOME/default/config/juniper.conf.1" ] && pass "the previous configuration is rollback 1" || fail "no juniper.conf.1"

out=$(cli -c 'configure; set interfaces fe-0/0/1 unit 0 family inet address 10.1.1.1/24; commit; exit; show configuration interfaces | display set')
expect_contains "display set" "$out" "set interfaces fe-0/0/1 unit 0 family inet address 10.1.1.1/24"

# A batch is one transaction: after a failed command nothing is committed, and its changes are discarded.
before=$(cat "$MSIM_HOME/default/config/juniper.conf")
out=$(cli -c 'configure; set system domain-name ok.example; set system hostttt x; commit'); rc=$?
expect_status "a bad statement fails the batch" 1 "$rc"
expect_contains "syntax error is reported" "$out" "syntax error"
expect_contains "the commit is not attempted" "$out" "commit not attempted"
expect_contains "the batch's changes are discarded" "$out" "its uncommitted changes were discarded"
after=$(cat "$MSIM_HOME/default/config/juniper.conf")
[ "$before" = "$after" ] && pass "committed configuration untouched by the failed batch" || fail "configuration changed"
expect_not_contains "the good line of the failed batch is not left in the candidate" "$(cli -c 'configure; show | compare')" "ok.example"

# A commit-time error aborts the commit and leaves the committed configuration untouched.
before=$(cat "$MSIM_HOME/default/config/juniper.conf")
out=$(cli -c 'configure; set security ike policy 10.6.6.6 proposals missing-proposal; commit'); rc=$?
expect_status "a failing commit fails the batch" 1 "$rc"
expect_contains "check-out failed" "$out" "error: configuration check-out failed"
after=$(cat "$MSIM_HOME/default/config/juniper.conf")
[ "$before" = "$after" ] && pass "failed commit changed nothing on disk" || fail "juniper.conf changed after a failed commit"
out=$(cli -c 'configure; rollback; commit check')
expect_contains "rollback discards the candidate" "$out" "load complete"
expect_contains "commit check" "$out" "configuration check succeeds"

# Range error with the Junos wording.
out=$(cli -c 'configure; set security ike proposal p1 lifetime-seconds 90')
expect_contains "range error" "$out" "is not within range (180..86400)"

# rollback N and show system rollback.
out=$(cli -c 'configure; rollback 1; show | compare; commit')
expect_contains "rollback 1 loads the previous configuration" "$out" "load complete"
expect_contains "its difference" "$out" "fe-0/0/1"
out=$(cli -c 'show system rollback 1 compare 0')
expect_contains "show system rollback N compare M" "$out" "fe-0/0/1"
out=$(cli -c 'configure; rollback 48')
expect_contains "missing rollback" "$out" "error: Rollback file 48 does not exist"

# load set terminal and load merge terminal, all or nothing.
out=$(printf '%s\n' 'configure' 'load set terminal' 'set system domain-name example.net' 'set system time-zone UTC' '^D' 'commit' | "$MSIM" cli 2>&1); rc=$?
expect_status "load set terminal from stdin" 0 "$rc"
expect_contains "load complete" "$out" "load complete"
expect_contains "loaded statements committed" "$(cli -c 'show configuration system')" "domain-name example.net;"
out=$(printf '%s\n' 'configure' 'load merge terminal' 'system {' '    host-name x' '    bad-statement 1;' '}' '^D' | "$MSIM" cli 2>&1); rc=$?
expect_status "a load with an error fails" 1 "$rc"
expect_contains "it names the line" "$out" "terminal:"
expect_not_contains "and loads nothing" "$(cli -c 'configure; show | compare')" "host-name x"

# load override from a file; save.
tmp=$(mktemp)
printf 'system {\n    host-name from-file;\n}\n' >"$tmp"
out=$(cli -c "configure; load override $tmp; commit")
expect_contains "load override from a file" "$out" "load complete"
expect_contains "committed" "$(cli -c 'show configuration system')" "host-name from-file;"
out=$(cli -c "configure; save $tmp.saved")
expect_contains "save" "$out" "lines of configuration to '$tmp.saved'"
expect_contains "saved file has the header" "$(cat "$tmp.saved")" "## Last changed:"
rm -f "$tmp" "$tmp.saved"

# Users and classes.
cli -c 'configure; set system login user op class operator; set system login user ro class read-only; commit' >/dev/null
out=$("$MSIM" cli --user ro -c 'show version' 2>&1); rc=$?
expect_status "read-only may look" 0 "$rc"
out=$("$MSIM" cli --user ro -c 'configure' 2>&1); rc=$?
expect_status "read-only may not configure" 1 "$rc"
expect_contains "refused the Junos way" "$out" "unknown command."
out=$("$MSIM" cli --user op -c 'configure' 2>&1); rc=$?
expect_status "operator may not configure" 1 "$rc"
out=$("$MSIM" cli --user nobody -c 'show version' 2>&1); rc=$?
expect_status "an unknown user is refused" 1 "$rc"

# request system logout: a super-user ends another user's session; an operator may not end root's.
(sleep 3; echo "show version") | "$MSIM" cli --user op >"$MSIM_HOME/op-session.out" 2>&1 &
op_cli=$!
(sleep 3; echo "show version") | "$MSIM" cli >"$MSIM_HOME/root-session.out" 2>&1 &
root_cli=$!
wait_for 5 sh -c "'$MSIM' cli -c 'show system users' | grep -q '^op '"
out=$("$MSIM" cli --user op -c 'request system logout user root' 2>&1); rc=$?
expect_status "an operator may not end root's session" 1 "$rc"
expect_contains "with a permission error" "$out" "error: permission denied"
out=$(cli -c 'request system logout user op'); rc=$?
expect_status "root ends op's session" 0 "$rc"
wait "$op_cli"; rc=$?
expect_status "the ended session's CLI fails" 1 "$rc"
expect_contains "and says why" "$(cat "$MSIM_HOME/op-session.out")" "error: this CLI session was ended"
wait "$root_cli"; rc=$?
expect_status "root's other session is untouched" 0 "$rc"
expect_contains "nobody logged in" "$(cli -c 'request system logout user nobody')" "error: user 'nobody' is not logged in"
expect_contains "logout of a pid needs a number" "$(cli -c 'request system logout pid x')" "invalid numeric value: 'x'"
expect_contains "logged" "$(cat "$MSIM_HOME/default/var/log/messages")" "UI_LOGOUT_USER: User 'root' ended the session of user 'op'"

# Moving around: exit and up leave a list entry as one statement.
out=$(cli -c 'configure; edit security ipsec security-association sa9; exit; status; edit security-association sa9; up; status; top; status')
expect_contains "exit from a list entry" "$out" "      [edit security ipsec]"
expect_contains "top" "$out" "      [edit]"

# Files and logs of the router, never outside its folder.
expect_contains "show system uptime" "$(cli -c 'show system uptime')" "System booted: "
expect_contains "show log messages" "$(cli -c 'show log messages')" "UI_COMMIT: User 'root'"
expect_contains "file list" "$(cli -c 'file list /var/log')" "messages"
out=$(cli -c 'show log ../../../etc/passwd'); rc=$?
expect_status "a path outside the router is refused" 1 "$rc"
expect_contains "with the Junos message" "$out" "error: could not resolve file: ../../../etc/passwd"
expect_contains "show log needs a file" "$(cli -c 'show log')" "missing argument."

# A reader (kmd reads security ipsec and firewall) receives their changes in validate and apply.
: >"$MSIM_HOME/default/var/log/commit-trace"
cli -c 'configure; set security ipsec proposal p-reader protocol esp; commit' >/dev/null
trace=$(cat "$MSIM_HOME/default/var/log/commit-trace")
expect_contains "the owner validates the ipsec change" "$trace" "phase=validate by=ipsecd"
expect_contains "the reader gets it too" "$trace" "phase=apply by=kmd"

# | display xml: the Junos XML form of the configuration (keys first, secrets as $9$ with SECRET-DATA,
# inactive and annotations kept), from operational and configuration mode.
cli -c 'configure; set security ipsec security-association sx manual direction bidirectional protocol esp spi 300 encryption algorithm 3des-cbc key ascii-text 123456789012345678901234; deactivate security ipsec security-association sx; annotate security "protected"; commit and-quit' >/dev/null
out=$(cli -c 'show configuration security ipsec security-association sx | display xml')
expect_contains "display xml: the statement framed by its ancestors" "$out" "<configuration>
        <security>
            <ipsec>
                <security-association inactive=\"inactive\">
                    <name>sx</name>
                    <manual>"
expect_contains "display xml: a secret in its \$9\$ form" "$out" "<ascii-text>\$9\$"
expect_not_contains "display xml: never in clear" "$out" "123456789012345678901234"
out=$(cli -c 'show configuration | display xml')
expect_contains "display xml: annotations" "$out" "<junos:comment>/* protected */</junos:comment>"
echo "$out" | sed -n '/<configuration>/,/<\/configuration>/p' | /usr/bin/python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.read().replace("junos:comment", "comment"))' \
    && pass "display xml: well-formed XML" || fail "display xml: not well-formed"
out=$(cli -c 'configure; edit security ipsec; show | display xml')
expect_contains "display xml in configuration mode" "$out" '<rpc-reply xmlns:junos="http://xml.juniper.net/junos/'
expect_contains "with the edit banner" "$out" "<banner>[edit security ipsec]</banner>"
expect_contains "display xml: secrets marked" "$out" "</ascii-text> <!-- SECRET-DATA -->"
cli -c 'configure; delete security ipsec security-association sx; commit and-quit' >/dev/null

# Pipes.
out=$(cli -c 'show configuration | display set | count')
expect_contains "count pipe" "$out" "Count: "
out=$(cli -c 'show configuration | match host-name')
expect_contains "match pipe" "$out" "host-name from-file;"
expect_not_contains "match drops other lines" "$out" "version"
out=$(cli -c 'sh conf | di set | m host')
expect_contains "abbreviated pipes" "$out" "set system host-name from-file"

finish
