#!/usr/bin/env python3
"""tlsclient.py: smtpclient.py's scripted SMTP client, plus STARTTLS on the same socket.

    tlsclient.py [--host H] --port P [--timeout S] [SCRIPT]

Every step of smtpclient.py works (`<CODE`, `<CODE ~ REGEX`, `<EOF`, `<NOTHING S`, `>TEXT`,
`>>ESCAPED`, `>@FILE`, `#` comments); these are added:

    !TLS [TLSv1.2|TLSv1.3]  do a TLS client handshake over the connection (after the server's
                            `220 Ready to start TLS`); with a version, only that version is
                            offered. No certificate check (the tests use a throwaway self-signed
                            one). Fails when the server sent any plaintext byte that was not read
                            yet, or when the handshake fails. Prints `S: <TLS VERSION CIPHER>`.
    !CLIENTHELLO [TLSv1.2|TLSv1.3]
                            send a real TLS ClientHello (a TLS client's first flight) as raw
                            bytes on the plaintext connection, in one write; with a version,
                            the ClientHello of a client that offers only that version (Python's
                            TLS 1.2-only one is 186 bytes, the default one 517)
    !TLSPIPE ESCAPED        a TLS 1.3 handshake whose last client flight (the client's Finished)
                            goes out in ONE write together with ESCAPED (Python escapes, as for
                            `>>`), encrypted: the server reads both in one read
    !TLSPIPE-CLOSE ESCAPED  the same, with the client's close_notify alert after ESCAPED in that
                            write (ESCAPED may be empty: what `openssl s_client -starttls smtp
                            </dev/null` does when the server reads slowly)
    !CLOSED                 the server must close the connection; bytes it sends before closing
                            (e.g. a TLS alert record) are read and ignored

Why a second client and not smtplib: the tests send exactly the bytes they mean (a plaintext
command pipelined in the same write as STARTTLS), then do the handshake on that very socket and
go on with the dialogue language, reply by reply.
"""

import argparse
import ast
import os
import select
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpclient  # noqa: E402  (the dialogue language lives there)
from smtpclient import StepFailed  # noqa: E402


class TLSAwareConnection(smtpclient.Connection):
    """A Connection whose socket may become an SSLSocket midway."""

    def _fill(self, deadline):
        # Decrypted bytes already inside the SSL object do not make select() report the socket.
        if isinstance(self.sock, (ssl.SSLSocket, MemoryTLS)) and self.sock.pending():
            self.buffer += self.sock.recv(65536)
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StepFailed("timed out waiting for the server")
        ready, _, _ = select.select([self.sock], [], [], remaining)
        if not ready:
            raise StepFailed("timed out waiting for the server")
        try:
            chunk = self.sock.recv(65536)
        except ssl.SSLWantReadError:
            return True
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        return True


