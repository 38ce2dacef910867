#!/usr/bin/env python3
"""tlsbench.py: what a STARTTLS handshake through relayguard costs (sessions per second, and
relayguard's CPU time per session), measured against the same session without TLS.

    python3 Tests/EndToEnd/tlsbench.py [--relayguard PATH] [--sessions N] [--parallel P]
                                       [--tls-version TLSv1.2|TLSv1.3]

Default PATH: .build/release/relayguard (build it with `swift build -c release`); N = 2000
sessions per mode, P = 2 client processes. Runs as any user; needs gcc and openssl.

What it does, all on loopback:
  1. compiles bench/sink.c (the benchmark's fast SMTP sink, which skips the PROXY v2 header)
     and starts it as the backend;
  2. makes a throwaway EC P-256 certificate and starts relayguard in front of the sink with
     tls_cert_file/tls_key_file set and the decision log in a temp file;
  3. for each mode, P client processes each run N/P sequential sessions, one new TCP connection
     each:
       plain:     220; EHLO -> 250; QUIT -> 221
       starttls:  220; EHLO -> 250; STARTTLS -> 220; TLS handshake; QUIT -> 221 (inside TLS)
     and it reports sessions/s (wall clock), relayguard's CPU time per session (utime + stime
     from /proc/PID/stat, before and after), and the difference between the modes: the cost
     of the handshake itself.
Why relayguard's CPU per session matters more than the wall-clock rate: on a 2-core machine the
Python clients (which do their half of every handshake) share the cores with relayguard, so the
rate is a floor; 1000 / (CPU ms per session) is how many sessions one core of relayguard serves.
"""

import argparse
import multiprocessing
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_port(port, process, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"tlsbench: a process exited before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"tlsbench: nothing listens on 127.0.0.1:{port}")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def read_reply(stream):
    """One SMTP reply from a file object; returns its code."""
    while True:
        line = stream.readline()
        if not line:
            raise ConnectionError("connection closed")
        if line[3:4] != b"-":
            return int(line[:3])


def session(port, mode, context):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stream = sock.makefile("rb")
    try:
        if read_reply(stream) != 220:
            raise ConnectionError("no greeting")
        sock.sendall(b"EHLO bench.example\r\n")
        if read_reply(stream) != 250:
            raise ConnectionError("EHLO refused")
        if mode == "starttls":
            sock.sendall(b"STARTTLS\r\n")
            if read_reply(stream) != 220:
                raise ConnectionError("STARTTLS refused")
            stream.close()
            sock = context.wrap_socket(sock, server_hostname=None)
            stream = sock.makefile("rb")
        sock.sendall(b"QUIT\r\n")
        if read_reply(stream) != 221:
            raise ConnectionError("QUIT not answered 221")
    finally:
        stream.close()
        sock.close()


def worker(args):
    port, mode, count, version = args
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if version:
        wanted = {"TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}[version]
        context.minimum_version = context.maximum_version = wanted
    failures = 0
    for _ in range(count):
        try:
            session(port, mode, context)
        except (OSError, ConnectionError, ssl.SSLError):
            failures += 1
    return failures


def run_mode(port, relayguard_pid, mode, sessions, parallel, version):
    per_worker = [sessions // parallel + (1 if i < sessions % parallel else 0) for i in range(parallel)]
    cpu_before = cpu_seconds(relayguard_pid)
    started = time.monotonic()
    with multiprocessing.Pool(parallel) as pool:
        failures = sum(pool.map(worker, [(port, mode, n, version) for n in per_worker]))
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(relayguard_pid) - cpu_before
    done = sessions - failures
    return {"mode": mode, "sessions": done, "failures": failures, "seconds": elapsed,
            "rate": done / elapsed, "cpu_ms": 1000 * cpu / max(done, 1)}


def main():
    parser = argparse.ArgumentParser(description="STARTTLS handshake cost through relayguard (see the docstring).")
    parser.add_argument("--relayguard", default=os.path.join(REPO, ".build/release/relayguard"))
    parser.add_argument("--sessions", type=int, default=2000, help="sessions per mode (default 2000)")
    parser.add_argument("--parallel", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--tls-version", choices=["TLSv1.2", "TLSv1.3"], help="offer only this version")
    args = parser.parse_args()
    if not os.access(args.relayguard, os.X_OK):
        raise SystemExit(f"tlsbench: no relayguard at {args.relayguard} (swift build -c release)")
    for tool in ("gcc", "openssl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"tlsbench: {tool} is missing")

    work = tempfile.mkdtemp(prefix="relayguard-tlsbench.")
    processes = []
    try:
        subprocess.run(["gcc", "-O2", "-o", f"{work}/sink", os.path.join(REPO, "bench/sink.c")], check=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=relayguard.test",
                        "-keyout", f"{work}/key.pem", "-out", f"{work}/cert.pem"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sink_port, relayguard_port = free_port(), free_port()
        sink = subprocess.Popen([f"{work}/sink", str(sink_port), f"{work}/sink.stats"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(sink)
        wait_port(sink_port, sink)
        with open(f"{work}/relayguard.conf", "w") as conf:
            conf.write(f"""listen = 127.0.0.1:{relayguard_port}
backend = 127.0.0.1:{sink_port}
backend_client_identity = proxy-v2
hostname = relayguard.test
local_domains = example.org
trusted_networks = 192.0.2.0/24
tls_cert_file = {work}/cert.pem
tls_key_file = {work}/key.pem
log = {work}/decisions.jsonl
""")
        relayguard = subprocess.Popen([args.relayguard, "run", "--config", f"{work}/relayguard.conf"],
                                      stdout=subprocess.DEVNULL, stderr=open(f"{work}/relayguard.err", "w"))
        processes.append(relayguard)
        wait_port(relayguard_port, relayguard)
        # Warm up (page faults, OpenSSL's first use), then measure.
        run_mode(relayguard_port, relayguard.pid, "starttls", 50, 1, args.tls_version)
        results = [run_mode(relayguard_port, relayguard.pid, mode, args.sessions, args.parallel, args.tls_version)
                   for mode in ("plain", "starttls")]
        with open(f"{work}/decisions.jsonl") as log:
            versions = {line.split('"detail":"')[1].split('"')[0] for line in log if '"event":"tls"' in line and "accept" in line}
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)

    print(f"relayguard {args.relayguard}; {os.cpu_count()} cores; {args.parallel} client processes; "
          f"{args.sessions} sessions per mode; negotiated: {', '.join(sorted(versions)) or 'none'}")
    print(f"{'mode':<10} {'sessions':>8} {'failed':>6} {'seconds':>8} {'sessions/s':>11} {'relayguard CPU ms/session':>26}")
    for r in results:
        print(f"{r['mode']:<10} {r['sessions']:>8} {r['failures']:>6} {r['seconds']:>8.2f} {r['rate']:>11.0f} {r['cpu_ms']:>26.3f}")
    plain, tls = results
    handshake_ms = tls["cpu_ms"] - plain["cpu_ms"]
    print(f"handshake cost in relayguard: {handshake_ms:.3f} CPU ms "
          f"(one core: about {1000 / tls['cpu_ms']:.0f} STARTTLS sessions/s, "
          f"{1000 / handshake_ms if handshake_ms > 0 else float('inf'):.0f} handshakes/s of TLS work alone)")
    return 1 if any(r["failures"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
