#!/usr/bin/env bash
# admin-report.sh: `relayguard report` (relayguard(8), COMMANDS) on decision logs (relayguard(8), DECISION LOG).
#
#   1. The fixture log and its rotated, gzip-compressed predecessor: every printed figure
#      (decisions by reason, top refused clients, probed recipients, DNSBL zones, tarpit time,
#      sessions and messages per hour) and the unreadable lines with their locations.
#   2. --json carries the same figures.
#   3. stdin (plain and gzip), concatenated gzip members, an over-long line.
#   4. A truncated .gz and a missing file: exit 1 with one line each on stderr, the rest still
#      reported; an unknown option: exit 2.
#   5. Bounded memory: ten times more log (all distinct clients and recipients) costs only a
#      little more memory.
# e2e: not under sanitizers (it measures the report's peak RSS)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_relayguard
require_cmd gzip python3

fixtures="$E2E_DIR/fixtures"
work=$(new_temp_dir report)
cp "$fixtures/decisions.jsonl" "$work/decisions.jsonl"
# The rotated file as logrotate leaves it (compress): gzip of the previous log.
gzip -c "$fixtures/decisions.jsonl.1" >"$work/decisions.jsonl.1.gz"
cd "$work"

# --- 1. the text report ------------------------------------------------------------------------
status=0
"$RELAYGUARD" report decisions.jsonl decisions.jsonl.1.gz >report.txt 2>report.err || status=$?
cat report.txt
expect_eq "report exit status" 0 "$status"
[[ ! -s report.err ]] || fail "report wrote to stderr: $(cat report.err)"
expect_line() { # LINE: report.txt must have exactly this line
    grep -Fxq -- "$1" report.txt || fail "report lacks the line [$1]"
}
expect_line "relayguard report of decisions.jsonl, decisions.jsonl.1.gz: 22 lines, 19 decision records, 3 unreadable (first at decisions.jsonl:4, decisions.jsonl:13, decisions.jsonl.1.gz:10)"
expect_line "  reason                       accept  reject  tempfail  drop  other  total"
expect_line "  accepted                          7       0         0     0      0      7"
expect_line "  unknown_recipient                 0       2         0     0      0      2"
expect_line "  relay_denied                      0       1         0     0      0      1"
expect_line "  sender_routing                    0       1         0     0      0      1"
expect_line "  dnsbl_listed                      0       1         0     0      0      1"
expect_line "  harvest_blocked                   0       0         1     0      0      1"
expect_line "  too_many_invalid_recipients       0       0         0     1      0      1"
expect_line "  bare_newline                      0       1         0     0      0      1"
expect_line "  local_domain                      1       0         0     0      0      1"
expect_line "      6  203.0.113.5"
expect_line "      1  198.51.100.7"
expect_line "      2  bob@local.example"
expect_line "      1  victim@elsewhere.example"
expect_line "      1  user%elsewhere.example@local.example"
expect_line "     1  zen.spamhaus.org"
expect_line "     1  list.dnswl.org"
expect_line "  35.000 s in total over 5 delayed replies"
expect_line "  2026-11-30T09:00         3         1"
expect_line "  2026-11-30T10:00         2         1"
expect_line "  2026-11-30T11:00         1         0"
expect_line "  total                    6         2"

# --- 2. --json ---------------------------------------------------------------------------------
"$RELAYGUARD" report --json decisions.jsonl decisions.jsonl.1.gz >report.json
python3 - report.json <<'PY' || fail "report --json figures wrong (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["sources"] == ["decisions.jsonl", "decisions.jsonl.1.gz"], doc["sources"]
assert (doc["lines"], doc["records"], doc["unreadable"]) == (22, 19, 3), doc
assert doc["unreadable_examples"] == ["decisions.jsonl:4", "decisions.jsonl:13", "decisions.jsonl.1.gz:10"], doc["unreadable_examples"]
reasons = {d["reason"]: d for d in doc["decisions"]}
assert reasons["accepted"]["accept"] == 7 and reasons["unknown_recipient"]["reject"] == 2, reasons
assert reasons["too_many_invalid_recipients"]["drop"] == 1 and reasons["harvest_blocked"]["tempfail"] == 1, reasons
assert doc["top_refused_clients"][0] == {"client": "203.0.113.5", "count": 6, "overcount": 0}, doc["top_refused_clients"]
assert doc["top_probed_recipients"][0] == {"rcpt": "bob@local.example", "count": 2, "overcount": 0}
assert {z["zone"]: z["hits"] for z in doc["dnsbl_hits"]} == {"zen.spamhaus.org": 1, "list.dnswl.org": 1}
assert (doc["tarpit_ms"], doc["tarpitted_replies"]) == (35000, 5)
assert doc["per_hour"] == [{"hour": "2026-11-30T09", "sessions": 3, "messages": 1},
                           {"hour": "2026-11-30T10", "sessions": 2, "messages": 1},
                           {"hour": "2026-11-30T11", "sessions": 1, "messages": 0}], doc["per_hour"]
