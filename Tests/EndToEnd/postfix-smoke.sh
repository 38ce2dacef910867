#!/usr/bin/env bash
# postfix-smoke.sh: the end-to-end harness tests itself, without relayguard.
#
# A private Postfix instance with the PROXY protocol on its smtpd port must:
#   1. take a PROXY v1 header and a full SMTP transaction, and deliver the message to alice's
#      Maildir byte for byte (modulo the headers delivery adds, CRLF stored as LF, dot-unstuffed);
#   2. log the client named in the PROXY header (203.0.113.9), not 127.0.0.1;
#   3. refuse unknown local users and relaying (the second wall behind relayguard);
#   4. refuse a plain client that sends SMTP without a PROXY header.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_root
require_cmd postfix postconf python3 ss

instance=$(new_temp_dir postfix)
port=$(free_port)
postfix_start "$instance" "$port"
note "Postfix listens on 127.0.0.1:$port (instance $instance)"

# The message as a client writes it; the line starting with "." is dot-stuffed on the wire.
message="$E2E_TMP/message.txt"
cat >"$message" <<'EOF'
From: Sender <sender@example.net>
To: Alice <alice@local.example>
Subject: relayguard harness smoke test
Date: Mon, 30 Nov 2026 10:00:00 +0000
Message-ID: <smoke-1@example.net>

First line.
.A line that starts with a dot.
..Two dots.

Last line, after an empty one.
EOF

transcript=$(smtp_client --port "$port" --proxy-v1 "TCP4 203.0.113.9 127.0.0.1 40000 25" <<EOF
<220 ~ ESMTP
>EHLO client.example
<250 ~ PIPELINING
>MAIL FROM:<sender@example.net>
<250
>RCPT TO:<alice@local.example>
<250
>RCPT TO:<nosuchuser@local.example>
<550 ~ 5\.1\.1
>RCPT TO:<victim@elsewhere.example>
<554 ~ 5\.7\.1 .*Relay access denied
>DATA
<354
>@$message
<250 ~ queued as
>QUIT
<221
<EOF
EOF
) || { echo "$transcript" >&2; fail "SMTP transaction through the PROXY header failed"; }

delivered=$(wait_for_mail "$instance" alice 1 10)
if ! diff -u "$message" <(strip_delivery_headers "$delivered") >&2; then
    fail "delivered message differs from the one sent (diff above)"
fi
head -n 4 "$delivered" | grep -q '^Delivered-To: alice@local.example$' ||
    fail "delivery headers missing from $delivered"

maillog_grep "$instance" 'postfix/smtpd\[[0-9]+\]: connect from unknown\[203\.0\.113\.9\]' >/dev/null
maillog_grep "$instance" 'client=unknown\[203\.0\.113\.9\]' >/dev/null
maillog_grep "$instance" 'to=<alice@local\.example>.*status=sent \(delivered to maildir\)' >/dev/null
maillog_lacks "$instance" 'connect from [^ ]*\[127\.0\.0\.1\]'

# A plain SMTP client (no PROXY header) gets no greeting: Postfix reads its EHLO as a bad
# PROXY header, answers 421 and closes.
transcript=$(smtp_client --port "$port" --timeout 8 <<'EOF'
>EHLO plain.example
<421
<EOF
EOF
) || { echo "$transcript" >&2; fail "a plain client without a PROXY header was not refused"; }
maillog_grep "$instance" 'haproxy read: unrecognized protocol header: EHLO plain\.example' >/dev/null
expect_eq "messages for alice" 1 "$(maildir_count "$instance" alice)"

pass "PROXY v1 header honoured, message delivered intact, plain client refused"
