#!/usr/bin/python3
"""Transcript runner for the operator shell: commands in, expected text out, against a real router.

A transcript (tests/integration/transcripts/*.t) is what a terminal shows during a Junos CLI session:
prompt lines (`root@default> show version`) carry the typed commands, every other line is expected
output. Each transcript runs twice, on a fresh router each time:

  terminal  `msim cli` on a pseudo-terminal (the interactive CLI, readline, TERM=dumb). The screen, as a
            small terminal emulator renders it, must equal the transcript line by line.
  batch     the same keystrokes on the CLI's stdin (batch mode). The output must equal the transcript
            minus what only a terminal shows: prompt lines, the blank line and `[edit …]` banner (and the
            `# commit confirmed …` reminder) before each prompt, the `[Type ^D …]` hint and the lines typed
            after it. A caret error keeps its command line, shifted left by the prompt's width, since
            batch mode echoes the line before its caret.

Lines are compared exactly, except for placeholders standing for genuinely variable fields:
  {{TIME}} 12:34:56   {{DATE}} 2024-01-31   {{TZ}} UTC   {{CLOCK}} ` 9:05AM` (w(1)'s time of day)
  {{NUM}} digits      {{PID}} a process id  {{TTY}} a terminal name   {{AGE}} 00:01:02 or 1w2d 03:04
  {{LOAD}} 0.42       {{ANY}} anything on one line      {{re:REGEX}} a regular expression
A line `{{LINES}}` matches any number of lines (including none).

Typing rules (terminal mode): a command ending in `?` is typed without Enter; the `?` listing follows
and the CLI keeps the text before the `?` on its line; a next prompt line that continues that text is
typed as the rest of it, another one after Ctrl-U (which empties the line). A question (`… [yes,no]
(yes) `) is a prompt too: the text after it is the answer. After `[Type ^D at a new line to end
input]` every line up to and including `^D` is typed as it is.

Directives (lines starting `#@`) and comments (`#:`) are not output:
  #@ setup CMD; CMD      run in batch mode before what follows (must succeed); not compared
  #@ file PATH           write the lines up to `#@ end` to PATH (relative to the router's folder)
  #@ check-file PATH     PATH's content must equal the lines up to `#@ end` (placeholders apply)
  #@ absent PATH TEXT    PATH (relative to the router's folder) must not contain TEXT
  #@ batch-status N      the next session's exit status in batch mode (default 0)
  #@ cli [ARGS]          a session of `msim cli ARGS`: the lines up to the next directive. It must end
                         (exit) by itself.
  #@ open NAME [ARGS]    a second interactive session (terminal in both modes) that waits at its prompt;
                         later sessions may name its process id and terminal as ${NAME.pid}, ${NAME.tty}
  #@ type NAME LINE      type LINE (and Enter) in session NAME
  #@ ended NAME          session NAME must have ended (within 10 s)
  #@ close NAME          end session NAME (exit)
  #@ terminal-only       this transcript runs in terminal mode only (it uses what batch mode lacks)

usage: transcript.py --msim MSIM [--mode terminal|batch|both] FILE.t...   (MSIM_HOME must be set)
Exit status: 0 if every transcript passed.
"""

import argparse
import difflib
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time

CLI_PROMPT = re.compile(r"^([A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+[>#] )(.*)$")
QUESTION = re.compile(r"^(.*\[yes,no\] \((?:yes|no)\) )(.*)$")
CARET = re.compile(r"^ *\^$")
BANNER = re.compile(r"^\[edit( .*)?\]$")
REMINDER = "# commit confirmed will be rolled back in "
TYPE_HINT = "[Type ^D at a new line to end input]"
ROWS, COLUMNS = 500, 250  # no pager and no line wrapping unless a transcript asks for them

PLACEHOLDERS = {
    "TIME": r"\d{1,2}:\d{2}:\d{2}",
    "DATE": r"\d{4}-\d{2}-\d{2}",
    "TZ": r"[A-Z][A-Za-z0-9+-]{1,5}",
    "CLOCK": r"[ 1]\d:\d{2}[AP]M",
    "NUM": r"\d+",
    "PID": r"\d+",
    "TTY": r"\S+",
    "AGE": r"(\d+w\d+d )?\d{2}:\d{2}(:\d{2})?",
    "LOAD": r"\d+\.\d{2}",
    "ANY": r".*",
}


