#!/usr/bin/env bash
# tls-auth.sh: AUTH through relayguard to Postfix's Cyrus SASL, only inside TLS (relayguard.conf(5), RELAY DECISION
# rule 8, section 6), with 127.0.0.1 NOT in trusted_networks:
#   1. before STARTTLS the EHLO reply offers STARTTLS and no AUTH, AUTH PLAIN and AUTH LOGIN get
#      503 5.5.1 and never reach Postfix, and relaying is refused (550 5.7.1, tarpitted);
#   2. `swaks --tls --auth PLAIN` relays to someone@remote.example: Postfix authenticated the
#      user (its log) and accepted the remote recipient (default_transport = discard, so
#      nothing leaves); the decision log has `auth` (authenticated, 235) and the RCPT accepted
#      with reason authenticated and no tarpit;
#   3. `swaks --tls --auth LOGIN` (two 334 challenges, one SASL line each) relays as well;
#   4. inside TLS the EHLO reply offers AUTH PLAIN LOGIN and no STARTTLS; a failed AUTH PLAIN
#      (535 5.7.8 from Postfix) leaves the client a stranger: relay refused with 550 5.7.1,
#      tarpitted, and logged as `auth` auth_failed;
#   5. a line pipelined behind AUTH, or behind a SASL response, gets 421 and the session closes;
#      what was pipelined never reaches Postfix;
#   6. a failed AUTH counts as an error: with error_limit = 2 (a second relayguard), the
#      second failed AUTH is answered 421 4.7.0 and the session closes.
set -euo pipefail
source "$(dirname "$0")/lib-tls.sh"
require_cmd swaks base64

tls_stack_start

b64() { printf '%s' "$1" | base64 -w0; }
plain_good=$(printf '\0%s\0%s' "$SASL_USER" "$SASL_PASSWORD" | base64 -w0)
plain_bad=$(printf '\0%s\0%s' "$SASL_USER" "wrong-password" | base64 -w0)

# --- 1. no AUTH before STARTTLS -------------------------------------------------------------------
tls_dialogue "AUTH before STARTTLS" <<EOF
<220
>EHLO client.example
# STARTTLS is offered, AUTH is not (the backend's AUTH is removed in plaintext).
<250 ~ ^(?![\s\S]*AUTH)[\s\S]*250[- ]STARTTLS
>AUTH PLAIN $plain_good
<503 ~ ^503 5\.5\.1
>AUTH LOGIN
<503 ~ ^503 5\.5\.1
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<someone@remote.example>
<550 ~ ^550 5\.7\.1
>QUIT
<221
EOF
postfix_never_read 'AUTH'
expect_eq "AUTH refused before STARTTLS (log)" 2 \
    "$(decision_count event=command decision=reject code=503 enhanced=5.5.1 detail=AUTH reason=command_not_allowed)"
decision_expect "relay refused before STARTTLS, tarpitted" event=rcpt decision=reject code=550 reason=relay_denied \
    rcpt=someone@remote.example tarpit_ms=300 >/dev/null

# --- 2. swaks --tls --auth PLAIN relays ------------------------------------------------------------
swaks_relay() { # MECH RECIPIENT
    local out="$E2E_TMP/swaks-$1.out"
    if ! swaks --server 127.0.0.1 --port "$RG_PORT" --tls --ehlo client.example \
        --auth "$1" --auth-user "$SASL_USER" --auth-password "$SASL_PASSWORD" \
        --from "$SASL_USER" --to "$2" --header "Subject: relayed after AUTH $1" >"$out" 2>&1; then
        cat "$out" >&2
        fail "swaks --tls --auth $1 could not relay to $2 through relayguard (transcript above)"
    fi
    grep -q '^<~  235 2\.7\.0 ' "$out" || { cat "$out" >&2; fail "AUTH $1: no 235 inside TLS"; }
    grep -Eq '^<~  250 .*' "$out" || { cat "$out" >&2; fail "AUTH $1: no 250"; }
    echo "$out"
}
out=$(swaks_relay PLAIN someone@remote.example)
grep -Eq '^<~  250-AUTH PLAIN LOGIN$' "$out" || { cat "$out" >&2; fail "EHLO inside TLS did not offer AUTH PLAIN LOGIN"; }
maillog_grep "$PF" 'client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice@local\.example' >/dev/null
maillog_grep "$PF" 'to=<someone@remote\.example>.*relay=none, .*status=sent \(remote\.example\)' >/dev/null
decision_expect "AUTH PLAIN accepted" event=auth decision=accept code=235 reason=authenticated client=127.0.0.1 >/dev/null
rcpt_line=$(decision_expect "relay after AUTH PLAIN" event=rcpt decision=accept reason=authenticated rcpt=someone@remote.example)
[[ $rcpt_line != *tarpit_ms* ]] || fail "an authenticated relay was tarpitted: $rcpt_line"

