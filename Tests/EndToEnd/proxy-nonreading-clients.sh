#!/usr/bin/env bash
# proxy-nonreading-clients.sh: replies owed to clients that do not read are bounded, in
# relayguard's memory and in the kernel's (docs/ARCHITECTURE.md, protocol safety), and come back when the sessions end.
#
#   1. 200 clients (from 127.0.0.10-13) pipeline `VRFY x` as fast as the kernel takes it for
#      8 s and never read a byte. relayguard stops reading each one once its replies back up;
#      the client sockets have a 64 KiB send buffer (kernel: 128 KiB). Beside them, 40 quiet
#      clients (127.0.0.20-21) with a 4 KiB receive window send 12,000 `VRFY x` once (relayguard
#      reads it all) and never read the replies either, so relayguard's own queue for them is
#      not empty.
#   2. All the clients keep their sockets open, still not reading, and Postfix is stopped: every
#      session loses its backend and ends with a 421 that cannot leave. A flooder's socket still
#      holds unread commands, so closing it resets it at once (the kernel's rule). A quiet
#      client's session has replies queued and nothing unread: after the final flush deadline
#      (30 s) relayguard closes it with a reset (the client's socket reports ECONNRESET). No
#      orphaned socket is left holding unsent replies (sockstat `orphan`), and relayguard holds
#      no client socket.
#   3. The clients close. Kernel TCP memory (/proc/net/sockstat `TCP: ... mem`, in pages) is back
#      within twice its baseline (or 1 MiB over it) within 30 s; relayguard's CPU time over the
#      next 5 s is near zero (it does not spin on dead sessions).
# Figures printed: relayguard's RSS and kernel TCP memory before, during and after.
# e2e: not under sanitizers (it bounds relayguard's memory; a sanitizer's allocator changes the figure)
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT" --maxproc 250   # a backend session for each of the 200 clients
RG_PORT=$(free_port)
while [[ $RG_PORT == "$PF_PORT" ]]; do RG_PORT=$(free_port); done
conf="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$conf" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=$RG_LOG" \
    "error_limit=1000000" "junk_command_limit=1000000" "max_connections_per_client=100"
relayguard_start "$conf" "$RG_PORT"

PYTHONDONTWRITEBYTECODE=1 python3 - "$RG_PORT" "$RELAYGUARD_PID" "$RG_LOG" "$E2E_DIR/postfix-instance.sh" "$PF" <<'EOF' || fail "clients that do not read (failures above)"
import errno, os, re, socket, subprocess, sys, time

port, pid, log_path, postfix_script, postfix_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
CLIENTS, FLOOD = 200, 8.0
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
failures = []


def sockstat():
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                fields = line.split()
                return {fields[i]: int(fields[i + 1]) for i in range(1, len(fields) - 1, 2)}
    raise RuntimeError("no TCP line in /proc/net/sockstat")


def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK   # utime + stime


