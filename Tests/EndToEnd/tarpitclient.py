"""tarpitclient.py: timed SMTP sessions for the tarpit end-to-end tests (Tests/EndToEnd/tarpit-*.sh)
and the tarpit benchmark (bench/tarpit-hold.sh). A module, imported by the Python those scripts run
(lib-tarpit.sh puts this folder on PYTHONPATH); not a command.

Why not smtpclient.py: these tests must know WHEN each reply arrived (a tarpitted reply must not
come before its delay), and must drive hundreds of sessions at once from one process.

What it gives:
    Session(port, bind=None, host="127.0.0.1")
                                     one blocking session; .greeting is the 220 (or whatever came);
                                     an IPv6 host (with a colon) makes an IPv6 session
      .send(text)                    send a line (CRLF appended) or raw bytes; returns the send time
      .reply()                       the next reply, as a Reply with its arrival time (.at)
      .command(text)                 send + reply; the Reply's .elapsed is seconds from send to reply
      .expect_eof()                  the server must close without sending more
    Reply: .code, .lines, .text (lines joined by newline), .last (last line), .at, .elapsed,
           .generic(address)         the text with the address replaced by ADDR
    expect(cond, message)            raises CheckFailed(message) when cond is false
    run_cases(cases, parallel=True)  runs named case functions (in threads), prints
                                     "ok NAME" / "FAIL NAME: why", returns how many failed
    AsyncSession                     the same dialogue on asyncio, for hundreds of sessions
    decisions(path, **fields)        decision-log records (JSON Lines) whose fields equal the values
    wait_for_decisions(path, count, seconds=5, **fields)
                                     until at least count such records exist; returns them
"""

import asyncio
import json
import socket
import sys
import threading
import time
import traceback


IP_FREEBIND = 15  # <linux/in.h>; not exported by the socket module


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


class Reply:
    def __init__(self, lines, at, sent=None):
        self.lines = lines
        self.at = at
        self.sent = sent
        self.code = int(lines[-1][:3])
        self.text = "\n".join(lines)
        self.last = lines[-1]

    @property
    def elapsed(self):
        """Seconds from sending the command to the reply's last line."""
        return None if self.sent is None else self.at - self.sent

    def generic(self, address):
        return self.text.replace(address, "ADDR")

    def __repr__(self):
        extra = "" if self.sent is None else f" after {self.elapsed:.3f}s"
        return f"[{' | '.join(self.lines)}]{extra}"


def _parse_line(raw):
    if len(raw) < 3 or not raw[:3].isdigit() or (len(raw) > 3 and raw[3:4] not in (b" ", b"-")):
        raise CheckFailed(f"not an SMTP reply line: {raw!r}")
    return raw.decode("utf-8", "replace"), len(raw) == 3 or raw[3:4] == b" "


class Session:
    """One SMTP session over a blocking socket. Reads the greeting on open."""

    def __init__(self, port, bind=None, host="127.0.0.1", timeout=15.0, name=""):
        self.name = name or f"{bind or host}->{port}"
        self.timeout = timeout
        self.buffer = b""
        self.closed = False
        ipv6 = ":" in host
        self.sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if bind:
            if ipv6:
                # An IPv6 source from a prefix routed to loopback (`ip -6 route add local ...`):
                # Linux binds such an address only with IP_FREEBIND.
                self.sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
            self.sock.bind((bind, 0))
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.greeting = self.reply()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        """Sends a command (CRLF appended) or raw bytes; returns the monotonic time just before."""
        if isinstance(data, str):
            data = data.encode("utf-8") + b"\r\n"
        sent = time.monotonic()
        self.sock.sendall(data)
        return sent

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CheckFailed(f"{self.name}: timed out waiting for the server")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise CheckFailed(f"{self.name}: timed out waiting for the server")
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        return True

    def reply(self, sent=None):
        """The next reply (all its lines); None when the server closed first."""
        deadline = time.monotonic() + self.timeout
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                if self.closed or not self._fill(deadline):
                    if self.buffer or lines:
                        raise CheckFailed(f"{self.name}: connection closed inside a reply: {self.buffer!r}")
                    return None
            raw, self.buffer = self.buffer.split(b"\r\n", 1)
            text, final = _parse_line(raw)
            lines.append(text)
            if final:
                return Reply(lines, time.monotonic(), sent)

    def command(self, data):
        sent = self.send(data)
        reply = self.reply(sent)
        expect(reply is not None, f"{self.name}: the server closed instead of answering {data!r}")
        return reply

    def expect_reply(self, data, code, what=""):
        """Sends, reads the reply, and checks that its code starts with `code`."""
        reply = self.command(data)
        expect(str(reply.code).startswith(str(code)),
               f"{self.name}: {what or data!r}: expected {code}, got {reply}")
        return reply

    def expect_eof(self):
        deadline = time.monotonic() + self.timeout
        while not self.closed and not self.buffer:
            self._fill(deadline)
        expect(not self.buffer, f"{self.name}: expected the connection to close, got {self.buffer!r}")


