#!/usr/bin/env bash
# admin-report-html.sh: `relayguard report --html` (relayguard(8), COMMANDS) on a decision log written by
# the built relayguard in front of a real private Postfix, with real DNSBL lookups answered by
# dnsmasq (dnsmasq-zone.sh: bl.test lists 127.0.0.2, slow.test never answers):
#
#   1. Traffic: a delivered message, a relay attempt, unknown recipients (tarpitted), a listed
#      client, a recipient with markup in it; lookups in slow.test time out (until relayguard
#      suspends the zone).
#   2. The page: one file, self-contained (no script, nothing fetched), its SVG charts
#      well-formed XML (python3's xml.etree), the hostile recipient escaped, every section there.
#   3. Headless Chromium renders it: the screenshot is not blank (distinct colours, non-white
#      share, the chart colours of accepted and refused decisions present), the DOM it loaded is
#      complete (--dump-dom), and the page wrote nothing to the console. A control page with a
#      script error proves the console check sees errors.
#   4. --since / --until on the same log: a window after the traffic skips every record; -1h
#      keeps them all; a bad time is a usage error.
#   5. On a terminal (script(1)), a progress line for an input over 10 MB; none in a pipe, none
#      for a small input.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"
require_cmd chromium /usr/sbin/dnsmasq script

page_tool="$E2E_DIR/reportpage.py"

# --- 1. a real log --------------------------------------------------------------------------
dns_port=$(free_port)
dns_dir=$(new_temp_dir dns)
on_exit bash "$E2E_DIR/dnsmasq-zone.sh" stop "$dns_dir"
bash "$E2E_DIR/dnsmasq-zone.sh" start "$dns_dir" "$dns_port" >/dev/null || fail "could not start dnsmasq"

PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT"
RG_PORT=$(free_port)
RG_LOG="$E2E_TMP/decisions.jsonl"
RG_CONF="$E2E_TMP/relayguard.conf"
relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=$RG_LOG" \
    "backend_client_identity=proxy-v2" "dnsbl_sites=bl.test, slow.test" "dnsbl_threshold=1" \
    "dnsbl_action=reject" "dnsbl_timeout=500ms" "dns_servers=127.0.0.1:$dns_port" \
    "tarpit_delay=200ms" "tarpit_max_delay=1s"
relayguard_start "$RG_CONF" "$RG_PORT"

dialogue "a delivered message" --timeout 10 <<'S'
<220
>EHLO good.example
<250
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: report test\r\n\r\nhello\r\n.\r\n
<250
>QUIT
<221
S
dialogue "a relay attempt and a harvest" --timeout 20 <<'S'
<220
>EHLO harvester.example
<250
>MAIL FROM:<spammer@remote.example>
<250
>RCPT TO:<victim@elsewhere.example>
<5 ~ 5\.7\.1
>RCPT TO:<nosuch1@local.example>
<550 ~ 5\.1\.1
>RCPT TO:<nosuch2@local.example>
<550 ~ 5\.1\.1
>RCPT TO:<"<script>alert(1)</script>"@local.example>
<5
>QUIT
<221
S
dialogue "a listed client" --bind 127.0.0.2 --timeout 10 <<'S'
<220
>EHLO listed.example
<250
>MAIL FROM:<spammer@remote.example>
<250
>RCPT TO:<alice@local.example>
<554 ~ bl\.test
>QUIT
<221
S
for ((i = 0; i < 50; i++)); do
    (($(decision_count event=disconnect) >= 3)) && break
    sleep 0.1
done
(($(decision_count event=disconnect) >= 3)) || fail "the log lacks the three sessions' disconnects"
grep -q '<script>alert(1)</script>' "$RG_LOG" || fail "the hostile recipient is not in the log: $(cat "$RG_LOG")"
grep -q '"reason":"dnsbl_timeout"' "$RG_LOG" || fail "no dnsbl_timeout in the log"
grep -q '"reason":"dnsbl_listed"' "$RG_LOG" || fail "no dnsbl_listed in the log"
grep -q '"tarpit_ms":[1-9]' "$RG_LOG" || fail "no tarpitted reply in the log"
note "decision log: $(wc -l <"$RG_LOG") records"

# --- 2. the page ----------------------------------------------------------------------------
cd "$E2E_TMP"
status=0
"$RELAYGUARD" report --html "$E2E_TMP/report.html" --json "$RG_LOG" >report.json 2>report.err || status=$?
expect_eq "report --html exit status" 0 "$status"
[[ ! -s report.err ]] || fail "report --html wrote to stderr: $(cat report.err)"
[[ ! -e report.html.tmp ]] || fail "the temporary file was left behind"
python3 - report.json <<'PY' || fail "the JSON beside the page is wrong (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["sessions"] == 3 and doc["messages"] == 1, doc
assert {z["zone"]: z["dnsbl_timeout"] for z in doc["dnsbl_unanswered"]}.get("slow.test", 0) >= 1, doc["dnsbl_unanswered"]
assert {z["zone"]: z["hits"] for z in doc["dnsbl_hits"]} == {"bl.test": 1}, doc["dnsbl_hits"]
assert doc["tarpit_ms"] > 0, doc
PY
shape=$(python3 "$page_tool" page report.html) || fail "the page is not self-contained or its SVG not XML"
note "page: $(wc -c <report.html) bytes, $shape"
grep -Fq '&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;@local.example' report.html ||
    fail "the hostile recipient is not shown escaped"
