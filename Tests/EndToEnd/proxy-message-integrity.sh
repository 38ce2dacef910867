#!/usr/bin/env bash
# proxy-message-integrity.sh: a message passes through relayguard byte for byte.
#
# The message sent (smtpclient.py: LF to CRLF, dot-stuffing, CRLF.CRLF) must arrive in alice's
# Maildir identical to the file, except for the headers Postfix's delivery adds (Return-Path,
# X-Original-To, Delivered-To, Received) and CRLF stored as LF. The message has dot-stuffed
# lines (".", "..", ".leading dot", a line of dots), 8-bit UTF-8 in headers and body, long
# lines (998 octets, the RFC 5322 limit), trailing white space, tabs, blank lines, lines that
# look like SMTP commands, and a large body (about 370 KB) so it spans many reads on both links,
# with dotted lines at random places. Sent with BODY=8BITMIME and SMTPUTF8 on MAIL, and once
# more with swaks (another client) for a second recipient.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"
require_cmd swaks

stack_start

message="$E2E_TMP/message.txt"
python3 - "$message" <<'EOF'
import random, sys
rng = random.Random(20231218)
lines = [
    "From: Zoë Ünïcode <zoe@remote.example>",
    "To: Alice <alice@local.example>",
    "Subject: integrity — ünïcödé, 日本語, emoji 📨",
    "Date: Mon, 30 Nov 2026 10:00:00 +0000",
    "Message-ID: <integrity-1@remote.example>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "X-Folded: first part",
    "\tsecond part, folded with a tab",
    "",
    "First line of the body.",
    ".leading dot",
    "..two leading dots",
    ".",
    "..",
    "...",
    " . a space then a dot",
    "trailing white space   ",
    "\ttab at the start and\tin the middle",
    "",
    "",
    "MAIL FROM:<evil@remote.example>",
    "RCPT TO:<bob@local.example>",
    "DATA",
    "QUIT",
    "8-bit text: grüße, ça va, Ελληνικά, Русский, עברית, 中文, 한국어",
    "x" * 998,
    "." + "y" * 997,
    "ü" * 499,
]
for n in range(6000):
    kind = rng.randrange(10)
    if kind == 0:
        lines.append("." + "dotted line %d " % n + "z" * rng.randrange(80))
    elif kind == 1:
        lines.append("")
    elif kind == 2:
        lines.append("ünïcode line %d: " % n + "äöü€" * rng.randrange(20))
    else:
        lines.append("line %d " % n + "abcdefghij" * rng.randrange(12))
lines.append(".")
lines.append("The last line (the one above is a lone dot).")
with open(sys.argv[1], "w", encoding="utf-8", newline="\n") as out:
    out.write("\n".join(lines) + "\n")
EOF
size=$(wc -c <"$message")
note "message: $size bytes, $(wc -l <"$message") lines"

dialogue "the message was not accepted through relayguard" --timeout 30 <<EOF
<220
>EHLO client.example
<250 ~ 8BITMIME
>MAIL FROM:<zoe@remote.example> BODY=8BITMIME SMTPUTF8
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>@$message
<250 ~ queued as
>QUIT
<221
EOF

delivered=$(wait_for_mail "$PF" alice 1 15)
if ! cmp -s "$message" <(strip_delivery_headers "$delivered"); then
    diff -u "$message" <(strip_delivery_headers "$delivered") | head -n 40 >&2 || true
    fail "the delivered message differs from the one sent (first differences above; file $delivered)"
fi
head -n 4 "$delivered" | grep -q '^Delivered-To: alice@local.example$' || fail "delivery headers missing from $delivered"

# The decision log counts the message as it crossed the wire: dot-stuffed, CRLF, with CRLF.CRLF.
wire_bytes=$(python3 -c '
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
print(sum(len(l) + (1 if l.startswith(b".") else 0) + 2 for l in lines) + 3)' "$message")
decision_expect "the delivered message" event=message decision=accept code=250 bytes="$wire_bytes" >/dev/null

# The same file with swaks, to bob: another client's idea of dot-stuffing and line ends.
swaks_out="$E2E_TMP/swaks.out"
if ! swaks --server "127.0.0.1:$RG_PORT" --from zoe@remote.example --to bob@local.example \
    --data "@$message" --timeout 30 >"$swaks_out" 2>&1; then
    tail -n 20 "$swaks_out" >&2
    fail "swaks could not send the message through relayguard (output above)"
fi
# swaks ends the data with one more CRLF of its own before "." (seen against a plain sink).
expected="$E2E_TMP/expected-swaks.txt"
{ cat "$message"; echo; } >"$expected"
delivered=$(wait_for_mail "$PF" bob 1 15)
if ! cmp -s "$expected" <(strip_delivery_headers "$delivered"); then
    diff -u "$expected" <(strip_delivery_headers "$delivered") | head -n 40 >&2 || true
    fail "the message sent by swaks differs after delivery (first differences above)"
fi

pass "a $size-byte message with dot-stuffed, 8-bit and 998-octet lines arrived byte for byte (twice)"
