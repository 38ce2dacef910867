#!/usr/bin/env bash
# tls-starttls.sh: relayguard terminates STARTTLS itself (docs/ARCHITECTURE.md, protocol safety, tls_cert_file and
# tls_key_file set), in front of a private Postfix, seen by real TLS clients:
#   1. `swaks --tls` delivers a message through relayguard to alice@local.example: it is in her
#      Maildir intact, and the decision log has a `tls` event (accept, detail "TLSv1.3 CIPHER",
#      the client's address) in the same session as the delivered message;
#   2. `openssl s_client -starttls smtp` gets relayguard's certificate (the one generated for
#      this run, same SHA-256 fingerprint) over TLS 1.3 by default, and over TLS 1.2 with
#      -tls1_2; each handshake is logged with its version;
#   3. the backend never saw STARTTLS (relayguard answers it locally) and got a RSET after each
#      handshake (its session state is reset).
set -euo pipefail
source "$(dirname "$0")/lib-tls.sh"
require_cmd swaks

tls_stack_start

# --- 1. swaks --tls delivers through relayguard ------------------------------------------------
swaks_out="$E2E_TMP/swaks.out"
if ! swaks --server 127.0.0.1 --port "$RG_PORT" --tls --ehlo client.example \
    --from sender@remote.example --to alice@local.example \
    --header "Subject: relayguard STARTTLS delivery" \
    --header "Message-Id: <tls-starttls-1@remote.example>" \
    --body "Sent inside TLS terminated by relayguard." >"$swaks_out" 2>&1; then
    cat "$swaks_out" >&2
    fail "swaks --tls could not deliver through relayguard (transcript above)"
fi
grep -Eq '^<-  250[- ]STARTTLS$' "$swaks_out" || { cat "$swaks_out" >&2; fail "relayguard's EHLO reply did not offer STARTTLS"; }
grep -Eq '^=== TLS started with cipher TLSv1\.3:' "$swaks_out" ||
    { cat "$swaks_out" >&2; fail "swaks did not report a TLS 1.3 session"; }

delivered=$(wait_for_mail "$PF" alice 1 10)
grep -q '^Subject: relayguard STARTTLS delivery$' "$delivered" || fail "delivered message lacks its Subject: $(cat "$delivered")"
grep -q '^Sent inside TLS terminated by relayguard\.$' "$delivered" || fail "delivered message lacks its body: $(cat "$delivered")"
maillog_grep "$PF" 'to=<alice@local\.example>.*status=sent \(delivered to maildir\)' >/dev/null

tls_line=$(decision_expect "swaks' handshake" event=tls decision=accept client=127.0.0.1 'detail~^TLSv1\.3 TLS_[A-Z0-9_]+$')
session=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["session"])' "$tls_line")
decision_expect "the delivered message in the TLS session" event=message session="$session" decision=accept >/dev/null
decision_expect "the recipient in the TLS session" event=rcpt session="$session" rcpt=alice@local.example decision=accept >/dev/null

# --- 2. openssl s_client -starttls smtp: the certificate, TLS 1.3 and TLS 1.2 ---------------------
want_fp=$(openssl x509 -in "$TLS_CERT" -noout -fingerprint -sha256)
for version in default tls1_2; do
    out="$E2E_TMP/s_client-$version.out"
    args=(-starttls smtp -connect "127.0.0.1:$RG_PORT" -servername relayguard.test -showcerts)
    [[ $version == default ]] || args+=("-$version")
    # stdin reaches EOF after a second: s_client does the handshake, prints the session and
    # closes. (Closing at once is tls-close-after-handshake.sh's case.)
    sleep 1 | timeout 20 openssl s_client "${args[@]}" >"$out" 2>&1 ||
        { cat "$out" >&2; fail "openssl s_client -starttls smtp ($version) failed"; }
    got_fp=$(sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$out" |
        openssl x509 -noout -fingerprint -sha256 2>/dev/null) ||
        { cat "$out" >&2; fail "s_client ($version) showed no certificate"; }
    expect_eq "certificate fingerprint ($version)" "$want_fp" "$got_fp"
    grep -q 'subject=CN *= *relayguard.test' "$out" || { cat "$out" >&2; fail "s_client ($version): no subject CN = relayguard.test"; }
    case "$version" in
        default) want=TLSv1.3 ;;
        tls1_2) want=TLSv1.2 ;;
    esac
    grep -Eq "^New, $want, Cipher is [A-Z0-9_-]+\$" "$out" || { cat "$out" >&2; fail "s_client ($version): no new $want session"; }
    decision_expect "the $want handshake of s_client" event=tls decision=accept client=127.0.0.1 "detail~^${want//./\\.} " >/dev/null
    note "s_client ($version): $(grep -E '^New, ' "$out")"
done
expect_eq "tls events (swaks, s_client 1.3, s_client 1.2)" 3 "$(decision_count event=tls decision=accept)"

# --- 3. what the backend saw ----------------------------------------------------------------------
postfix_never_read 'STARTTLS'
# One RSET per handshake (swaks and both s_client runs); swaks also sends none of its own.
for ((i = 0; i < 50; i++)); do
    (($(grep -cE "$(_postfix_command_regex 'RSET$')" "$PF/maillog") >= 3)) && break
    sleep 0.1
done
expect_eq "RSETs Postfix read (one per handshake)" 3 "$(grep -cE "$(_postfix_command_regex 'RSET$')" "$PF/maillog")"
expect_eq "messages for alice" 1 "$(maildir_count "$PF" alice)"

pass "swaks --tls delivered; s_client saw our certificate over TLS 1.3 and 1.2; handshakes logged; backend reset"
