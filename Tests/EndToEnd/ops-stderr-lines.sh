#!/usr/bin/env bash
# Operational lines on stderr, end to end through the built binary:
#   - the first line is `relayguard: info: started VERSION (...)` naming the listen address, the
#     backend and the identity header; then `ready`; the last is `relayguard: info: stopped (...)`;
#   - a backend that does not answer is said once (rate-limited), however many sessions it
#     turns away, while the decision log keeps one backend_unavailable record per session;
#   - a failed reload says why with FILE:LINE; a good one says `reload applied`;
#   - SIGUSR1 after rotation says `log reopened`; a reopen that fails (the directory is not
#     writable by `user` any more) says so;
#   - with JOURNAL_STREAM set (systemd), every line starts with its syslog priority, and a
#     session inside a transaction at SIGTERM is counted as cut in the `stopped` line after
#     `shutdown_grace`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_cmd python3 smtp-sink
require_root
require_relayguard

dir=$(new_temp_dir ops)
chmod 0755 "$dir"
logdir="$dir/log"
mkdir "$logdir"
chown nobody "$logdir"
port=$(free_port)
dead_backend=$(free_port)   # nothing listens there
conf="$dir/relayguard.conf"
write_conf() { # extra lines
    printf 'listen = 127.0.0.1:%s\nbackend = 127.0.0.1:%s\nlocal_domains = local.example\nlog = %s\nuser = nobody\n%s' \
        "$port" "$dead_backend" "$logdir/decisions.jsonl" "${1:-}" >"$conf"
    chmod 0644 "$conf"
}
write_conf
start_bg rg1 "$RELAYGUARD" run --config "$conf"
pid=$BG_PID
err="$E2E_TMP/rg1.log"

# wait_line REGEX [SECONDS]: until relayguard's stderr has a line matching REGEX (grep -E).
wait_line() {
    local regex="$1" seconds="${2:-10}" i
    for ((i = 0; i < seconds * 10; i++)); do
        grep -qE "$regex" "$err" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "no stderr line matching /$regex/ after ${seconds}s; stderr was:
$(cat "$err")"
}

wait_line '^relayguard: info: ready '
first=$(head -n 1 "$err")
[[ $first =~ ^relayguard:\ info:\ started\ [0-9]+\.[0-9]+\.[0-9]+\ \(.*listen\ 127\.0\.0\.1:$port.*backend\ 127\.0\.0\.1:$dead_backend.*identity\ proxy-v2 ]] \
    || fail "first line is not the started line: $first"
note "first line: $first"

note "five clients while the backend is down: one line on stderr, five records in the decision log"
for i in 1 2 3 4 5; do
    python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
data = s.recv(1000)
assert data.startswith(b"421 4.3.0"), data
PY
done
wait_line "^relayguard: warning: backend 127\.0\.0\.1:$dead_backend unreachable"
sleep 0.5
count=$(grep -c "unreachable" "$err" || true)
# The start-up probe's own warning names the backend too ("cannot connect to backend ...").
sessions_lines=$(grep -c "^relayguard: warning: backend 127.0.0.1:$dead_backend unreachable" "$err" || true)
expect_eq "backend-unreachable lines for five sessions" 1 "$sessions_lines"
records=$(grep -c '"reason":"backend_unavailable"' "$logdir/decisions.jsonl" || true)
[[ $records -ge 5 ]] || fail "decision log has $records backend_unavailable records, expected at least 5"

note "a broken reload says FILE:LINE; a good one says applied"
write_conf 'tarpit_dely = 3s'
kill -HUP "$pid"
wait_line "^relayguard: error: reload failed, old settings kept: $conf:6: unknown key \"tarpit_dely\" \(did you mean tarpit_delay\?\)$"
grep -q '"reason":"reload_failed"' "$logdir/decisions.jsonl" || sleep 0.5
grep -q '"reason":"reload_failed"' "$logdir/decisions.jsonl" || fail "no reload_failed record in the decision log"
write_conf 'tarpit_delay = 3s'
kill -HUP "$pid"
wait_line "^relayguard: info: reload applied \($conf\)$"

note "log rotation: reopened; then a directory nobody cannot write: reopen failed"
mv "$logdir/decisions.jsonl" "$logdir/decisions.jsonl.1"
kill -USR1 "$pid"
wait_line "^relayguard: info: log reopened \($logdir/decisions.jsonl\)$"
[[ -e $logdir/decisions.jsonl ]] || fail "the log file was not created again"
chown root "$logdir"
chmod 0755 "$logdir"
mv "$logdir/decisions.jsonl" "$logdir/decisions.jsonl.2"
kill -USR1 "$pid"
wait_line "^relayguard: error: log reopen failed: $logdir/decisions.jsonl: cannot open log: Permission denied; still writing to the old file$"

kill -TERM "$pid"
status=0; wait "$pid" || status=$?
expect_eq "exit status after SIGTERM" 0 "$status"
last=$(tail -n 1 "$err")
expect_eq "last line" "relayguard: info: stopped (0 sessions drained, 0 cut)" "$last"
bad=$(grep -vE '^relayguard: (info|warning|error): ' "$err" || true)
[[ -z $bad ]] || fail "stderr lines not in the form relayguard: LEVEL: TEXT: $bad"

note "under systemd (JOURNAL_STREAM): syslog priorities; a session in a transaction is cut after shutdown_grace"
sink_port=$(free_port)
start_bg sink smtp-sink -u nobody "127.0.0.1:$sink_port" 100
wait_for_port "$sink_port"
port=$(free_port)
printf 'listen = 127.0.0.1:%s\nbackend = 127.0.0.1:%s\nbackend_client_identity = none\nlocal_domains = local.example\nlog = %s\nshutdown_grace = 1s\n' \
    "$port" "$sink_port" "$dir/decisions2.jsonl" >"$conf"
start_bg rg2 env JOURNAL_STREAM=8:12345 "$RELAYGUARD" run --config "$conf"
pid=$BG_PID
err="$E2E_TMP/rg2.log"
wait_line '^<6>relayguard: info: ready '
python3 - "$port" >"$dir/client.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return line
assert reply().startswith(b"220")
s.sendall(b"EHLO client.example\r\n"); assert reply().startswith(b"250")
s.sendall(b"MAIL FROM:<a@remote.example>\r\n"); assert reply().startswith(b"250")
print("in transaction", flush=True)
print(reply())
PY
client=$!
for i in $(seq 50); do grep -q "in transaction" "$dir/client.out" && break; sleep 0.1; done
grep -q "in transaction" "$dir/client.out" || fail "client did not open a transaction: $(cat "$dir/client.out")"
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
expect_eq "exit status after SIGTERM (with a session cut)" 0 "$status"
wait "$client" || true
grep -q "^<4>relayguard: warning: backend_client_identity = none" "$err" || fail "warning without <4>: $(cat "$err")"
expect_eq "last line under systemd" "<6>relayguard: info: stopped (0 sessions drained, 1 cut)" "$(tail -n 1 "$err")"
bad=$(grep -vE '^(<6>relayguard: info|<4>relayguard: warning|<3>relayguard: error): ' "$err" || true)
[[ -z $bad ]] || fail "lines without their priority: $bad"
[[ $(head -n 1 "$err") == "<6>relayguard: info: started "* ]] || fail "first line under systemd: $(head -n 1 "$err")"

pass "started/ready/stopped, backend unreachable once for five sessions, reload failed/applied, log reopened/failed, journal priorities"
