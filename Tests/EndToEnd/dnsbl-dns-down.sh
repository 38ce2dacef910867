#!/usr/bin/env bash
# DNS that fails loudly and cheaply, end to end:
#   - dns_servers pointing at nothing: relayguard says so on stderr at start and again at the
#     next probe round (about 20 s later);
#   - a zone whose lookups keep timing out is suspended (an operational line) after a few
#     sessions paid dnsbl_timeout for it; the next session's RCPT is answered without waiting;
#   - once a DNS server answers on that address (dnsmasq serving the zone), the zone is probed
#     back: RESUMED, and the servers are said to answer again;
#   - `relayguard report` counts dnsbl_timeout per zone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_cmd python3 smtp-sink /usr/sbin/dnsmasq
require_root
require_relayguard

sink_port=$(free_port)
start_bg sink smtp-sink -u nobody "127.0.0.1:$sink_port" 100
wait_for_port "$sink_port"

# start NAME DNS_PORT: relayguard with bl.test looked up at 127.0.0.1:DNS_PORT; sets PORT.
start() {
    local name="$1" dns_port="$2"
    PORT=$(free_port)
    printf '%s\n' "listen = 127.0.0.1:$PORT" "backend = 127.0.0.1:$sink_port" "backend_client_identity = none" \
        "local_domains = local.example" "trusted_networks = 192.0.2.0/24" "dnsbl_sites = bl.test" \
        "dns_servers = 127.0.0.1:$dns_port" "dnsbl_timeout = 1s" "log = $E2E_TMP/$name.jsonl" >"$E2E_TMP/$name.conf"
    start_bg "$name" "$RELAYGUARD" run --config "$E2E_TMP/$name.conf"
    wait_for_port "$PORT"
}

# wait_line NAME REGEX SECONDS: until relayguard NAME's stderr has such a line (grep -E).
wait_line() {
    local name="$1" regex="$2" seconds="$3" i
    for ((i = 0; i < seconds * 10; i++)); do
        grep -qE "$regex" "$E2E_TMP/$name.log" && return 0
        sleep 0.1
    done
    fail "$name: no line /$regex/ within ${seconds}s: $(cat "$E2E_TMP/$name.log")"
}

# rcpt_seconds PORT: seconds from connect to the reply to RCPT.
rcpt_seconds() {
    python3 - "$1" <<'PY'
import socket, sys, time
start = time.monotonic()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line or line[3:4] != b"-":
            return line
assert reply().startswith(b"220")
s.sendall(b"EHLO client.example\r\n"); reply()
s.sendall(b"MAIL FROM:<a@remote.example>\r\n"); reply()
s.sendall(b"RCPT TO:<alice@local.example>\r\n"); r = reply()
assert r.startswith(b"250"), r
print("%.2f" % (time.monotonic() - start))
s.sendall(b"QUIT\r\n"); reply()
PY
}

dead_port=$(free_port)
later_port=$(free_port)
start dead "$dead_port"
dead_rg_port=$PORT
start later "$later_port"
later_rg_port=$PORT

silent="^relayguard: warning: DNS servers 127\.0\.0\.1:$dead_port not answering: "
wait_line dead "$silent" 5
note "at start: $(grep -E "$silent" "$E2E_TMP/dead.log" | head -n 1)"

note "sessions pay dnsbl_timeout until the zone is suspended; then no session waits"
for i in 1 2 3; do
    grep -q 'SUSPENDED' "$E2E_TMP/later.log" && break
    took=$(rcpt_seconds "$later_rg_port")
    note "session $i: RCPT answered after ${took}s"
done
wait_line later '^relayguard: warning: DNSBL zone bl\.test SUSPENDED: its lookups timed out [0-9]+ times in a row' 3
took=$(rcpt_seconds "$later_rg_port")
note "after the suspension: RCPT answered after ${took}s"
python3 -c "import sys; sys.exit(0 if float('$took') < 0.5 else 1)" || fail "a session still waited ${took}s for a suspended zone"

dns_dir=$(new_temp_dir dns)
on_exit bash "$E2E_DIR/dnsmasq-zone.sh" stop "$dns_dir"
bash "$E2E_DIR/dnsmasq-zone.sh" start "$dns_dir" "$later_port" >/dev/null || fail "could not start dnsmasq"
wait_line later '^relayguard: info: DNSBL zone bl\.test RESUMED: it answers again' 25
wait_line later "^relayguard: info: DNS servers 127\.0\.0\.1:$later_port answering again$" 2

wait_line dead "$silent" 1
count=$(grep -cE "$silent" "$E2E_TMP/dead.log")
if ((count < 2)); then
    sleep 2
    count=$(grep -cE "$silent" "$E2E_TMP/dead.log")
fi
((count >= 2)) || fail "the dead servers were said only $count time(s): $(cat "$E2E_TMP/dead.log")"
note "the dead servers were said $count times"
rcpt_seconds "$dead_rg_port" >/dev/null

# Every session that waited for the zone logged dnsbl_timeout; report counts them per zone.
timeouts=$(grep -c '"reason":"dnsbl_timeout".*bl.test timed out' "$E2E_TMP/later.jsonl" || true)
((timeouts >= 1)) || fail "no dnsbl_timeout record naming bl.test in the decision log"
report=$("$RELAYGUARD" report "$E2E_TMP/later.jsonl")
grep -Eq "^ +$timeouts +0 +bl\.test$" <<<"$report" || fail "report does not count $timeouts dnsbl_timeout for bl.test: $report"
json=$("$RELAYGUARD" report --json "$E2E_TMP/later.jsonl")
expect_contains "report --json" "$json" "\"dnsbl_unanswered\":[{\"zone\":\"bl.test\",\"dnsbl_timeout\":$timeouts,\"dnsbl_error\":0}]"

pass "DNS servers not answering said at start and again; a timing-out zone suspended (no wait), resumed when DNS answers; report counts timeouts per zone"