class TranscriptError(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------
# Parsing


class Step:
    def __init__(self, kind, arg="", lines=None, line_no=0):
        self.kind, self.arg, self.lines, self.line_no = kind, arg, lines or [], line_no
        self.batch_status = 0


def parse(path):
    steps, terminal_only, pending_status = [], False, 0
    with open(path, encoding="utf-8") as f:
        raw = f.read().split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    i = 0
    while i < len(raw):
        line, no = raw[i], i + 1
        i += 1
        if line.startswith("#:"):
            continue
        if not line.startswith("#@"):
            if line.strip():
                raise TranscriptError(f"{path}:{no}: text outside a session: {line!r}")
            continue
        word, _, arg = line[2:].strip().partition(" ")
        arg = arg.strip()
        if word == "terminal-only":
            terminal_only = True
        elif word in ("setup", "open", "type", "ended", "close", "absent"):
            steps.append(Step(word, arg, line_no=no))
        elif word == "batch-status":
            pending_status = int(arg)
        elif word in ("file", "check-file"):
            body = []
            while i < len(raw) and raw[i] != "#@ end":
                body.append(raw[i])
                i += 1
            if i == len(raw):
                raise TranscriptError(f"{path}:{no}: #@ {word} without #@ end")
            i += 1
            steps.append(Step(word, arg, body, no))
        elif word == "cli":
            body = []
            while i < len(raw) and not raw[i].startswith("#@"):
                if not raw[i].startswith("#:"):
                    body.append(raw[i])
                i += 1
            while body and body[-1] == "":
                body.pop()
            steps.append(Step("cli", arg, body, no))
            steps[-1].batch_status, pending_status = pending_status, 0
        else:
            raise TranscriptError(f"{path}:{no}: unknown directive {word!r}")
    return steps, terminal_only


def inputs_of(lines):
    """The keystrokes of a session: (kind, prompt, text) with kind cli, question or raw."""
    out, raw_block = [], False
    for line in lines:
        if raw_block:
            out.append(("raw", "", line))
            raw_block = line != "^D"
            continue
        if line == TYPE_HINT:
            raw_block = True
            continue
        m = CLI_PROMPT.match(line)
        if m:
            out.append(("cli", m.group(1), m.group(2)))
            continue
        m = QUESTION.match(line)
        if m:
            out.append(("question", m.group(1), m.group(2)))
    return out


def batch_text(lines):
    """What batch mode prints for a terminal transcript (see the module comment)."""
    out, i, raw_block = [], 0, False
    while i < len(lines):
        line = lines[i]
        if raw_block:
            raw_block = line != "^D"
            i += 1
            continue
        if line == TYPE_HINT:
            raw_block = True
            i += 1
            continue
        m = CLI_PROMPT.match(line)
        if m:
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if CARET.match(nxt) and len(nxt) > len(m.group(1)):
                out += [m.group(2), nxt[len(m.group(1)):]]
                i += 2
            else:
                i += 1
            continue
        j = i
        while j < len(lines) and (lines[j] == "" or lines[j].startswith(REMINDER) or BANNER.match(lines[j])):
            j += 1
        if j > i and (j == len(lines) or CLI_PROMPT.match(lines[j])):
            i = j
            continue
        out.append(line)
        i += 1
    return out


# ---------------------------------------------------------------------------------------------------------
# Comparing


def line_regex(expected):
    parts, pos = [], 0
    for m in re.finditer(r"\{\{(re:.*?|[A-Z]+)\}\}(?!\})", expected):
        parts.append(re.escape(expected[pos:m.start()]))
        name = m.group(1)
        if name.startswith("re:"):
            parts.append("(?:" + name[3:] + ")")
        elif name in PLACEHOLDERS:
            parts.append("(?:" + PLACEHOLDERS[name] + ")")
        else:
            raise TranscriptError(f"unknown placeholder {{{{{name}}}}}")
        pos = m.end()
    parts.append(re.escape(expected[pos:]))
    return re.compile("".join(parts) + r"\Z")


def matches(expected, actual):
    """True when the actual lines match the expected ones (placeholders, {{LINES}})."""
    memo = {}

    def walk(e, a):
        if (e, a) in memo:
            return memo[e, a]
        if e == len(expected):
            ok = a == len(actual)
        elif expected[e] == "{{LINES}}":
            ok = any(walk(e + 1, k) for k in range(a, len(actual) + 1))
        else:
            ok = a < len(actual) and bool(line_regex(expected[e]).match(actual[a])) and walk(e + 1, a + 1)
        memo[e, a] = ok
        return ok

    return walk(0, 0)


def report(what, expected, actual):
    # Show an expected line that a placeholder matches as the actual line, so that the diff shows only
    # the lines that really differ.
    shown, a = [], 0
    for line in expected:
        found = None
        if line != "{{LINES}}":
            rx = line_regex(line)
            for k in range(a, min(len(actual), a + 200)):
                if rx.match(actual[k]):
                    found = k
                    break
        if found is None:
            shown.append(line)
        else:
            shown.append(actual[found])
            a = found + 1
    diff = difflib.unified_diff(shown, actual, "expected", "actual", lineterm="", n=3)
    return f"{what}:\n" + "\n".join("    " + d for d in diff)


# ---------------------------------------------------------------------------------------------------------
# A terminal: a pty, the CLI on it, and a screen that renders what the CLI writes


class Screen:
    """Just enough of a terminal for readline on TERM=dumb: CR, LF, BS, TAB, erase-line."""

    def __init__(self):
        self.lines, self.row, self.col = [""], 0, 0
        self.pending = b""

    def put(self, ch):
        line = self.lines[self.row]
        if self.col > len(line):
            line += " " * (self.col - len(line))
        self.lines[self.row] = line[:self.col] + ch + line[self.col + 1:]
        self.col += 1

    def feed(self, data):
        text = (self.pending + data).decode("utf-8", errors="replace")
        self.pending = b""
        i = 0
        while i < len(text):
            c = text[i]
            i += 1
            if c == "\n":
                self.row += 1
                self.col = 0
                if self.row == len(self.lines):
                    self.lines.append("")
            elif c == "\r":
                self.col = 0
            elif c == "\b":
                self.col = max(0, self.col - 1)
            elif c == "\t":
                self.col = (self.col // 8 + 1) * 8
            elif c == "\x1b":
                m = re.match(r"\[([0-9;?]*)([A-Za-z@])|\][^\x07]*\x07|.", text[i:], re.S)
                if m is None:
                    self.pending = text[i - 1:].encode()
                    return
                i += m.end()
                if m.group(0).endswith("K"):
                    self.lines[self.row] = self.lines[self.row][:self.col]
                elif m.group(2) in ("C", "D"):
                    n = int(m.group(1) or "1")
                    self.col = self.col + n if m.group(2) == "C" else max(0, self.col - n)
            elif c >= " " or c == "\x7f":
                if c != "\x7f":
                    self.put(c)

    def current(self):
        return self.lines[self.row]

    def text(self):
        lines = [l.rstrip() for l in self.lines]
        while lines and lines[-1] == "":
            lines.pop()
        return lines


class Terminal:
    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
            os.execve(argv[0], argv, env)
        self.screen = Screen()
        self.status = None

    def pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            self.reap(block=True)
            return False
        self.screen.feed(data)
        return True

    def wait_for(self, predicate, seconds, what):
        deadline = time.monotonic() + seconds
        while not predicate():
            if self.status is not None or time.monotonic() > deadline:
                raise TranscriptError(f"waiting for {what}: the screen ends with:\n" +
                                      "\n".join("    | " + l for l in self.screen.text()[-15:]))
            self.pump(0.05)
        # Let whatever is still on its way arrive (a prompt is the last thing before the CLI waits).
        while self.pump(0.02):
            pass

    def wait_prompt(self, prompt, seconds=60):
        self.wait_for(lambda: self.screen.current().rstrip() == prompt.rstrip() and self.screen.col == len(prompt),
                      seconds, repr(prompt))

    def type(self, text, wait=True):
        # The typed line must have left the prompt's row before anything waits for the next prompt, or the
        # old prompt would pass for it and the next line would be typed while the CLI is still busy.
        row = self.screen.row
        os.write(self.fd, text.encode())
        if wait:
            self.wait_for(lambda: self.screen.row > row or self.reap() is not None, 30, f"the echo of {text!r}")

    def reap(self, block=False):
        if self.status is None:
            pid, st = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
        return self.status

    def wait_exit(self, seconds):
        deadline = time.monotonic() + seconds
        while self.reap() is None and time.monotonic() < deadline:
            self.pump(0.05)
        while self.status is not None and self.pump(0):
            pass
        return self.status is not None

    def kill(self):
        if self.reap() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.reap(block=True)
        os.close(self.fd)


# ---------------------------------------------------------------------------------------------------------
# Running


class Runner:
    def __init__(self, msim, home):
        self.msim, self.home = msim, home
        self.router = os.path.join(home, "default")
        self.env = dict(os.environ, TERM="dumb", INPUTRC="/dev/null", MSIM_HOME=home)
        self.sessions = {}
        self.vars = {}  # ${NAME.pid}, ${NAME.tty} of the sessions opened with #@ open

    def fresh_router(self):
        subprocess.run([self.msim, "stop"], env=self.env, capture_output=True, timeout=60)
        shutil.rmtree(self.router, ignore_errors=True)
        r = subprocess.run([self.msim, "start"], env=self.env, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise TranscriptError("the router did not start: " + r.stdout + r.stderr)

    def argv(self, args):
        return [self.msim, "cli"] + args.split()

    def run(self, path, mode):
        steps, _ = parse(path)
        self.fresh_router()
        try:
            for step in steps:
                try:
                    getattr(self, "step_" + step.kind.replace("-", "_"))(step, mode)
                except TranscriptError as e:
                    raise TranscriptError(f"{path}:{step.line_no}: {e}") from None
        finally:
            for t in self.sessions.values():
                t.kill()
            self.sessions.clear()

    def step_setup(self, step, mode):
        r = subprocess.run(self.argv("") + ["-c", step.arg], env=self.env, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise TranscriptError(f"setup failed ({r.returncode}):\n{r.stdout}{r.stderr}")

    def step_file(self, step, mode):
        target = os.path.join(self.router, step.arg)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in step.lines))

    def step_check_file(self, step, mode):
        try:
            with open(os.path.join(self.router, step.arg), encoding="utf-8") as f:
                actual = f.read().split("\n")
        except OSError as e:
            raise TranscriptError(f"{step.arg}: {e}")
        if actual and actual[-1] == "":
            actual.pop()
        if not matches(step.lines, actual):
            raise TranscriptError(report(f"file {step.arg} differs", step.lines, actual))

    def step_absent(self, step, mode):
        path, _, text = step.arg.partition(" ")
        with open(os.path.join(self.router, path), encoding="utf-8", errors="replace") as f:
            if text in f.read():
                raise TranscriptError(f"{path} contains {text!r}")

    def step_open(self, step, mode):
        name, _, args = step.arg.partition(" ")
        t = Terminal(self.argv(args), self.env)
        self.sessions[name] = t
        t.wait_for(lambda: re.search(r"@\S+> $", t.screen.current()) is not None, 30, f"{name}'s prompt")
        self.vars[name + ".pid"] = str(t.pid)
        self.vars[name + ".tty"] = os.readlink(f"/proc/{t.pid}/fd/0").removeprefix("/dev/")

    def substitute(self, lines):
        def one(line):
            return re.sub(r"\$\{([\w.-]+)\}", lambda m: self.vars.get(m.group(1), m.group(0)), line)
        return [one(l) for l in lines]

    def step_type(self, step, mode):
        name, _, line = step.arg.partition(" ")
        t = self.sessions[name]
        t.type(line + "\r")
        t.wait_for(lambda: re.search(r"@\S+[>#] $", t.screen.current()) is not None or t.reap() is not None,
                   30, f"{name}'s prompt after {line!r}")

    def step_ended(self, step, mode):
        if not self.sessions[step.arg].wait_exit(10):
            raise TranscriptError(f"session {step.arg} is still running")

    def step_close(self, step, mode):
        t = self.sessions.pop(step.arg)
        t.type("exit\r")
        t.wait_exit(10)
        t.kill()

    def step_cli(self, step, mode):
        status = step.batch_status
        step = Step("cli", step.arg, self.substitute(step.lines), step.line_no)
        step.batch_status = status
        if mode == "terminal":
            actual = self.terminal_session(step)
            expected = step.lines
        else:
            actual = self.batch_session(step)
            expected = batch_text(step.lines)
        if not matches(expected, actual):
            raise TranscriptError(report(f"{mode} session differs", expected, actual))

    def terminal_session(self, step):
        t = Terminal(self.argv(step.arg), self.env)
        try:
            pending = ""
            for kind, prompt, text in inputs_of(step.lines):
                if kind == "raw":
                    t.wait_for(lambda: TYPE_HINT in t.screen.lines[max(0, t.screen.row - 64):], 30, TYPE_HINT)
                    t.type(text + "\r", wait=False)
                    continue
                if kind == "question":
                    t.wait_prompt(prompt)
                    t.type(text + "\r")
                    continue
                t.wait_prompt(prompt + pending)
                if not text.startswith(pending):
                    # A new line after a `?`: Ctrl-U empties the line the CLI kept.
                    t.type("\x15", wait=False)
                    t.wait_prompt(prompt)
                    pending = ""
                if text.endswith("?"):
                    t.type(text[len(pending):])
                    pending = text[:-1]
                else:
                    t.type(text[len(pending):] + "\r")
                    pending = ""
            if not t.wait_exit(30):
                raise TranscriptError("the session did not end (end each session with exit):\n" +
                                      "\n".join("    | " + l for l in t.screen.text()[-10:]))
            return t.screen.text()
        finally:
            t.kill()

    def batch_session(self, step):
        keys = [text for kind, _, text in inputs_of(step.lines)]
        r = subprocess.run(self.argv(step.arg), input="".join(k + "\n" for k in keys), env=self.env,
                           capture_output=True, text=True, timeout=300)
        if r.stderr:
            raise TranscriptError("the CLI wrote to stderr:\n" + r.stderr)
        if r.returncode != step.batch_status:
            raise TranscriptError(f"batch exit status {r.returncode}, expected {step.batch_status}; output:\n" +
                                  r.stdout)
        lines = r.stdout.split("\n")
        while lines and lines[-1] == "":
            lines.pop()
        return [l.rstrip() for l in lines]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--msim", required=True)
    ap.add_argument("--mode", choices=("terminal", "batch", "both"), default="both")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    home = os.environ.get("MSIM_HOME")
    if not home:
        sys.exit("MSIM_HOME must be set (a scratch folder: routers there are created and removed)")
    runner = Runner(os.path.abspath(args.msim), home)
    failures = 0
    for path in args.files:
        try:
            _, terminal_only = parse(path)
        except TranscriptError as e:
            print(f"FAIL - {e}")
            failures += 1
            continue
        modes = ["terminal", "batch"] if args.mode == "both" else [args.mode]
        for mode in modes:
            name = f"{os.path.basename(path)} ({mode})"
            if mode == "batch" and terminal_only:
                print(f"ok - {name} # SKIP terminal only")
                continue
            try:
                runner.run(path, mode)
                print(f"ok - {name}", flush=True)
            except (TranscriptError, subprocess.TimeoutExpired) as e:
                failures += 1
                print(f"FAIL - {name}: {e}", flush=True)
    subprocess.run([runner.msim, "stop"], env=runner.env, capture_output=True, timeout=60)
    print(f"{len(args.files)} transcripts, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