grep -Fq '>slow.test</text>' report.html || fail "the zone that timed out has no bar"
grep -Fq '>bl.test</text>' report.html || fail "the listing zone has no bar"

# --- 3. headless Chromium ---------------------------------------------------------------------
# render PAGE NAME: the screenshot in NAME.png, Chromium's log (console included) in
# NAME.console, the DOM after loading in NAME.dom.
render() {
    local page="$1" name="$2"
    timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0 \
        --window-size=1200,900 --screenshot="$E2E_TMP/$name.png" "file://$page" >"$name.out" 2>"$name.console" ||
        fail "chromium failed on $page: $(tail -n 5 "$name.console")"
    [[ -s $name.png ]] || fail "chromium wrote no screenshot of $page: $(tail -n 5 "$name.console")"
    timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$page" >"$name.dom" 2>/dev/null ||
        fail "chromium --dump-dom failed on $page"
}
# Chromium logs every console message of a page as `...:CONSOLE:LINE] "text", source: URL`
# (errors, uncaught exceptions and Content-Security-Policy violations alike).
console_lines() { grep -E ':CONSOLE(:|\()' "$1" || true; }

cat >control.html <<'HTML'
<!DOCTYPE html><html><head><title>control</title></head>
<body><p>control</p><script>undefinedFunction();</script></body></html>
HTML
render "$E2E_TMP/control.html" control
[[ -n $(console_lines control.console) ]] ||
    fail "the console check is blind: a page with a script error logged nothing (chromium: $(tail -n 3 control.console))"

render "$E2E_TMP/report.html" report
errors=$(console_lines report.console)
[[ -z $errors ]] || fail "the page wrote to the console: $errors"
dom=$(python3 "$page_tool" dom report.dom report.html) || fail "the DOM Chromium loaded is incomplete"
# Colours of the charts: accepted (green) and the first reason colours (blue, red, orange).
stats=$(python3 "$page_tool" png report.png '#59a14f' '#4e79a7' '#e15759' '#f28e2b')
note "screenshot: $stats; DOM: $dom"
python3 - "$stats" <<'PY' || fail "the screenshot looks blank or chartless (above)"
import json, sys
s = json.loads(sys.argv[1])
assert (s["width"], s["height"]) == (1200, 900), s
assert s["distinct_colours"] >= 50, f"only {s['distinct_colours']} colours"
assert s["non_white_share"] >= 0.02, f"only {s['non_white_share']:.1%} of the pixels are not white"
assert s["colours"]["#59a14f"] >= 1000, "no accepted (green) bars visible"
assert sum(v for k, v in s["colours"].items() if k != "#59a14f") >= 1000, "no other reason's bars visible"
PY

# --- 4. --since / --until ---------------------------------------------------------------------
later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
"$RELAYGUARD" report --json --since "$later" --html "$E2E_TMP/later.html" "$RG_LOG" >later.json
python3 - later.json <<'PY' || fail "--since after the traffic should skip every record (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["records"] == 0 and doc["outside_window"] > 0 and doc["sessions"] == 0, doc
PY
grep -Fq 'No decisions in the log.' later.html || fail "the page of an empty window does not say so"
if grep -Fq 'script' later.html; then fail "the page of an empty window shows a skipped record"; fi
total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' report.json)
"$RELAYGUARD" report --json --since -1h --until "$later" "$RG_LOG" >recent.json
python3 - recent.json "$total" <<'PY' || fail "--since -1h should keep every record (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["records"] == int(sys.argv[2]) and doc["outside_window"] == 0, doc
PY
status=0
"$RELAYGUARD" report --since yesterday "$RG_LOG" >/dev/null 2>bad.err || status=$?
expect_eq "a bad --since: exit status" 2 "$status"
expect_contains "a bad --since: message" "$(cat bad.err)" "relayguard: report: --since needs a time"

# --- 5. the progress line ---------------------------------------------------------------------
python3 - "$RG_LOG" big.jsonl <<'PY'
import sys
lines = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as out:
    while out.tell() < 12 * 1024 * 1024:
        out.write(lines)
PY
script -qec "'$RELAYGUARD' report big.jsonl >/dev/null" /dev/null >tty.out || fail "report on a terminal failed: $(cat tty.out)"
grep -Eq 'relayguard: report: big\.jsonl: 1[0-9] MB read in [0-9.]+ s' tty.out ||
    fail "no progress line on a terminal: $(cat -v tty.out | head -c 500)"
"$RELAYGUARD" report big.jsonl >/dev/null 2>pipe.err
[[ ! -s pipe.err ]] || fail "a progress line when stderr is not a terminal: $(cat pipe.err)"
script -qec "'$RELAYGUARD' report '$RG_LOG' >/dev/null" /dev/null >small-tty.out || fail "report on a terminal failed"
if grep -q 'MB' small-tty.out; then fail "a progress line for a small input: $(cat small-tty.out)"; fi

pass "a real log drawn as one self-contained page; Chromium renders it ($stats) without console messages"
