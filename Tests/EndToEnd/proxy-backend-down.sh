#!/usr/bin/env bash
# proxy-backend-down.sh: relayguard fails closed when its backend cannot serve (docs/ARCHITECTURE.md, protocol safety).
#
#   1. Nothing listens on the backend port: the client is greeted 421 4.3.0 and the connection
#      closes; the decision log has a connect event, tempfail, reason backend_unavailable.
#   2. The backend accepts but greets 554 (an MTA refusing service): 421 4.3.0, never its 554.
#   3. The backend accepts and closes without a word: 421 4.3.0.
# relayguard keeps running and answers every new client the same way.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

backend_port=$(free_port)
RG_PORT=$(free_port)
[[ $RG_PORT != "$backend_port" ]] || RG_PORT=$(free_port)
RG_CONF="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$backend_port" "log=$RG_LOG"
relayguard_start "$RG_CONF" "$RG_PORT"
_port_listening "$backend_port" && fail "something listens on the backend port $backend_port"

for attempt in 1 2; do
    dialogue "backend down (attempt $attempt): no 421 4.3.0 greeting" <<'EOF'
<421 ~ ^421 4\.3\.0
<EOF
EOF
done
decision_expect "backend down" event=connect decision=tempfail code=421 enhanced=4.3.0 reason=backend_unavailable >/dev/null
expect_eq "connect events with backend_unavailable" 2 "$(decision_count event=connect reason=backend_unavailable)"
kill -0 "$RELAYGUARD_PID" 2>/dev/null || fail "relayguard exited after the backend failures"

# A one-connection fake backend on the backend port: greets with $1 (or closes when empty).
fake_backend() {
    cat >"$E2E_TMP/fake-backend.py" <<'EOF'
import socket, sys, time
port, greeting = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(1)
c, _ = s.accept()
c.settimeout(2)
try:
    c.recv(1024)  # the PROXY header
except OSError:
    pass
if greeting:
    c.sendall(greeting.encode() + b"\r\n")
    time.sleep(1)
c.close()
EOF
    start_bg "fake-backend-$2" python3 "$E2E_TMP/fake-backend.py" "$backend_port" "$1"
    wait_for_port "$backend_port" 5
}

fake_backend "554 5.3.2 backend.test no service for you" refusing
dialogue "backend greets 554: the client did not get 421 4.3.0" <<'EOF'
<421 ~ ^421 4\.3\.0
<EOF
EOF
grep -q '5\.3\.2' "$E2E_TMP/dialogue.out" && fail "the backend's own 554 reached the client"
expect_eq "connect events with backend_unavailable" 3 "$(decision_count event=connect reason=backend_unavailable)"

fake_backend "" silent
dialogue "backend closes without greeting: the client did not get 421 4.3.0" <<'EOF'
<421 ~ ^421 4\.3\.0
<EOF
EOF
expect_eq "connect events with backend_unavailable" 4 "$(decision_count event=connect reason=backend_unavailable)"
expect_eq "connect events accepted" 0 "$(decision_count event=connect decision=accept)"

pass "backend down, refusing or silent: 421 4.3.0 at greeting, logged backend_unavailable"
