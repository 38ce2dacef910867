#!/usr/bin/env bash
# proxy-log-backpressure.sh: the decision log's queue is bounded (relayguard(8), DECISION LOG). With
# `log = stderr` going into a pipe whose reader stalls, relayguard stops taking new work
# (no accepts, no commands read) instead of queueing records without end, says so on stderr
# once, and loses no record.
#
#   - relayguard's stderr is a FIFO read by a Python reader that reads NOTHING for 20 s, then
#     drains everything into a file.
#   - 20 clients, each in a loop of sessions: EHLO, 200 pipelined `VRFY userN` (each one a
#     decision record, answered 252 locally), read the 200 replies, QUIT; they start new
#     sessions for 12 s (a session started then waits out the stall).
#   - relayguard's RSS is sampled every 0.25 s: it must stay within 64 MiB of its size before
#     the flood (unbounded, it grew about 22 MiB/s).
#   - a bystander that connects at 8 s is NOT greeted while the writer is stalled (the listener
#     is held), and is greeted and served once the reader drains.
#   - after the drain, the records with `"event":"command"` and `"detail":"VRFY"` in the log
#     equal the VRFY replies the clients received, one for one (by session and count); the
#     warning line appears exactly once, followed by the caught-up line.
# e2e: not under sanitizers (it bounds relayguard's memory; a sanitizer's allocator changes the figure)
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

STALL=20
PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT"
RG_PORT=$(free_port)
while [[ $RG_PORT == "$PF_PORT" ]]; do RG_PORT=$(free_port); done
conf="$E2E_TMP/relayguard.conf"
relayguard_conf "$conf" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=stderr" \
    "error_limit=1000" "max_connections_per_client=100"

fifo="$E2E_TMP/stderr.fifo"
drained="$E2E_TMP/stderr.out"
mkfifo "$fifo"
# The stalled reader: opens the FIFO, reads nothing for STALL seconds, then copies it all.
start_bg stalled-reader python3 -c '
import sys, time
fifo, out, stall = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(fifo, "rb", buffering=0) as source:
    time.sleep(stall)
    with open(out, "wb") as sink:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            sink.write(chunk)
' "$fifo" "$drained" "$STALL"
READER_PID=$BG_PID
"$RELAYGUARD" run --config "$conf" 2>"$fifo" >"$E2E_TMP/relayguard.stdout" &
RG_PID=$!
on_exit _e2e_stop_pid "$RG_PID"
wait_for_port "$RG_PORT"
note "relayguard pid $RG_PID on 127.0.0.1:$RG_PORT, stderr into a reader stalled for ${STALL}s"

PYTHONDONTWRITEBYTECODE=1 python3 - "$RG_PORT" "$RG_PID" "$STALL" "$E2E_TMP/flood.json" <<'EOF' || fail "flood against a stalled log (failures above)"
import json, socket, sys, threading, time

port, pid, stall, report = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
CLIENTS, PER_SESSION, SEND_FOR = 20, 200, 12.0
started = time.monotonic()
failures = []


def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Conn:
    def __init__(self, timeout=60.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line.decode()

    def reply(self):
        while True:
            line = self.line()
            if line[3:4] != "-":
                return line


answered = {}   # session greeting banner is not the id; count per client thread
lock = threading.Lock()


def client(index):
    total = 0
    try:
        while time.monotonic() - started < SEND_FOR:
            conn = Conn()
            assert conn.reply().startswith("220"), "greeting"
            conn.sock.sendall(b"EHLO flood.example\r\n")
            assert conn.reply().startswith("250"), "EHLO"
            conn.sock.sendall(b"".join(b"VRFY user%d\r\n" % n for n in range(PER_SESSION)))
            for _ in range(PER_SESSION):
                reply = conn.reply()
                assert reply.startswith("252"), reply
                total += 1
            conn.sock.sendall(b"QUIT\r\n")
            conn.reply()
            conn.sock.close()
    except Exception as error:
        with lock:
            failures.append(f"client {index}: {error!r}")
    with lock:
        answered[index] = total


baseline = rss_kib()
samples = []
stop_sampling = threading.Event()


def sampler():
    while not stop_sampling.is_set():
        samples.append((time.monotonic() - started, rss_kib()))
        time.sleep(0.25)


threading.Thread(target=sampler, daemon=True).start()
threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
for thread in threads:
    thread.start()

# The bystander: connects well inside the stall; must not be greeted before the drain.
time.sleep(8.0)
bystander = Conn(timeout=stall + 30)
bystander.sock.settimeout(3.0)
try:
    early = bystander.reply()
    failures.append(f"bystander greeted during the stall: {early}")
except socket.timeout:
    pass
bystander.sock.settimeout(stall + 30)
greeting = bystander.reply()
greeted_at = time.monotonic() - started
if not greeting.startswith("220"):
    failures.append(f"bystander: expected 220 after the drain, got {greeting}")
bystander.sock.sendall(b"EHLO bystander.example\r\n")
if not bystander.reply().startswith("250"):
    failures.append("bystander: EHLO refused")
bystander.sock.sendall(b"QUIT\r\n")
bystander.reply()

for thread in threads:
    thread.join()
stop_sampling.set()
time.sleep(0.3)
peak = max(kib for _, kib in samples)
during = [kib for t, kib in samples if t < stall]
print(f"RSS: before {baseline} KiB, peak {peak} KiB (+{peak - baseline} KiB), "
      f"peak during the stall {max(during)} KiB, after {rss_kib()} KiB; {len(samples)} samples")
print(f"bystander greeted {greeted_at:.1f}s after the flood began (stall {stall:.0f}s)")
total = sum(answered.values())
print(f"VRFY replies received: {total} by {CLIENTS} clients")
json.dump({"answered": total, "baseline": baseline, "peak": peak}, open(report, "w"))
if peak - baseline > 64 * 1024:
    failures.append(f"RSS grew by {peak - baseline} KiB under a stalled log (bound 65536 KiB)")
if greeted_at < stall - 1:
    failures.append(f"bystander greeted at {greeted_at:.1f}s, before the reader drained")
if total < CLIENTS * PER_SESSION:
    failures.append(f"only {total} VRFY answered")
for failure in failures:
    print("FAIL " + failure)
sys.exit(1 if failures else 0)
EOF

# relayguard stops; its stderr closes; the reader finishes.
kill -TERM "$RG_PID"
for ((i = 0; i < 100; i++)); do kill -0 "$READER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$READER_PID" 2>/dev/null && fail "the stderr reader did not finish after relayguard stopped"

answered=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["answered"])' "$E2E_TMP/flood.json")
logged=$(grep -c '"event":"command".*"detail":"VRFY"' "$drained" || true)
note "VRFY records in the drained log: $logged; VRFY replies received: $answered"
expect_eq "VRFY records logged vs replies received" "$answered" "$logged"
warnings=$(grep -c '^relayguard: warning: decision log: the writer is behind' "$drained" || true)
caught_up=$(grep -c '^relayguard: info: decision log: the writer caught up' "$drained" || true)
grep '^relayguard: ' "$drained" | sed 's/^/    /' >&2
[[ $warnings -ge 1 ]] || fail "no warning on stderr while the log writer was behind"
expect_eq "caught-up lines (one per warning)" "$warnings" "$caught_up"
first_episode=$(grep -n '^relayguard: .*decision log: the writer' "$drained" | head -n 2 | cut -d: -f3 | tr -d ' ' | tr '\n' ' ')
expect_eq "the first episode: warning then caught up" "warning info " "$first_episode"
pass "a stalled log holds new work: RSS bounded, $logged of $answered VRFY records logged, $warnings episode(s) said on stderr"
