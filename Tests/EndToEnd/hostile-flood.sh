#!/usr/bin/env bash
# hostile-flood.sh: one address flooding junk commands neither stops the service for others nor
# fills the disk (relayguard.conf(5), 6 and 7: junk_command_limit, error_limit, bounded input per
# loop turn). 50 connections from one address pipelining `EXPN x` in 64 KiB writes used to keep
# every other client from being greeted for as long as the flood lasted (waits of 5 to 69 s),
# and grew the decision log by about 1.2 GB in 30 s: EXPN and VRFY never counted towards
# error_limit, and one read of 32,000 commands was handled in one go.
#
# Settings: error_limit = 20, junk_command_limit at its default (100), max_connections_per_client
# at its default (50). For `EXPN x`, then `VRFY x`:
#   1. alone: one session sending one 64 KiB write of the command gets exactly
#      junk_command_limit + error_limit - 1 answers (the first 100 are junk within the limit, the
#      next 19 each count as an error), then `421 4.7.0 Too many errors` (the 20th error), and is
#      closed;
#   2. flood: 50 connections from 127.0.0.2, each pipelining the command in 64 KiB writes and
#      reconnecting as soon as it is closed, for 8 s. Meanwhile a bystander from 127.0.0.3
#      connects every 200 ms: every one is greeted (220) within 2 s (a generous liveness bound;
#      the median and max are printed on a `measured:` line). Every flooding session is closed
#      by relayguard, none is answered more than junk + error times, and any that saw the 421
#      saw it as that last answer. (A client still writing when relayguard closes may not read
#      its last replies: the close resets the connection.)
#   3. the decision log of the flood: every flooding session ended by error_limit (a `command`
#      record 421 too_many_errors, a disconnect too_many_errors) after exactly junk + error
#      commands, and no session has more than junk + error + 3 records; the log's growth in
#      bytes per second is printed.
#   4. after both floods a normal session from the bystander's address delivers a message.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

JUNK_LIMIT=100   # junk_command_limit, the documented default (not set below)
ERROR_LIMIT=20
FLOOD_SECONDS=8

# Postfix without debug_peer_list: the flood's sessions need not be logged line by line.
PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT"
RG_PORT=$(free_port)
while [[ $RG_PORT == "$PF_PORT" ]]; do RG_PORT=$(free_port); done
RG_CONF="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" \
    "backend_client_identity=proxy-v2" "log=$RG_LOG" "error_limit=$ERROR_LIMIT" "max_connections_per_client=50"
relayguard_start "$RG_CONF" "$RG_PORT"

flood_client() { python3 "$E2E_DIR/floodclient.py" "$@"; }

# Until the decision log has not grown for a second (the writer has caught up).
log_settled() {
    local before after
    after=$(stat -c %s "$RG_LOG")
    while :; do
        before=$after
        sleep 1
        after=$(stat -c %s "$RG_LOG")
        [[ $after == "$before" ]] && return 0
    done
}

