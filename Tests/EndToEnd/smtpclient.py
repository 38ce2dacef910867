#!/usr/bin/env python3
"""smtpclient.py: a scripted SMTP client for relayguard's end-to-end tests.

    smtpclient.py [--host H] --port P [--bind ADDR] [--proxy-v1 "TCP4 SRC DST SPORT DPORT"]
                  [--timeout S] [SCRIPT]

The script (a file, or stdin when absent) is a dialogue, one step per line:

    <CODE              read one reply (all its lines); its code must start with CODE (e.g. `<250`, `<5`)
    <CODE ~ REGEX      ... and the reply text (all lines joined by a newline) must match REGEX
    <EOF               the server must close the connection (or reset it) without sending anything more
    <NOTHING SECONDS   the server must send nothing for SECONDS (and not close)
    >TEXT              send TEXT followed by CRLF
    >>ESCAPED          send raw bytes, Python escapes allowed (\\r \\n \\x00 ...), nothing appended
    >@FILE             send the file's bytes as a DATA body: LF becomes CRLF, lines starting with "."
                       are dot-stuffed, and the ending CRLF "." CRLF is appended
    #...               a comment; blank lines are ignored

Every line sent and received is printed to stdout as `C: ...` / `S: ...`.
Exit status: 0 when every step held, 1 at the first step that did not (with the reason on stderr),
2 on a usage error.

Why a script and not smtplib: tests need to send exactly the bytes they mean (bare LF, PROXY headers,
pipelined commands, over-long lines) and to check exactly what came back, code by code.
"""

import argparse
import ast
import re
import select
import socket
import sys
import time


class StepFailed(Exception):
    pass


class Connection:
    def __init__(self, sock, timeout):
        self.sock = sock
        self.timeout = timeout
        self.buffer = b""
        self.closed = False

    def send(self, data, show):
        for line in show.splitlines() or [""]:
            print("C: " + line)
        try:
            self.sock.sendall(data)
        except OSError as error:
            raise StepFailed(f"send failed: {error}")

    def _fill(self, deadline):
        """Reads more bytes; returns False on EOF. Raises StepFailed on timeout."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StepFailed("timed out waiting for the server")
        ready, _, _ = select.select([self.sock], [], [], remaining)
        if not ready:
            raise StepFailed("timed out waiting for the server")
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        return True

    def read_line(self, deadline):
        while b"\r\n" not in self.buffer:
            if self.closed or not self._fill(deadline):
                rest = self.buffer
                self.buffer = b""
                if rest:
                    raise StepFailed(f"connection closed inside a reply line: {rest!r}")
                return None
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read_reply(self):
        """One reply: a list of (code, text) lines, or None when the connection closed first."""
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            raw = self.read_line(deadline)
            if raw is None:
                if lines:
                    raise StepFailed("connection closed inside a multi-line reply")
                return None
            text = raw.decode("utf-8", "replace")
            print("S: " + text)
            if len(raw) < 3 or not raw[:3].isdigit() or (len(raw) > 3 and raw[3:4] not in (b" ", b"-")):
                raise StepFailed(f"not an SMTP reply line: {raw!r}")
            lines.append(text)
            if len(raw) == 3 or raw[3:4] == b" ":
                return lines

    def expect_eof(self):
        deadline = time.monotonic() + self.timeout
        while not self.closed:
            if self.buffer:
                break
            if not self._fill(deadline):
                break
        if self.buffer:
            raise StepFailed(f"expected the connection to close, got {self.buffer!r}")
        print("S: <connection closed>")

    def expect_nothing(self, seconds):
        if self.buffer:
            raise StepFailed(f"expected silence, got {self.buffer!r}")
        ready, _, _ = select.select([self.sock], [], [], seconds)
        if ready:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            raise StepFailed(f"expected silence for {seconds}s, got {chunk!r}" if chunk
                             else f"expected silence for {seconds}s, but the connection closed")
        print(f"S: <nothing for {seconds}s>")


def data_body(path):
    with open(path, "rb") as handle:
        body = handle.read()
    body = body.replace(b"\r\n", b"\n")
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    stuffed = [(b"." + line) if line.startswith(b".") else line for line in lines]
    return b"".join(line + b"\r\n" for line in stuffed) + b".\r\n"


def run_step(conn, step):
    if step.startswith(">>"):
        literal = step[2:]
        data = ast.literal_eval('b"' + literal.replace('"', '\\"') + '"')
        conn.send(data, repr(data))
    elif step.startswith(">@"):
        data = data_body(step[2:].strip())
        conn.send(data, f"<{len(data)} bytes of DATA from {step[2:].strip()}>")
    elif step.startswith(">"):
        text = step[1:]
        conn.send(text.encode("utf-8") + b"\r\n", text)
    elif step == "<EOF":
        conn.expect_eof()
    elif step.startswith("<NOTHING"):
        conn.expect_nothing(float(step.split()[1]))
    elif step.startswith("<"):
        match = re.fullmatch(r"<([0-9]{1,3})(?:\s+~\s+(.*))?", step)
        if not match:
            raise StepFailed(f"bad script step: {step!r}")
        reply = conn.read_reply()
        if reply is None:
            raise StepFailed(f"expected a {match.group(1)} reply, the connection closed")
        if not reply[-1].startswith(match.group(1)):
            raise StepFailed(f"expected a {match.group(1)} reply, got: {' | '.join(reply)}")
        if match.group(2) is not None:
            text = "\n".join(reply)
            if not re.search(match.group(2), text):
                raise StepFailed(f"reply does not match /{match.group(2)}/: {' | '.join(reply)}")
    else:
        raise StepFailed(f"bad script step: {step!r}")


def main():
    parser = argparse.ArgumentParser(description="Scripted SMTP client (see the module docstring).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind", help="local address to connect from, e.g. 127.0.0.2")
    parser.add_argument("--proxy-v1", help='send "PROXY <this>\\r\\n" first, e.g. "TCP4 203.0.113.9 127.0.0.1 40000 25"')
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each reply")
    parser.add_argument("script", nargs="?", help="dialogue file (default: stdin)")
    args = parser.parse_args()

    source = open(args.script, encoding="utf-8") if args.script else sys.stdin
    steps = [line.rstrip("\r\n") for line in source]
    steps = [step for step in steps if step.strip() and not step.lstrip().startswith("#")]

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if args.bind:
            sock.bind((args.bind, 0))
        sock.settimeout(args.timeout)
        sock.connect((args.host, args.port))
        sock.settimeout(None)
    except OSError as error:
        print(f"smtpclient: cannot connect to {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    conn = Connection(sock, args.timeout)
    number, step = 0, "(PROXY header)"
    try:
        if args.proxy_v1:
            header = f"PROXY {args.proxy_v1}"
            conn.send(header.encode("ascii") + b"\r\n", header)
        for number, step in enumerate(steps, 1):
            run_step(conn, step)
    except StepFailed as failure:
        print(f"smtpclient: step {number}: {step!r}: {failure}", file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
