# lib.sh: shared helpers for relayguard's end-to-end tests. Source it, do not run it:
#
#   #!/usr/bin/env bash
#   set -euo pipefail
#   source "$(dirname "$0")/lib.sh"
#   require_cmd swaks
#   require_relayguard
#   ...
#   pass
#
# What it gives a test:
#   E2E_DIR, REPO_ROOT, E2E_TMP      this folder, the repository, a temp dir removed at exit
#   TEST_NAME                        the script's name, used in PASS/FAIL lines
#   fail MSG / pass [MSG] / note MSG one line each; fail exits 1, pass exits 0
#   require_cmd NAME...              a missing peer FAILS the test (never skips)
#   require_root, require_relayguard
#   on_exit CMD...                   run CMD at exit (last registered runs first)
#   new_temp_dir NAME                mkdir under E2E_TMP, prints the path
#   free_port                        prints a free TCP port on 127.0.0.1
#   wait_for_port PORT [SECONDS]     until something listens on 127.0.0.1:PORT
#   start_bg NAME CMD...             start CMD in the background, output in $E2E_TMP/NAME.log,
#                                    killed at exit; its pid is in BG_PID
#   relayguard_start CONF PORT       `$RELAYGUARD run --config CONF` in the background (output in
#                                    $E2E_TMP/relayguard.log, stopped at exit), until it listens on
#                                    PORT; its pid is in RELAYGUARD_PID
#   postfix_start DIR PORT [opts]    a private Postfix (postfix-instance.sh), stopped at exit
#   maildir_path DIR USER [DOMAIN]   the Maildir of USER@DOMAIN (default local.example)
#   maildir_count DIR USER [DOMAIN]  number of delivered messages
#   wait_for_mail DIR USER [COUNT] [SECONDS] [DOMAIN]
#                                    until USER has COUNT (default 1) messages; prints the newest file
#   strip_delivery_headers FILE      the message without the headers Postfix's delivery adds
#   maillog_grep DIR REGEX [SECONDS] until the instance's maillog has a line matching REGEX (grep -E);
#                                    prints the matching lines
#   maillog_lacks DIR REGEX          fails when the maillog has such a line
#   smtp_client ARGS...              Tests/EndToEnd/smtpclient.py (see its docstring)
#   expect_eq WHAT EXPECTED ACTUAL, expect_contains WHAT HAYSTACK NEEDLE
#
# Call the helpers that print a value as `x=$(helper ...)`, never `local x=$(helper ...)`:
# `local` would hide their failure from `set -e`.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd -P)
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}

note() { echo "[$TEST_NAME] $*" >&2; }

fail() {
    echo "FAIL: $TEST_NAME: $*" >&2
    exit 1
}

pass() {
    echo "PASS: $TEST_NAME${1:+: $1}"
    exit 0
}

require_cmd() {
    local name
    for name in "$@"; do
        command -v "$name" >/dev/null 2>&1 || fail "missing peer: $name (install with .ci/run)"
    done
}

require_root() {
    [[ $(id -u) == 0 ]] || fail "must run as root (Postfix's master starts as root)"
}

# RELAYGUARD is set by scripts/test to the built binary.
require_relayguard() {
    [[ -n ${RELAYGUARD:-} ]] || fail "RELAYGUARD is not set (run through scripts/test, or export RELAYGUARD=path/to/relayguard)"
    [[ -x $RELAYGUARD ]] || fail "RELAYGUARD=$RELAYGUARD is not an executable file"
}

# --- cleanup -------------------------------------------------------------------------------

_E2E_CLEANUPS=()

on_exit() {
    local cmd
    printf -v cmd '%q ' "$@"
    _E2E_CLEANUPS+=("$cmd")
}

