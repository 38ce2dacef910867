#!/usr/bin/env bash
# proxy-pipelining.sh: RFC 2920 PIPELINING through relayguard in front of Postfix.
#
#   1. EHLO, then MAIL + four RCPT (three local, one foreign in the middle) + DATA in ONE write:
#      the replies come back in command order, whether Postfix wrote them (250, 354) or
#      relayguard did (the tarpitted 550 5.7.1), and the message reaches the three mailboxes.
#   2. The message, its end of data and the next transaction (MAIL + RCPT + DATA) in one write,
#      as RFC 2920 allows: the next transaction is read as commands, in order.
#   3. swaks --pipeline, an independent client implementation, delivers to two recipients.
#   4. A RCPT that relayguard refuses (so its 550 waits for the tarpit) pipelined with NOOP and
#      QUIT, or with QUIT alone: every reply comes, in order, and the session ends with 221.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"
require_cmd swaks

stack_start

body1="$E2E_TMP/first.txt"
printf 'Subject: pipelined one\r\n\r\nFirst pipelined message.\r\n' >"$body1"

dialogue "pipelined MAIL + 4 RCPT + DATA: replies missing or out of order" <<EOF
<220
>EHLO client.example
<250 ~ PIPELINING
>>MAIL FROM:<sender@remote.example>\r\nRCPT TO:<alice@local.example>\r\nRCPT TO:<someone@remote.example>\r\nRCPT TO:<bob@local.example>\r\nRCPT TO:<postmaster@local.example>\r\nDATA\r\n
<250 ~ ^250 2\.1\.0
<250 ~ ^250 2\.1\.5
<550 ~ ^550 5\.7\.1 .*someone@remote\.example
<250 ~ ^250 2\.1\.5
<250 ~ ^250 2\.1\.5
<354
>>Subject: pipelined one\r\n\r\nFirst pipelined message.\r\n.\r\nMAIL FROM:<sender2@remote.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\n
<250 ~ queued as
<250 ~ ^250 2\.1\.0
<250 ~ ^250 2\.1\.5
<354
>>Subject: pipelined two\r\n\r\nSecond pipelined message.\r\n.\r\nQUIT\r\n
<250 ~ queued as
<221
<EOF
EOF

for user in alice postmaster; do
    file=$(wait_for_mail "$PF" "$user" 1 10)
    grep -q '^Subject: pipelined one$' "$file" || fail "$user's message is not the first pipelined one: $file"
done
wait_for_mail "$PF" bob 2 10 >/dev/null
grep -l '^Subject: pipelined two$' "$(maildir_path "$PF" bob)"/new/* >/dev/null || fail "bob did not get the second pipelined message"
maillog_grep "$PF" 'to=<alice@local\.example>.*status=sent' >/dev/null
postfix_never_read 'RCPT TO:<someone@remote\.example>'
decision_expect "the refused RCPT" event=rcpt rcpt=someone@remote.example reason=relay_denied code=550 >/dev/null
expect_eq "accepted RCPTs in the decision log" 4 "$(decision_count event=rcpt decision=accept code=250)"
expect_eq "delivered messages" 2 "$(decision_count event=message decision=accept code=250)"

# swaks --pipeline: its own idea of which commands to group.
swaks_out="$E2E_TMP/swaks.out"
if ! swaks --server "127.0.0.1:$RG_PORT" --pipeline --from carol@remote.example \
    --to alice@local.example,postmaster@local.example --header 'Subject: swaks pipelined' \
    --body 'Sent by swaks with --pipeline.' >"$swaks_out" 2>&1; then
    cat "$swaks_out" >&2
    fail "swaks --pipeline through relayguard failed (output above)"
fi
grep -qE '^<- +250 .*queued as' "$swaks_out" || { cat "$swaks_out" >&2; fail "swaks --pipeline: message not queued"; }
wait_for_mail "$PF" alice 2 10 >/dev/null
wait_for_mail "$PF" postmaster 2 10 >/dev/null
grep -l '^Subject: swaks pipelined$' "$(maildir_path "$PF" alice)"/new/* >/dev/null || fail "alice did not get the swaks message"

# 4. A refused (tarpitted) RCPT pipelined with what follows it. While relayguard holds the
#    550 for the tarpit, the backend answers the next command; every reply must still come, in
#    order, and the commands after it must still be read.
dialogue_checked "pipelined RCPT (refused, tarpitted) + NOOP + QUIT: replies missing" --timeout 5 <<'EOF' || true
<220
>EHLO client.example
<250
>>MAIL FROM:<dave@remote.example>\r\nRCPT TO:<someone2@remote.example>\r\nNOOP\r\nQUIT\r\n
<250 ~ ^250 2\.1\.0
<550 ~ ^550 5\.7\.1
<250 ~ ^250 2\.0\.0
<221
<EOF
EOF
dialogue_checked "pipelined RCPT (refused, tarpitted) + QUIT: the 550 and 221 did not come" --timeout 5 <<'EOF' || true
<220
>EHLO client.example
<250
>>MAIL FROM:<erin@remote.example>\r\nRCPT TO:<someone3@remote.example>\r\nQUIT\r\n
<250 ~ ^250 2\.1\.0
<550 ~ ^550 5\.7\.1
<221
<EOF
EOF
fail_if_dialogues_failed

pass "pipelined transactions delivered, replies in command order"
