#!/usr/bin/env bash
# IPv6 without surprises, end to end:
#   - relayguard listening on an IPv6 address probes its backend at start with an IPv6 client
#     address in the identity header too; a Postfix with inet_protocols = ipv4 refuses it, and
#     relayguard says so plainly, as a warning on stderr and an error record in the decision log;
#   - the same Postfix with inet_protocols = all: no warning, and an IPv6 client is served;
#   - listening on IPv4 only, the IPv4-only backend is fine: no IPv6 probe, no warning.
# (`listen = [::]:N` alone is warned about by check-config and run: ops-startup-refusals.sh.)
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"
require_cmd postfix python3 ip
require_root
require_relayguard
ip -6 addr show dev lo | grep -q 'inet6 ::1/128' || fail "no IPv6 loopback address (::1) on this machine"

v4_port=$(free_port)
all_port=$(free_port)
postfix_start "$(new_temp_dir postfix-ipv4)" "$v4_port" --set inet_protocols=ipv4
postfix_start "$(new_temp_dir postfix-all)" "$all_port"

# start NAME BACKEND_PORT LISTEN...: relayguard until ready; its stderr in $E2E_TMP/NAME.log.
start() {
    local name="$1" backend="$2" i
    shift 2
    local listen
    listen=$(IFS=,; echo "$*")
    relayguard_conf "$E2E_TMP/$name.conf" "listen=$listen" "backend=127.0.0.1:$backend" \
        "local_domains=local.example" "log=$E2E_TMP/$name.jsonl"
    start_bg "$name" "$RELAYGUARD" run --config "$E2E_TMP/$name.conf"
    for ((i = 0; i < 150; i++)); do
        grep -q 'relayguard: info: ready' "$E2E_TMP/$name.log" && return 0
        sleep 0.1
    done
    fail "$name not ready: $(cat "$E2E_TMP/$name.log")"
}

port=$(free_port)
start v6-to-ipv4 "$v4_port" "127.0.0.1:$port" "[::1]:$port"
grep -q "^relayguard: warning: IPv6 clients: the backend takes the header with an IPv4 client but refuses it with the IPv6 client 2001:db8::fe" \
    "$E2E_TMP/v6-to-ipv4.log" || fail "no IPv6 warning for an IPv4-only backend: $(cat "$E2E_TMP/v6-to-ipv4.log")"
grep -q '"reason":"backend_unavailable".*IPv6 clients' "$E2E_TMP/v6-to-ipv4.jsonl" || fail "the decision log has no record of it"
note "IPv4-only backend, IPv6 listener: $(grep 'IPv6 clients' "$E2E_TMP/v6-to-ipv4.log")"

port=$(free_port)
start v4-to-ipv4 "$v4_port" "127.0.0.1:$port"
grep -q 'relayguard: warning' "$E2E_TMP/v4-to-ipv4.log" && fail "a warning though nothing listens on IPv6: $(cat "$E2E_TMP/v4-to-ipv4.log")"

port=$(free_port)
start v6-to-all "$all_port" "127.0.0.1:$port" "[::1]:$port"
grep -q 'relayguard: warning' "$E2E_TMP/v6-to-all.log" && fail "a warning for a backend that takes IPv6: $(cat "$E2E_TMP/v6-to-all.log")"
dialogue "an IPv6 client is served" --host ::1 --port "$port" <<'S'
<220
>EHLO client.example
<250
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>QUIT
<221
S

pass "IPv6 probe at start: an IPv4-only backend is named; an IPv6-capable one serves ::1 clients; no IPv6 listener, no probe"
