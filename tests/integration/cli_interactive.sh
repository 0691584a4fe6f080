#!/usr/bin/env bash
# The interactive CLI on a real terminal (tmux): prompts, the [edit] banner, `?` listings, TAB completion,
# abbreviations, the caret under an unknown word, Ctrl-C abandoning a line, the pager, and the exit
# question.
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { fail "tmux is missing (scripts/bootstrap installs it)"; finish; }

"$MSIM" start >/dev/null 2>&1 || { fail "router did not start"; finish; }
sock="$MSIM_HOME/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT
tm new-session -d -s cli -x 150 -y 60 "MSIM_HOME=$MSIM_HOME $MSIM cli"
screen() { tm capture-pane -t cli -p -S -200; }
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
type_keys C-u
type_keys 'sh' Tab
type_keys 'ver' Tab Enter
expect_contains "TAB completes unique words" "$(screen)" "root@default> show version"
type_keys 'sh ver' Enter
expect_contains "abbreviations run the command" "$(screen)" "Model: m10"
type_keys 'shw version' Enter
expect_contains "caret under the unknown word" "$(screen)" "$(printf 'root@default> shw version\n              ^\nunknown command.')"
type_keys 'show versio' C-c
type_keys 'show system users' Enter
expect_contains "Ctrl-C abandons the line, the next command runs" "$(screen)" "USER     TTY"

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

# The pager: a short screen shows ---(more)---, q leaves it.
type_keys 'set cli screen-length 5' Enter
expect_contains "screen-length" "$(screen)" "Screen length set to 5"
type_keys 'show version' Enter
expect_contains "pager prompt" "$(screen)" "---(more)---"
type_keys q
type_keys 'show version | no-more' Enter
expect_contains "no-more prints it all" "$(screen)" "(ipsecd) ["
type_keys 'exit' Enter
sleep 0.3
tm has-session -t cli 2>/dev/null && fail "exit did not end the CLI" || pass "exit ends the CLI"
finish
