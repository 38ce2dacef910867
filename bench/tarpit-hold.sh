#!/usr/bin/env bash
# bench/tarpit-hold.sh: what relayguard pays to hold many tarpitted sessions at once
# (docs/ARCHITECTURE.md: "ten thousand idle or tarpitted sessions must be cheap"). Not part of the
# test suite; run it by hand, as root or not:
#
#   bench/tarpit-hold.sh [SESSIONS]          (default 1000)
#
# Environment:
#   RELAYGUARD=PATH   the binary (default: .build/release/relayguard if built, else .build/debug)
#   HOLD_SECONDS=S    how long the CPU is sampled while every session waits (default 10)
#
# What it does: relayguard (tarpit_delay = tarpit_max_delay = 30s, recipient_check = map) in front
# of smtp-sink (Postfix's event-driven test server, one process: 1,000 Postfix smtpd processes
# would measure Postfix, not relayguard; backend_client_identity = none, since smtp-sink speaks no
# PROXY protocol). One Python process opens SESSIONS sessions (greeting, EHLO, MAIL) from
# 127.0.1.1..127.0.1.10 (max_connections_per_client raised), then each sends one RCPT to an
# unknown user and waits on its tarpitted 550. From /proc/PID/status (VmRSS, VmHWM, Threads),
# /proc/PID/stat (utime + stime) and /proc/PID/fd it reports relayguard:
#   before     listening, no session
#   connected  every session open and idle (client socket + backend socket each)
#   holding    every session waiting on its tarpitted RCPT (2 s after the RCPTs, then again
#              after HOLD_SECONDS; the CPU used between those two samples is the cost of holding)
#   answered   every 550 written (about 30 s after the RCPTs)
#   closed     every session gone
# and the RSS delta per session (holding - before, and holding - connected: the tarpit alone).
# Kernel socket memory is not in VmRSS (about 4.6 KB of slab per socket here, PEERS.md).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_ROOT=$(pwd -P)
SESSIONS=${1:-1000}
HOLD_SECONDS=${HOLD_SECONDS:-10}
[[ $SESSIONS =~ ^[0-9]+$ ]] && ((SESSIONS > 0 && SESSIONS <= 9000)) || { echo "tarpit-hold: SESSIONS must be 1..9000" >&2; exit 2; }

if [[ -z ${RELAYGUARD:-} ]]; then
    if [[ -x $REPO_ROOT/.build/release/relayguard ]]; then
        RELAYGUARD=$REPO_ROOT/.build/release/relayguard
    else
        RELAYGUARD=$REPO_ROOT/.build/debug/relayguard
    fi
fi
[[ -x $RELAYGUARD ]] || { echo "tarpit-hold: no relayguard at $RELAYGUARD (swift build -c release, or set RELAYGUARD)" >&2; exit 1; }
command -v smtp-sink >/dev/null || { echo "tarpit-hold: smtp-sink missing (apt-get install postfix)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "tarpit-hold: python3 missing" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/relayguard-tarpit-hold.XXXXXX")
chmod 0755 "$work"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c '
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break'
}
wait_port() {
    local i
    for ((i = 0; i < 100; i++)); do
        ss -Hltn "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    echo "tarpit-hold: nothing listens on port $1" >&2
    exit 1
}

sink_port=$(free_port)
rg_port=$(free_port)
sink_user=()
[[ $(id -u) == 0 ]] && sink_user=(-u nobody)
smtp-sink "${sink_user[@]}" -m $((SESSIONS + 100)) "127.0.0.1:$sink_port" 4096 >"$work/sink.log" 2>&1 &
pids+=($!)
wait_port "$sink_port"

echo "alice@local.example" >"$work/recipients"
cat >"$work/relayguard.conf" <<EOF
listen = 127.0.0.1:$rg_port
backend = 127.0.0.1:$sink_port
backend_client_identity = none
hostname = relayguard.bench
local_domains = local.example
trusted_networks = 192.0.2.0/24
recipient_check = map
recipient_map = $work/recipients
tarpit_delay = 30s
tarpit_max_delay = 30s
invalid_recipient_limit = 10
max_connections_per_client = $((SESSIONS / 10 + 100))
command_timeout = 120s
log = $work/decisions.jsonl
EOF
"$RELAYGUARD" run --config "$work/relayguard.conf" >"$work/relayguard.log" 2>&1 &
rg_pid=$!
pids+=("$rg_pid")
wait_port "$rg_port"