class AsyncSession:
    """One SMTP session on asyncio: for hundreds at once in one process."""

    @classmethod
    async def open(cls, port, bind=None, host="127.0.0.1", timeout=30.0):
        self = cls()
        self.timeout = timeout
        self.name = f"{bind or host}->{port}"
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, local_addr=(bind, 0) if bind else None), timeout)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.greeting = await self.reply()
        return self

    async def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8") + b"\r\n"
        sent = time.monotonic()
        self.writer.write(data)
        await self.writer.drain()
        return sent

    async def reply(self, sent=None):
        lines = []
        while True:
            raw = await asyncio.wait_for(self.reader.readline(), self.timeout)
            if not raw:
                if lines:
                    raise CheckFailed(f"{self.name}: connection closed inside a reply")
                return None
            raw = raw.rstrip(b"\r\n")
            text, final = _parse_line(raw)
            lines.append(text)
            if final:
                return Reply(lines, time.monotonic(), sent)

    async def command(self, data):
        sent = await self.send(data)
        reply = await self.reply(sent)
        expect(reply is not None, f"{self.name}: the server closed instead of answering {data!r}")
        return reply

    async def expect_reply(self, data, code, what=""):
        reply = await self.command(data)
        expect(str(reply.code).startswith(str(code)),
               f"{self.name}: {what or data!r}: expected {code}, got {reply}")
        return reply

    def close(self):
        self.writer.close()


def run_cases(cases, parallel=True):
    """Runs (name, function) pairs, in threads when parallel; prints one line each; returns the
    number that failed. A case fails by raising (CheckFailed with the reason, or anything else)."""
    results = {}

    def run(name, function):
        started = time.monotonic()
        try:
            function()
            results[name] = (True, f"ok {name} ({time.monotonic() - started:.2f}s)")
        except CheckFailed as failure:
            results[name] = (False, f"FAIL {name}: {failure}")
        except Exception:  # an unexpected error is a failure of the case, shown in full
            results[name] = (False, f"FAIL {name}: {traceback.format_exc()}")

    if parallel:
        threads = [threading.Thread(target=run, args=case) for case in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for case in cases:
            run(*case)
    failed = 0
    for name, _ in cases:
        ok, line = results[name]
        failed += 0 if ok else 1
        print(line, file=sys.stdout if ok else sys.stderr, flush=True)
    return failed


def decisions(path, **fields):
    """Decision-log records whose fields equal the given values (a value None: field absent)."""
    records = []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return records
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if all((record.get(key) is None) if value is None else (record.get(key) == value)
               for key, value in fields.items()):
            records.append(record)
    return records


def wait_for_decisions(path, count, seconds=5.0, **fields):
    """Until at least `count` records match (the log is written by a thread, a little later)."""
    deadline = time.monotonic() + seconds
    while True:
        found = decisions(path, **fields)
        if len(found) >= count or time.monotonic() > deadline:
            expect(len(found) >= count,
                   f"decision log {path}: {len(found)} record(s) with {fields}, expected at least {count}")
            return found
        time.sleep(0.1)
