#!/usr/bin/env python3
"""floodclient.py: a hostile flood and a bystander that measures it, for relayguard's end-to-end
tests (Tests/EndToEnd/hostile-flood.sh). Two commands, meant to run as two processes (so the
flood's work never delays the bystander's clock):

    floodclient.py flood --port P --bind ADDR --connections N --command TEXT --seconds S --out FILE
        Keeps N connections from ADDR open for S seconds. Each one waits for its greeting, then
        pipelines TEXT CRLF over and over in 64 KiB writes (a new 64 KiB write whenever the last
        one is taken), reading every reply, until the server closes (or resets) it; then it
        connects again, until S seconds are over. Sessions still open then may finish for up to
        15 s more. Writes FILE: one JSON object with every session's greeting, number of reply
        lines, last reply line, how it ended and how long it took.

    floodclient.py bystander --port P --bind ADDR --every SECONDS --seconds S --out FILE
        Every SECONDS (one thread each, so a slow greeting does not delay the next), connects
        from ADDR and measures the time from connect() to the greeting's last line, sends QUIT
        and closes. Writes FILE: one JSON object with every probe's delay and greeting (delay
        null when no greeting came within 30 s).

Why not smtpclient.py or tarpitclient.py: the flood must keep 50 sockets writing 64 KiB at a
time from one process, without a thread per socket, and reconnect as soon as one is closed.
"""

import argparse
import errno
import json
import selectors
import socket
import threading
import time

CHUNK = 64 * 1024


class FloodSession:
    def __init__(self, port, bind, payload):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind((bind, 0))
        self.sock.setblocking(False)
        self.payload = payload
        self.started = time.monotonic()
        self.inbuf = b""
        self.outbuf = b""
        self.greeting = None
        self.replies = 0
        self.last = None
        self.bytes_written = 0
        self.write_failed = False
        err = self.sock.connect_ex(("127.0.0.1", port))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, "connect failed")

    def on_readable(self):
        """Returns True while the session lasts."""
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return True
        except ConnectionResetError:
            return self.end("reset")
        if not chunk:
            return self.end("eof")
        self.inbuf += chunk
        while b"\r\n" in self.inbuf:
            raw, self.inbuf = self.inbuf.split(b"\r\n", 1)
            line = raw.decode("utf-8", "replace")
            if self.greeting is None:
                self.greeting = line
                continue
            if line[3:4] == "-":
                continue
            self.replies += 1
            self.last = line
        return True

    def on_writable(self):
        if not self.wants_write():
            return True
        if not self.outbuf:
            self.outbuf = self.payload
        try:
            sent = self.sock.send(self.outbuf)
        except BlockingIOError:
            return True
        except (BrokenPipeError, ConnectionResetError):
            # The server is gone; read what it wrote before going (the next readable event).
            self.write_failed = True
            return True
        self.bytes_written += sent
        self.outbuf = self.outbuf[sent:]
        return True

    def wants_write(self):
        return self.greeting is not None and self.greeting.startswith("220") and not self.write_failed

    def end(self, how):
        self.how = how
        self.duration = time.monotonic() - self.started
        return False

    def summary(self):
        return {"greeting": self.greeting, "replies": self.replies, "last": self.last,
                "ended": getattr(self, "how", "open"), "seconds": round(getattr(self, "duration", 0.0), 4),
                "bytes_written": self.bytes_written}


def flood(args):
    line = args.command.encode("ascii") + b"\r\n"
    payload = line * (CHUNK // len(line))
    selector = selectors.DefaultSelector()
    sessions = []
    start = time.monotonic()
    stop_new = start + args.seconds
    give_up = stop_new + 15.0
    connect_errors = 0

    def open_one():
        nonlocal connect_errors
        try:
            session = FloodSession(args.port, args.bind, payload)
        except OSError:
            connect_errors += 1
            return
        sessions.append(session)
        selector.register(session.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, session)

    for _ in range(args.connections):
        open_one()
    open_count = len(sessions)
    while open_count and time.monotonic() < give_up:
        for key, events in selector.select(timeout=0.5):
            session = key.data
            alive = True
            if events & selectors.EVENT_READ:
                alive = session.on_readable()
            if alive and events & selectors.EVENT_WRITE:
                alive = session.on_writable()
            if not alive:
                selector.unregister(session.sock)
                session.sock.close()
                open_count -= 1
                if time.monotonic() < stop_new:
                    before = len(sessions)
                    open_one()
                    open_count += len(sessions) - before
            elif not session.wants_write() and events & selectors.EVENT_WRITE:
                # Before the greeting: wait for it without spinning on writability.
                selector.modify(session.sock, selectors.EVENT_READ, session)
            elif session.wants_write() and selector.get_key(session.sock).events == selectors.EVENT_READ:
                selector.modify(session.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, session)
    for session in sessions:
        if not hasattr(session, "how"):
            session.end("open")
            session.sock.close()
    result = {"seconds": args.seconds, "elapsed": round(time.monotonic() - start, 3), "connect_errors": connect_errors,
              "sessions": [s.summary() for s in sessions]}
    with open(args.out, "w") as out:
        json.dump(result, out)


def bystander(args):
    probes = []
    lock = threading.Lock()

    def probe(index):
        started = time.monotonic()
        delay, greeting, error = None, None, None
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((args.bind, 0))
            sock.settimeout(30)
            sock.connect(("127.0.0.1", args.port))
            buffer = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    error = f"closed before a greeting: {buffer!r}"
                    break
                buffer += chunk
                lines = buffer.split(b"\r\n")
                done = [l for l in lines[:-1] if l[3:4] != b"-"]
                if done:
                    delay = time.monotonic() - started
                    greeting = done[0].decode("utf-8", "replace")
                    break
            if delay is not None:
                sock.sendall(b"QUIT\r\n")
            sock.close()
        except OSError as failure:
            error = str(failure)
        with lock:
            probes.append({"index": index, "at": round(started - begin, 3), "delay": delay,
                           "greeting": greeting, "error": error})

    begin = time.monotonic()
    threads, index = [], 0
    while time.monotonic() - begin < args.seconds:
        thread = threading.Thread(target=probe, args=(index,))
        thread.start()
        threads.append(thread)
        index += 1
        time.sleep(max(0.0, begin + index * args.every - time.monotonic()))
    for thread in threads:
        thread.join()
    with open(args.out, "w") as out:
        json.dump({"probes": sorted(probes, key=lambda p: p["index"])}, out)


def main():
    parser = argparse.ArgumentParser(description="Flood and bystander (see the module docstring).")
    commands = parser.add_subparsers(dest="mode", required=True)
    f = commands.add_parser("flood")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--bind", required=True)
    f.add_argument("--connections", type=int, default=50)
    f.add_argument("--command", required=True)
    f.add_argument("--seconds", type=float, required=True)
    f.add_argument("--out", required=True)
    b = commands.add_parser("bystander")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--bind", required=True)
    b.add_argument("--every", type=float, default=0.2)
    b.add_argument("--seconds", type=float, required=True)
    b.add_argument("--out", required=True)
    args = parser.parse_args()
    flood(args) if args.mode == "flood" else bystander(args)


if __name__ == "__main__":
    main()