echo "relayguard: $RELAYGUARD (pid $rg_pid)"
echo "backend:    smtp-sink on 127.0.0.1:$sink_port; $SESSIONS sessions, tarpit 30s, CPU sampled over ${HOLD_SECONDS}s of holding"
python3 - "$rg_pid" "$rg_port" "$SESSIONS" "$HOLD_SECONDS" <<'EOF'
import asyncio
import os
import sys
import time

pid, port, count, hold = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
TICK = os.sysconf("SC_CLK_TCK")
DELAY = 30.0
sources = [f"127.0.1.{1 + i}" for i in range(10)]


def sample(label):
    status = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of stat)
    return {
        "label": label, "at": time.monotonic(), "rss_kb": int(status["VmRSS"].split()[0]),
        "hwm_kb": int(status["VmHWM"].split()[0]), "threads": int(status["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")), "cpu_s": cpu,
    }


async def reply(reader):
    while True:
        line = await asyncio.wait_for(reader.readline(), DELAY + 60)
        if not line:
            raise RuntimeError("connection closed")
        if line[3:4] != b"-":
            return line.decode().rstrip()


async def open_one(index):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(sources[index % len(sources)], 0))
    greeting = await reply(reader)
    assert greeting.startswith("220"), greeting
    writer.write(b"EHLO bench.example\r\n")
    assert (await reply(reader)).startswith("250")
    writer.write(f"MAIL FROM:<s{index}@remote.example>\r\n".encode())
    assert (await reply(reader)).startswith("250")
    return reader, writer


async def refuse(index, reader, writer):
    sent = time.monotonic()
    writer.write(f"RCPT TO:<nobody{index}@local.example>\r\n".encode())
    text = await reply(reader)
    return text, time.monotonic() - sent


async def main():
    samples = [sample("before")]
    began = time.monotonic()
    sessions = []
    for start in range(0, count, 200):  # in batches, so the listen backlog is not the bottleneck
        sessions += await asyncio.gather(*(open_one(i) for i in range(start, min(count, start + 200))))
    print(f"{count} sessions open in {time.monotonic() - began:.1f}s")
    await asyncio.sleep(1)
    samples.append(sample("connected"))
    tasks = [asyncio.create_task(refuse(i, r, w)) for i, (r, w) in enumerate(sessions)]
    await asyncio.sleep(2)
    samples.append(sample("holding"))
    await asyncio.sleep(hold)
    samples.append(sample(f"holding+{hold:.0f}s"))
    results = await asyncio.gather(*tasks)
    samples.append(sample("answered"))
    for _, writer in sessions:
        writer.close()
    await asyncio.sleep(2)
    samples.append(sample("closed"))

    refused = sum(1 for text, _ in results if text.startswith("550 5.1.1"))
    waits = sorted(elapsed for _, elapsed in results)
    print(f"replies: {refused}/{count} were 550 5.1.1; wait min {waits[0]:.2f}s, max {waits[-1]:.2f}s "
          f"(expected >= {DELAY:.0f}s)")
    print()
    print(f"{'state':<14}{'VmRSS KB':>10}{'VmHWM KB':>10}{'threads':>9}{'fds':>7}{'CPU s':>9}")
    for s in samples:
        print(f"{s['label']:<14}{s['rss_kb']:>10}{s['hwm_kb']:>10}{s['threads']:>9}{s['fds']:>7}{s['cpu_s']:>9.2f}")
    before, connected, holding, held = samples[0], samples[1], samples[2], samples[3]
    print()
    print(f"RSS per session, holding - before:    {(holding['rss_kb'] - before['rss_kb']) * 1024 / count / 1024:.1f} KB")
    print(f"RSS per session, holding - connected: {(holding['rss_kb'] - connected['rss_kb']) * 1024 / count / 1024:.2f} KB (the tarpit alone)")
    window = held["at"] - holding["at"]
    used = held["cpu_s"] - holding["cpu_s"]
    print(f"CPU while holding {count} tarpitted sessions: {used:.2f} s over {window:.1f} s = {100 * used / window:.2f} % of one core")
    print(f"CPU to open {count} sessions (EHLO, MAIL): {connected['cpu_s'] - before['cpu_s']:.2f} s; "
          f"to write {count} tarpitted replies: {samples[4]['cpu_s'] - held['cpu_s']:.2f} s")
    if refused != count or waits[0] < DELAY:
        sys.exit("tarpit-hold: some replies were not the tarpitted 550 (see above)")


asyncio.run(main())
EOF