# --- 3. swaks --tls --auth LOGIN relays ------------------------------------------------------------
out=$(swaks_relay LOGIN other@remote.example)
expect_eq "334 challenges relayed for AUTH LOGIN" 2 "$(grep -c '^<~  334 ' "$out")"
maillog_grep "$PF" 'sasl_method=LOGIN, sasl_username=alice@local\.example' >/dev/null
maillog_grep "$PF" 'to=<other@remote\.example>.*relay=none, .*status=sent \(remote\.example\)' >/dev/null
decision_expect "relay after AUTH LOGIN" event=rcpt decision=accept reason=authenticated rcpt=other@remote.example >/dev/null

# --- 4. a failed AUTH leaves a stranger ------------------------------------------------------------
tls_dialogue "failed AUTH PLAIN, then a relay attempt" <<EOF
<220
>EHLO client.example
<250 ~ STARTTLS
>STARTTLS
<220
!TLS
>EHLO client.example
# Inside TLS: AUTH is offered, STARTTLS is not.
<250 ~ ^(?![\s\S]*STARTTLS)[\s\S]*250[- ]AUTH PLAIN LOGIN
>AUTH PLAIN $plain_bad
<535 ~ ^535 5\.7\.8
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<victim@remote.example>
<550 ~ ^550 5\.7\.1 .*victim@remote\.example
>QUIT
<221
EOF
maillog_grep "$PF" 'SASL PLAIN authentication failed' >/dev/null
decision_expect "failed AUTH logged" event=auth decision=reject code=535 enhanced=5.7.8 reason=auth_failed client=127.0.0.1 >/dev/null
decision_expect "relay refused after a failed AUTH, tarpitted" event=rcpt decision=reject code=550 reason=relay_denied \
    rcpt=victim@remote.example tarpit_ms=300 >/dev/null
postfix_never_read 'RCPT TO:<victim@remote\.example>'

# --- 5. nothing may be pipelined behind AUTH or a SASL response ---------------------------------
tls_dialogue "a MAIL pipelined behind AUTH PLAIN" <<EOF
<220
>EHLO client.example
<250
>STARTTLS
<220
!TLS
>EHLO client.example
<250
>>AUTH PLAIN $plain_good\r\nMAIL FROM:<piped1@remote.example>\r\n
<421 ~ ^421 4\.7\.0 .*pipelining not allowed during AUTH
<EOF
EOF
tls_dialogue "a password pipelined behind the user name (AUTH LOGIN)" <<EOF
<220
>EHLO client.example
<250
>STARTTLS
<220
!TLS
>EHLO client.example
<250
>AUTH LOGIN
<334 ~ ^334 VXNlcm5hbWU6$
>>$(b64 "$SASL_USER")\r\n$(b64 "$SASL_PASSWORD")\r\nMAIL FROM:<piped2@remote.example>\r\n
<421 ~ ^421 4\.7\.0 .*pipelining not allowed during AUTH
<EOF
EOF
postfix_never_read 'MAIL FROM:<piped[12]@remote\.example>'
expect_eq "AUTHs refused for pipelining (log)" 2 \
    "$(decision_count event=command decision=drop code=421 detail=AUTH reason=bad_sequence)"
# Postfix's log shows no successful AUTH LOGIN beyond the one of swaks (step 3).
expect_eq "successful AUTH LOGINs at Postfix" 1 "$(grep -c 'sasl_method=LOGIN' "$PF/maillog")"

# --- 6. failed AUTH counts against error_limit ----------------------------------------------------
rg2_port=$(free_port)
rg2_conf="$E2E_TMP/relayguard-limit.conf"
_tls_relayguard_conf "$rg2_conf" "listen=127.0.0.1:$rg2_port" "backend=127.0.0.1:$PF_PORT" \
    "backend_client_identity=proxy-v2" "log=$E2E_TMP/decisions-limit.jsonl" \
    "tls_cert_file=$TLS_CERT" "tls_key_file=$TLS_KEY" "error_limit=2"
start_bg relayguard-limit "$RELAYGUARD" run --config "$rg2_conf"
wait_for_port "$rg2_port" 10
RG_PORT=$rg2_port tls_dialogue "two failed AUTHs with error_limit = 2" <<EOF
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
RG_LOG="$E2E_TMP/decisions-limit.jsonl" decision_expect "the session ended for too many errors" \
    event=disconnect reason=too_many_errors >/dev/null
# (How that AUTH is logged is tls-decision-log.sh's case.)

pass "AUTH only inside TLS; PLAIN and LOGIN relay; failed AUTH refused relay and counts as an error; no pipelining behind AUTH"
