#!/usr/bin/env bash
# admin-audit.sh: `relayguard audit` (relayguard(8), audit) against real servers.
#
#   1. An OPEN relay (a private Postfix that trusts 127.0.0.0/8, no PROXY header, discarding
#      everything it would relay): the audit must report failures (accepted relay RCPTs) and
#      exit 1, in the table and in --json; no message is sent (the audit never sends DATA).
#   2. relayguard in front of a private Postfix, the auditor a stranger (127.0.0.1 not
#      trusted), fast tarpit: every case must pass, exit 0; the decision log shows the refusals.
#      On a terminal, stderr gets a progress line per case.
#   3. The same with invalid_recipient_limit = 3: the harvest defence closes the session and
#      blocks the client; every case cut off by it (the 421 at RCPT, the 421 at connect) is
#      untested, not passed: exit 1, `2 passed, 0 failed, 23 untested`, and a hint on stderr.
#      `--source 127.0.0.2` audits from another address, which the block does not cover.
#   4. Usage and connection errors: exit 2 and exit 1, one line on stderr; --json still prints
#      its document, every case untested.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_root
require_relayguard
require_cmd postfix postconf python3 ss

# --- 1. an open relay ------------------------------------------------------------------------
open_dir=$(new_temp_dir open-relay)
open_port=$(free_port)
postfix_start "$open_dir" "$open_port" --no-proxy --mynetworks 127.0.0.0/8 --hostname mx.local.example \
    --set default_transport=discard
note "open relay: Postfix on 127.0.0.1:$open_port trusting 127.0.0.0/8"

status=0
"$RELAYGUARD" audit "127.0.0.1:$open_port" --timeout 20s >"$E2E_TMP/open.txt" 2>"$E2E_TMP/open.err" || status=$?
cat "$E2E_TMP/open.txt"
expect_eq "audit of an open relay: exit status" 1 "$status"
# stderr, not a terminal here: only the line that says the audit has begun (no hint: nothing untested).
expect_eq "audit of an open relay: stderr" "relayguard: audit: auditing 127.0.0.1:$open_port (a line per case when stderr is a terminal)" "$(cat "$E2E_TMP/open.err")"
head -n 1 "$E2E_TMP/open.txt" | grep -Fq "relayguard audit of 127.0.0.1:$open_port (server name mx.local.example, local domain local.example, external domain external.invalid)" ||
    fail "heading line wrong: $(head -n 1 "$E2E_TMP/open.txt")"
grep -Eq '^test 1: external sender to external recipient +<user@external\.invalid> +<someone@external\.invalid> +250 .*FAIL$' "$E2E_TMP/open.txt" ||
    fail "article test 1 not reported as FAIL against the open relay"
grep -Eq '^test 3: null sender .* 250 .*FAIL$' "$E2E_TMP/open.txt" || fail "article test 3 not reported as FAIL"
last=$(tail -n 1 "$E2E_TMP/open.txt")
[[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]] || fail "final line is not 'N passed, M failed': $last"
((BASH_REMATCH[2] >= 10)) || fail "expected at least 10 accepted relay attempts, got: $last"
expect_eq "cases in all" 25 $((BASH_REMATCH[1] + BASH_REMATCH[2]))
fails=$(grep -c 'FAIL$' "$E2E_TMP/open.txt")
expect_eq "FAIL rows match the final line" "${BASH_REMATCH[2]}" "$fails"

status=0
"$RELAYGUARD" audit "127.0.0.1:$open_port" --json --timeout 20s >"$E2E_TMP/open.json" || status=$?
expect_eq "audit --json of an open relay: exit status" 1 "$status"
python3 - "$E2E_TMP/open.json" "$open_port" <<'PY' || fail "the --json document is wrong (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["target"] == "127.0.0.1:" + sys.argv[2], doc["target"]
cases = doc["cases"]
assert len(cases) == 25, len(cases)
for case in cases:
    assert set(case) == {"name", "mail", "rcpt", "code", "reply", "verdict"}, case
    assert case["verdict"] in ("pass", "fail", "untested"), case
    if case["verdict"] == "fail":
        assert isinstance(case["code"], int) and 200 <= case["code"] < 300, case
assert doc["failed"] == sum(c["verdict"] == "fail" for c in cases) >= 10, doc["failed"]
assert doc["passed"] == sum(c["verdict"] == "pass" for c in cases), doc["passed"]
first = cases[0]
assert first["name"] == "test 1: external sender to external recipient" and first["verdict"] == "fail", first
assert first["mail"] == "<user@external.invalid>" and first["rcpt"] == "<someone@external.invalid>", first
print("json ok: %d passed, %d failed" % (doc["passed"], doc["failed"]))
PY
# Never DATA: the open relay accepted recipients but received no message.
maillog_grep "$open_dir" 'NOQUEUE|connect from' >/dev/null
maillog_lacks "$open_dir" 'status=sent|message-id='
maillog_lacks "$open_dir" 'postfix/smtpd.*: DATA'

