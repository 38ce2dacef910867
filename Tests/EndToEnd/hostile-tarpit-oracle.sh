#!/usr/bin/env bash
# The tarpit is no oracle: a harvester that sends one RCPT per connection and hangs up when no
# reply comes within 300 ms (so a tarpitted refusal tells it "unknown" without waiting for it)
# learns nothing it can keep using. With the defaults (client_refusal_limit = 30 within 1h) its
# refusals are counted the moment they are decided, across connections: after 30 probes the
# client is refused at connect (421 4.7.0, harvest_blocked), whatever it does. Three real users
# hidden among 60 candidates, as in the finding this guards against; the figure printed is the
# number of probes the harvester got before its block.
set -euo pipefail
source "$(dirname "$0")/lib-tarpit.sh"

tarpit_postfix_start
port=$(free_port)
while [[ $port == "$PF_PORT" ]]; do port=$(free_port); done
conf="$E2E_TMP/relayguard.conf"
log="$E2E_TMP/decisions.jsonl"
cat >"$conf" <<EOF
listen = 127.0.0.1:$port
backend = 127.0.0.1:$PF_PORT
hostname = relayguard.test
local_domains = local.example, other.example
trusted_networks = 192.0.2.0/24
recipient_check = backend
tarpit_delay = 2s
harvest_block_time = 10m
max_connections = 1000
control_socket =
log = $log
EOF
relayguard_start "$conf" "$port"

python3 - "$port" "$log" <<'EOF' || fail "the oracle harvester was not blocked at client_refusal_limit (above)"
import json, socket, sys, time

port, log = int(sys.argv[1]), sys.argv[2]
LIMIT = 30
REAL = {"alice", "bob", "postmaster"}   # the test Postfix's mailboxes (lib-tarpit.sh)
candidates = [f"guess{i:02d}" for i in range(57)]
for index, user in zip((7, 23, 41), sorted(REAL)):
    candidates.insert(index, user)

def reply(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    try:
        while not data.endswith(b"\r\n") or data.split(b"\r\n")[-2][3:4] == b"-":
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return None
    return data.decode(errors="replace")

probes, blocked_after, verdicts = 0, None, {}
for user in candidates:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.5", 0))
    greeting = reply(sock, 5)
    if greeting is None or greeting.startswith("421"):
        blocked_after = probes
        sock.close()
        break
    sock.sendall(b"EHLO oracle.example\r\n"); reply(sock, 5)
    sock.sendall(b"MAIL FROM:<h@remote.example>\r\n"); reply(sock, 5)
    sock.sendall(f"RCPT TO:<{user}@local.example>\r\n".encode())
    answer = reply(sock, 0.3)          # the oracle's rule: no answer in 300 ms means "unknown"
    probes += 1
    verdicts[user] = "exists" if answer and answer.startswith("250") else "unknown"
    sock.close()                       # hang up without waiting for the tarpitted reply

problems = []
if blocked_after is None:
    problems.append(f"never blocked after {probes} probes")
else:
    refused = sum(1 for user, _ in zip(candidates, range(blocked_after)) if user not in REAL)
    if refused != LIMIT:
        problems.append(f"blocked after {blocked_after} probes ({refused} refused), expected at client_refusal_limit = {LIMIT} refusals")
# Refused at connect from now on, however it comes back.
sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.5", 0))
again = reply(sock, 5)
sock.close()
if not (again or "").startswith("421 4.7.0"):
    problems.append(f"a later connection got {again!r}, expected 421 4.7.0")
deadline = time.time() + 10
records = []
while time.time() < deadline:
    records = [json.loads(line) for line in open(log)]
    if any(r.get("reason") == "harvest_blocked" and r.get("client") == "127.0.0.5" for r in records):
        break
    time.sleep(0.2)
if not any(r.get("reason") == "client_refusal_limit" and r.get("client") == "127.0.0.5" for r in records):
    problems.append("no record with reason client_refusal_limit for 127.0.0.5")
if not any(r.get("reason") == "harvest_blocked" and r.get("client") == "127.0.0.5" for r in records):
    problems.append("no harvest_blocked record for 127.0.0.5")
found = sorted(u for u, v in verdicts.items() if v == "exists")
print(f"measured: the oracle harvester got {blocked_after} probes before its block "
      f"({len(candidates)} candidates, {len(REAL)} real; it believed {found} exist)")
for text in problems:
    print("problem:", text, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
pass "a harvester that hangs up on the tarpit is blocked at client_refusal_limit, counted when each refusal was decided"