def relayguard_client_lines():
    out = subprocess.run(["ss", "-Htn", "state", "all", f"( sport = :{port} )"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l.strip() and "LISTEN" not in l]


def relayguard_client_sockets():
    return len(relayguard_client_lines())


def skmem(filter_text):
    """Kernel memory of the sockets matching (ss skmem): received and not read (r), and
    written and not yet acknowledged or not yet sent (t + w)."""
    out = subprocess.run(["ss", "-Htnm", "state", "all", filter_text], capture_output=True, text=True).stdout
    received = unsent = 0
    for r, t, w in re.findall(r"skmem:\(r(\d+),rb\d+,t(\d+),tb\d+,f\d+,w(\d+)", out):
        received += int(r)
        unsent += int(t) + int(w)
    return received, unsent


def figures(label):
    stat = sockstat()
    line = (f"{label}: relayguard RSS {rss_kib() / 1024:.1f} MiB; kernel TCP mem {stat['mem']} pages "
            f"({stat['mem'] * PAGE / 1048576:.1f} MiB), sockets in use {stat['inuse']}, orphans {stat['orphan']}")
    print(line, flush=True)
    return stat


before = figures("before")
base_rss = rss_kib()

clients = []
for index in range(CLIENTS):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((f"127.0.0.{10 + index % 4}", 0))
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    clients.append(s)

QUIET = 40
quiet = []
for index in range(QUIET):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A tiny receive window (a slow reader): the replies stay on relayguard's side.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((f"127.0.0.{20 + index % 2}", 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"VRFY x\r\n" * 12000)
    quiet.append(s)

junk = b"VRFY x\r\n" * 8192
sent = 0
reset_during_flood = set()
deadline = time.monotonic() + FLOOD
while time.monotonic() < deadline:
    for s in clients:
        try:
            sent += s.send(junk)
        except BlockingIOError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            reset_during_flood.add(s.fileno())
    time.sleep(0.05)
during = figures(f"during (after {FLOOD:.0f}s of flood, {sent / 1048576:.0f} MiB of VRFY sent, nothing read; "
                 f"{len(reset_during_flood)} clients reset by relayguard meanwhile)")
during_rss = rss_kib()
per_client = (during["mem"] - before["mem"]) * PAGE / CLIENTS
print(f"kernel TCP memory per non-reading client (both ends): {per_client / 1024:.0f} KiB", flush=True)
rg_received, rg_unsent = skmem(f"( sport = :{port} )")
cl_received, cl_unsent = skmem(f"( dport = :{port} )")
print(f"  relayguard's client sockets: replies not yet taken by the clients {rg_unsent / 1048576:.1f} MiB "
      f"({rg_unsent / CLIENTS / 1024:.0f} KiB per client), commands received and not read {rg_received / 1048576:.1f} MiB; "
      f"the clients' own sockets: replies received and not read {cl_received / 1048576:.1f} MiB, "
      f"commands not yet sent {cl_unsent / 1048576:.1f} MiB", flush=True)
# The replies owed: the send buffer (64 KiB asked, 128 KiB granted) plus what TCP has in flight.
if rg_unsent / CLIENTS > 256 * 1024:
    failures.append(f"relayguard's kernel holds {rg_unsent / CLIENTS / 1024:.0f} KiB of unsent replies per client (bound 256 KiB)")
if during_rss - base_rss > 200 * 400:
    failures.append(f"relayguard RSS grew by {(during_rss - base_rss) / 1024:.0f} MiB (bound 200 x 400 KiB)")

# 2. Clients idle but open, still not reading. The sessions are ended by relayguard: Postfix is
# stopped, so each backend link breaks and its session ends with a 421 that cannot leave; after
# the final flush deadline relayguard resets them. Every socket of an ended session must be gone
# (no orphan left delivering replies to a shut window).
def disconnects():
    with open(log_path) as f:
        return sum(1 for line in f if '"event":"disconnect"' in line)


_, quiet_unsent = skmem(f"( sport = :{port} and ( dst 127.0.0.20 or dst 127.0.0.21 ) )")
print(f"  quiet clients: relayguard's kernel holds {quiet_unsent / 1024:.0f} KiB of their replies", flush=True)
subprocess.run(["bash", postfix_script, "stop", postfix_dir], check=True, capture_output=True)
stopped = time.monotonic()
timeline = []
while time.monotonic() - stopped < 45:
    left = relayguard_client_sockets()
    if not timeline or timeline[-1][1] != left:
        timeline.append((time.monotonic() - stopped, left))
    if left == 0:
        break
    time.sleep(0.25)
ended_sessions = disconnects()
ended = figures(f"{time.monotonic() - stopped:.1f}s after Postfix stopped (clients still open, not reading): "
                f"{ended_sessions} sessions ended by relayguard")
print("  relayguard's client sockets after Postfix stopped: " + ", ".join(f"{n} at {t:.1f}s" for t, n in timeline), flush=True)
if ended_sessions < CLIENTS + QUIET:
    failures.append(f"only {ended_sessions} of {CLIENTS + QUIET} sessions ended after their backend went away")
if relayguard_client_sockets():
    print("\n".join(relayguard_client_lines()[:10]))
    failures.append(f"{relayguard_client_sockets()} client sockets left on relayguard's port 45s after the sessions ended")
if ended["orphan"] > before["orphan"] + 5:
    failures.append(f"{ended['orphan']} orphaned sockets hold unsent replies after the sessions ended (reset expected)")
resets = sum(1 for s in quiet if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNRESET)
print(f"  quiet clients whose session ended with a reset: {resets} of {QUIET}", flush=True)
if resets < QUIET:
    failures.append(f"only {resets} of {QUIET} quiet clients saw a reset (their replies should have been dropped at the deadline)")

# 3. Clients close; memory comes back; relayguard idles.
for s in clients + quiet:
    s.close()
bound = max(2 * before["mem"], before["mem"] + 1048576 // PAGE)
start = time.monotonic()
while sockstat()["mem"] > bound and time.monotonic() - start < 30:
    time.sleep(0.25)
after = figures(f"after the clients closed ({time.monotonic() - start:.1f}s)")
if after["mem"] > bound:
    failures.append(f"kernel TCP mem {after['mem']} pages 30s after the clients closed (bound {bound}, baseline {before['mem']})")
cpu0 = cpu_seconds()
time.sleep(5)
cpu = cpu_seconds() - cpu0
print(f"relayguard CPU time over 5 s after the end: {cpu:.2f} s", flush=True)
if cpu > 0.5:
    failures.append(f"relayguard used {cpu:.2f}s of CPU in 5s with no clients")
for failure in failures:
    print("FAIL " + failure)
sys.exit(1 if failures else 0)
EOF
pass "200 clients that never read: bounded memory, sessions reset at the final flush deadline, memory back"
