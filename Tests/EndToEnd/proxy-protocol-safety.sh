#!/usr/bin/env bash
# proxy-protocol-safety.sh: commands relayguard answers itself or refuses, never forwarding
# them to the backend (relayguard.conf(5), tarpit and harvest keys and docs/ARCHITECTURE.md, protocol safety), checked against Postfix's own command log.
#
# The Postfix instance here even AUTHORIZES XCLIENT and XFORWARD from 127/8: were relayguard to
# forward a client's XCLIENT, Postfix would take the forged client address. So "refused and
# never read by Postfix" is the whole defence, and it is what is checked.
#   1. The EHLO reply drops CHUNKING, BINARYMIME, XCLIENT, XFORWARD, ETRN, STARTTLS.
#   2. VRFY -> 252 2.5.2, EXPN -> 502 5.5.1, answered locally; XCLIENT, XFORWARD, ETRN, TURN,
#      HELP -> 502 5.5.1; the session still works afterwards (a message is delivered).
#   3. BDAT -> 502 5.5.1 and the session is closed (its chunk is never read as commands).
#   4. A PROXY v1 header, a PROXY v2 header, a PROXY line after EHLO, an HTTP request
#      -> 421 4.7.0 Not SMTP; closing.
#   5. A command with a bare LF -> 500 5.5.2; an over-long line -> 500 5.5.2 and its tail
#      (which holds a RCPT) is discarded, not read as a command.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

stack_start --postfix-option --set --postfix-option smtpd_authorized_xclient_hosts=127.0.0.0/8 \
    --postfix-option --set --postfix-option smtpd_authorized_xforward_hosts=127.0.0.0/8

# --- 1 and 2 -----------------------------------------------------------------------------------
dialogue "VRFY/EXPN/XCLIENT/XFORWARD/ETRN/TURN/HELP not answered as documented" <<'EOF'
<220
>EHLO client.example
<250 ~ PIPELINING
>VRFY alice@local.example
<252 ~ ^252 2\.5\.2
>EXPN staff@local.example
<502 ~ ^502 5\.5\.1
>XCLIENT ADDR=192.0.2.1 NAME=trusted.example
<502 ~ ^502 5\.5\.1
>XFORWARD ADDR=192.0.2.1
<502 ~ ^502 5\.5\.1
>ETRN local.example
<502 ~ ^502 5\.5\.1
>TURN
<502 ~ ^502 5\.5\.1
>HELP
<502 ~ ^502 5\.5\.1
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<someone@remote.example>
<550 ~ ^550 5\.7\.1
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: after the refused commands\r\n\r\nstill works\r\n.\r\n
<250 ~ queued as
>QUIT
<221
<EOF
EOF
ehlo_reply=$(sed -n '/^C: EHLO/,/^C: VRFY/p' "$E2E_TMP/dialogue.out")
for keyword in CHUNKING BINARYMIME XCLIENT XFORWARD ETRN STARTTLS; do
    grep -qE "^S: 250[- ]$keyword" <<<"$ehlo_reply" && fail "the EHLO reply offers $keyword: $ehlo_reply"
done
# Postfix does offer some of them, so the filtering above is relayguard's.
postfix_read 'EHLO client\.example' >/dev/null
maillog_grep "$PF" 'smtpd\[[0-9]+\]: > [^ ]+: 250[- ]CHUNKING' >/dev/null
wait_for_mail "$PF" alice 1 10 >/dev/null
for verb in VRFY EXPN XCLIENT XFORWARD ETRN TURN HELP; do
    postfix_never_read "$verb"
    decision_expect "$verb" event=command detail="$verb" reason=command_not_allowed >/dev/null
done
decision_expect "VRFY's reply" event=command detail=VRFY code=252 enhanced=2.5.2 >/dev/null
maillog_lacks "$PF" '192\.0\.2\.1'

