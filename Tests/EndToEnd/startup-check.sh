#!/usr/bin/env bash
# The start-up safety check : relayguard connects to its backend with the identity
# header once at start and says plainly when the backend does not accept it; it warns when
# backend_client_identity = none. A correctly configured backend gives no warning.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_cmd postfix python3
require_root
require_relayguard

plain_port=$(free_port)
proxy_port=$(free_port)
postfix_start "$(new_temp_dir plain)" "$plain_port" --no-proxy
postfix_start "$(new_temp_dir proxied)" "$proxy_port"

# run_check BACKEND_PORT IDENTITY: start relayguard, give the probe time, stop it; prints stderr.
run_check() {
    local backend="$1" identity="$2" listen conf
    listen=$(free_port)
    conf="$E2E_TMP/check-$backend-$identity.conf"
    # max_connections within what any test machine's open-file limit holds: the only warnings
    # here are the probe's (the descriptor warning has its own test, proxy-descriptor-limit.sh).
    printf 'listen = 127.0.0.1:%s\nbackend = 127.0.0.1:%s\nbackend_client_identity = %s\nlocal_domains = local.example\nmax_connections = 1000\nlog = %s\n' \
        "$listen" "$backend" "$identity" "$E2E_TMP/decisions-$backend-$identity.log" >"$conf"
    relayguard_start "$conf" "$listen"
    sleep 1.5
    _e2e_stop_pid "$RELAYGUARD_PID"
    cat "$E2E_TMP/relayguard.log"
}

out=$(run_check "$plain_port" proxy-v2)
expect_contains "warning for a backend without the PROXY protocol" "$out" "did not accept PROXY v2"
expect_contains "the fix is named" "$out" "smtpd_upstream_proxy_protocol = haproxy"
grep -q '"reason":"backend_unavailable"' "$E2E_TMP/decisions-$plain_port-proxy-v2.log" \
    || fail "the decision log has no record of the failed check"

out=$(run_check "$plain_port" proxy-v1)
expect_contains "warning for PROXY v1 too" "$out" "did not accept PROXY v1"

out=$(run_check "$proxy_port" proxy-v2)
[[ "$out" != *warning* ]] || fail "a backend with smtpd_upstream_proxy_protocol = haproxy got a warning: $out"

out=$(run_check "$proxy_port" proxy-v1)
[[ "$out" != *warning* ]] || fail "PROXY v1 to a haproxy-mode backend got a warning: $out"

out=$(run_check "$plain_port" none)
expect_contains "warning for backend_client_identity = none" "$out" "backend_client_identity = none"

closed_port=$(free_port)
out=$(run_check "$closed_port" proxy-v2)
expect_contains "a backend that is down is reported" "$out" "cannot connect to backend 127.0.0.1:$closed_port"

pass "start-up check names a backend that does not take the identity header"
