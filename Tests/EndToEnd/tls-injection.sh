#!/usr/bin/env bash
# tls-injection.sh: plaintext pipelined after STARTTLS is discarded (docs/ARCHITECTURE.md, protocol safety; the
# CVE-2011-0411 class of STARTTLS command injection), and the session starts over inside TLS.
# A raw client sends "STARTTLS\r\nMAIL FROM:<evil@remote.example>\r\n" in ONE write, then does
# the TLS handshake on the same socket:
#   1. the injected MAIL gets no reply, neither in plaintext (the handshake would fail) nor
#      inside TLS (the first reply read there is the one to the next command);
#   2. MAIL before a new EHLO gets 503 5.5.1: all SMTP state was forgotten at STARTTLS;
#   3. after EHLO the session works (MAIL, RCPT to a local user accepted);
#   4. Postfix never read the injected commands (its own log of every command it read), but did
#      read the legitimate MAIL that followed: the check can see a MAIL when there is one;
#   5. the decision log says how many plaintext bytes were discarded.
# A second variant injects EHLO, MAIL and RCPT: inside TLS a RCPT after EHLO finds no
# transaction (503), so nothing of the injected transaction survived.
# The contrast: a command sent INSIDE TLS in the same write as the client's Finished (TLS 1.3)
# is not discarded: it is answered, and reaches Postfix.
set -euo pipefail
source "$(dirname "$0")/lib-tls.sh"

tls_stack_start

injected='MAIL FROM:<evil@remote.example>\r\n'
tls_dialogue "STARTTLS with a MAIL pipelined in the same write" <<EOF
<220
>EHLO client.example
<250 ~ STARTTLS
>>STARTTLS\r\n$injected
<220 ~ ^220 2\.0\.0 Ready to start TLS$
!TLS
# The first reply inside TLS answers this MAIL, not the injected one: no EHLO yet.
>MAIL FROM:<after-tls@remote.example>
<503 ~ ^503 5\.5\.1
>EHLO client.example
<250 ~ AUTH
>MAIL FROM:<good@remote.example>
<250
>RCPT TO:<bob@local.example>
<250
>QUIT
<221
EOF

injected2='EHLO evil.example\r\nMAIL FROM:<evil2@remote.example>\r\nRCPT TO:<bob@local.example>\r\n'
tls_dialogue "STARTTLS with EHLO, MAIL and RCPT pipelined in the same write" <<EOF
<220
>EHLO client.example
<250 ~ STARTTLS
>>STARTTLS\r\n$injected2
<220 ~ ^220 2\.0\.0 Ready to start TLS$
!TLS
>EHLO client.example
<250
# The injected MAIL is gone: there is no transaction to add a recipient to.
>RCPT TO:<bob@local.example>
<503 ~ ^503 5\.5\.1
>QUIT
<221
EOF

tls_dialogue "EHLO encrypted in the same write as the client's Finished" <<'EOF'
<220
>EHLO client.example
<250 ~ STARTTLS
>STARTTLS
<220
!TLSPIPE EHLO inside.example\r\n
<250 ~ AUTH PLAIN LOGIN
>MAIL FROM:<inside-tls@remote.example>
<250
>QUIT
<221
EOF

# --- what Postfix read --------------------------------------------------------------------------
postfix_read 'MAIL FROM:<good@remote\.example>' >/dev/null
postfix_read 'RCPT TO:<bob@local\.example>' >/dev/null
postfix_read 'EHLO inside\.example' >/dev/null
postfix_read 'MAIL FROM:<inside-tls@remote\.example>' >/dev/null
postfix_never_read 'MAIL FROM:<evil@remote\.example>'
postfix_never_read 'MAIL FROM:<evil2@remote\.example>'
postfix_never_read 'EHLO evil\.example'
postfix_never_read 'MAIL FROM:<after-tls@remote\.example>'
postfix_never_read 'STARTTLS'
# Exactly two MAILs reached Postfix: the legitimate ones of the first and third sessions. (The second
# session's RCPT inside TLS is forwarded, and Postfix too finds no transaction for it.)
expect_eq "MAILs Postfix read" 2 "$(grep -cE "$(_postfix_command_regex 'MAIL FROM:')" "$PF/maillog")"

# --- the decision log ------------------------------------------------------------------------
length1=$(printf "$injected" | wc -c)
length2=$(printf "$injected2" | wc -c)
decision_expect "the discarded injection (${length1} bytes)" event=command decision=drop client=127.0.0.1 \
    "detail=${length1} bytes of plaintext pipelined after STARTTLS discarded" >/dev/null
decision_expect "the discarded injection (${length2} bytes)" event=command decision=drop client=127.0.0.1 \
    "detail=${length2} bytes of plaintext pipelined after STARTTLS discarded" >/dev/null
decision_expect "MAIL before EHLO inside TLS" event=command decision=reject code=503 enhanced=5.5.1 detail=MAIL >/dev/null
expect_eq "tls events" 3 "$(decision_count event=tls decision=accept)"
expect_eq "mail events for the injected senders" 0 "$(decision_count 'from~^evil')"

pass "injected plaintext after STARTTLS discarded (never reached Postfix); state reset: MAIL before EHLO gets 503"
