#!/usr/bin/env bash
# proxy-relay-article.sh: the relay article's seven tests (relay-article-summary.md) through
# relayguard in front of a real Postfix. Every RCPT is refused by relayguard with 550 5.7.1,
# logged with the documented reason, and Postfix's log proves it never read a single RCPT, while it
# did read the MAIL and RSET commands around them (so the check is not vacuous).
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

stack_start

# The article's procedure: EHLO, then per test RSET, MAIL FROM, RCPT TO. Tests 6 and 7 are
# tried in both the article's form (no domain; its server appends @local.example) and with the
# local domain written out, which is where an old server turned them into real relay.
dialogue "the article's seven relay tests were not all refused with 550 5.7.1" <<'EOF'
<220
>EHLO client.example
<250
# 1. foreign sender, foreign recipient
>RSET
<250
>MAIL FROM:<user@remote.example>
<250
>RCPT TO:<someone@remote.example>
<550 ~ ^550 5\.7\.1 .*someone@remote\.example
# 2. a local part only as sender
>RSET
<250
>MAIL FROM:<localuser>
<250
>RCPT TO:<someone2@remote.example>
<550 ~ ^550 5\.7\.1
# 3. the null sender
>RSET
<250
>MAIL FROM:<>
<250
>RCPT TO:<someone3@remote.example>
<550 ~ ^550 5\.7\.1
# 4. a sender in the local domain
>RSET
<250
>MAIL FROM:<user@local.example>
<250
>RCPT TO:<someone4@remote.example>
<550 ~ ^550 5\.7\.1
# 5. the server's IP address (bare and as a literal), localhost and its host name as sender domain
>RSET
<250
>MAIL FROM:<user@192.0.2.25>
# Postfix itself refuses a bare IP address as a sender domain; the RCPT is relayguard's anyway.
<501 ~ 5\.1\.7
>RCPT TO:<someone5a@remote.example>
<550 ~ ^550 5\.7\.1
>RSET
<250
>MAIL FROM:<user@[192.0.2.25]>
<250
>RCPT TO:<someone5b@remote.example>
<550 ~ ^550 5\.7\.1
>RSET
<250
>MAIL FROM:<user@localhost>
<250
>RCPT TO:<someone5c@remote.example>
<550 ~ ^550 5\.7\.1
>RSET
<250
>MAIL FROM:<user@relayguard.test>
<250
>RCPT TO:<someone5d@remote.example>
<550 ~ ^550 5\.7\.1
# 6. the percent hack, without and with the local domain
>RSET
<250
>MAIL FROM:<user>
<250
>RCPT TO:<user6a%remote.example>
<550 ~ ^550 5\.7\.1
>RCPT TO:<user6b%remote.example@local.example>
<550 ~ ^550 5\.7\.1
# 7. a quoted local part holding a foreign address, without and with the local domain
>RSET
<250
>MAIL FROM:<user>
<250
>RCPT TO:<"user7a@remote.example">
<550 ~ ^550 5\.7\.1
>RCPT TO:<"user7b@remote.example"@local.example>
<550 ~ ^550 5\.7\.1
>QUIT
<221
<EOF
EOF

# relayguard's reasons, one per test.
for rcpt in someone@remote.example someone2@remote.example someone3@remote.example someone4@remote.example \
    someone5a@remote.example someone5b@remote.example someone5c@remote.example someone5d@remote.example; do
    decision_expect "RCPT $rcpt" event=rcpt rcpt="$rcpt" decision=reject code=550 enhanced=5.7.1 reason=relay_denied >/dev/null
done
decision_expect "test 3 logs the null sender as \"\"" event=rcpt rcpt=someone3@remote.example from= >/dev/null
decision_expect "test 6 without a domain" event=rcpt rcpt=user6a%remote.example code=550 enhanced=5.7.1 reason=unqualified_recipient >/dev/null
decision_expect "test 6 with the local domain" event=rcpt rcpt=user6b%remote.example@local.example code=550 enhanced=5.7.1 reason=sender_routing >/dev/null
decision_expect "test 7 without a domain" event=rcpt rcpt='"user7a@remote.example"' code=550 enhanced=5.7.1 reason=unqualified_recipient >/dev/null
decision_expect "test 7 with the local domain" event=rcpt rcpt='"user7b@remote.example"@local.example' code=550 enhanced=5.7.1 reason=sender_routing >/dev/null
expect_eq "refused RCPTs in the decision log" 12 "$(decision_count event=rcpt decision=reject code=550)"
expect_eq "tarpitted RCPTs (tarpit_ms set)" 12 "$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("tarpit_ms",0) > 0))' "$RG_LOG")"

# Postfix read the transaction around the RCPTs, and never one RCPT.
postfix_read 'MAIL FROM:<user@remote\.example>' >/dev/null
postfix_read 'MAIL FROM:<user@relayguard\.test>' >/dev/null
postfix_read 'QUIT' >/dev/null
expect_eq "RSETs Postfix read" 10 "$(grep -cE "$(_postfix_command_regex RSET)" "$PF/maillog")"
postfix_never_read 'RCPT'
maillog_lacks "$PF" 'remote\.example>?: Relay access denied'
expect_eq "messages delivered" 0 "$(find "$PF/mail" -type f | wc -l)"

pass "all seven article tests (12 RCPTs) refused 550 5.7.1 by relayguard; Postfix read none of them"
