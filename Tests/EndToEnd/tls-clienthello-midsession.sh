#!/usr/bin/env bash
# tls-clienthello-midsession.sh: docs/ARCHITECTURE.md, protocol safety, "A TLS ClientHello where a command is expected
# is a non-SMTP line (421 4.7.0, close)" -- not only as the session's first bytes (that case is
# in tls-errors.sh), but anywhere a command is expected:
#   1. right after EHLO (a client that starts TLS without asking): a 517-byte TLS 1.3 ClientHello;
#   2. after a STARTTLS that was refused (503 inside a mail transaction) by a client that starts
#      the handshake anyway: a 186-byte TLS 1.2-only ClientHello.
# Each must get `421 4.7.0 Not SMTP; closing`, the connection closed, and a `command` drop with
# reason non_smtp_command in the decision log; Postfix must read nothing of it.
set -euo pipefail
source "$(dirname "$0")/lib-tls.sh"

tls_stack_start

tls_dialogue "a TLS 1.3 ClientHello right after EHLO" --timeout 5 <<'EOF'
<220
>EHLO client.example
<250 ~ STARTTLS
!CLIENTHELLO
<421 ~ ^421 4\.7\.0 Not SMTP; closing$
<EOF
EOF
decision_expect "the ClientHello after EHLO refused as non-SMTP" event=command decision=drop code=421 \
    reason=non_smtp_command client=127.0.0.1 >/dev/null

tls_dialogue "a TLS 1.2 ClientHello after a refused STARTTLS" --timeout 5 <<'EOF'
<220
>EHLO client.example
<250 ~ STARTTLS
>MAIL FROM:<sender@remote.example>
<250
>STARTTLS
<503 ~ ^503 5\.5\.1
!CLIENTHELLO TLSv1.2
<421 ~ ^421 4\.7\.0 Not SMTP; closing$
<EOF
EOF
expect_eq "ClientHellos refused as non-SMTP (log)" 2 \
    "$(decision_count event=command decision=drop code=421 reason=non_smtp_command client=127.0.0.1)"
# The only commands Postfix read: the two EHLOs and the MAIL.
expect_eq "commands Postfix read" 3 "$(grep -cE "$(_postfix_command_regex '.')" "$PF/maillog")"

pass "a ClientHello where a command is expected gets 421 Not SMTP and the session closes"
