#!/usr/bin/env bash
# proxy-decision-log.sh: the decision log (relayguard(8), DECISION LOG) written by relayguard in front of
# Postfix, checked line by line with python3's json module:
#   - every line is one JSON object, valid UTF-8, with only the documented fields (plus `detail`,
#     free text), each of the right type: ts with exactly three fractional digits and Z,
#     event/decision/reason from the closed lists, code a number, enhanced matching the code's
#     class, tarpit_ms/bytes/duration_ms whole numbers;
#   - a delivered message's session has connect, helo, mail, rcpt, data, message, disconnect
#     in that order, all with one session id; `bytes` on the message event is the size of the
#     data as it crossed the wire; from/rcpt/helo are as sent (UTF-8 and quotes intact);
#   - refusals are logged too (relay_denied with tarpit_ms, the null sender as ""), and every
#     connection has its own session id.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

stack_start

dialogue "the delivered message's session failed" <<'EOF'
<220
>EHLO client.example
<250
>MAIL FROM:<zoë@remote.example> SMTPUTF8
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: decision log\r\n\r\none line\r\n..dot-stuffed\r\n.\r\n
<250 ~ queued as
>QUIT
<221
<EOF
EOF
wait_for_mail "$PF" alice 1 10 >/dev/null
# The data after 354 as sent: 51 octets, the final CRLF.CRLF included.
wire_bytes=$(printf 'Subject: decision log\r\n\r\none line\r\n..dot-stuffed\r\n.\r\n' | wc -c)

dialogue "the refusals' session failed" <<'EOF'
<220
>HELO other.example
<250
>MAIL FROM:<>
<250
>RCPT TO:<"quoted\"local"@remote.example>
<550 ~ ^550 5\.7\.1
>RCPT TO:<nosuchuser@local.example>
<550 ~ ^550 5\.1\.1
>QUIT
<221
EOF

# Let the writer catch up with the last session's disconnect.
decision_expect "second session's disconnect" event=disconnect >/dev/null
for ((i = 0; i < 50; i++)); do
    (($(decision_count event=disconnect) >= 2)) && break
    sleep 0.1
done

python3 - "$RG_LOG" "$wire_bytes" <<'EOF' || fail "the decision log does not hold what relayguard(8), DECISION LOG says (above)"
import datetime, json, re, sys

path, wire_bytes = sys.argv[1], int(sys.argv[2])
EVENTS = {"connect", "helo", "mail", "rcpt", "data", "message", "command", "tls", "auth",
          "disconnect", "dnsbl", "reload", "error", "control", "shutdown"}
DECISIONS = {"accept", "reject", "tempfail", "drop"}
REASONS = set("""accepted relay_denied sender_routing unknown_recipient unqualified_recipient
    dnsbl_listed dnsbl_timeout dnsbl_error harvest_blocked too_many_invalid_recipients
    too_many_errors too_many_recipients too_many_connections bare_newline line_too_long
    bad_syntax bad_sequence command_not_allowed non_smtp_command client_proxy_header timeout
    client_closed backend_unavailable backend trusted_network local_domain relay_domain
    authenticated tls_failed auth_failed reload_failed shutdown pregreet
    client_refusal_limit unblocked blocked_by_operator""".split())
STRINGS = {"session", "client", "from", "rcpt", "helo", "enhanced", "detail", "queue_id"}
COUNTS = {"tarpit_ms", "bytes", "duration_ms", "dnsbl_score", "client_port"}
FIELDS = {"ts", "event", "decision", "code", "reason", "dnsbl_hits"} | STRINGS | COUNTS
problems = []

def problem(number, text):
    problems.append(f"line {number}: {text}")

raw = open(path, "rb").read()
try:
    text = raw.decode("utf-8")
except UnicodeDecodeError as error:
    sys.exit(f"the log is not UTF-8: {error}")
if not text.endswith("\n"):
    problems.append("the last line has no newline")
