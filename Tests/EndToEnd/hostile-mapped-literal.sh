#!/usr/bin/env bash
# hostile-mapped-literal.sh: IPv4-mapped IPv6 address literals (relayguard.conf(5), local_domains).
# With `[192.0.2.25]` in local_domains, only that form is local: `[IPv6:::ffff:192.0.2.25]` names
# the same host to a human, but Postfix does not treat it as local, so a relayguard that did
# would forward a relay attempt (it once did). From an untrusted client (127.0.0.1):
#   1. RCPT TO:<user@[IPv6:::ffff:192.0.2.25]>, and the same literal in other spellings (upper
#      case, the zeros written out, lower-case tag), are each refused `550 5.7.1`, logged as
#      relay_denied, and never reach Postfix;
#   2. RCPT TO:<user@[192.0.2.25]> is local: forwarded, accepted by Postfix (which is told the
#      address is its own, proxy_interfaces), logged as accepted, and a message to it is queued.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

# Postfix takes [192.0.2.25] as its own address (so the plain literal is a local destination
# there too) and accepts any local part for it.
PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT" --set debug_peer_list=127.0.0.0/8 \
    --set proxy_interfaces=192.0.2.25 --set local_recipient_maps=
RG_PORT=$(free_port)
while [[ $RG_PORT == "$PF_PORT" ]]; do RG_PORT=$(free_port); done
RG_CONF="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" \
    "backend_client_identity=proxy-v2" "log=$RG_LOG" "local_domains=local.example, [192.0.2.25]"
relayguard_start "$RG_CONF" "$RG_PORT"
grep -q '192\.0\.2\.25' "$RG_CONF.effective" || fail "the effective configuration lacks [192.0.2.25]: $(cat "$RG_CONF.effective")"

MAPPED=(
    'mapped@[IPv6:::ffff:192.0.2.25]'
    'upper@[IPv6:::FFFF:192.0.2.25]'
    'long@[IPv6:0:0:0:0:0:ffff:192.0.2.25]'
    'tag@[ipv6:::ffff:192.0.2.25]'
)

script="<220
>EHLO client.example
<250
>MAIL FROM:<sender@remote.example>
<250"
for rcpt in "${MAPPED[@]}"; do
    script+="
>RCPT TO:<$rcpt>
<550 ~ ^550 5\\.7\\.1 "
done
script+="
>RCPT TO:<plain@[192.0.2.25]>
<250
>DATA
<354
>>Subject: to an address literal\\r\\n\\r\\nlocal by its plain literal only\\r\\n.\\r\\n
<250 ~ queued as
>QUIT
<221
<EOF"
dialogue "mapped literals not refused, or the plain literal not accepted" <<<"$script"

for rcpt in "${MAPPED[@]}"; do
    decision_expect "$rcpt refused as a relay attempt" event=rcpt decision=reject code=550 enhanced=5.7.1 \
        reason=relay_denied rcpt="$rcpt" >/dev/null
    postfix_never_read "RCPT TO:<${rcpt%%@*}@"
done
maillog_lacks "$PF" 'IPv6:|ipv6:|ffff'
decision_expect "the plain literal accepted as local" event=rcpt decision=accept code=250 rcpt='plain@[192.0.2.25]' >/dev/null
postfix_read 'RCPT TO:<plain@\[192\.0\.2\.25\]>' >/dev/null
maillog_grep "$PF" 'to=<plain@\[192\.0\.2\.25\]>' 10 >/dev/null

pass "[IPv6:::ffff:192.0.2.25] in four spellings refused 550 5.7.1 relay_denied, never forwarded; [192.0.2.25] local"