run_flood() { # COMMAND (e.g. "EXPN x")
    local command="$1" verb="${1%% *}" out="$E2E_TMP/${1%% *}"
    note "--- $command: one session alone"
    python3 - "$RG_PORT" "$command" "$JUNK_LIMIT" "$ERROR_LIMIT" <<'EOF' || fail "$command: a lone flooding session did not end at error_limit"
import socket, sys
port, command, junk, errors = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.4", 0), timeout=10)
data = b""
while b"\r\n" not in data:
    data += s.recv(4096)
line = command.encode() + b"\r\n"
s.sendall(line * (65536 // len(line)))
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except ConnectionResetError:
        break  # a session ended for abuse may be closed with a reset (docs/ARCHITECTURE.md, protocol safety)
    if not chunk:
        break
    data += chunk
replies = data.decode().split("\r\n")[:-1]
print(f"{command}: {len(replies)} replies, the last {replies[-1]!r}" if replies else f"{command}: no reply")
expected = "252 2.5.2" if command.startswith("VRFY") else "502 5.5.1"
answers = replies[:-1]
if len(replies) != junk + errors or replies[-1] != "421 4.7.0 Too many errors" or \
        any(not r.startswith(expected) for r in answers):
    sys.exit(f"expected {junk + errors - 1} x {expected}... then 421 4.7.0 Too many errors, got {len(replies)} replies: "
             f"{replies[:2]} ... {replies[-3:]}")
EOF

    note "--- $command: 50 connections from 127.0.0.2 for ${FLOOD_SECONDS}s, a bystander every 200 ms"
    log_settled
    local log_before
    log_before=$(stat -c %s "$RG_LOG")
    flood_client flood --port "$RG_PORT" --bind 127.0.0.2 --connections 50 --command "$command" \
        --seconds "$FLOOD_SECONDS" --out "$out-flood.json" &
    local flood_pid=$!
    on_exit _e2e_stop_pid "$flood_pid"
    sleep 0.5
    flood_client bystander --port "$RG_PORT" --bind 127.0.0.3 --every 0.2 --seconds $((FLOOD_SECONDS - 1)) \
        --out "$out-bystander.json" || fail "$command: the bystander client failed"
    wait "$flood_pid" || fail "$command: the flood client failed"
    kill -0 "$RELAYGUARD_PID" 2>/dev/null || fail "$command: relayguard died during the flood"
    log_settled
    local log_after
    log_after=$(stat -c %s "$RG_LOG")

    python3 - "$command" "$out-flood.json" "$out-bystander.json" "$RG_LOG" "$log_before" "$log_after" \
        "$JUNK_LIMIT" "$ERROR_LIMIT" <<'EOF' || fail "$command flood: see above"
import collections, json, os, statistics, sys
command, flood_path, bystander_path, log_path = sys.argv[1:5]
# The liveness bound; scripts/test --sanitize scales it (a sanitized debug build is slower).
bound = 2.0 * float(os.environ.get("E2E_TIME_SCALE", "1"))
log_before, log_after, junk, errors = map(int, sys.argv[5:9])
verb = command.split()[0]
limit = junk + errors
problems = []

# --- the bystander
probes = json.load(open(bystander_path))["probes"]
delays = [p["delay"] for p in probes if p["delay"] is not None]
for p in probes:
    if p["delay"] is None or not (p["greeting"] or "").startswith("220") or p["delay"] > bound:
        problems.append(f"bystander probe {p['index']} at {p['at']}s: delay {p['delay']}, greeting {p['greeting']!r}, "
                        f"error {p['error']!r} (bound: a 220 within {bound:g} s)")
if len(probes) < 25:
    problems.append(f"only {len(probes)} bystander probes ran")

# --- the flood, as the clients saw it
flood = json.load(open(flood_path))
sessions = flood["sessions"]
greetings = collections.Counter((s["greeting"] or "none")[:3] for s in sessions)
served = [s for s in sessions if (s["greeting"] or "").startswith("220")]
still_open = [s for s in sessions if s["ended"] == "open"]
over = [s for s in served if s["replies"] > limit]
late_421 = [s for s in served if s["last"] == "421 4.7.0 Too many errors" and s["replies"] != limit]
saw_421 = sum(1 for s in served if s["last"] == "421 4.7.0 Too many errors")
other_last = collections.Counter(s["last"] for s in served if s["last"] and not s["last"].startswith(("502 5.5.1", "252 2.5.2", "421 4.7.0 Too many errors")))
if len(served) < 50:
    problems.append(f"only {len(served)} flooding sessions were greeted 220 (greetings: {dict(greetings)})")
if set(greetings) - {"220", "421"}:
    problems.append(f"flooding sessions greeted otherwise than 220 or 421: {dict(greetings)}")
if still_open:
    problems.append(f"{len(still_open)} flooding sessions were still open 15 s after the flood stopped")
if over:
    problems.append(f"{len(over)} flooding sessions got more than {limit} replies, e.g. {over[0]}")
if late_421:
    problems.append(f"{len(late_421)} sessions got the 421 after other than {limit} replies, e.g. {late_421[0]}")
if other_last:
    problems.append(f"flooding sessions' last replies other than the command's answer or the 421: {dict(other_last)}")

# --- the flood, as relayguard logged it
with open(log_path, "rb") as handle:
    handle.seek(log_before)
    fresh = handle.read(log_after - log_before).decode("utf-8")
records = [json.loads(line) for line in fresh.splitlines() if line]
by_session = collections.defaultdict(list)
for record in records:
    if record.get("client") == "127.0.0.2":
        by_session[record["session"]].append(record)
served_logged = 0
for session, rs in by_session.items():
    connect = [r for r in rs if r["event"] == "connect"]
    if not connect or connect[0].get("code") != 220:
        # Refused at connect: no commands. (Postfix's own per-client limit is 50 too, and it
        # sees a close a moment after relayguard: a reconnect can find it full, and relayguard
        # then answers 421 4.3.0, failing closed.)
        continue
    served_logged += 1
    answered = [r for r in rs if r["event"] == "command" and r.get("detail", "").startswith(verb)]
    ended = [r for r in rs if r["event"] == "command" and r.get("code") == 421 and r.get("reason") == "too_many_errors"]
    disconnect = [r for r in rs if r["event"] == "disconnect"]
    if len(rs) > limit + 3:
        problems.append(f"session {session}: {len(rs)} records, more than junk + error + 3 = {limit + 3}")
    if len(ended) != 1 or len(answered) != limit or not disconnect or disconnect[0].get("reason") != "too_many_errors":
        problems.append(f"session {session}: {len(answered)} {verb} records (expected {limit}), {len(ended)} 421 "
                        f"too_many_errors, disconnect {disconnect[:1]}")
if served_logged != len(served):
    problems.append(f"the log has {served_logged} greeted sessions from 127.0.0.2, the clients saw {len(served)}")
elapsed = flood["elapsed"]
per_session = statistics.mean(len(rs) for rs in by_session.values()) if by_session else 0

print(f"measured: {command} flood: bystander greeted in {statistics.median(delays) * 1000:.0f} ms median, "
      f"{max(delays) * 1000:.0f} ms max ({len(delays)} of {len(probes)} probes); "
      f"{len(served)} flooding sessions in {elapsed:.1f}s ({len(served) / elapsed:.0f}/s), "
      f"{saw_421} of them read the 421; greetings {dict(greetings)}; "
      f"decision log {(log_after - log_before) / elapsed / 1e6:.2f} MB/s "
      f"({log_after - log_before} bytes, {len(records)} records, {per_session:.0f} per flooding session)")
refused = collections.Counter(s["greeting"] for s in sessions if not (s["greeting"] or "").startswith("220"))
if refused:
    print(f"{command} flood: flooding connections refused at the greeting: {dict(refused)}")
for problem in problems[:20]:
    print(problem, file=sys.stderr)
if len(problems) > 20:
    print(f"... and {len(problems) - 20} more", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
}

run_flood "EXPN x"
run_flood "VRFY x"

dialogue "a normal session after the floods" --bind 127.0.0.3 <<'EOF'
<220
>EHLO bystander.example
<250
>MAIL FROM:<bystander@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: after the flood\r\n\r\nstill served\r\n.\r\n
<250 ~ queued as
>QUIT
<221
EOF
wait_for_mail "$PF" alice 1 10 >/dev/null

pass "EXPN and VRFY floods from 50 connections end at error_limit, the bystander is greeted within 2 s, the log stays bounded per session"