records = []
now = datetime.datetime.now(datetime.timezone.utc)
for number, line in enumerate(text.splitlines(), 1):
    try:
        record = json.loads(line)
    except ValueError as error:
        problem(number, f"not JSON ({error}): {line!r}")
        continue
    if not isinstance(record, dict):
        problem(number, f"not a JSON object: {line!r}")
        continue
    records.append((number, record))
    for key in record:
        if key not in FIELDS:
            problem(number, f"unknown field {key!r}")
    ts = record.get("ts")
    if not isinstance(ts, str) or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts):
        problem(number, f"bad ts {ts!r}")
    else:
        when = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        if abs((now - when).total_seconds()) > 300:
            problem(number, f"ts {ts} is not now ({now.isoformat()})")
    if record.get("event") not in EVENTS:
        problem(number, f"bad event {record.get('event')!r}")
    if "decision" in record and record["decision"] not in DECISIONS:
        problem(number, f"bad decision {record['decision']!r}")
    if "reason" in record and record["reason"] not in REASONS:
        problem(number, f"reason {record['reason']!r} is not in the closed list of relayguard(8)")
    if record.get("session") and type(record.get("client_port")) is not int:
        problem(number, f"a session's record without client_port: {line!r}")
    for key in STRINGS & record.keys():
        if not isinstance(record[key], str):
            problem(number, f"{key} is not a string: {record[key]!r}")
    for key in COUNTS & record.keys():
        if type(record[key]) is not int or (key != "dnsbl_score" and record[key] < 0):
            problem(number, f"{key} is not a whole number: {record[key]!r}")
    if "code" in record:
        code = record["code"]
        if type(code) is not int or not 200 <= code <= 599:
            problem(number, f"code is not a reply code number: {code!r}")
        elif "enhanced" in record and not re.fullmatch(rf"{str(code)[0]}\.\d{{1,3}}\.\d{{1,3}}", str(record["enhanced"])):
            problem(number, f"enhanced {record['enhanced']!r} does not match code {code}")
    if record.get("event") != "reload" and not isinstance(record.get("session"), str):
        problem(number, "no session id")
    if record.get("event") not in ("reload", "error") and record.get("client") != "127.0.0.1":
        problem(number, f"client is {record.get('client')!r}, not 127.0.0.1")

sessions = {}
for number, record in records:
    sessions.setdefault(record.get("session"), []).append((number, record))
if len(sessions) != 2:
    problems.append(f"expected 2 session ids (one per connection), found {sorted(map(str, sessions))}")

def find(session, **wanted):
    return [r for _, r in sessions.get(session, []) if all(r.get(k) == v for k, v in wanted.items())]

delivered = [s for s in sessions if find(s, event="message", decision="accept")]
if len(delivered) != 1:
    problems.append(f"expected one session with an accepted message, found {len(delivered)}")
else:
    session = delivered[0]
    order = [r["event"] for _, r in sessions[session]]
    wanted = ["connect", "helo", "mail", "rcpt", "data", "message", "disconnect"]
    seen = [e for e in order if e in wanted]
    if [e for i, e in enumerate(seen) if e not in seen[:i]] != wanted:
        problems.append(f"delivered session's events {order}, expected {wanted} in that order")
    checks = [
        (find(session, event="connect", decision="accept", code=220), "connect accept 220"),
        (find(session, event="helo", helo="client.example", code=250), "helo client.example 250"),
        (find(session, event="mail", **{"from": "zoë@remote.example"}, code=250), "mail from zoë@remote.example (UTF-8)"),
        (find(session, event="rcpt", rcpt="alice@local.example", decision="accept", code=250, reason="local_domain"),
         "rcpt alice accept local_domain"),
        (find(session, event="data", code=354), "data 354"),
        (find(session, event="message", decision="accept", code=250, bytes=wire_bytes),
         f"message accept 250 with bytes = {wire_bytes}"),
    ]
    for found, what in checks:
        if not found:
            problems.append(f"delivered session: no {what}")
    messages = find(session, event="message", decision="accept")
    if messages and not re.fullmatch(r"[0-9A-Za-z]{6,}", str(messages[0].get("queue_id", ""))):
        problems.append(f"delivered session: the message record has no queue_id from Postfix's reply: {messages[0]}")
    elif messages:
        print(f"queue_id {messages[0]['queue_id']}", file=open(path + ".queue_id", "w"))
    disconnects = find(session, event="disconnect")
    if len(disconnects) != 1 or "duration_ms" not in disconnects[0]:
        problems.append(f"delivered session: expected one disconnect with duration_ms, got {disconnects}")

refusing = [s for s in sessions if s not in delivered]
if refusing:
    session = refusing[0]
    if not find(session, event="mail", **{"from": ""}):
        problems.append("the null sender is not logged as from \"\"")
    quoted = find(session, event="rcpt", rcpt='"quoted\\"local"@remote.example', code=550, reason="relay_denied")
    if not quoted or not quoted[0].get("tarpit_ms", 0) > 0:
        problems.append(f"the quoted RCPT: expected relay_denied with tarpit_ms > 0, got {quoted}")
    if not find(session, event="rcpt", rcpt="nosuchuser@local.example", code=550, reason="unknown_recipient"):
        problems.append("the backend's 550 5.1.1 is not logged as rcpt, reason unknown_recipient")
    if not find(session, event="helo", helo="other.example"):
        problems.append("HELO other.example not logged")

for text in problems:
    print("decision log:", text, file=sys.stderr)
print(f"{len(records)} decision log lines checked, {len(problems)} problem(s)", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

queue_id=$(awk '{print $2}' "$RG_LOG.queue_id")
maillog_grep "$PF" "$queue_id: " 5
note "the message record's queue_id $queue_id is Postfix's own (found in its maillog)"

pass "every decision log line is valid JSON with the documented fields; a delivered message's session is complete"