assert (doc["sessions"], doc["messages"]) == (6, 2)
print("json ok")
PY

# --- 3. stdin, gzip on stdin, concatenated members, an over-long line ------------------------------
first=$("$RELAYGUARD" report <decisions.jsonl | head -n 1)
expect_eq "plain log on stdin" "relayguard report of stdin: 12 lines, 10 decision records, 2 unreadable (first at stdin:4, stdin:13)" "$first"
first=$("$RELAYGUARD" report - <decisions.jsonl.1.gz | head -n 1)
expect_eq "gzip log on stdin" "relayguard report of stdin: 10 lines, 9 decision records, 1 unreadable (first at stdin:10)" "$first"
cat decisions.jsonl.1.gz decisions.jsonl.1.gz >twice.gz
first=$("$RELAYGUARD" report twice.gz | head -n 1)
expect_eq "two gzip members" "relayguard report of twice.gz: 20 lines, 18 decision records, 2 unreadable (first at twice.gz:10, twice.gz:20)" "$first"
python3 - <<'PY'
with open("long.jsonl", "w") as f:
    f.write('{"ts":"2026-11-30T12:00:00.000Z","event":"connect","client":"192.0.2.1","decision":"accept","reason":"accepted"}\n')
    f.write('{"ts":"2026-11-30T12:00:01.000Z","event":"error","detail":"' + "x" * (3 << 20) + '"}\n')
    f.write('{"ts":"2026-11-30T12:00:02.000Z","event":"connect","client":"192.0.2.2","decision":"accept","reason":"accepted"}\n')
PY
first=$("$RELAYGUARD" report long.jsonl | head -n 1)
expect_eq "a 3 MB line is skipped as unreadable" "relayguard report of long.jsonl: 3 lines, 2 decision records, 1 unreadable (first at long.jsonl:2)" "$first"

# --- 4. errors ---------------------------------------------------------------------------------
size=$(stat -c %s decisions.jsonl.1.gz)
head -c $((size - 12)) decisions.jsonl.1.gz >truncated.gz
status=0
"$RELAYGUARD" report decisions.jsonl truncated.gz missing.jsonl >errors.txt 2>errors.err || status=$?
expect_eq "exit status with unreadable files" 1 "$status"
expect_eq "stderr for a truncated .gz and a missing file" \
    "relayguard: report: truncated.gz: gzip data ends in the middle of a member"$'\n'"relayguard: report: missing.jsonl: cannot open: No such file or directory" \
    "$(cat errors.err)"
grep -q '^relayguard report of decisions.jsonl, truncated.gz, missing.jsonl: ' errors.txt || fail "no report printed after file errors"
status=0
"$RELAYGUARD" report --bogus >/dev/null 2>errors.err || status=$?
expect_eq "unknown option: exit status" 2 "$status"
expect_contains "unknown option: message" "$(cat errors.err)" "relayguard: report: unknown option '--bogus'"

# --- 5. bounded memory -------------------------------------------------------------------------
python3 - "$RELAYGUARD" <<'PY' || fail "memory is not bounded (above)"
import resource, subprocess, sys

def log_lines(count):
    for i in range(count):
        yield ('{"ts":"2026-11-%02dT%02d:00:00.000Z","session":"s%d","event":"rcpt","client":"10.%d.%d.%d",'
               '"decision":"reject","code":550,"enhanced":"5.1.1","reason":"unknown_recipient",'
               '"rcpt":"user%d@local.example","tarpit_ms":5000}\n'
               % (1 + i // 100000, (i // 5000) % 24, i, (i >> 16) & 255, (i >> 8) & 255, i & 255, i))

def peak_kb(count):
    """Runs the report on COUNT generated lines (all distinct clients and recipients) piped
    through stdin; returns the child's peak resident memory in KB and its output."""
    child = subprocess.Popen([sys.argv[1], "report", "--json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    size = 0
    for line in log_lines(count):
        data = line.encode()
        size += len(data)
        child.stdin.write(data)
    child.stdin.close()
    out = child.stdout.read()
    child.wait()
    assert child.returncode == 0, child.returncode
    usage = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return usage, size, out

small, small_size, _ = peak_kb(10000)
big, big_size, out = peak_kb(120000)
import json
doc = json.loads(out)
assert doc["records"] == 120000 and doc["refused_clients_exact"] is False, (doc["records"], doc["refused_clients_exact"])
print("peak RSS: %d KB for %d MB of log, %d KB for %d MB" % (small, small_size >> 20, big, big_size >> 20))
# ru_maxrss of children is the largest child so far: the big run's peak.
assert big - small < 16 * 1024, "memory grew by %d KB for 10x the log" % (big - small)
assert big * 1024 < big_size, "peak memory %d KB is not below the log size %d" % (big, big_size)
PY

pass "figures of a plain and a rotated .gz log, JSON, stdin, errors and bounded memory"
