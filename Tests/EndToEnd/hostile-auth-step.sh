#!/usr/bin/env bash
# hostile-auth-step.sh: relayguard and the backend leave a SASL exchange together (the man pages
# 6). A SASL response relayguard refuses (a bare LF, a NUL) used to be answered 501 by relayguard
# and not forwarded, so Postfix still waited for the user name: the client's next `RSET` became
# the user name and its `NOOP` the password. Now relayguard cancels the exchange at Postfix with
# `*` (RFC 4954). Inside TLS (127.0.0.1 untrusted, Postfix with Cyrus SASL):
#   1. AUTH LOGIN -> 334; a SASL line with a bare LF -> 501 from relayguard; then RSET -> 250 and
#      NOOP -> 250: commands, answered by Postfix as commands (its log shows 250 after each, no
#      334 challenge); a real AUTH LOGIN afterwards succeeds (235), so both sides are in step.
#   2. AUTH PLAIN -> 334; a SASL line with a NUL -> 501; NOOP -> 250; a relay attempt is still
#      refused (the client is not authenticated).
#   3. Postfix's log shows each exchange aborted (`*` read, "authentication aborted") and no
#      failed login at all (no user "RSET"); the decision log has a 501 bad_syntax AUTH record
#      for each refused line.
set -euo pipefail
source "$(dirname "$0")/lib-tls.sh"
require_cmd base64

tls_stack_start

b64() { printf '%s' "$1" | base64 -w0; }
user_b64=$(b64 "$SASL_USER")
password_b64=$(b64 "$SASL_PASSWORD")

# --- 1. AUTH LOGIN, a bare LF in the user name line ---------------------------------------------
tls_dialogue "a SASL line with a bare LF left Postfix inside AUTH LOGIN" <<EOF
<220
>EHLO client.example
<250
>STARTTLS
<220
!TLS
>EHLO client.example
<250 ~ AUTH PLAIN LOGIN
>AUTH LOGIN
<334 ~ ^334 VXNlcm5hbWU6$
>>${user_b64:0:8}\n${user_b64:8}\r\n
<501 ~ ^501 5\.5\.2
>RSET
<250 ~ ^250 2\.0\.0
>NOOP
<250 ~ ^250 2\.0\.0
>AUTH LOGIN
<334 ~ ^334 VXNlcm5hbWU6$
>$user_b64
<334 ~ ^334 UGFzc3dvcmQ6$
>$password_b64
<235 ~ ^235 2\.7\.0
>QUIT
<221
EOF
maillog_grep "$PF" 'smtpd\[[0-9]+\]: > [^ ]+: 235 2\.7\.0 Authentication successful' >/dev/null

# --- 2. AUTH PLAIN, a NUL in the response --------------------------------------------------------
tls_dialogue "a SASL line with a NUL left Postfix inside AUTH PLAIN" <<EOF
<220
>EHLO client.example
<250
>STARTTLS
<220
!TLS
>EHLO client.example
<250
>AUTH PLAIN
<334
>>AGFsaWNl\x00QGxvY2FsLmV4YW1wbGUA\r\n
<501 ~ ^501 5\.5\.2
>NOOP
<250 ~ ^250 2\.0\.0
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<victim@remote.example>
<550 ~ ^550 5\.7\.1
>QUIT
<221
EOF

# --- 3. Postfix's view ---------------------------------------------------------------------------
maillog_grep "$PF" 'SASL LOGIN authentication aborted' >/dev/null
maillog_grep "$PF" 'SASL PLAIN authentication aborted' >/dev/null
maillog_lacks "$PF" 'authentication failed'
postfix_never_read 'RCPT TO:<victim@remote\.example>'
# What Postfix answered to each RSET and NOOP it read: a 250, never a SASL challenge.
python3 - "$PF/maillog" <<'EOF' || fail "Postfix did not answer RSET/NOOP as commands (above)"
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
read = re.compile(r"postfix/smtpd\[(\d+)\]: < [^ ]+: (.*)$")
wrote = re.compile(r"postfix/smtpd\[(\d+)\]: > [^ ]+: (.*)$")
awaiting, answers, aborts = {}, [], 0
for line in lines:
    m = read.search(line)
    if m:
        awaiting[m.group(1)] = m.group(2)
        aborts += m.group(2) == "*"
        continue
    m = wrote.search(line)
    if m and awaiting.get(m.group(1)) in ("RSET", "NOOP"):
        answers.append((awaiting.pop(m.group(1)), m.group(2)))
    elif m:
        awaiting.pop(m.group(1), None)
print(f"Postfix read '*' {aborts} time(s); its answers to RSET/NOOP: {answers}")
# RSET: relayguard's own after STARTTLS (two sessions) and the client's; NOOP: one per session.
if sum(1 for verb, _ in answers if verb == "NOOP") != 2 or sum(1 for verb, _ in answers if verb == "RSET") < 3:
    sys.exit("expected Postfix to answer 2 NOOPs and at least 3 RSETs")
bad = [(verb, reply) for verb, reply in answers if not reply.startswith("250")]
if bad:
    sys.exit(f"answered otherwise than 250: {bad}")
if aborts != 2:
    sys.exit(f"expected Postfix to read the cancel '*' twice, read it {aborts} time(s)")
EOF
expect_eq "refused SASL lines logged" 2 \
    "$(decision_count event=command code=501 enhanced=5.5.2 detail=AUTH reason=bad_syntax)"
decision_expect "the AUTH LOGIN after the refused line" event=auth decision=accept code=235 reason=authenticated >/dev/null
decision_expect "relay refused to the client whose AUTH was cancelled" event=rcpt decision=reject code=550 \
    reason=relay_denied rcpt=victim@remote.example >/dev/null

pass "a refused SASL line (bare LF, NUL) cancels the exchange at Postfix with *: RSET and NOOP stay commands, AUTH works after"