class MemoryTLS:
    """A TLS client over memory BIOs on a plain socket, so the test decides what goes out in
    which write. Offers what Connection uses of a socket: recv, sendall, pending, fileno, close."""

    def __init__(self, sock, version="TLSv1.3"):
        self.sock = sock
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = client_context(version).wrap_bio(self.incoming, self.outgoing, server_hostname=None)

    def handshake_holding_last_flight(self, timeout):
        """Runs the handshake until the client is done; its last flight stays unsent."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as error:
                raise StepFailed(f"TLS handshake failed: {error}")
            flight = self.outgoing.read()
            if flight:
                self.sock.sendall(flight)
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.sock], [], [], max(remaining, 0))
            if not ready:
                raise StepFailed("timed out in the TLS handshake")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise StepFailed("the server closed the connection in the TLS handshake")
            self.incoming.write(chunk)

    def queue(self, plaintext):
        if plaintext:
            self.tls.write(plaintext)

    def queue_close_notify(self):
        try:
            self.tls.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass  # the alert is in the outgoing BIO; the server's is not awaited

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)
        return len(data)

    def version(self):
        return self.tls.version()

    def cipher(self):
        return self.tls.cipher()

    def pending(self):
        return self.tls.pending() + self.incoming.pending

    def fileno(self):
        return self.sock.fileno()

    def sendall(self, data):
        self.tls.write(data)
        self.flush()

    def recv(self, size):
        while True:
            try:
                return self.tls.read(size)
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""
            if self.outgoing.pending:
                self.flush()
            chunk = self.sock.recv(65536)
            if not chunk:
                self.incoming.write_eof()
                continue
            self.incoming.write(chunk)

    def close(self):
        self.sock.close()


def tls_pipelined(conn, literal, close):
    if conn.buffer:
        raise StepFailed(f"plaintext bytes after the last reply, before the handshake: {conn.buffer!r}")
    data = ast.literal_eval('b"' + literal.replace('"', '\\"') + '"') if literal else b""
    tls = MemoryTLS(conn.sock)
    tls.handshake_holding_last_flight(conn.timeout)
    tls.queue(data)
    if close:
        tls.queue_close_notify()
    sent = tls.flush()
    conn.sock = tls
    what = f"Finished + {data!r}" + (" + close_notify" if close else "")
    print(f"S: <TLS {tls.version()} {tls.cipher()[0]}>")
    print(f"C: <one write of {sent} bytes: {what}>")


def client_context(version=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if version is not None:
        wanted = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}.get(version)
        if wanted is None:
            raise StepFailed(f"unknown TLS version {version!r}")
        context.minimum_version = wanted
        context.maximum_version = wanted
    return context


def start_tls(conn, version):
    if conn.buffer:
        raise StepFailed(f"plaintext bytes after the last reply, before the handshake: {conn.buffer!r}")
    # Anything the server sent in plaintext after its 220 would be read by the handshake as a
    # TLS record and make it fail; that failure is what the step reports then.
    conn.sock.settimeout(conn.timeout)
    try:
        tls = client_context(version).wrap_socket(conn.sock, server_hostname=None)
    except (ssl.SSLError, OSError) as error:
        raise StepFailed(f"TLS handshake failed: {error}")
    tls.settimeout(None)
    tls.setblocking(True)
    conn.sock = tls
    print(f"S: <TLS {tls.version()} {tls.cipher()[0]}>")


def client_hello_bytes(version=None):
    """The first flight of a TLS client: a ClientHello record (starts 0x16 0x03)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(version).wrap_bio(incoming, outgoing, server_hostname="relayguard.test")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def expect_closed(conn):
    deadline = time.monotonic() + conn.timeout
    ignored = len(conn.buffer)
    conn.buffer = b""
    while not conn.closed:
        if not conn._fill(deadline):
            break
        ignored += len(conn.buffer)
        conn.buffer = b""
    print(f"S: <connection closed after {ignored} more bytes>")


def run_step(conn, step):
    if step == "!TLS" or step.startswith("!TLS "):
        words = step.split()
        start_tls(conn, words[1] if len(words) > 1 else None)
    elif step.startswith("!CLIENTHELLO"):
        words = step.split()
        hello = client_hello_bytes(words[1] if len(words) > 1 else None)
        if hello[:2] != b"\x16\x03":
            raise StepFailed(f"the generated ClientHello does not look like one: {hello[:8]!r}")
        conn.send(hello, f"<TLS ClientHello, {len(hello)} bytes>")
    elif step.startswith("!TLSPIPE-CLOSE"):
        tls_pipelined(conn, step[len("!TLSPIPE-CLOSE"):].strip(), close=True)
    elif step.startswith("!TLSPIPE"):
        tls_pipelined(conn, step[len("!TLSPIPE"):].strip(), close=False)
    elif step == "!CLOSED":
        expect_closed(conn)
    else:
        smtpclient.run_step(conn, step)


def main():
    parser = argparse.ArgumentParser(description="Scripted SMTP client with STARTTLS (see the module docstring).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
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
        sock.settimeout(args.timeout)
        sock.connect((args.host, args.port))
        sock.settimeout(None)
    except OSError as error:
        print(f"tlsclient: cannot connect to {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    conn = TLSAwareConnection(sock, args.timeout)
    number, step = 0, ""
    try:
        for number, step in enumerate(steps, 1):
            run_step(conn, step)
    except StepFailed as failure:
        print(f"tlsclient: step {number}: {step!r}: {failure}", file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
        conn.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
