#!/usr/bin/env bash
# Operations, end to end through the built binary in front of a real Postfix:
#   - SIGHUP reloads the configuration and the recipient map: a recipient added to the map is
#     accepted after the reload; a broken configuration keeps the old policy and logs
#     reload_failed;
#   - max_connections_per_client: the connection over the limit gets 421 4.7.0 at greeting;
#   - `user`: started as root, relayguard drops to that user after binding;
#   - SIGTERM: no new connections; a session between transactions gets 421 4.3.2 at once, one
#     inside a transaction finishes it first; exit status 0 as soon as the last one ended.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT"
RG_PORT=$(free_port)
RG_CONF="$E2E_TMP/ops.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
MAP="$E2E_TMP/recipients"
printf 'alice@local.example\n' >"$MAP"
chmod 0644 "$MAP"
write_conf() { # extra KEY=VALUE...
    relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=$RG_LOG" \
        "recipient_check=map" "recipient_map=$MAP" "max_connections_per_client=2" "user=nobody" "$@"
}
write_conf
chmod 0644 "$RG_CONF"
# The log file must stay writable after the drop to nobody; relayguard opens it before.
relayguard_start "$RG_CONF" "$RG_PORT"
pid=$RELAYGUARD_PID

note "user = nobody: the daemon no longer runs as root"
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
expect_eq "effective uid after the drop" "$(id -u nobody)" "$uid"

note "bob is not in the map yet"
dialogue "bob refused before the reload" <<'S'
<220
>EHLO ops.example
<250
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<bob@local.example>
<550 ~ 5\.1\.1
>QUIT
<221
S

note "SIGHUP with bob in the map: bob is accepted"
printf 'alice@local.example\nbob@local.example\n' >"$MAP"
kill -HUP "$pid"
decision_expect "the reload is logged" event=reload decision=accept >/dev/null
dialogue "bob accepted after the reload" <<'S'
<220
>EHLO ops.example
<250
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<bob@local.example>
<250
>QUIT
<221
S

note "SIGHUP with a broken configuration: the old policy stays, reload_failed is logged"
cp "$RG_CONF" "$RG_CONF.good"
printf 'tarpit_delay = soon\n' >>"$RG_CONF"
kill -HUP "$pid"
decision_expect "the failed reload is logged" event=reload reason=reload_failed >/dev/null
kill -0 "$pid" || fail "relayguard exited on a broken configuration"
dialogue "the old policy still serves" <<'S'
<220
>EHLO ops.example
<250
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<bob@local.example>
<250
>QUIT
<221
S
cp "$RG_CONF.good" "$RG_CONF"

note "max_connections_per_client = 2: the third connection gets 421 4.7.0"
python3 - "$RG_PORT" <<'PY' || fail "max_connections_per_client was not enforced"
import socket, sys, time
port = int(sys.argv[1])
held = []
for _ in range(2):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert s.recv(512).startswith(b"220"), "the first two connections are greeted"
    held.append(s)
third = socket.create_connection(("127.0.0.1", port), timeout=5)
reply = third.recv(512)
assert reply.startswith(b"421 4.7.0"), f"third connection got {reply!r}"
for s in held: s.sendall(b"QUIT\r\n"); s.recv(512); s.close()
PY
decision_expect "too_many_connections is logged" event=connect reason=too_many_connections >/dev/null

note "SIGTERM: an idle session gets 421 4.3.2 at once; one inside a transaction finishes its message first"
exec 3<>"/dev/tcp/127.0.0.1/$RG_PORT"
read -r -t 5 greeting <&3 || fail "no greeting before SIGTERM (idle session)"
[[ $greeting == 220* ]] || fail "unexpected greeting: $greeting"
exec 4<>"/dev/tcp/127.0.0.1/$RG_PORT"
read -r -t 5 greeting <&4 || fail "no greeting before SIGTERM (busy session)"
printf 'EHLO ops.example\r\n' >&4
read -r -t 5 line <&4; while [[ $line == 250-* ]]; do read -r -t 5 line <&4; done
[[ $line == 250* ]] || fail "EHLO before SIGTERM: $line"
printf 'MAIL FROM:<sender@remote.example>\r\n' >&4
read -r -t 5 line <&4; [[ $line == 250* ]] || fail "MAIL before SIGTERM: $line"
term_at=$(date +%s%N)
kill -TERM "$pid"
read -r -t 5 line <&3 || fail "the idle session got nothing after SIGTERM"
idle_ms=$(( ($(date +%s%N) - term_at) / 1000000 ))
[[ $line == "421 4.3.2"* ]] || fail "the idle session after SIGTERM: $line"
note "measured: the idle session got its 421 4.3.2 ${idle_ms} ms after SIGTERM"
((idle_ms < 3000)) || fail "the idle session waited ${idle_ms} ms for its 421 (a prompt stop answers at once)"
exec 3<&-
sleep 0.3
if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2)" "$RG_PORT" 2>/dev/null; then
    fail "relayguard still accepts connections after SIGTERM"
fi
printf 'RCPT TO:<alice@local.example>\r\nDATA\r\n' >&4
read -r -t 5 line <&4; [[ $line == 250* ]] || fail "RCPT during the stop: $line"
read -r -t 5 line <&4; [[ $line == 354* ]] || fail "DATA during the stop: $line"
printf 'Subject: the last one\r\n\r\nfinished during the stop\r\n.\r\n' >&4
read -r -t 10 line <&4 || fail "no reply to the message during the stop"
[[ $line == 250* ]] || fail "the message during the stop: $line"
read -r -t 5 line <&4 || fail "no 421 after the transaction ended"
[[ $line == "421 4.3.2"* ]] || fail "after the last transaction: $line"
exec 4<&-
for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "relayguard did not exit after its last session ended"
wait "$pid"; status=$?
expect_eq "exit status after SIGTERM" 0 "$status"
decision_expect "the stop is logged per session" event=disconnect reason=shutdown >/dev/null

pass "SIGHUP reloads config and map (a broken one keeps the old), per-client limit, user drop, a prompt SIGTERM"
