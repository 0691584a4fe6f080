#!/usr/bin/env bash
# The interactive CLI on a real terminal (tmux): prompts, the [edit] banner, `?` listings, TAB and space
# completion, abbreviations, the caret under an unknown word, Ctrl-C abandoning a line, the pager (its
# page size, Enter, space, q, Ctrl-C, | no-more), the exit question, a session ended by request system
# logout at its prompt, and Ctrl-D.
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { fail "tmux is missing (scripts/bootstrap installs it)"; finish; }

"$MSIM" start >/dev/null 2>&1 || { fail "router did not start"; finish; }
sock="$MSIM_HOME/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT
tm new-session -d -s cli -x 150 -y 60 "MSIM_HOME=$MSIM_HOME $MSIM cli"
screen() { tm capture-pane -t cli -p -S -200; }
last_line() { screen | grep -v '^$' | tail -n 1; }
# fresh: an empty screen and no scrollback, so that what follows is all the screen shows.
fresh() { tm send-keys -t cli C-l; sleep 0.2; tm clear-history -t cli; }
# type TEXT...: sends keys, then waits until the screen stops changing (bounded).
type_keys() {
    tm send-keys -t cli "$@"
    local last="" now i
    for i in $(seq 1 40); do
        sleep 0.1
        now=$(screen)
        [ "$now" = "$last" ] && [ "$i" -gt 2 ] && break
        last=$now
    done
}
wait_for 10 bash -c "tmux -S '$sock' capture-pane -t cli -p | grep -q 'root@default>'" && pass "operational prompt" || fail "no prompt"

type_keys 'show ?'
expect_contains "? lists completions" "$(screen)" "Possible completions:"
expect_contains "with help at column 23" "$(screen)" "  version              Show software process revision levels"
expect_contains "the ? shows on the line, the prompt comes back with the text before it" "$(screen)" "root@default> show ?
Possible completions:"
# (tmux drops the spaces at the end of a line)
[ "$(last_line)" = "root@default> show" ] && pass "and the line is kept" || fail "and the line is kept: '$(last_line)'"
type_keys C-u
type_keys 'sh' Tab
type_keys 'ver' Tab Enter
expect_contains "TAB completes unique words" "$(screen)" "root@default> show version"
fresh
type_keys 'sh ver '
[ "$(last_line)" = "root@default> show version" ] && pass "space completes unique words" || fail "space completes unique words: '$(last_line)'"
type_keys Enter
expect_contains "and the completed command runs" "$(screen)" "Model: m10"
type_keys 'show s '
expect_contains "space on an ambiguous word lists the choices" "$(screen)" "root@default> show s
's' is ambiguous.
Possible completions:
  security             Show security information
  system               Show system information
root@default> show s"
type_keys C-u 'set cli complete-on-space off' Enter
type_keys 'sh '
[ "$(last_line)" = "root@default> sh" ] && pass "complete-on-space off: space is a space" || fail "complete-on-space off: '$(last_line)'"
type_keys 'v' Enter
expect_contains "and abbreviations still run" "$(screen)" "JUNOS Management Daemon (mgd)"
type_keys 'set cli complete-on-space on' Enter
type_keys 'sh ver' Enter
expect_contains "abbreviations run the command" "$(screen)" "Model: m10"
type_keys 'shw version' Enter
expect_contains "caret under the unknown word" "$(screen)" "$(printf 'root@default> shw version\n              ^\nunknown command.')"
type_keys 'show versio'
type_keys C-c
type_keys 'show system users' Enter
expect_contains "Ctrl-C abandons the line, the next command runs" "$(screen)" "USER     TTY"
expect_contains "on a new prompt" "$(screen)" "root@default> show versio
root@default> show system users"

type_keys 'configure' Enter
expect_contains "configuration banner and prompt" "$(screen)" "$(printf '[edit]\nroot@default#')"
type_keys '?'
expect_contains "? on an empty configuration line lists the commands" "$(screen)" "  set                  Set a parameter"
type_keys C-u 'commit ?'
expect_contains "? after commit lists its options" "$(screen)" "  confirmed            Automatically rollback if not confirmed"
type_keys C-u 'set system host-name ?'
expect_contains "? on a value shows the placeholder" "$(screen)" "Possible completions:"
type_keys C-u 'set system host-name tty-router' Enter
type_keys 'edit system' Enter
expect_contains "edit changes the banner" "$(screen)" "[edit system]"
type_keys 'top' Enter
type_keys 'set cli' Enter
expect_contains "a configuration error shows the caret" "$(screen)" "^"
type_keys 'exit' Enter
expect_contains "exit asks about uncommitted changes" "$(screen)" "Exit with uncommitted changes? [yes,no] (yes)"
type_keys 'no' Enter
type_keys 'commit and-quit' Enter
expect_contains "commit and-quit" "$(screen)" "$(printf 'commit complete\nExiting configuration mode')"
expect_contains "the prompt follows the committed host-name" "$(last_line)" "root@tty-router>"

