#!/usr/bin/env bash
# proxy-refused-data.sh: a message body pipelined after a DATA that the backend refuses.
#
# docs/ARCHITECTURE.md, protocol safety: message bytes are forwarded only after the backend answered DATA with 354;
# otherwise the bytes that follow are commands and go through policy like any others. A client
# (or attacker) that pipelines its body blindly after DATA must not get the body's lines to
# the backend unexamined:
#   1. MAIL + DATA (no RCPT) + a "body" of NOOP/"."/RCPT lines, all in one write: Postfix
#      refuses DATA (554 no valid recipients); the body's NOOP is a command again (Postfix
#      reads it), the lone "." is refused as an unknown command, and RCPT TO:<x@remote.example>
#      is refused by relayguard (relay_denied) and never reaches Postfix.
#   2. The same with a header line first in the body: not SMTP, so 421 4.7.0 and close; the
#      RCPTs after it are never read.
#   3. MAIL + a RCPT relayguard refuses + DATA (Postfix: 554 no valid recipients) + a body of
#      RCPT/NOOP/"."/QUIT lines: the same, with the tarpit running while Postfix refuses DATA.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

stack_start

# 1. DATA before any RCPT: Postfix refuses it; the body that follows is commands.
dialogue "body lines after a refused DATA (no RCPT) were not handled as commands" <<'EOF'
<220
>EHLO client.example
<250
>>MAIL FROM:<sender@remote.example>\r\nDATA\r\nNOOP\r\n.\r\nRCPT TO:<x@remote.example>\r\n
<250 ~ ^250 2\.1\.0
<554 ~ ^554 5\.5\.1
<250 ~ ^250 2\.0\.0
<5
<550 ~ ^550 5\.7\.1 .*x@remote\.example
>QUIT
<221
<EOF
EOF

decision_expect "the body's RCPT" event=rcpt rcpt=x@remote.example decision=reject code=550 enhanced=5.7.1 reason=relay_denied >/dev/null
decision_expect "the refused DATA" event=data code=554 reason=backend >/dev/null
postfix_read 'DATA' >/dev/null
postfix_read 'NOOP' >/dev/null
postfix_never_read 'RCPT'
postfix_never_read '\.$'

# 2. A header line first in the body: not SMTP, 421 and close; nothing after it is read.
dialogue "a header line after a refused DATA was not refused as non-SMTP" <<'EOF'
<220
>EHLO client.example
<250
>>MAIL FROM:<sender2@remote.example>\r\nDATA\r\nFrom: <sender2@remote.example>\r\nRCPT TO:<y@remote.example>\r\nRCPT TO:<bob@local.example>\r\n
<250 ~ ^250 2\.1\.0
<554 ~ ^554 5\.5\.1
<421 ~ ^421 4\.7\.0 Not SMTP
<EOF
EOF

decision_expect "the header line" event=command code=421 reason=non_smtp_command >/dev/null
postfix_read 'MAIL FROM:<sender2@remote\.example>' >/dev/null
postfix_never_read 'RCPT'
postfix_never_read 'From:'
expect_eq "decision log lines for y@remote.example" 0 "$(decision_count rcpt=y@remote.example)"

# 3. The usual shape: the only RCPT refused by relayguard (tarpitted), so Postfix refuses DATA
#    (554 no valid recipients), then the blind body: RCPT, NOOP, ".", QUIT.
dialogue "body lines after a DATA refused for want of recipients were not handled as commands" --timeout 5 <<'EOF'
<220
>EHLO client.example
<250
>>MAIL FROM:<sender3@remote.example>\r\nRCPT TO:<nobody@remote.example>\r\nDATA\r\nRCPT TO:<z@remote.example>\r\nNOOP\r\n.\r\nQUIT\r\n
<250 ~ ^250 2\.1\.0
<550 ~ ^550 5\.7\.1 .*nobody@remote\.example
<554 ~ ^554 5\.5\.1
<550 ~ ^550 5\.7\.1 .*z@remote\.example
<250 ~ ^250 2\.0\.0
<5
<221
<EOF
EOF

decision_expect "the body's RCPT" event=rcpt rcpt=z@remote.example decision=reject code=550 enhanced=5.7.1 reason=relay_denied >/dev/null
decision_expect "the refused DATA" event=data code=554 reason=backend >/dev/null
postfix_never_read 'RCPT'
expect_eq "messages delivered" 0 "$(find "$PF/mail" -type f | wc -l)"

pass "a body after a refused DATA is read as commands: its RCPT refused (relay_denied), never forwarded"
