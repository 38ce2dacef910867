#!/usr/bin/env bash
# proxy-descriptor-limit.sh: relayguard under a small open-file limit (relayguard.conf(5),
# max_connections): it raises its soft limit to the hard one, warns that the limit cannot hold
# max_connections = 10000 sessions and lowers the effective limit, and a flood of idle
# connections beyond it neither spins the CPU nor stops service once the flood is over.
#
#   - relayguard runs with `ulimit -Sn 128; ulimit -Hn 256` (soft below hard: it must raise
#     it); stderr must name the lowered limit, (256 - 64) / 2 = 96 sessions.
#   - 400 idle connections (from 127.0.0.20-27, 50 each, within max_connections_per_client):
#     96 become sessions and wait, the others are answered 421 4.7.0 (too_many_connections).
#     relayguard's CPU time (utime + stime from /proc/PID/stat) over 4 s of that flood is
#     measured: it must stay under 0.5 s.
#   - the flood ends; a normal client is greeted and delivers a message to Postfix.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT" --maxproc 200
RG_PORT=$(free_port)
while [[ $RG_PORT == "$PF_PORT" ]]; do RG_PORT=$(free_port); done
conf="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$conf" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=$RG_LOG" \
    "max_connections=10000" "max_connections_per_client=50"

start_bg relayguard bash -c 'ulimit -Sn 128 && ulimit -Hn 256 && exec "$0" run --config "$1"' "$RELAYGUARD" "$conf"
RG_PID=$BG_PID
wait_for_port "$RG_PORT"
stderr_text=$(cat "$E2E_TMP/relayguard.log")
note "relayguard stderr: $stderr_text"
expect_contains "the warning names the lowered limit" "$stderr_text" "max_connections lowered from 10000 to 96"
soft=$(awk '/^Max open files/ {print $4}' "/proc/$RG_PID/limits")
expect_eq "soft open-file limit raised to the hard one" 256 "$soft"

PYTHONDONTWRITEBYTECODE=1 python3 - "$RG_PORT" "$RG_PID" <<'EOF' || fail "idle flood beyond the descriptor limit (failures above)"
import os, socket, sys, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
TICK = os.sysconf("SC_CLK_TCK")
failures = []


def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


flood = []
for index in range(400):
    s = socket.socket()
    s.bind((f"127.0.0.{20 + index // 50}", 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    flood.append(s)
time.sleep(1.0)   # let relayguard take what it can
cpu0 = cpu_seconds()
time.sleep(4.0)
cpu = cpu_seconds() - cpu0
greeted = refused = silent = 0
for s in flood:
    try:
        data = s.recv(4096)
    except (BlockingIOError, ConnectionError):
        data = None
    if data is None:
        silent += 1
    elif data.startswith(b"220"):
        greeted += 1
    elif data.startswith(b"421 4.7.0"):
        refused += 1
    else:
        silent += 1
print(f"400 idle connections: {greeted} greeted (sessions), {refused} refused 421 4.7.0, {silent} not answered; "
      f"relayguard CPU time over 4 s of flood: {cpu:.2f} s", flush=True)
if cpu > 0.5:
    failures.append(f"relayguard used {cpu:.2f}s of CPU in 4s of idle flood (spinning?)")
if greeted > 96:
    failures.append(f"{greeted} sessions greeted, more than the lowered max_connections (96)")
if refused == 0:
    failures.append("no connection was refused with 421 4.7.0 beyond the limit")
for s in flood:
    s.close()
for failure in failures:
    print("FAIL " + failure)
sys.exit(1 if failures else 0)
EOF

# After the flood: an ordinary client is greeted and delivers.
sleep 1
message="$E2E_TMP/message.txt"
printf 'Subject: after the flood\r\n\r\nDelivered after the descriptor flood.\r\n' >"$message"
dialogue "a normal client after the flood" --timeout 30 <<EOF
<220
>EHLO client.example
<250
>MAIL FROM:<zoe@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>@$message
<250 ~ queued as
>QUIT
<221
EOF
wait_for_mail "$PF" alice 1 20 >/dev/null
refused=$(decision_count event=connect reason=too_many_connections)
note "connections refused as too_many_connections: $refused"
pass "open-file limit 256: max_connections lowered to 96 with a warning; idle flood without spinning; served afterwards"
