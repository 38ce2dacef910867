#!/usr/bin/env bash
# hostile-ascii-verbs.sh: verbs compare as ASCII bytes (docs/ARCHITECTURE.md, protocol safety). Unicode case mapping
# turns `RſET` (U+017F LATIN SMALL LETTER LONG S) into "RSET" and `MAıL` (U+0131 LATIN SMALL
# LETTER DOTLESS I) into "MAIL"; Postfix compares bytes and answers both 500. A proxy that
# upper-cased with Unicode rules forwarded them, and believed a transaction was reset when
# Postfix's was not: Postfix then queued one message with 6 recipients under
# max_recipients = 3. Here:
#   1. `RſET`, `MAıL FROM:<...>` and `QUıT` are each `502 5.5.1` from relayguard (the session
#      goes on after `QUıT`); none reaches Postfix (its own log of every command it
#      reads); no transaction was opened by MAıL (RCPT gets 503); a `RſET` inside a real
#      transaction resets nothing (the message is still delivered).
#   2. With max_recipients = 3: MAIL, 3 RCPT (250), `RſET` (502), 3 more RCPT: each `452 4.5.3`
#      from relayguard and never forwarded; DATA; the message is queued with nrcpt=3 and
#      delivered to exactly the first 3 mailboxes.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT" --set debug_peer_list=127.0.0.0/8 --users "alice bob postmaster r1 r2 r3 r4 r5 r6"
RG_PORT=$(free_port)
while [[ $RG_PORT == "$PF_PORT" ]]; do RG_PORT=$(free_port); done
RG_CONF="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" \
    "backend_client_identity=proxy-v2" "log=$RG_LOG" "max_recipients=3"
relayguard_start "$RG_CONF" "$RG_PORT"

# The look-alikes, as UTF-8 bytes (smtpclient.py sends `>` lines as UTF-8).
LONG_S=$'\xc5\xbf'     # U+017F, upper-cases to S
DOTLESS_I=$'\xc4\xb1'  # U+0131, upper-cases to I

# --- 1. each look-alike verb is 502 and never forwarded ------------------------------------------
dialogue "a non-ASCII verb was not refused 502 5.5.1" <<EOF
<220
>EHLO client.example
<250
>R${LONG_S}ET
<502 ~ ^502 5\.5\.1
>MA${DOTLESS_I}L FROM:<dotless@remote.example>
<502 ~ ^502 5\.5\.1
>QU${DOTLESS_I}T
<502 ~ ^502 5\.5\.1
>MA${DOTLESS_I}L FROM:<dotless@remote.example>
<502 ~ ^502 5\.5\.1
# A transaction was never opened: RCPT needs a MAIL first (relayguard's 503, not forwarded).
>RCPT TO:<alice@local.example>
<503 ~ ^503 5\.5\.1
>MAIL FROM:<ascii@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>R${LONG_S}ET
<502 ~ ^502 5\.5\.1
>DATA
<354
>>Subject: after look-alike verbs\r\n\r\nthe transaction survived RSET spelled with a long s\r\n.\r\n
<250 ~ queued as
>QUIT
<221
<EOF
EOF
wait_for_mail "$PF" alice 1 10 >/dev/null
postfix_never_read 'dotless@'
postfix_never_read 'QU[^I ]{1,12}T$'
# Whatever Postfix would make of the bytes (raw or escaped): no line like R?ET or MA?L.
postfix_never_read 'R[^S ]{1,12}ET$'
postfix_never_read 'MA[^I ]{1,12}L'
maillog_lacks "$PF" 'smtpd\[[0-9]+\]: > [^ ]+: 500'
expect_eq "look-alike verbs logged as refused commands" 5 \
    "$(decision_count event=command code=502 enhanced=5.5.1 reason=command_not_allowed)"

# --- 2. max_recipients is not reset by RſET --------------------------------------------------------
dialogue "RCPTs beyond max_recipients after RſET were not refused 452 4.5.3" <<EOF
<220
>EHLO client.example
<250
>MAIL FROM:<counter@remote.example>
<250
>RCPT TO:<r1@local.example>
<250
>RCPT TO:<r2@local.example>
<250
>RCPT TO:<r3@local.example>
<250
>R${LONG_S}ET
<502 ~ ^502 5\.5\.1
>RCPT TO:<r4@local.example>
<452 ~ ^452 4\.5\.3
>RCPT TO:<r5@local.example>
<452 ~ ^452 4\.5\.3
>RCPT TO:<r6@local.example>
<452 ~ ^452 4\.5\.3
>DATA
<354
>>Subject: max_recipients\r\n\r\nthree recipients, no more\r\n.\r\n
<250 ~ queued as
>QUIT
<221
<EOF
EOF
for user in r1 r2 r3; do wait_for_mail "$PF" "$user" 1 10 >/dev/null; done
queued=$(maillog_grep "$PF" 'qmgr\[[0-9]+\]: [0-9A-F]+: from=<counter@remote\.example>, size=[0-9]+, nrcpt=' 10)
[[ $queued == *"nrcpt=3 "* ]] || fail "Postfix queued the message with other than 3 recipients: $queued"
for user in r4 r5 r6; do
    postfix_never_read "RCPT TO:<$user@"
    expect_eq "messages for $user" 0 "$(maildir_count "$PF" "$user")"
    decision_expect "$user refused as too many recipients" event=rcpt code=452 enhanced=4.5.3 \
        reason=too_many_recipients rcpt="$user@local.example" >/dev/null
done
postfix_never_read 'R[^S ]{1,12}ET$'
maillog_lacks "$PF" 'smtpd\[[0-9]+\]: > [^ ]+: 500'
decision_expect "the message record" event=message decision=accept from=counter@remote.example >/dev/null

pass "RſET, MAıL, QUıT: 502 from relayguard, never forwarded; max_recipients = 3 holds across RſET (nrcpt=3)"
