# lib-tarpit.sh: helpers for the tarpit-*.sh end-to-end tests (relayguard.conf(5), tarpit and harvest keys: tarpit, invalid
# recipient and error limits, harvest block), where the BUILT relayguard ($RELAYGUARD) stands in
# front of a private Postfix. Source it instead of lib.sh (it sources lib.sh):
#
#   #!/usr/bin/env bash
#   set -euo pipefail
#   source "$(dirname "$0")/lib-tarpit.sh"
#   tarpit_postfix_start                       # Postfix: PF, PF_PORT
#   tarpit_relayguard_start rg tarpit_delay=1s # relayguard: RG_PORT, RG_LOG, RG_CONF, RG_PID
#   tarpit_python <<'EOF'                      # Python checks with tarpitclient.py importable
#   ...
#   EOF
#   pass "..."
#
# What it adds to lib.sh:
#   tarpit_postfix_start [postfix-instance.sh options]
#       a private Postfix with two virtual domains, local.example and other.example, each with
#       the mailboxes alice, bob and postmaster, and mynetworks = 127.0.0.3/32 (the address the
#       tests use as the TRUSTED client, so Postfix lets it relay as relayguard does). Sets PF
#       (the instance directory) and PF_PORT.
#   tarpit_relayguard_start NAME [KEY=VALUE]...
#       writes $E2E_TMP/NAME.conf from the defaults below overridden by KEY=VALUE, checks it with
#       `relayguard check-config`, starts `relayguard run` on a free port (output in
#       $E2E_TMP/NAME.log, stopped at exit) and waits until it listens. Sets RG_PORT, RG_CONF,
#       RG_LOG (the decision log, $E2E_TMP/NAME.jsonl) and RG_PID. Call it once per relayguard;
#       copy the variables before starting the next.
#   tarpit_python [ARGS]
#       python3 reading its program from stdin, with this folder on PYTHONPATH (import
#       tarpitclient) and PF_PORT exported.
#   RECIPIENT_MAP
#       the recipient_map file every relayguard here is given: the same mailboxes Postfix has,
#       so recipient_check = map and = backend must answer alike.
#
# The client addresses: 127.0.0.1 and 127.0.0.2 (and the others the tests pick) are strangers;
# 127.0.0.3 is trusted. Linux routes all of 127/8 to loopback, so a client binds any of them.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
require_relayguard
require_cmd postfix postconf python3 ss

TARPIT_USERS="alice bob postmaster"
TARPIT_DOMAINS=(local.example other.example)

# What every tarpit test starts from; the tests override what they are about.
_TARPIT_DEFAULTS=(
    "hostname=relayguard.test"
    "local_domains=local.example, other.example"
    "trusted_networks=127.0.0.3/32"
    "backend_client_identity=proxy-v2"
    "recipient_check=backend"
    "tarpit_delay=1s"
    "tarpit_max_delay=2s"
    "invalid_recipient_limit=10"
    "error_limit=20"
    "harvest_block_time=1m"
    "command_timeout=60s"
)

RECIPIENT_MAP="$E2E_TMP/recipients"
{
    echo "# the mailboxes of the test Postfix (lib-tarpit.sh)"
    for domain in "${TARPIT_DOMAINS[@]}"; do
        for user in $TARPIT_USERS; do
            echo "$user@$domain"
        done
    done
} >"$RECIPIENT_MAP"

tarpit_postfix_start() {
    PF=$(new_temp_dir postfix)
    PF_PORT=$(free_port)
    local -a domains=()
    local domain
    for domain in "${TARPIT_DOMAINS[@]}"; do domains+=(--domain "$domain"); done
    postfix_start "$PF" "$PF_PORT" "${domains[@]}" --users "$TARPIT_USERS" --mynetworks 127.0.0.3/32 "$@"
    export PF_PORT
    note "Postfix on 127.0.0.1:$PF_PORT ($PF)"
}

tarpit_relayguard_start() {
    local name="$1" i
    shift
    [[ -n ${PF_PORT:-} ]] || fail "tarpit_relayguard_start: start Postfix first (tarpit_postfix_start)"
    RG_PORT=$(free_port)
    while [[ $RG_PORT == "$PF_PORT" ]]; do RG_PORT=$(free_port); done
    RG_CONF="$E2E_TMP/$name.conf"
    RG_LOG="$E2E_TMP/$name.jsonl"
    python3 - "$RG_CONF" "${_TARPIT_DEFAULTS[@]}" "recipient_map=$RECIPIENT_MAP" \
        "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=$RG_LOG" "$@" <<'EOF' ||
import sys
path, settings = sys.argv[1], {}
for pair in sys.argv[2:]:
    key, _, value = pair.partition("=")
    settings[key] = value
with open(path, "w") as out:
    out.write("# written by lib-tarpit.sh for an end-to-end test\n")
    for key, value in settings.items():
        out.write(f"{key} = {value}\n")
EOF
        fail "tarpit_relayguard_start: could not write $RG_CONF"
    "$RELAYGUARD" check-config --config "$RG_CONF" >"$RG_CONF.effective" 2>"$RG_CONF.err" ||
        fail "relayguard check-config refuses the test configuration $RG_CONF: $(cat "$RG_CONF.err")"
    start_bg "$name" "$RELAYGUARD" run --config "$RG_CONF"
    RG_PID=$BG_PID
    for ((i = 0; i < 100; i++)); do
        if _port_listening "$RG_PORT"; then
            note "relayguard $name on 127.0.0.1:$RG_PORT (pid $RG_PID, config $RG_CONF)"
            return 0
        fi
        if ! kill -0 "$RG_PID" 2>/dev/null; then
            cat "$E2E_TMP/$name.log" >&2
            fail "relayguard $name exited before listening on 127.0.0.1:$RG_PORT (its output above)"
        fi
        sleep 0.1
    done
    cat "$E2E_TMP/$name.log" >&2
    fail "relayguard $name does not listen on 127.0.0.1:$RG_PORT after 10s (its output above)"
}

tarpit_python() {
    # No __pycache__ left in the repository.
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$E2E_DIR${PYTHONPATH:+:$PYTHONPATH}" python3 - "$@"
}
