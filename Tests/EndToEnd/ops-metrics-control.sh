#!/usr/bin/env bash
# Seeing and steering a running relayguard, end to end in front of a real Postfix:
#   - metrics_listen: a real Prometheus server scrapes /metrics every second; the figures read
#     back through Prometheus's HTTP API equal what the decision log says about the same traffic
#     (decisions by event, decision and reason; messages; connections);
#   - control_socket: `relayguard ctl` lists blocks, lifts one (the blocked client is served
#     again at once), blocks a client by hand (it gets 421 at connect), shows stats, zones and
#     sessions; each action is a `control` record; a malformed or oversized request gets an
#     error line.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"
require_cmd prometheus

PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT"
RG_PORT=$(free_port)
METRICS_PORT=$(free_port)
PROM_PORT=$(free_port)
RG_CONF="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
CONTROL="$E2E_TMP/control"
relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=$RG_LOG" \
    "metrics_listen=127.0.0.1:$METRICS_PORT" "control_socket=$CONTROL" "invalid_recipient_limit=3" \
    "harvest_block_time=10m" "user=nobody"
chmod 0755 "$E2E_TMP"
relayguard_start "$RG_CONF" "$RG_PORT"
ctl() { "$RELAYGUARD" ctl --socket "$CONTROL" "$@"; }

note "traffic: one delivery, relay refusals, and a harvester from 127.0.0.3 that gets blocked"
dialogue "a delivery" <<'S'
<220
>EHLO metrics.example
<250
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>Subject: counted
>
>once
>.
<250
>QUIT
<221
S
for i in 1 2; do
    dialogue "relay refused $i" <<S
<220
>EHLO metrics.example
<250
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<victim$i@elsewhere.example>
<550
>QUIT
<221
S
done
dialogue "a harvester is blocked at the limit" --bind 127.0.0.3 <<'S'
<220
>EHLO harvester.example
<250
>MAIL FROM:<h@remote.example>
<250
>RCPT TO:<a@elsewhere.example>
<550
>RCPT TO:<b@elsewhere.example>
<550
>RCPT TO:<c@elsewhere.example>
<421
S
dialogue "the harvester is refused at connect" --bind 127.0.0.3 <<'S'
<421 ~ 4\.7\.0
S

note "control socket: blocks, unblock, block, stats, sessions, zones"
ctl blocks >"$E2E_TMP/blocks" || fail "ctl blocks failed"
grep -q '127.0.0.3' "$E2E_TMP/blocks" || fail "ctl blocks does not list 127.0.0.3: $(cat "$E2E_TMP/blocks")"
[[ $(stat -c %a "$CONTROL") == 660 ]] || fail "the control socket's mode is $(stat -c %a "$CONTROL"), not 660"
[[ $(stat -c %U "$CONTROL") == nobody ]] || fail "the control socket belongs to $(stat -c %U "$CONTROL"), not the service user"
ctl unblock 127.0.0.3 | grep -qx 'unblocked 1' || fail "ctl unblock 127.0.0.3 did not lift one block"
dialogue "unblocked: served again" --bind 127.0.0.3 <<'S'
<220
>QUIT
<221
S
ctl block 127.0.0.4 30m | grep -qx 'blocked 127.0.0.4' || fail "ctl block did not say so"
dialogue "blocked by the operator: refused at connect" --bind 127.0.0.4 <<'S'
<421 ~ 4\.7\.0
S
ctl blocks | grep -q '127.0.0.4' || fail "ctl blocks does not list the operator's block"
ctl unblock all | grep -q '^unblocked ' || fail "ctl unblock all"
[[ $(ctl blocks) == "no blocks" ]] || fail "blocks left after unblock all: $(ctl blocks)"
ctl stats | grep -q '^relayguard_decisions_total{' || fail "ctl stats shows no decisions"
ctl sessions | grep -q '^active ' || fail "ctl sessions shows no count"
ctl zones | grep -q 'no DNSBL zones configured' || fail "ctl zones without zones"
decision_expect "unblock is a control record" event=control reason=unblocked >/dev/null
decision_expect "block is a control record" event=control reason=blocked_by_operator >/dev/null
if ctl frobnicate 2>"$E2E_TMP/ctl.err"; then fail "an unknown control command succeeded"; fi
grep -q 'error: unknown command' "$E2E_TMP/ctl.err" || fail "unknown command: $(cat "$E2E_TMP/ctl.err")"
python3 - "$CONTROL" <<'PY' || fail "an oversized control request was not refused with an error line"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"x" * 2000)
reply = s.recv(4096)
assert reply.startswith(b"error: request longer than"), reply
PY

note "Prometheus scrapes relayguard; its figures equal the decision log's"
cat >"$E2E_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: relayguard
    static_configs:
      - targets: ['127.0.0.1:$METRICS_PORT']
EOF
start_bg prometheus prometheus --config.file "$E2E_TMP/prometheus.yml" --storage.tsdb.path "$E2E_TMP/tsdb" \
    --web.listen-address "127.0.0.1:$PROM_PORT"
wait_for_port "$PROM_PORT" 30
python3 - "$RG_LOG" "$PROM_PORT" <<'PY' || fail "Prometheus's figures and the decision log disagree (above)"
import collections, json, sys, time, urllib.parse, urllib.request

log, port = sys.argv[1], sys.argv[2]
def query(expression):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    return json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]

records = [json.loads(line) for line in open(log)]
expected = collections.Counter((r["event"], r["decision"], r.get("reason", "")) for r in records if "decision" in r)
deadline = time.time() + 30
while True:
    scraped = {(s["metric"]["event"], s["metric"]["decision"], s["metric"]["reason"]): int(float(s["value"][1]))
               for s in query("relayguard_decisions_total")}
    if scraped == dict(expected) or time.time() > deadline:
        break
    time.sleep(1)
if scraped != dict(expected):
    for key in sorted(set(scraped) | set(expected)):
        if scraped.get(key) != expected.get(key):
            print(f"decisions_total{key}: Prometheus {scraped.get(key)}, decision log {expected.get(key)}", file=sys.stderr)
    sys.exit(1)
messages = sum(1 for r in records if r["event"] == "message" and r.get("decision") == "accept")
got = int(float(query('relayguard_messages_total{decision="accept"}')[0]["value"][1]))
assert got == messages, f"messages_total {got}, decision log {messages}"
sessions = len({r["session"] for r in records if r["event"] == "connect"})
connections = int(float(query("relayguard_connections_total")[0]["value"][1]))
assert connections == sessions, f"connections_total {connections}, sessions in the log {sessions}"
latency = int(float(query("relayguard_backend_reply_seconds_count")[0]["value"][1]))
assert latency > 0, "no backend reply latency observed"
print(f"{sum(expected.values())} decisions in {len(expected)} series agree; {messages} message(s), {connections} connections")
PY

pass "Prometheus reads the same figures as the decision log; ctl lists, lifts and sets blocks, each logged"
