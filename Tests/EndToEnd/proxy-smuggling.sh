#!/usr/bin/env bash
# proxy-smuggling.sh: SMTP smuggling (SEC Consult, Dec 2023; the smtpsmug tool's variants)
# through relayguard in front of Postfix.
#
# Each variant is a message to alice whose body contains a fake end of data (a "." line framed
# by a bare LF, bare CR or NUL) followed by a second, smuggled transaction:
#     MAIL FROM:<evil@remote.example> / RCPT TO:<bob@local.example> / DATA / ... / CRLF.CRLF
# A backend that ends data differently from the proxy would run the smuggled MAIL as its own
# command. For every variant this proves, with bare_newline = reject (the default):
#   - relayguard answers 550 5.6.0 at the real end of data and logs reason bare_newline;
#   - Postfix never read the smuggled MAIL or RCPT as a command (its command log);
#   - nothing was queued or delivered: neither the smuggled message to bob nor the first one
#     to alice, while a clean control message sent last IS delivered (so the check is not vacuous).
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

stack_start

smuggled='MAIL FROM:<evil@remote.example>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\nFrom: <evil@remote.example>\r\nSubject: smuggled\r\n\r\nsmuggled message\r\n.\r\n'

# NAME|BYTES AFTER THE FIRST MESSAGE'S TEXT (Python escapes). The fake end of data comes right
# after "first message" (no line end of its own), so each variant is exactly the bytes shown.
variants=(
    'lf-dot-lf|\n.\n'
    'lf-dot-cr|\n.\r'
    'lf-dot-crlf|\n.\r\n'
    'cr-dot-lf|\r.\n'
    'cr-dot-cr|\r.\r'
    'cr-dot-crlf|\r.\r\n'
    'crlf-dot-lf|\r\n.\n'
    'crlf-dot-cr|\r\n.\r'
    'crlf-dot-cr-crlf|\r\n.\r\r\n'
    'crlf-dot-lf-crlf|\r\n.\n\r\n'
    'crlf-nul-dot-crlf|\r\n\x00.\r\n'
    'crlf-dot-nul-crlf|\r\n.\x00\r\n'
    'lf-lf-dot-lf|\n\n.\n'
    'crlf-lf-dot-crlf|\r\n\n.\r\n'
)

message_head='From: <sender@remote.example>\r\nTo: <alice@local.example>\r\nSubject: smuggling test\r\n\r\nfirst message'

# One session per variant: EHLO, MAIL, RCPT alice, DATA, then the whole payload in one write.
smuggle_session() { # NAME PAYLOAD-STEPS...
    local name="$1"
    shift
    {
        printf '%s\n' '<220' '>EHLO client.example' '<250' '>MAIL FROM:<sender@remote.example>' '<250' \
            '>RCPT TO:<alice@local.example>' '<250' '>DATA' '<354'
        printf '%s\n' "$@"
        printf '%s\n' '<550 ~ ^550 5\.6\.0'
    } | dialogue "variant $name: not refused with 550 5.6.0 at the real end of data"
}

count=0
for variant in "${variants[@]}"; do
    name=${variant%%|*}
    bytes=${variant#*|}
    smuggle_session "$name" ">>$message_head$bytes$smuggled"
    count=$((count + 1))
done

# The fake end of data as the very first line of the data (the start of data counts as the
# start of a line), and fake ends split across two writes (relayguard must scan across reads).
smuggle_session "start-dot-lf" ">>.\n$smuggled"
smuggle_session "start-dot-cr" ">>.\r$smuggled"
smuggle_session "split-crlf|dot-lf" ">>${message_head}\r\n" '<NOTHING 0.3' ">>.\n$smuggled"
smuggle_session "split-lf|dot-crlf" ">>${message_head}\n" '<NOTHING 0.3' ">>.\r\n$smuggled"
smuggle_session "split-cr|lf-dot-lf" ">>${message_head}\r" '<NOTHING 0.3' ">>\n.\n$smuggled"
smuggle_session "split-crlf-dot|lf" ">>${message_head}\r\n." '<NOTHING 0.3' ">>\n$smuggled"
count=$((count + 6))
note "$count smuggling variants refused with 550 5.6.0"

# A clean control message, after all variants: delivery works, so "nothing delivered" means something.
dialogue "the clean control message was not accepted" <<'EOF'
<220
>EHLO client.example
<250
>MAIL FROM:<control@remote.example>
<250
>RCPT TO:<postmaster@local.example>
<250
>DATA
<354
>>Subject: control\r\n\r\ncontrol message\r\n.\r\n
<250 ~ queued as
>QUIT
<221
EOF
wait_for_mail "$PF" postmaster 1 10 >/dev/null
maillog_grep "$PF" 'from=<control@remote\.example>' >/dev/null

expect_eq "messages for bob (smuggled)" 0 "$(maildir_count "$PF" bob)"
expect_eq "messages for alice (the carrier messages)" 0 "$(maildir_count "$PF" alice)"
postfix_never_read 'MAIL FROM:<evil'
postfix_never_read 'RCPT TO:<bob'
maillog_lacks "$PF" 'evil@remote\.example'
maillog_lacks "$PF" 'from=<sender@remote\.example>'
postfix_read 'DATA' >/dev/null

refused=$(decision_count event=message decision=reject code=550 enhanced=5.6.0 reason=bare_newline)
expect_eq "message events with reason bare_newline" "$count" "$refused"
expect_eq "accepted messages in the decision log" 1 "$(decision_count event=message decision=accept)"

pass "$count smuggling variants refused (550 5.6.0); Postfix never read a smuggled command; nothing delivered"
