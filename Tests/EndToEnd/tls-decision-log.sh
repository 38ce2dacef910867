#!/usr/bin/env bash
# tls-decision-log.sh: the decision log tells the truth about TLS and AUTH (relayguard(8), DECISION LOG:
# `code`/`enhanced` are "the reply the client got"; every decision is a line):
#   1. a TLS 1.3 handshake that completed, by a client that closes right after its Finished
#      (Finished and close_notify read together; deterministic with tlsclient.py's
#      !TLSPIPE-CLOSE), is logged as event tls, decision accept, "TLSv1.3 CIPHER" -- not as
#      tls_failed -- and the session ends as client_closed;
#   2. the same with the real tool that does it: `openssl s_client -starttls smtp </dev/null`;
#   3. a QUIT encrypted in the same write as the Finished, then close_notify: the handshake is
#      logged as accepted and the QUIT is answered and logged (221), not dropped;
#   4. the failed AUTH that reaches error_limit is answered 421 4.7.0; its log line says 421
#      4.7.0, too_many_errors (as protocolError does for other commands, and as relayguard.conf(5), tarpit and harvest keys
#      says for the RCPT that reaches invalid_recipient_limit), not the backend's 535.
set -euo pipefail
source "$(dirname "$0")/lib-tls.sh"

tls_stack_start --rg error_limit=2

failures=()
check() { # WHAT KEY=VALUE...: a decision log line must match; records a failure otherwise
    local what="$1"
    shift
    local i
    # The session's disconnect is already logged when this runs: a short grace is enough.
    for ((i = 0; i < 5; i++)); do
        _decision_query first "$@" >/dev/null && return 0
        sleep 0.1
    done
    failures+=("$what (no line with $*)")
}
session_of_last() { # the session id of the last `connect` line
    python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][-1]["session"])' "$RG_LOG"
}
last_session_lines() {
    grep "\"session\":\"$1\"" "$RG_LOG" | sed 's/^/    /' >&2
}

# --- 1. Finished + close_notify in one write ---------------------------------------------------
tls_dialogue "handshake, then close at once" <<'EOF'
<220
>EHLO client.example
<250 ~ STARTTLS
>STARTTLS
<220
!TLSPIPE-CLOSE
!CLOSED
EOF
decision_expect "the first session's disconnect" event=disconnect >/dev/null
s1=$(session_of_last)
check "1: handshake completed, client closed at once: tls accept" session="$s1" event=tls decision=accept 'detail~^TLSv1\.3 '
check "1: ... and the session ended as client_closed" session="$s1" event=disconnect reason=client_closed
note "session 1 (Finished + close_notify):"; last_session_lines "$s1"

# --- 2. openssl s_client -starttls smtp </dev/null ----------------------------------------------
out="$E2E_TMP/s_client.out"
timeout 20 openssl s_client -starttls smtp -connect "127.0.0.1:$RG_PORT" </dev/null >"$out" 2>&1 ||
    { cat "$out" >&2; fail "openssl s_client -starttls smtp failed"; }
grep -q '^New, TLSv1\.3, Cipher is ' "$out" || { cat "$out" >&2; fail "s_client did not complete a TLS 1.3 handshake"; }
for ((i = 0; i < 30; i++)); do
    (($(decision_count event=disconnect) >= 2)) && break
    sleep 0.1
done
s2=$(session_of_last)
check "2: s_client </dev/null completed the handshake: tls accept" session="$s2" event=tls decision=accept 'detail~^TLSv1\.3 '
note "session 2 (s_client </dev/null):"; last_session_lines "$s2"

# --- 3. Finished + QUIT + close_notify in one write -------------------------------------------------
tls_dialogue "handshake, QUIT and close in one write" <<'EOF'
<220
>EHLO client.example
<250 ~ STARTTLS
>STARTTLS
<220
!TLSPIPE-CLOSE QUIT\r\n
!CLOSED
EOF
for ((i = 0; i < 30; i++)); do
    (($(decision_count event=disconnect) >= 3)) && break
    sleep 0.1
done
s3=$(session_of_last)
check "3: handshake with QUIT and close_notify behind it: tls accept" session="$s3" event=tls decision=accept 'detail~^TLSv1\.3 '
check "3: ... and the QUIT was answered 221" session="$s3" event=command code=221 detail=QUIT
note "session 3 (Finished + QUIT + close_notify):"; last_session_lines "$s3"

# --- 4. the AUTH that reaches error_limit ---------------------------------------------------------
plain_bad=$(printf '\0%s\0%s' "$SASL_USER" "wrong-password" | base64 -w0)
tls_dialogue "two failed AUTHs with error_limit = 2" <<EOF
<220
>EHLO client.example
<250
>STARTTLS
<220
!TLS
>EHLO client.example
<250
>AUTH PLAIN $plain_bad
<535 ~ ^535 5\.7\.8
>AUTH PLAIN $plain_bad
<421 ~ ^421 4\.7\.0
<EOF
EOF
decision_expect "the fourth session's disconnect" event=disconnect reason=too_many_errors >/dev/null
s4=$(session_of_last)
check "4: the AUTH that reached error_limit is logged with the 421 4.7.0 the client got" \
    session="$s4" event=auth decision=drop code=421 enhanced=4.7.0 reason=too_many_errors
n535=$(decision_count session="$s4" event=auth code=535)
((n535 == 1)) || failures+=("4: $n535 auth lines say 535, but the client got 535 once (then 421)")
note "session 4 (error_limit = 2):"; last_session_lines "$s4"

if ((${#failures[@]})); then
    printf '  - %s\n' "${failures[@]}" >&2
    fail "${#failures[@]} decision log check(s) failed (above)"
fi
pass "completed handshakes logged as accepted however fast the client leaves; the AUTH at error_limit logged with its 421"
