#!/usr/bin/env bash
# ops-sd-notify.sh: `relayguard run` speaks systemd's notification protocol (Type=notify) itself.
#
# The test listens on its own Unix datagram socket (notifylisten.py) and hands it to relayguard
# in NOTIFY_SOCKET, as systemd would. Behind relayguard, a small SMTP backend that delays the
# greeting of its first connection (the start-up probe) by two seconds.
#   1. READY=1 comes only after the listener is bound and the backend probe has run: while the
#      probe waits, the port already takes connections and no READY=1 has been sent; READY=1
#      carries a STATUS= line with the sessions and the decisions.
#   2. After a refused relay attempt, a STATUS= line counts the refusal.
#   3. SIGHUP: RELOADING=1 (with MONOTONIC_USEC) then READY=1, for a good reload and for a
#      broken file (refused, logged reload_failed), in that order.
#   4. SIGTERM: STOPPING=1, and relayguard exits 0.
#   5. An abstract socket name (@name) works too.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_relayguard
require_cmd python3 ss

backend_port=$(free_port)
guard_port=$(free_port)
notify_log="$E2E_TMP/datagrams.log"
: >"$notify_log"

# --- a backend whose first greeting (the probe's) is two seconds late ---------------------------
cat >"$E2E_TMP/backend.py" <<'PY'
import socket, sys, threading, time
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(16)
first = True
def serve(conn, delay):
    with conn:
        time.sleep(delay)
        conn.sendall(b"220 backend.test ESMTP\r\n")
        buffer = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buffer += data
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                verb = line[:4].upper()
                if verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                if verb in (b"EHLO", b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                    conn.sendall(b"250 ok\r\n")
                # anything else (the PROXY v1 line) gets no reply, as Postfix gives none
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn, 2.0 if first else 0.0), daemon=True).start()
    first = False
PY
start_bg backend python3 "$E2E_TMP/backend.py" "$backend_port"
wait_for_port "$backend_port"

conf="$E2E_TMP/relayguard.conf"
write_conf() { # EXTRA-LINE
    cat >"$conf" <<EOF
listen = 127.0.0.1:$guard_port
backend = 127.0.0.1:$backend_port
backend_client_identity = proxy-v1
local_domains = local.example
trusted_networks = 192.0.2.0/24
tarpit_delay = 0
log = $E2E_TMP/decisions.jsonl
$1
EOF
}
write_conf ""

# notify_wait REGEX [SECONDS]: until a datagram line matches; prints its line number.
notify_wait() {
    local regex="$1" seconds="${2:-10}" i line
    for ((i = 0; i < seconds * 10; i++)); do
        line=$(grep -nE -- "$regex" "$notify_log" | tail -n 1 | cut -d: -f1 || true)
        [[ -n $line ]] && { echo "$line"; return 0; }
        sleep 0.1
    done
    note "datagrams so far:"; cat "$notify_log" >&2
    fail "no notification matching /$regex/ after ${seconds}s"
}

start_bg notify python3 "$E2E_DIR/notifylisten.py" "$E2E_TMP/notify.sock" "$notify_log"
for ((i = 0; i < 50; i++)); do [[ -S $E2E_TMP/notify.sock ]] && break; sleep 0.1; done
[[ -S $E2E_TMP/notify.sock ]] || fail "the notification socket was not created"

# --- 1. READY=1 after bind and probe ------------------------------------------------------------
started=$SECONDS
NOTIFY_SOCKET="$E2E_TMP/notify.sock" start_bg relayguard "$RELAYGUARD" run --config "$conf"
RELAYGUARD_PID=$BG_PID
listening_before_ready=no
for ((i = 0; i < 100; i++)); do
    if ss -Hltn "sport = :$guard_port" | grep -q . && ! grep -q 'READY=1' "$notify_log"; then
        listening_before_ready=yes
        break
    fi
    sleep 0.05
done
[[ $listening_before_ready == yes ]] || fail "never saw the port listening while the probe was still waiting (datagrams: $(cat "$notify_log"))"
ready_line=$(notify_wait '^READY=1' 10)
((SECONDS - started >= 2)) || fail "READY=1 came before the backend probe (which takes 2 s) had run"
ready=$(sed -n "${ready_line}p" "$notify_log")
[[ $ready =~ STATUS=serving,\ 0\ sessions\;\ decisions:\ 0\ accept,\ 0\ reject ]] || fail "READY=1 without the expected STATUS= line: $ready"
(($(grep -c . "$notify_log") == 1)) || fail "something was sent before READY=1: $(cat "$notify_log")"

