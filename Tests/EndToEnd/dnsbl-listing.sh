#!/usr/bin/env bash
# DNSBLs end to end : the built relayguard in front of a private Postfix, its DNSBL
# lookups answered by a real dnsmasq serving test zones (dnsmasq-zone.sh):
#   - a listed client (connecting from 127.0.0.2) is refused at RCPT with 554 5.7.1 naming the
#     list, and postmaster@ the local domain is still accepted;
#   - an error-code answer (127.255.255.254 for 127.0.0.3) is not a listing;
#   - a zone that lists everyone (dead.test) is disabled by the RFC 5782 health check and
#     refuses nobody; the log says so loudly;
#   - a zone that never answers (slow.test) leaves the session prompt: the RCPT is answered
#     within dnsbl_timeout, fail open, and the log has dnsbl_timeout (the zone is suspended
#     after three timeouts in a row);
#   - reject-at-connect greets a listed client with 554.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_cmd postfix python3 /usr/sbin/dnsmasq
require_root
require_relayguard

dns_port=$(free_port)
dns_dir=$(new_temp_dir dns)
on_exit bash "$E2E_DIR/dnsmasq-zone.sh" stop "$dns_dir"
bash "$E2E_DIR/dnsmasq-zone.sh" start "$dns_dir" "$dns_port" >/dev/null || fail "could not start dnsmasq"
bash "$E2E_DIR/dnsmasq-zone.sh" verify "$dns_port" >/dev/null || fail "the test zones are not served as expected"

pf_port=$(free_port)
pf_dir=$(new_temp_dir postfix)
postfix_start "$pf_dir" "$pf_port"

# start_relayguard ACTION SITES: prints the listen port; the decision log is $E2E_TMP/decisions-ACTION.log
start_relayguard() {
    local action="$1" sites="$2" listen conf
    listen=$(free_port)
    conf="$E2E_TMP/relayguard-$action.conf"
    cat >"$conf" <<CONF
listen = 127.0.0.1:$listen
backend = 127.0.0.1:$pf_port
local_domains = local.example
trusted_networks = 192.0.2.0/24
recipient_check = backend
tarpit_delay = 0
dnsbl_sites = $sites
dnsbl_threshold = 1
dnsbl_action = $action
dnsbl_timeout = 1s
dns_servers = 127.0.0.1:$dns_port
log = $E2E_TMP/decisions-$action.log
CONF
    relayguard_start "$conf" "$listen" >&2
    echo "$listen"
}

port=$(start_relayguard reject "bl.test*3, dead.test, slow.test")
sleep 1   # the start-up zone health probe

note "a listed client is refused at RCPT; postmaster@local.example stays reachable"
smtp_client --port "$port" --bind 127.0.0.2 --timeout 10 <<'S' || fail "listed client: unexpected dialogue"
<220
>EHLO listed.example
<250
>MAIL FROM:<spammer@remote.example>
<250
>RCPT TO:<alice@local.example>
<554 ~ 5\.7\.1 .*bl\.test
>RCPT TO:<postmaster@local.example>
<250
>QUIT
<221
S
log="$E2E_TMP/decisions-reject.log"
grep -q '"event":"rcpt".*"reason":"dnsbl_listed".*"dnsbl_hits":\["bl.test=127.0.0.2"\]' "$log" \
    || fail "no rcpt record with reason dnsbl_listed and the hit: $(cat "$log")"
grep -q '"event":"dnsbl".*"dnsbl_score":3' "$log" || fail "no dnsbl record with score 3"

note "the zone that lists 127.0.0.1 is disabled, loudly"
grep -q 'dead.test' "$log" || fail "nothing logged about dead.test"
grep -q 'dead.test' "$E2E_TMP/relayguard.log" || fail "the disabled zone was not reported on stderr"

note "an error-code answer (127.255.255.254) is not a listing"
smtp_client --port "$port" --bind 127.0.0.3 --timeout 10 <<'S' || fail "error-code client: unexpected dialogue"
<220
>EHLO errorcode.example
<250
>MAIL FROM:<someone@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>QUIT
<221
S

note "a zone that never answers fails open within dnsbl_timeout"
start=$(date +%s%N)
smtp_client --port "$port" --bind 127.0.0.4 --timeout 10 <<'S' || fail "clean client: unexpected dialogue"
<220
>EHLO clean.example
<250
>MAIL FROM:<someone@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>QUIT
<221
S
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
(( elapsed_ms < 3000 )) || fail "the session took ${elapsed_ms} ms: a dead zone stalled it"
# The sessions before it paid the timeout and logged it; after three timeouts in a row the zone
# is suspended, so this one may not have asked it at all.
grep -q '"reason":"dnsbl_timeout".*slow\.test timed out' "$log" || fail "no dnsbl_timeout naming slow.test in the log"

note "reject-at-connect greets a listed client with 554"
port2=$(start_relayguard reject-at-connect "bl.test")
smtp_client --port "$port2" --bind 127.0.0.2 --timeout 10 <<'S' || fail "reject-at-connect: unexpected dialogue"
<554 ~ 5\.7\.1 .*bl\.test
>EHLO listed.example
<503
>QUIT
<221
S
# Only the first (reject at RCPT) session of 127.0.0.2 reached Postfix: reject-at-connect never
# opens the backend link for a listed client.
connects=$(grep -cE ': connect from [^ ]*\[127\.0\.0\.2\]' "$pf_dir/maillog" || true)
expect_eq "Postfix sessions from the listed client" 1 "$connects"
smtp_client --port "$port2" --bind 127.0.0.4 --timeout 10 <<'S' || fail "reject-at-connect, clean client: unexpected dialogue"
<220
>QUIT
<221
S

pass "DNSBL listing refused at RCPT, postmaster reachable, error codes and dead zones ignored, slow zones fail open"