# --- 2. relayguard in front of Postfix ---------------------------------------------------------
backend_dir=$(new_temp_dir backend)
backend_port=$(free_port)
postfix_start "$backend_dir" "$backend_port" --hostname mx.local.example
guard_port=$(free_port)
write_conf() { # FILE LIMIT
    cat >"$1" <<CONF
listen = 127.0.0.1:$guard_port
backend = 127.0.0.1:$backend_port
backend_client_identity = proxy-v2
hostname = mx.local.example
local_domains = local.example
# The auditor connects from 127.0.0.1: it must be a stranger.
trusted_networks = 192.0.2.0/24
recipient_check = backend
tarpit_delay = 100ms
tarpit_max_delay = 300ms
invalid_recipient_limit = $2
# The audits below run one after another from 127.0.0.1; across them, refusals must not add
# up to client_refusal_limit unless a case says so.
client_refusal_limit = $2
harvest_block_time = 10m
error_limit = 1000
log = $E2E_TMP/decisions-$2.jsonl
CONF
}
write_conf "$E2E_TMP/guard.conf" 1000
"$RELAYGUARD" check-config --config "$E2E_TMP/guard.conf" >/dev/null || fail "test configuration refused"
relayguard_start "$E2E_TMP/guard.conf" "$guard_port"
note "relayguard on 127.0.0.1:$guard_port in front of Postfix on $backend_port"

status=0
started=$SECONDS
"$RELAYGUARD" audit "127.0.0.1:$guard_port" >"$E2E_TMP/guard.txt" 2>&1 || status=$?
cat "$E2E_TMP/guard.txt"
expect_eq "audit of relayguard: exit status" 0 "$status"
expect_eq "final line" "25 passed, 0 failed" "$(tail -n 1 "$E2E_TMP/guard.txt")"
grep -q 'FAIL\|untested' "$E2E_TMP/guard.txt" && fail "a case did not pass"
grep -Eq '^test 1: external sender to external recipient .* 550 5\.7\.1 Unable to relay for <someone@external\.invalid> +pass$' "$E2E_TMP/guard.txt" ||
    fail "test 1 not refused with relayguard's 550 5.7.1"
grep -Eq '^test 6: percent hack at the local domain .* 550 5\.7\.1 .* +pass$' "$E2E_TMP/guard.txt" || fail "test 6 at the local domain not refused with 550 5.7.1"
grep -Eq '^test 7: quoted address at the local domain .* 550 5\.7\.1 .* +pass$' "$E2E_TMP/guard.txt" || fail "test 7 at the local domain not refused with 550 5.7.1"
grep -Eq '^double @ .* 501 5\.1\.3 .* +pass$' "$E2E_TMP/guard.txt" || fail "double @ not refused as bad syntax"
note "audit through relayguard took $((SECONDS - started))s"

# On a terminal (script(1) gives it one), a progress line per case on stderr.
status=0
script -qec "$RELAYGUARD audit 127.0.0.1:$guard_port --local-domain local.example" /dev/null >"$E2E_TMP/tty.txt" || status=$?
expect_eq "audit on a terminal: exit status" 0 "$status"
progress=$(grep -cE '^relayguard: audit: \[[0-9]+/25\] .*: pass \(' "$E2E_TMP/tty.txt" || true)
expect_eq "progress lines on a terminal" 25 "$progress"

log="$E2E_TMP/decisions-1000.jsonl"
for reason in relay_denied sender_routing unqualified_recipient bad_syntax; do
    grep -q "\"event\":\"rcpt\",.*\"decision\":\"reject\",.*\"reason\":\"$reason\"" "$log" ||
        fail "decision log has no refused rcpt with reason $reason"
done
grep -q '"reason":"accepted"' "$log" || fail "decision log has no accepted connect"
grep -q '"decision":"accept".*"event":"rcpt"\|"event":"rcpt".*"decision":"accept"' "$log" &&
    fail "decision log shows an accepted RCPT during the audit"
maillog_lacks "$backend_dir" 'status=sent'

