#!/usr/bin/env bash
# Batch mode and loads through `msim cli`: -c, -f and stdin, exit codes and --stop-on-error, load
# merge|override|replace|set|patch from terminal and files, errors that name the line and load nothing
# (a syntax error on line N, a bad `load set` line, a 10 MB garbage file), and $9$ secrets never shown in
# clear anywhere.
source "$(dirname "$0")/lib.sh"

"$MSIM" start >/dev/null 2>&1 || { fail "router did not start"; finish; }
cli() { "$MSIM" cli "$@" 2>&1; }
conf="$MSIM_HOME/default/config"
work="$MSIM_HOME/files"
mkdir -p "$work"
pending() { cli -c 'configure; show | compare'; }

### Exit codes, -c / -f / stdin.
out=$(cli -c 'show version; show system uptime'); rc=$?
expect_status "a batch that succeeds exits 0" 0 "$rc"
out=$(cli -c 'show version; show nonsense; show system uptime'); rc=$?
expect_status "a failed command fails the batch" 1 "$rc"
expect_contains "the batch continues after a failed command" "$out" "System booted: "
out=$(cli --stop-on-error -c 'show nonsense; show system uptime'); rc=$?
expect_status "--stop-on-error fails" 1 "$rc"
expect_not_contains "--stop-on-error stops at the first failure" "$out" "System booted: "
printf '%s\n' 'configure' 'set system domain-name from-f.example' 'commit and-quit' >"$work/cmds"
out=$(cli -f "$work/cmds"); rc=$?
expect_status "-f FILE" 0 "$rc"
expect_contains "-f commits" "$(cat "$conf/juniper.conf")" "domain-name from-f.example;"
out=$(printf '%s\n' 'configure' 'set system time-zone Europe/Paris' 'show system time-zone' | "$MSIM" cli 2>&1); rc=$?
expect_status "commands on stdin" 0 "$rc"
expect_contains "stdin: show of a leaf (show system time-zone)" "$out" "time-zone Europe/Paris;"
out=$(cli -f "$work/does-not-exist"); rc=$?
expect_status "-f of a missing file fails" 1 "$rc"

### load FILE: merge, replace, override, set, patch.
cli -c 'configure; rollback 0' >/dev/null
printf 'system {\n    location-a;\n}\n' >"$work/bad-stmt.conf"
printf 'system {\n    ntp {\n        server 10.0.0.1;\n    }\n}\n' >"$work/merge.conf"
out=$(cli -c "configure; load merge $work/merge.conf; show system ntp; commit"); rc=$?
expect_status "load merge FILE" 0 "$rc"
expect_contains "merged" "$out" "server 10.0.0.1;"
printf 'system {\n    replace:\n    ntp {\n        server 10.0.0.2;\n    }\n}\n' >"$work/replace.conf"
out=$(cli -c "configure; load replace $work/replace.conf; show | compare"); rc=$?
expect_status "load replace FILE" 0 "$rc"
expect_contains "replace: swaps the tagged statement" "$out" "[edit system ntp]
-    server 10.0.0.1;
+    server 10.0.0.2;"
cli -c 'configure; rollback 0' >/dev/null
cli -c 'configure; set system domain-name patched.example; show | compare' | sed -n '/^\[edit/,$p' >"$work/patch.diff"
cli -c 'configure; rollback 0' >/dev/null
out=$(cli -c "configure; load patch $work/patch.diff; show | compare"); rc=$?
expect_status "load patch FILE (show | compare output)" 0 "$rc"
expect_contains "the patch applies" "$out" "+  domain-name patched.example;"
cli -c 'configure; rollback 0' >/dev/null
printf '%s\n' 'set system domain-name set-file.example' 'set system ntp server 10.0.0.3' >"$work/ok.set"
out=$(cli -c "configure; load set $work/ok.set; show | compare"); rc=$?
expect_status "load set FILE" 0 "$rc"
expect_contains "load set applies" "$out" "+  domain-name set-file.example;"
cli -c 'configure; rollback 0' >/dev/null

# A syntax error on line 4 of a file: the error names the file and line 4, nothing is loaded.
printf 'system {\n    domain-name bad-file.example;\n    ntp {\n        sever 10.0.0.9;\n    }\n}\n' >"$work/syntax.conf"
out=$(cli -c "configure; load merge $work/syntax.conf"); rc=$?
expect_status "load of a file with a syntax error fails" 1 "$rc"
expect_contains "the error names the file and line 4" "$out" "$work/syntax.conf:4:"
expect_contains "and the offending word" "$out" "sever"
expect_not_contains "nothing from it is loaded" "$(pending)" "bad-file.example"
# load set with a bad third line: atomic, the line is named.
printf '%s\n' 'set system domain-name set-bad.example' 'set system ntp server 10.0.0.4' 'set system ntp bogus 1' >"$work/bad.set"
out=$(cli -c "configure; load set $work/bad.set"); rc=$?
expect_status "load set with a bad line fails" 1 "$rc"
expect_contains "the bad line is named" "$out" "$work/bad.set:3:"
expect_not_contains "load set is atomic" "$(pending)" "set-bad.example"
# override with a broken file keeps everything.
before=$(cat "$conf/juniper.conf")
out=$(cli -c "configure; load override $work/syntax.conf; commit"); rc=$?
expect_status "load override of a broken file then commit fails the batch" 1 "$rc"
[ "$before" = "$(cat "$conf/juniper.conf")" ] && pass "the committed configuration is untouched" || fail "juniper.conf changed"
out=$(cli -c "configure; load merge $work/nope.conf"); rc=$?
expect_status "load of a missing file fails" 1 "$rc"
expect_contains "missing file message" "$out" "error: Could not open configuration file: $work/nope.conf"
out=$(cli -c "configure; load override $work"); rc=$?
expect_status "load of a directory fails" 1 "$rc"
expect_not_contains "a directory does not empty the candidate" "$(pending)" "-  system {"
cli -c 'configure; rollback 0' >/dev/null

