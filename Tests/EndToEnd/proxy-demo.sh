#!/usr/bin/env bash
# proxy-demo.sh: `relayguard demo`, as the README tells a newcomer to try it.
#
# The demo listens on the fixed address 127.0.0.1:2525 (with a built-in sink as backend, no
# Postfix). The test fails clearly when that port is taken. Then, with swaks as in the demo's
# banner:
#   - to alice@example.com: the message is accepted (250 after the data);
#   - to someone@remote.example: 550 5.7.1 (relay denied), no DATA;
#   - to nobody@example.com: 550 5.1.1 (not in the demo's recipient map).
# The demo's stdout carries the banner and then the decision log as JSON lines.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_relayguard
require_cmd swaks python3 ss

if _port_listening 2525; then
    fail "127.0.0.1:2525 is already in use (by: $(ss -Hltnp 'sport = :2525' | head -n 1)); relayguard demo needs it"
fi
start_bg demo "$RELAYGUARD" demo
demo_pid=$BG_PID
for ((i = 0; i < 100; i++)); do
    _port_listening 2525 && break
    kill -0 "$demo_pid" 2>/dev/null || { cat "$E2E_TMP/demo.log" >&2; fail "relayguard demo exited (output above)"; }
    sleep 0.1
done
_port_listening 2525 || { cat "$E2E_TMP/demo.log" >&2; fail "relayguard demo does not listen on 127.0.0.1:2525 after 10s"; }
grep -q 'relayguard demo: listening on 127.0.0.1:2525' "$E2E_TMP/demo.log" || fail "the demo printed no banner"

# swaks SERVER-ARGS...: output in $E2E_TMP/swaks.out; swaks's exit status is not judged here.
run_swaks() {
    swaks --server 127.0.0.1:2525 --from visitor@remote.example "$@" >"$E2E_TMP/swaks.out" 2>&1 || true
}

run_swaks --to alice@example.com
grep -qE '^<- +250 .*' <(sed -n '/-> \.$/,$p' "$E2E_TMP/swaks.out") ||
    { cat "$E2E_TMP/swaks.out" >&2; fail "demo: the message to alice@example.com was not accepted with 250"; }
grep -q '^ -> RCPT TO:<alice@example.com>' "$E2E_TMP/swaks.out" || fail "swaks did not send RCPT TO alice"

run_swaks --to someone@remote.example
grep -qE '^<\*\* +550 5\.7\.1' "$E2E_TMP/swaks.out" ||
    { cat "$E2E_TMP/swaks.out" >&2; fail "demo: someone@remote.example did not get 550 5.7.1"; }
grep -q '^ -> DATA' "$E2E_TMP/swaks.out" && fail "demo: swaks went on to DATA after the relay refusal"

run_swaks --to nobody@example.com
grep -qE '^<\*\* +550 5\.1\.1' "$E2E_TMP/swaks.out" ||
    { cat "$E2E_TMP/swaks.out" >&2; fail "demo: nobody@example.com did not get 550 5.1.1"; }

# The decision log on stdout: wait for the three sessions' rcpt events.
for ((i = 0; i < 50; i++)); do
    (($(grep -c '"event":"rcpt"' "$E2E_TMP/demo.log") >= 3)) && break
    sleep 0.1
done
python3 - "$E2E_TMP/demo.log" <<'EOF' || { cat "$E2E_TMP/demo.log" >&2; fail "the demo's decision log lacks the expected lines (log above)"; }
import json, sys
records = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.startswith("{")]
def has(**wanted):
    return any(all(r.get(k) == v for k, v in wanted.items()) for r in records)
missing = [w for w in (
    dict(event="rcpt", rcpt="alice@example.com", decision="accept"),
    dict(event="message", decision="accept", code=250),
    dict(event="rcpt", rcpt="someone@remote.example", code=550, reason="relay_denied"),
    dict(event="rcpt", rcpt="nobody@example.com", code=550, reason="unknown_recipient"),
) if not has(**w)]
for w in missing:
    print("missing decision:", w, file=sys.stderr)
sys.exit(1 if missing else 0)
EOF

pass "relayguard demo on 127.0.0.1:2525: alice accepted, remote 550 5.7.1, unknown 550 5.1.1, all logged"
