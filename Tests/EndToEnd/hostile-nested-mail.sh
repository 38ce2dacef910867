#!/usr/bin/env bash
# hostile-nested-mail.sh: a MAIL inside an open transaction (docs/ARCHITECTURE.md, protocol safety) is refused by
# relayguard itself and never forwarded, and the decision log keeps the sender the backend
# accepted. A client could otherwise make the log name a sender of its choosing
# (ceo@bank.example) for a message Postfix queued under another one.
#   1. MAIL FROM:<a@x.example> -> 250 (Postfix's); MAIL FROM:<ceo@bank.example> -> 503 5.5.1 from
#      relayguard; RCPT to a real mailbox -> 250; DATA; the message is queued and delivered.
#   2. Postfix never read the second MAIL: its log (every command it reads is logged) has no
#      ceo@bank.example at all, and it queued the message from a@x.example.
#   3. The decision log: the nested MAIL is a `command` record (503, bad_sequence); the `rcpt`
#      and `message` records say from=a@x.example; no record names ceo@bank.example as sender.
#   4. The same with the two MAILs pipelined in one write: the second still gets 503 5.5.1,
#      after the first's 250.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

stack_start

# --- 1. one command at a time --------------------------------------------------------------------
dialogue "a nested MAIL was not refused 503 5.5.1 by relayguard" <<'EOF'
<220
>EHLO client.example
<250
>MAIL FROM:<a@x.example>
<250
>MAIL FROM:<ceo@bank.example>
<503 ~ ^503 5\.5\.1
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: nested MAIL\r\n\r\nwho sent this?\r\n.\r\n
<250 ~ queued as
>QUIT
<221
<EOF
EOF
wait_for_mail "$PF" alice 1 10 >/dev/null

# --- 4. pipelined ------------------------------------------------------------------------------
dialogue "a nested MAIL pipelined behind the first was not refused 503 5.5.1" <<'EOF'
<220
>EHLO client.example
<250 ~ PIPELINING
>>MAIL FROM:<b@x.example>\r\nMAIL FROM:<cfo@bank.example>\r\nRCPT TO:<bob@local.example>\r\n
<250
<503 ~ ^503 5\.5\.1
<250
>DATA
<354
>>Subject: nested MAIL, pipelined\r\n\r\nwho sent this?\r\n.\r\n
<250 ~ queued as
>QUIT
<221
<EOF
EOF
wait_for_mail "$PF" bob 1 10 >/dev/null

# --- 2. what Postfix read and queued --------------------------------------------------------------
postfix_read 'MAIL FROM:<a@x\.example>' >/dev/null
postfix_read 'MAIL FROM:<b@x\.example>' >/dev/null
maillog_lacks "$PF" 'ceo@bank\.example|cfo@bank\.example'
maillog_grep "$PF" 'qmgr\[[0-9]+\]: [0-9A-F]+: from=<a@x\.example>' >/dev/null
maillog_grep "$PF" 'qmgr\[[0-9]+\]: [0-9A-F]+: from=<b@x\.example>' >/dev/null

# --- 3. the decision log -------------------------------------------------------------------------
for pair in "a@x.example alice@local.example" "b@x.example bob@local.example"; do
    read -r sender rcpt <<<"$pair"
    decision_expect "the rcpt record names the accepted sender $sender" \
        event=rcpt decision=accept rcpt="$rcpt" from="$sender" >/dev/null
    decision_expect "the message record names the accepted sender $sender" \
        event=message decision=accept from="$sender" >/dev/null
done
expect_eq "nested MAILs logged as refused commands" 2 \
    "$(decision_count event=command code=503 enhanced=5.5.1 detail=MAIL reason=bad_sequence)"
expect_eq "records naming a refused sender as from" 0 "$(decision_count 'from~bank\.example')"
expect_eq "message records" 2 "$(decision_count event=message decision=accept)"

pass "a nested MAIL is answered 503 5.5.1 by relayguard, never reaches Postfix, and the log keeps the accepted sender"