# --- 3. BDAT -------------------------------------------------------------------------------------
dialogue "BDAT was not refused and the session closed" <<'EOF'
<220
>EHLO client.example
<250
>MAIL FROM:<bdat@remote.example>
<250
>RCPT TO:<bob@local.example>
<250
>>BDAT 86 LAST\r\nMAIL FROM:<evil@remote.example>\r\nRCPT TO:<postmaster@local.example>\r\nDATA\r\n
<502 ~ ^502 5\.5\.1
<EOF
EOF
postfix_never_read 'BDAT'
postfix_never_read 'MAIL FROM:<evil'
decision_expect "BDAT" event=command detail=BDAT reason=command_not_allowed >/dev/null

# --- 4. PROXY headers and HTTP from the client ---------------------------------------------------
# Sent at once on connect, as a misconfigured load balancer would: relayguard may or may not
# have relayed the backend's 220 by the time it reads the header, so a 220 before the 421 is
# allowed; nothing else is.
proxy_first() { # WHAT BYTES(Python escapes)
    python3 - "$RG_PORT" "$2" <<'EOF' >"$E2E_TMP/proxy-first.out" 2>&1 || { cat "$E2E_TMP/proxy-first.out" >&2; fail "$1"; }
import ast, re, socket, sys, time
port, data = int(sys.argv[1]), ast.literal_eval('b"' + sys.argv[2] + '"')
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(data)
received, deadline = b"", time.monotonic() + 10
while time.monotonic() < deadline:
    chunk = s.recv(4096)
    if not chunk:
        break
    received += chunk
else:
    sys.exit(f"the connection was not closed; got {received!r}")
print(f"received {received!r}")
if not re.fullmatch(rb"(220 [^\r\n]*\r\n)?421 4\.7\.0 Not SMTP[^\r\n]*\r\n", received):
    sys.exit("expected [220] then 421 4.7.0 Not SMTP and a close")
EOF
}
proxy_first "a PROXY v1 header from the client was not refused 421 4.7.0" \
    'PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n'
proxy_first "a PROXY v2 header from the client was not refused 421 4.7.0" \
    '\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x07\x7f\x00\x00\x01\x9c\x40\x00\x19'
dialogue "a PROXY line after EHLO was not refused 421 4.7.0" <<'EOF'
<220
>EHLO client.example
<250
>PROXY TCP4 192.0.2.8 127.0.0.1 40000 25
<421 ~ ^421 4\.7\.0 Not SMTP
<EOF
EOF
dialogue "an HTTP request was not refused 421 4.7.0" <<'EOF'
<220
>GET / HTTP/1.1
<421 ~ ^421 4\.7\.0 Not SMTP
<EOF
EOF
expect_eq "client_proxy_header events" 3 "$(decision_count event=command code=421 reason=client_proxy_header)"
expect_eq "non_smtp_command events" 1 "$(decision_count event=command code=421 reason=non_smtp_command)"
postfix_never_read 'PROXY'
postfix_never_read 'GET'
maillog_lacks "$PF" '192\.0\.2\.[78]'

# --- 5. bare LF and over-long lines --------------------------------------------------------------
long_tail=$(printf 'x%.0s' $(seq 1 600))
dialogue "a bare LF command or an over-long line was not refused 500 5.5.2" <<EOF
<220
>EHLO client.example
<250
>>MAIL FROM:<lf@remote.example>\nRCPT TO:<lf-rcpt@local.example>\r\n
<500 ~ ^500 5\.5\.2
>>NOOP ${long_tail}RCPT TO:<long-tail@local.example>\r\n
<500 ~ ^500 5\.5\.2
>NOOP
<250
>QUIT
<221
EOF
postfix_never_read 'MAIL FROM:<lf@'
postfix_never_read 'RCPT TO:<(lf-rcpt|long-tail)@'
postfix_never_read 'NOOP x'
decision_expect "bare LF in a command" event=command code=500 reason=bare_newline >/dev/null
decision_expect "an over-long line" event=command code=500 reason=line_too_long >/dev/null
expect_eq "messages for bob" 0 "$(maildir_count "$PF" bob)"
expect_eq "messages for postmaster" 0 "$(maildir_count "$PF" postmaster)"

pass "VRFY/EXPN local, XCLIENT/XFORWARD/BDAT/PROXY/HTTP/bare LF/long lines refused, none reached Postfix"