# 10 MB of garbage: refused with a line number, nothing applied, mgd still answers at once.
head -c 10485760 /dev/urandom >"$work/garbage.bin"
t0=$(date +%s%N)
out=$(cli -c "configure; load merge $work/garbage.bin"); rc=$?
t1=$(date +%s%N)
expect_status "10 MB of binary garbage is refused" 1 "$rc"
expect_contains "with the file and a line" "$out" "$work/garbage.bin:"
expect_contains "nothing loaded" "$out" "nothing was loaded"
[ $(((t1 - t0) / 1000000)) -lt 5000 ] && pass "refused in under 5 s ($(((t1 - t0) / 1000000)) ms)" || fail "garbage load took $(((t1 - t0) / 1000000)) ms"
yes 'system { host-name ; } }} {{ ; ;' | head -c 10485760 >"$work/garbage.txt"
out=$(cli -c "configure; load override $work/garbage.txt"); rc=$?
expect_status "10 MB of text garbage is refused" 1 "$rc"
expect_contains "with a line number" "$out" "$work/garbage.txt:1:"
t0=$(date +%s%N)
out=$(cli -c 'show version'); rc=$?
t1=$(date +%s%N)
expect_status "mgd still answers" 0 "$rc"
[ $(((t1 - t0) / 1000000)) -lt 2000 ] && pass "and fast ($(((t1 - t0) / 1000000)) ms)" || fail "show version took $(((t1 - t0) / 1000000)) ms"
expect_not_contains "the candidate is clean after the garbage" "$(pending)" "["

### Several options of one level on one line (`file kmd size 1m files 3;`), in files and in set.
printf 'security {\n    traceoptions {\n        file kmd size 1m files 3;\n        flag all;\n    }\n}\n' >"$work/flat.conf"
out=$(cli -c "configure; load merge $work/flat.conf; show security traceoptions"); rc=$?
expect_status "load merge of 'file kmd size 1m files 3;' on one line" 0 "$rc"
expect_contains "both options are loaded" "$out" "file kmd {
    files 3;
    size 1m;
}"
cli -c 'configure; rollback 0' >/dev/null
out=$(cli -c "configure; load override $work/flat.conf; show | compare"); rc=$?
expect_status "load override of the same" 0 "$rc"
expect_contains "override keeps both options" "$out" "size 1m;"
cli -c 'configure; rollback 0' >/dev/null
out=$(cli -c 'configure; set security traceoptions file kmd size 1m files 3; show security traceoptions'); rc=$?
expect_status "set security traceoptions file kmd size 1m files 3" 0 "$rc"
expect_contains "set takes both options" "$out" "files 3;"
cli -c 'configure; rollback 0' >/dev/null
printf 'security {\n    traceoptions {\n        file kmd size 1m filez 3;\n    }\n}\n' >"$work/flat-bad.conf"
out=$(cli -c "configure; load merge $work/flat-bad.conf"); rc=$?
expect_status "a wrong option after the value fails" 1 "$rc"
expect_contains "on that word, line 3" "$out" "$work/flat-bad.conf:3:"
expect_contains "naming it" "$out" "filez"
expect_not_contains "and loads nothing" "$(pending)" "size 1m"

### A failed batch undoes only its own changes: another session's uncommitted change stays.
cli -c 'configure; rollback 0' >/dev/null
out=$(cli -c 'configure; set system domain-name other-session.example'); rc=$?
expect_status "another session leaves an uncommitted change" 0 "$rc"
out=$(cli -c 'configure; set system time-zone Asia/Tokyo; set system bogus 1'); rc=$?
expect_status "a batch with a bad command fails" 1 "$rc"
expect_contains "and says its changes were discarded" "$out" "its uncommitted changes were discarded"
after=$(pending)
expect_contains "the other session's change is still in the candidate" "$after" "domain-name other-session.example;"
expect_not_contains "the failed batch's change is gone" "$after" "Asia/Tokyo"
# A batch that commits and then fails keeps what it committed and drops only what came after.
out=$(cli -c 'configure; set system time-zone Europe/Oslo; commit; set system ntp server 10.9.9.9; set system bogus 1'); rc=$?
expect_status "a batch that commits then fails" 1 "$rc"
expect_contains "its commit stays" "$(cat "$conf/juniper.conf")" "time-zone Europe/Oslo;"
after=$(pending)
expect_not_contains "what it changed after the commit is gone" "$after" "10.9.9.9"
expect_not_contains "and the commit is not undone in the candidate" "$after" "Europe/Oslo"
# A private candidate: the failed batch's private changes are discarded the same way.
out=$(cli -c 'configure private; set system time-zone Asia/Seoul; set system bogus 1'); rc=$?
expect_status "a private batch with a bad command fails" 1 "$rc"
expect_contains "and discards its private changes" "$out" "its uncommitted changes were discarded"
cli -c 'configure; rollback 0' >/dev/null

