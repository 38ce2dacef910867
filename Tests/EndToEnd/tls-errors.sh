#!/usr/bin/env bash
# tls-errors.sh: what relayguard does with TLS where it does not belong (docs/ARCHITECTURE.md, protocol safety and relayguard(8), DECISION LOG):
#   1. a TLS ClientHello as the first bytes on the plaintext port (`openssl s_client -connect`
#      without -starttls, and a raw client) gets `421 4.7.0 Not SMTP; closing` and the
#      connection closes; logged as non_smtp_command with the client's address; Postfix reads
#      no command of it (a ClientHello later in the session: tls-clienthello-midsession.sh);
#   2. garbage instead of a ClientHello after `220 Ready to start TLS` is a failed handshake:
#      the connection closes, logged as event tls, reason tls_failed, with the client's address;
#   3. STARTTLS inside TLS and STARTTLS inside a mail transaction get 503 5.5.1.
set -euo pipefail
source "$(dirname "$0")/lib-tls.sh"

tls_stack_start

# --- 1. ClientHello as the first bytes ------------------------------------------------------------
out="$E2E_TMP/s_client-plain.out"
if timeout 20 openssl s_client -connect "127.0.0.1:$RG_PORT" -servername relayguard.test </dev/null >"$out" 2>&1; then
    cat "$out" >&2
    fail "openssl s_client -connect (no STARTTLS) did a TLS handshake on the plaintext port"
fi
note "s_client without -starttls: $(grep -m1 -iE 'error|wrong|packet' "$out" || echo '(no error line)')"
decision_expect "s_client's ClientHello refused" event=command decision=drop code=421 enhanced=4.7.0 \
    reason=non_smtp_command client=127.0.0.1 >/dev/null

# After the greeting (so the order of the replies is fixed), the client's first bytes.
tls_dialogue "a raw ClientHello as the first bytes" <<'EOF'
<220
!CLIENTHELLO
<421 ~ ^421 4\.7\.0 Not SMTP; closing$
<EOF
EOF
expect_eq "ClientHellos refused as non-SMTP (log)" 2 \
    "$(decision_count event=command decision=drop code=421 reason=non_smtp_command client=127.0.0.1)"
expect_eq "sessions ended as non-SMTP (log)" 2 "$(decision_count event=disconnect reason=non_smtp_command)"
# Postfix read no command from either session (it may log the connection, nothing more).
postfix_never_read '.'
expect_eq "tls events so far" 0 "$(decision_count event=tls)"

# --- 2. garbage instead of a handshake -----------------------------------------------------------
tls_dialogue "garbage after 220 Ready to start TLS" <<'EOF'
<220
>EHLO client.example
<250 ~ STARTTLS
>STARTTLS
<220 ~ ^220 2\.0\.0 Ready to start TLS$
>>this is not a TLS record, just text\r\n
!CLOSED
EOF
failed_line=$(decision_expect "the failed handshake" event=tls decision=drop reason=tls_failed client=127.0.0.1)
note "logged: $failed_line"
session=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["session"])' "$failed_line")
decision_expect "the session of the failed handshake ended" event=disconnect session="$session" reason=tls_failed >/dev/null

# --- 3. STARTTLS where it does not belong ---------------------------------------------------------
tls_dialogue "STARTTLS inside TLS and inside a transaction" <<'EOF'
<220
>EHLO client.example
<250
>MAIL FROM:<sender@remote.example>
<250
>STARTTLS
<503 ~ ^503 5\.5\.1
>RSET
<250
>STARTTLS
<220
!TLS
>EHLO client.example
<250
>STARTTLS
<503 ~ ^503 5\.5\.1
>QUIT
<221
EOF
expect_eq "STARTTLS refused (log)" 2 "$(decision_count event=command code=503 detail=STARTTLS reason=bad_sequence)"
postfix_never_read 'STARTTLS'

pass "ClientHello on the plaintext port refused with 421 Not SMTP; garbage handshake logged as tls_failed; misplaced STARTTLS refused"