# --- 2. a refused relay attempt shows up in STATUS= ---------------------------------------------
smtp_client --port "$guard_port" --bind 127.0.0.2 >/dev/null <<'EOF' || fail "the relay attempt did not go as expected"
<220
>EHLO client.example
<250
>MAIL FROM:<someone@remote.example>
<250
>RCPT TO:<victim@elsewhere.example>
<550 ~ 5\.7\.1
>QUIT
<221
EOF
notify_wait '^STATUS=serving, 0 sessions; decisions: [0-9]+ accept, [1-9][0-9]* reject' 15 >/dev/null

# --- 3. RELOADING=1 then READY=1 around SIGHUP, for a good and for a broken file -----------------
before=$(grep -c . "$notify_log")
write_conf "max_recipients = 50"
kill -HUP "$RELAYGUARD_PID"
for ((i = 0; i < 100; i++)); do (($(grep -c . "$notify_log") >= before + 2)) && break; sleep 0.1; done
reloading=$(sed -n "$((before + 1))p" "$notify_log")
readied=$(sed -n "$((before + 2))p" "$notify_log")
[[ $reloading =~ ^RELOADING=1\ \|\ MONOTONIC_USEC=[0-9]+\ \|\ STATUS=reloading ]] || fail "after SIGHUP expected RELOADING=1 first, got: $reloading"
[[ $readied =~ ^READY=1\ \|\ STATUS=serving ]] || fail "after the reload expected READY=1, got: $readied"
grep -q '"event":"reload","decision":"accept"' "$E2E_TMP/decisions.jsonl" || fail "the good reload was not applied"

before=$(grep -c . "$notify_log")
write_conf "max_recipients = lots"
kill -HUP "$RELAYGUARD_PID"
for ((i = 0; i < 100; i++)); do (($(grep -c . "$notify_log") >= before + 2)) && break; sleep 0.1; done
[[ $(sed -n "$((before + 1))p" "$notify_log") == RELOADING=1* ]] || fail "broken reload: no RELOADING=1 first: $(tail -n 2 "$notify_log")"
[[ $(sed -n "$((before + 2))p" "$notify_log") == READY=1* ]] || fail "broken reload: no READY=1 after it: $(tail -n 2 "$notify_log")"
for ((i = 0; i < 50; i++)); do grep -q '"reason":"reload_failed"' "$E2E_TMP/decisions.jsonl" && break; sleep 0.1; done
grep -q '"reason":"reload_failed"' "$E2E_TMP/decisions.jsonl" || fail "the broken reload was not refused"

# --- 4. STOPPING=1 at SIGTERM, exit 0 ------------------------------------------------------------
kill -TERM "$RELAYGUARD_PID"
status=0
wait "$RELAYGUARD_PID" || status=$?
expect_eq "exit status after SIGTERM" 0 "$status"
stopping=$(tail -n 1 "$notify_log")
[[ $stopping =~ ^STOPPING=1\ \|\ STATUS=stopping ]] || fail "the last notification is not STOPPING=1: $stopping"

# --- 5. an abstract socket name ------------------------------------------------------------------
write_conf ""
abstract="@relayguard-e2e-$$-$RANDOM"
abstract_log="$E2E_TMP/abstract-datagrams.log"
: >"$abstract_log"
start_bg abstract python3 "$E2E_DIR/notifylisten.py" "$abstract" "$abstract_log"
sleep 0.5
NOTIFY_SOCKET="$abstract" start_bg relayguard2 "$RELAYGUARD" run --config "$conf"
second=$BG_PID
for ((i = 0; i < 100; i++)); do grep -q '^READY=1' "$abstract_log" && break; sleep 0.1; done
grep -q '^READY=1' "$abstract_log" || fail "no READY=1 on the abstract socket $abstract (got: $(cat "$abstract_log"))"
kill -TERM "$second"
wait "$second" || fail "relayguard on the abstract socket did not exit 0"

pass "READY=1 after bind and probe, STATUS= counts decisions, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 at SIGTERM, abstract sockets"
