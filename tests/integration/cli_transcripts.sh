#!/usr/bin/env bash
# Transcript tests of the operator shell (tests/integration/transcripts/*.t): each transcript is a Junos
# session, commands in and the exact text out, run by transcript.py against a fresh router on a terminal
# (a pty) and again in batch mode; see transcript.py for the format.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/python3 ] || { fail "/usr/bin/python3 is missing (scripts/bootstrap installs it)"; finish; }
while IFS= read -r line; do
    case "$line" in
        "ok - "*) pass "${line#ok - }" ;;
        "FAIL - "*) fail "${line#FAIL - }" ;;
        *) echo "$line" ;;
    esac
done < <(/usr/bin/python3 "$here/transcript.py" --msim "$MSIM" "$here"/transcripts/*.t 2>&1)
finish