_e2e_cleanup() {
    local status=$?
    local i
    for ((i = ${#_E2E_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${_E2E_CLEANUPS[i]}" >/dev/null 2>&1 || true
    done
    if [[ -n ${E2E_TMP:-} && -d $E2E_TMP ]]; then
        if [[ $status != 0 && ${E2E_KEEP:-0} == 1 ]]; then
            echo "[$TEST_NAME] kept $E2E_TMP for inspection" >&2
        else
            rm -rf "$E2E_TMP"
        fi
    fi
    exit "$status"
}

trap _e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/relayguard-e2e-$TEST_NAME.XXXXXX")
# Postfix's daemons run as user postfix and must reach instance directories under here.
chmod 0755 "$E2E_TMP"

new_temp_dir() {
    local dir="$E2E_TMP/$1"
    mkdir -p "$dir"
    echo "$dir"
}

# --- ports and processes -----------------------------------------------------------------------

# A port below the kernel's ephemeral range (so no outgoing connection takes it meanwhile),
# chosen at random and proven free by binding it.
free_port() {
    python3 - <<'EOF' || fail "free_port: no free port found"
import random, socket, sys
for _ in range(200):
    port = random.randint(20000, 32000)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
EOF
}

_port_listening() {
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

wait_for_port() {
    local port="$1" seconds="${2:-10}" i
    for ((i = 0; i < seconds * 10; i++)); do
        _port_listening "$port" && return 0
        sleep 0.1
    done
    fail "nothing listens on 127.0.0.1:$port after ${seconds}s"
}

start_bg() {
    local name="$1"
    shift
    "$@" >"$E2E_TMP/$name.log" 2>&1 &
    BG_PID=$!
    on_exit _e2e_stop_pid "$BG_PID"
}

_e2e_stop_pid() {
    local pid="$1" i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

relayguard_start() {
    local conf="$1" port="$2" i
    require_relayguard
    start_bg relayguard "$RELAYGUARD" run --config "$conf"
    RELAYGUARD_PID=$BG_PID
    for ((i = 0; i < 100; i++)); do
        _port_listening "$port" && return 0
        if ! kill -0 "$RELAYGUARD_PID" 2>/dev/null; then
            cat "$E2E_TMP/relayguard.log" >&2
            fail "relayguard exited before listening on 127.0.0.1:$port (its output above)"
        fi
        sleep 0.1
    done
    cat "$E2E_TMP/relayguard.log" >&2
    fail "relayguard does not listen on 127.0.0.1:$port after 10s (its output above)"
}

# --- Postfix -------------------------------------------------------------------------------------

postfix_start() {
    local dir="$1"
    on_exit bash "$E2E_DIR/postfix-instance.sh" stop "$dir"
    bash "$E2E_DIR/postfix-instance.sh" start "$@" || fail "could not start Postfix in $dir"
}

maildir_path() {
    echo "$1/mail/${3:-local.example}/$2"
}

maildir_count() {
    local new
    new="$(maildir_path "$@")/new"
    [[ -d $new ]] || { echo 0; return 0; }
    find "$new" -maxdepth 1 -type f | wc -l
}

wait_for_mail() {
    local dir="$1" user="$2" count="${3:-1}" seconds="${4:-10}" domain="${5:-local.example}" i
    local new
    new="$(maildir_path "$dir" "$user" "$domain")/new"
    for ((i = 0; i < seconds * 10; i++)); do
        if (($(maildir_count "$dir" "$user" "$domain") >= count)); then
            ls -1t "$new"/* | head -n 1
            return 0
        fi
        sleep 0.1
    done
    note "maillog tail:"
    tail -n 15 "$dir/maillog" >&2 || true
    fail "no $count message(s) for $user@$domain after ${seconds}s (have $(maildir_count "$dir" "$user" "$domain"))"
}

# Postfix's Maildir delivery prepends Return-Path, X-Original-To, Delivered-To and one Received
# header (with its continuation lines); everything after that is the message as sent, with LF ends.
strip_delivery_headers() {
    awk '
        done { print; next }
        /^Received:/ { inreceived = 1; next }
        inreceived && /^[ \t]/ { next }
        inreceived { done = 1; print; next }
        /^(Return-Path|X-Original-To|Delivered-To):/ { next }
        { done = 1; print }
    ' "$1"
}

maillog_grep() {
    local dir="$1" regex="$2" seconds="${3:-5}" i
    for ((i = 0; i <= seconds * 10; i++)); do
        if grep -E -- "$regex" "$dir/maillog" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    note "maillog tail:"
    tail -n 15 "$dir/maillog" >&2 || true
    fail "maillog has no line matching /$regex/ after ${seconds}s"
}

maillog_lacks() {
    local dir="$1" regex="$2"
    if grep -E -- "$regex" "$dir/maillog" >&2; then
        fail "maillog has a line matching /$regex/ (above)"
    fi
}

# --- clients and checks ------------------------------------------------------------------------

smtp_client() {
    python3 "$E2E_DIR/smtpclient.py" "$@"
}

expect_eq() {
    [[ $2 == "$3" ]] || fail "$1: expected [$2], got [$3]"
}

expect_contains() {
    [[ $2 == *"$3"* ]] || fail "$1: [$3] not found in [$2]"
}