# The pager: a short screen shows ---(more)---, q leaves it.
type_keys 'set cli screen-length 5' Enter
expect_contains "screen-length" "$(screen)" "Screen length set to 5"
fresh
type_keys 'show cli' Enter
expect_contains "pager prompt" "$(screen)" "---(more)---"
expect_contains "after screen-length - 1 lines" "$(screen)" "root@tty-router> show cli
CLI complete-on-space set to on
CLI idle-timeout disabled
CLI restart-on-upgrade set to on
CLI screen-length set to 5
---(more)---"
expect_not_contains "and no further" "$(screen)" "screen-width"
type_keys Enter
expect_contains "Enter shows one more line" "$(screen)" "screen-width set to"
expect_not_contains "only one" "$(screen)" "CLI terminal is"
type_keys Space
expect_contains "space shows the next page" "$(screen)" "CLI working directory is"
expect_contains "back at the prompt when it ends" "$(last_line)" "root@tty-router>"
fresh
type_keys 'show cli' Enter
type_keys q
expect_not_contains "q leaves the pager" "$(screen)" "screen-width"
expect_contains "back at the prompt" "$(last_line)" "root@tty-router>"
fresh
type_keys 'show cli' Enter
type_keys C-c
expect_not_contains "Ctrl-C leaves the pager too" "$(screen)" "screen-width"
expect_contains "at the prompt" "$(last_line)" "root@tty-router>"
type_keys 'show version | no-more' Enter
expect_contains "no-more prints it all" "$(screen)" "(ipsecd) ["
type_keys 'set cli screen-length 0' Enter

# A broadcast (a commit confirmed that nobody confirms rolls back after its minute) shows at once on a
# terminal waiting at its prompt, and the banner and prompt come back under it.
type_keys 'configure' Enter
"$MSIM" cli -c 'configure; set system domain-name broadcast.example; commit confirmed 1' >/dev/null
fresh
if wait_for 90 bash -c "tmux -S '$sock' capture-pane -t cli -p -S -200 | grep -q 'automatic rollback complete'"; then
    pass "the broadcast shows without a key pressed"
    sleep 0.3
    expect_contains "as Junos words it" "$(screen | grep -v '^$' | tail -n 5)" "        (no tty) at"
    expect_contains "with the message" "$(screen | grep -v '^$' | tail -n 5)" "Broadcast Message from root@"
    expect_contains "and the banner and prompt come back" "$(screen | grep -v '^$' | tail -n 2)" "[edit]
root@tty-router#"
else
    fail "no broadcast on the terminal: $(screen | tail -n 8)"
fi
type_keys 'exit' Enter

# mgd ending the session (request system logout from another session) ends this CLI at its prompt, at once.
"$MSIM" cli -c 'set cli screen-length 0' >/dev/null
tm new-session -d -s other -x 150 -y 20 "MSIM_HOME=$MSIM_HOME $MSIM cli --user root"
wait_for 10 bash -c "tmux -S '$sock' capture-pane -t other -p | grep -q 'root@tty-router>'"
other_tty=$(tmux -S "$sock" display -p -t other '#{pane_tty}')
"$MSIM" cli -c "request system logout terminal ${other_tty#/dev/}" >/dev/null
wait_for 5 bash -c "! tmux -S '$sock' has-session -t other 2>/dev/null" && pass "a logged-out session ends without a key pressed" || fail "the logged-out session still runs: $(tm capture-pane -t other -p)"
type_keys 'exit' Enter
sleep 0.3
tm has-session -t cli 2>/dev/null && fail "exit did not end the CLI" || pass "exit ends the CLI"

# Ctrl-D on an empty line leaves the CLI too.
tm new-session -d -s eof -x 150 -y 20 "MSIM_HOME=$MSIM_HOME $MSIM cli"
wait_for 10 bash -c "tmux -S '$sock' capture-pane -t eof -p | grep -q 'root@tty-router>'"
tm send-keys -t eof C-d
wait_for 5 bash -c "! tmux -S '$sock' has-session -t eof 2>/dev/null" && pass "Ctrl-D leaves the CLI" || fail "Ctrl-D did not leave"
finish