# --- 3. the harvest defence: limit 3, then blocked at connect ------------------------------------
_e2e_stop_pid "$RELAYGUARD_PID"
for ((i = 0; i < 50; i++)); do ss -Hltn "sport = :$guard_port" | grep -q . || break; sleep 0.1; done
write_conf "$E2E_TMP/harvest.conf" 3
relayguard_start "$E2E_TMP/harvest.conf" "$guard_port"
status=0
"$RELAYGUARD" audit "127.0.0.1:$guard_port" --json >"$E2E_TMP/harvest.json" || status=$?
expect_eq "audit against a harvest block: exit status" 1 "$status"
python3 - "$E2E_TMP/harvest.json" <<'PY' || fail "the harvest-block audit document is wrong (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
cases = doc["cases"]
assert (doc["passed"], doc["failed"], doc["untested"]) == (2, 0, 23), (doc["passed"], doc["failed"], doc["untested"])
assert [(c["code"], c["verdict"]) for c in cases[:2]] == [(550, "pass"), (550, "pass")], cases[:2]
assert cases[2]["code"] == 421 and "Too many invalid recipients" in cases[2]["reply"], cases[2]
assert cases[2]["verdict"] == "untested", cases[2]
for case in cases[3:]:
    assert case["code"] == 421 and case["reply"].startswith("at connect: 421 4.7.0"), case
    assert case["verdict"] == "untested", case
print("harvest ok")
PY
status=0
"$RELAYGUARD" audit "127.0.0.1:$guard_port" >"$E2E_TMP/blocked.txt" 2>"$E2E_TMP/blocked.err" || status=$?
expect_eq "audit while blocked: exit status" 1 "$status"
grep -q 'nothing could be tested' "$E2E_TMP/blocked.err" || fail "audit while blocked: $(cat "$E2E_TMP/blocked.err")"
note "from another address (--source 127.0.0.2), the block does not apply"
status=0
"$RELAYGUARD" audit "127.0.0.1:$guard_port" --source 127.0.0.2 >"$E2E_TMP/source.txt" 2>"$E2E_TMP/source.err" || status=$?
cat "$E2E_TMP/source.txt"
expect_eq "audit from 127.0.0.2: exit status" 1 "$status"
expect_eq "audit from 127.0.0.2: final line" "2 passed, 0 failed, 23 untested" "$(tail -n 1 "$E2E_TMP/source.txt")"
grep -q '^relayguard: audit: 23 of 25 cases untested: from case .* on, the server cut the audit off (421 4.7.0 .*Too many invalid recipients' \
    "$E2E_TMP/source.err" || fail "no hint on stderr: $(cat "$E2E_TMP/source.err")"
grep -q '"client":"127.0.0.2"' "$E2E_TMP/decisions-3.jsonl" || fail "relayguard did not see the audit come from 127.0.0.2"
grep -q '"reason":"too_many_invalid_recipients"' "$E2E_TMP/decisions-3.jsonl" || fail "no too_many_invalid_recipients in the log"
grep -q '"reason":"harvest_blocked"' "$E2E_TMP/decisions-3.jsonl" || fail "no harvest_blocked connect in the log"

# --- 4. errors ---------------------------------------------------------------------------------
status=0
err=$("$RELAYGUARD" audit 2>&1 >/dev/null) || status=$?
expect_eq "audit without HOST: exit status" 2 "$status"
expect_contains "usage error" "$err" "relayguard: audit: which server? give HOST[:PORT]"
status=0
err=$("$RELAYGUARD" audit 127.0.0.1:x 2>&1 >/dev/null) || status=$?
expect_eq "audit with a bad port: exit status" 2 "$status"
closed_port=$(free_port)
status=0
out=$("$RELAYGUARD" audit "127.0.0.1:$closed_port" 2>"$E2E_TMP/closed.err") || status=$?
expect_eq "audit of a closed port: exit status" 1 "$status"
expect_eq "audit of a closed port: stdout" "" "$out"
expect_eq "audit of a closed port: stderr" "relayguard: audit: auditing 127.0.0.1:$closed_port (a line per case when stderr is a terminal)
relayguard: audit: cannot connect to 127.0.0.1:$closed_port: Connection refused" "$(cat "$E2E_TMP/closed.err")"
status=0
"$RELAYGUARD" audit "127.0.0.1:$closed_port" --json >"$E2E_TMP/closed.json" 2>/dev/null || status=$?
expect_eq "audit --json of a closed port: exit status" 1 "$status"
python3 - "$E2E_TMP/closed.json" <<'PY' || fail "audit --json of a closed port: no document (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert (doc["passed"], doc["failed"], doc["untested"]) == (0, 0, 25), doc
assert all(c["verdict"] == "untested" and "Connection refused" in c["reply"] for c in doc["cases"]), doc["cases"][0]
PY

pass "open relay found (exit 1), relayguard passes every case (exit 0), cases cut off by a harvest block are untested (exit 1, hint), --source, --json always"
