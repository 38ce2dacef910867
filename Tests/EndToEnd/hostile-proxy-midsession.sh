#!/usr/bin/env bash
# hostile-proxy-midsession.sh: a PROXY protocol signature where a command is expected, later in
# the session than the first bytes (docs/ARCHITECTURE.md, protocol safety). The v2 signature begins with CR LF CR LF NUL
# CR LF "QUIT" LF: read as lines it is two empty lines, a line with a NUL and a "QUIT" with a bare
# LF, which used to earn four `500` replies and leave the session open. It must be one
# `421 4.7.0 Not SMTP; closing` and a close, wherever it comes:
#   1. after EHLO, in its own write;
#   2. in the same write as EHLO (the EHLO is answered first), or split across two writes (no
#      reply to its first bytes, then the 421);
#   3. inside a transaction (after MAIL and RCPT);
#   4. a PROXY v1 line after MAIL.
# Each time: exactly one reply after the last command's, the 421, then the connection closes; no
# 5xx; Postfix read nothing after the last real command (no QUIT from the signature, no PROXY);
# the decision log has one `command` record 421 client_proxy_header per case and no 500.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

stack_start

# The 16-byte v2 header (signature, version 2 PROXY, TCP over IPv4, 12 address bytes) and the
# addresses 192.0.2.9:40000 -> 127.0.0.1:25.
V2='\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x09\x7f\x00\x00\x01\x9c\x40\x00\x19'

dialogue "a PROXY v2 header after EHLO" <<EOF
<220
>EHLO after-ehlo.example
<250
>>$V2
<421 ~ ^421 4\.7\.0 Not SMTP; closing$
<EOF
EOF
dialogue "a PROXY v2 header in the same write as EHLO" <<EOF
<220
>>EHLO same-write.example\r\n$V2
<250
<421 ~ ^421 4\.7\.0 Not SMTP; closing$
<EOF
EOF
# The signature split across writes: its first bytes are two empty lines and a NUL, which must
# not be answered as such while the rest may still come. (V2 without its first 12 characters of
# escapes, \r\n\r\n\x00, is the rest of the header.)
dialogue "a PROXY v2 header split across two writes" <<EOF
<220
>EHLO split.example
<250
>>\r\n\r\n\x00
<NOTHING 0.3
>>${V2:12}
<421 ~ ^421 4\.7\.0 Not SMTP; closing$
<EOF
EOF
dialogue "a PROXY v2 header inside a transaction" <<EOF
<220
>EHLO in-transaction.example
<250
>MAIL FROM:<v2@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>>$V2
<421 ~ ^421 4\.7\.0 Not SMTP; closing$
<EOF
EOF
dialogue "a PROXY v1 line after MAIL" <<'EOF'
<220
>EHLO v1-after-mail.example
<250
>MAIL FROM:<v1@remote.example>
<250
>PROXY TCP4 192.0.2.10 127.0.0.1 40000 25
<421 ~ ^421 4\.7\.0 Not SMTP; closing$
<EOF
EOF

# Every session's disconnect is logged before the checks.
for ((i = 0; i < 50; i++)); do
    (($(decision_count event=disconnect) >= 5)) && break
    sleep 0.1
done
expect_eq "disconnect records" 5 "$(decision_count event=disconnect)"
expect_eq "421 client_proxy_header records" 5 \
    "$(decision_count event=command decision=drop code=421 enhanced=4.7.0 reason=client_proxy_header)"
expect_eq "500 replies logged" 0 "$(decision_count code=500)"
expect_eq "records with a 5xx reply other than the expected none" 0 "$(decision_count 'code~^5')"

# Postfix read the real commands, and nothing of the signatures: no QUIT (the signature's), no
# empty or PROXY line, and never saw the addresses inside the headers.
postfix_read 'EHLO after-ehlo\.example' >/dev/null
postfix_read 'EHLO same-write\.example' >/dev/null
postfix_read 'RCPT TO:<alice@local\.example>' >/dev/null
postfix_never_read 'QUIT'
postfix_never_read 'PROXY'
postfix_never_read '$'
maillog_lacks "$PF" '192\.0\.2\.(9|10)\b'
expect_eq "messages for alice" 0 "$(maildir_count "$PF" alice)"

pass "a PROXY v1/v2 signature after EHLO, in its write, or inside a transaction: one 421 4.7.0 Not SMTP and close, no 500"