### `-c` splits at `;` outside quotes only; quoted `;` and escaped quotes survive.
out=$(cli -c 'configure; set interfaces fe-0/0/1 description "a; b"; set interfaces fe-0/0/1 unit 0 description "x;y \"q;r\" z"; show interfaces fe-0/0/1'); rc=$?
expect_status "-c with ; inside quotes" 0 "$rc"
expect_contains "the quoted ; is kept" "$out" 'description "a; b";'
expect_contains "an escaped quote does not end the quoted text" "$out" 'q;r'
expect_contains "nor the text after it" "$out" ' z";'
cli -c 'configure; rollback 0' >/dev/null

### A rollback that does not exist: the same words from `rollback N` and `| compare rollback N`.
out=$(cli -c 'configure; rollback 55'); rc=$?
expect_status "rollback 55 fails" 1 "$rc"
expect_contains "out of range" "$out" "Value 55 is not within range (0..49)"
out=$(cli -c 'configure; show | compare rollback 55'); rc=$?
expect_status "show | compare rollback 55 fails" 1 "$rc"
expect_contains "with the words of rollback 55" "$out" "Value 55 is not within range (0..49)"
out=$(cli -c 'show configuration | compare rollback 55'); rc=$?
expect_status "show configuration | compare rollback 55 fails" 1 "$rc"
expect_contains "likewise" "$out" "Value 55 is not within range (0..49)"
out=$(cli -c 'configure; rollback 40'); rc=$?
expect_status "rollback 40 (no such file) fails" 1 "$rc"
expect_contains "the file does not exist" "$out" "error: Rollback file 40 does not exist"
out=$(cli -c 'configure; show | compare rollback 40'); rc=$?
expect_status "show | compare rollback 40 fails" 1 "$rc"
expect_contains "with the same words" "$out" "error: Rollback file 40 does not exist"
out=$(cli -c 'configure; show | compare rollback 4x'); rc=$?
expect_status "show | compare rollback 4x fails" 1 "$rc"
expect_contains "not a number" "$out" "Value 4x is not within range (0..49)"

### $9$ secrets never in clear.
psk='Clear-PSK-9x7q'
key='123456789012345678901234'
out=$(cli -c "configure
set security ike proposal p1 authentication-method pre-shared-keys
set security ike policy 10.1.1.2 proposals p1
set security ike policy 10.1.1.2 pre-shared-key ascii-text $psk
set security ipsec security-association sa1 manual direction bidirectional protocol esp
set security ipsec security-association sa1 manual direction bidirectional spi 400
set security ipsec security-association sa1 manual direction bidirectional encryption algorithm 3des-cbc
set security ipsec security-association sa1 manual direction bidirectional encryption key ascii-text $key
show security
show security | display set
show security | display xml
show | compare
commit
exit
show configuration security
show configuration | display set
show system rollback 0 compare 1
show system rollback 0
show configuration | compare rollback 1"); rc=$?
expect_status "secrets configured and committed" 0 "$rc"
expect_not_contains "the pre-shared key is never printed in clear" "$out" "$psk"
expect_not_contains "the SA key is never printed in clear" "$out" "$key"
expect_contains "shown as \$9\$" "$out" 'ascii-text "$9$'
expect_contains "marked SECRET-DATA" "$out" '; ## SECRET-DATA'
cli -c "configure; save $work/saved.conf" >/dev/null
cli -c 'configure; set system domain-name after-secret.example; commit' >/dev/null
leaks=$(grep -rlF -e "$psk" -e "$key" "$MSIM_HOME/default" "$work/saved.conf" 2>/dev/null)
[ -z "$leaks" ] && pass "no file of the router (juniper.conf, rollbacks, logs, trace) nor the saved file holds a secret in clear" \
    || fail "secret in clear in: $leaks"
[ -f "$conf/juniper.conf.1" ] && expect_contains "the rollback file holds the \$9\$ form" "$(cat "$conf/juniper.conf.1")" 'ascii-text "$9$'
# The $9$ form reloads to the same secret: display set output loads back and compares equal.
cli -c 'show configuration | display set' | grep '^set ' >"$work/all.set"
out=$(cli -c "configure; load override $work/saved.conf; load set $work/all.set; show | compare"); rc=$?
expect_status "display set of \$9\$ secrets reloads" 0 "$rc"
expect_not_contains "to the same configuration" "$out" "SECRET-DATA"

finish
