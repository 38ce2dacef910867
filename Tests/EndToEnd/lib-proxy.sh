# lib-proxy.sh: helpers for the proxy-*.sh end-to-end tests, where the BUILT relayguard
# ($RELAYGUARD) stands in front of a private Postfix instance. Source it instead of lib.sh
# (it sources lib.sh):
#
#   #!/usr/bin/env bash
#   set -euo pipefail
#   source "$(dirname "$0")/lib-proxy.sh"
#   stack_start                          # Postfix + relayguard on free ports
#   dialogue "what it proves" <<'EOF'    # a smtpclient.py script against relayguard
#   <220
#   ...
#   EOF
#   pass "..."
#
# What it adds to lib.sh:
#   stack_start [--identity I] [--postfix-option ARG]...
#                              start Postfix (postfix_start, with every SMTP command it reads
#                              logged, see below) and relayguard in front of it. Sets:
#                                PF        the Postfix instance directory
#                                PF_PORT   Postfix's smtpd port (PROXY protocol, or XCLIENT
#                                          with --identity xclient)
#                                RG_PORT   relayguard's listen port on 127.0.0.1
#                                RG_CONF   relayguard's configuration file
#                                RG_LOG    relayguard's decision log (JSON Lines)
#   relayguard_conf FILE [KEY=VALUE]...
#                              write a test configuration: the defaults below, overridden by
#                              the KEY=VALUE arguments (listen and backend must be given)
#   relayguard_run NAME CONF PORT
#                              like lib.sh's relayguard_start, for a second relayguard in the
#                              same test (output in $E2E_TMP/NAME.log)
#   dialogue WHAT [smtpclient options] <SCRIPT
#                              smtpclient.py against relayguard (127.0.0.1:$RG_PORT unless
#                              --port is given); on failure the transcript is shown and the test
#                              fails with WHAT. The transcript is in $E2E_TMP/dialogue.out.
#   dialogue_checked WHAT [options] <SCRIPT
#                              the same, but on failure only records WHAT and returns 1, so a
#                              test can go on and report every failing case;
#   fail_if_dialogues_failed   then fails the test naming every recorded one
#   postfix_read REGEX [SECONDS]
#                              until Postfix logged reading an SMTP command matching REGEX
#   postfix_never_read REGEX   fails when Postfix logged reading a command matching REGEX
#   decision_expect WHAT KEY=VALUE...
#                              until the decision log has a line whose fields equal every
#                              KEY=VALUE (VALUE compared with the field's JSON value as text:
#                              code=550, from= for the null sender); prints the first match
#   decision_count KEY=VALUE...
#                              prints how many decision log lines match
#
# Why Postfix logs every command: `debug_peer_list = 127.0.0.0/8` makes smtpd log each line it
# reads from a client in 127/8 as `smtpd[PID]: < unknown[ADDR]: LINE`. So "Postfix never saw this
# command" is read from Postfix's own log, not inferred from replies. (The message content is not
# logged; only lines smtpd reads as commands.)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-decisions.sh"

require_root
require_relayguard
require_cmd postfix postconf python3 ss

# The settings every proxy test starts from. tarpit_delay is low so the suite stays fast;
# 127.0.0.1 is NOT trusted, so the test client is a stranger who may not relay.
_RG_DEFAULTS=(
    "hostname=relayguard.test"
    "local_domains=local.example"
    "trusted_networks=192.0.2.0/24"
    "recipient_check=backend"
    "tarpit_delay=100ms"
    "tarpit_max_delay=500ms"
    "invalid_recipient_limit=50"
    "error_limit=50"
    "harvest_block_time=1m"
    "command_timeout=30s"
    "data_timeout=30s"
    # Within any test machine's open-file limit, so relayguard has no reason to warn about it
    # (tests that look for warnings would see that one); the limit has its own test.
    "max_connections=1000"
    # No control socket unless a test asks for one: /run/relayguard is the package's.
    "control_socket="
)

relayguard_conf() {
    local file="$1"
    shift
    python3 - "$file" "${_RG_DEFAULTS[@]}" "$@" <<'EOF' || fail "relayguard_conf: could not write $1"
import sys
path, settings = sys.argv[1], {}
for pair in sys.argv[2:]:
    key, _, value = pair.partition("=")
    settings[key] = value
with open(path, "w") as out:
    out.write("# written by lib-proxy.sh for an end-to-end test\n")
    for key, value in settings.items():
        out.write(f"{key} = {value}\n")
EOF
    "$RELAYGUARD" check-config --config "$file" >"$file.effective" 2>"$file.err" ||
        fail "relayguard check-config refuses the test configuration: $(cat "$file.err")"
}

relayguard_run() {
    local name="$1" conf="$2" port="$3" i pid
    start_bg "$name" "$RELAYGUARD" run --config "$conf"
    pid=$BG_PID
    for ((i = 0; i < 100; i++)); do
        _port_listening "$port" && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$E2E_TMP/$name.log" >&2
            fail "$name exited before listening on 127.0.0.1:$port (its output above)"
        fi
        sleep 0.1
    done
    cat "$E2E_TMP/$name.log" >&2
    fail "$name does not listen on 127.0.0.1:$port after 10s (its output above)"
}

stack_start() {
    local identity=proxy-v2
    local -a pf_options=()
    while (($#)); do
        case "$1" in
            --identity) identity="$2"; shift ;;
            --postfix-option) pf_options+=("$2"); shift ;;
            *) fail "stack_start: unknown option $1" ;;
        esac
        shift
    done
    [[ $identity == xclient ]] && pf_options+=(--xclient)
    PF=$(new_temp_dir postfix)
    PF_PORT=$(free_port)
    postfix_start "$PF" "$PF_PORT" --set debug_peer_list=127.0.0.0/8 ${pf_options[@]+"${pf_options[@]}"}
    RG_PORT=$(free_port)
    [[ $RG_PORT != "$PF_PORT" ]] || RG_PORT=$(free_port)
    RG_CONF="$E2E_TMP/relayguard.conf"
    RG_LOG="$E2E_TMP/decisions.jsonl"
    relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" \
        "backend_client_identity=$identity" "log=$RG_LOG"
    relayguard_start "$RG_CONF" "$RG_PORT"
    note "Postfix on 127.0.0.1:$PF_PORT ($PF), relayguard on 127.0.0.1:$RG_PORT ($identity)"
}

dialogue() {
    dialogue_checked "$@" || fail "$1"
}

DIALOGUE_FAILURES=()

dialogue_checked() {
    local what="$1"
    shift
    local -a port=()
    [[ " $* " == *" --port "* ]] || port=(--port "$RG_PORT")
    if ! smtp_client "${port[@]}" "$@" >"$E2E_TMP/dialogue.out"; then
        note "transcript ($what):"
        sed 's/^/    /' "$E2E_TMP/dialogue.out" >&2
        DIALOGUE_FAILURES+=("$what")
        return 1
    fi
}

fail_if_dialogues_failed() {
    ((${#DIALOGUE_FAILURES[@]} == 0)) && return 0
    local joined
    joined=$(printf '%s; ' "${DIALOGUE_FAILURES[@]}")
    fail "${#DIALOGUE_FAILURES[@]} dialogue(s) failed: ${joined%; }"
}
