#!/usr/bin/env bash
# End-to-end test of `relayguard check-config` (relayguard(8), COMMANDS and relayguard.conf(5)) against the built binary.
#
# Usage: Tests/EndToEnd/check-config.sh        (run from anywhere)
#   RELAYGUARD=path/to/relayguard   the binary (default .build/debug/relayguard in the repository)
#
# Prints PASS or FAIL per case and exits non-zero when any case failed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
RELAYGUARD="${RELAYGUARD:-.build/debug/relayguard}"
if [[ ! -x "$RELAYGUARD" ]]; then
    echo "check-config.sh: no executable at $RELAYGUARD (run swift build, or set RELAYGUARD)" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

pass() { echo "PASS $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }

# run NAME ARGS...: runs the binary, leaving the status in $status and the output in files.
run() {
    local name="$1"; shift
    status=0
    "$RELAYGUARD" "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
}

# expect_error NAME STATUS STDERR-LINE ARGS...: exit status and the exact one stderr line, no stdout.
expect_error() {
    local name="$1" want_status="$2" want_line="$3"; shift 3
    run "$name" "$@"
    local got_line
    got_line="$(cat "$work/$name.err")"
    if [[ "$status" != "$want_status" ]]; then
        fail "$name" "exit $status, expected $want_status (stderr: $got_line)"
    elif [[ "$got_line" != "$want_line" ]]; then
        fail "$name" "stderr was '$got_line', expected '$want_line'"
    elif [[ -s "$work/$name.out" ]]; then
        fail "$name" "unexpected stdout: $(head -c 200 "$work/$name.out")"
    else
        pass "$name"
    fi
}

# broken NAME LINE MESSAGE CONTENT: a config file that check-config must refuse at FILE:LINE.
broken() {
    local name="$1" line="$2" message="$3" content="$4"
    local file="$work/$name.conf"
    printf '%s' "$content" >"$file"
    expect_error "$name" 1 "relayguard: $file:$line: $message" check-config --config "$file"
}

keys=(listen backend backend_client_identity hostname local_domains relay_domains trusted_networks
      recipient_check recipient_map tarpit_delay tarpit_max_delay invalid_recipient_limit
      harvest_block_time error_limit junk_command_limit dnsbl_sites dnsbl_threshold dnsbl_action dnsbl_timeout
      dns_servers bare_newline max_connections max_connections_per_client max_recipients
      command_timeout data_timeout tls_cert_file tls_key_file log user
      client_refusal_limit client_refusal_window client_ipv6_prefix metrics_listen control_socket
      shutdown_grace pregreet_action)

# --- The example configuration ---------------------------------------------------------------

# The example's log file is in /var/log/relayguard, which the package creates; check-config checks
# that it can be created, so create the directory here when it is missing.
if [[ ! -d /var/log/relayguard && $(id -u) == 0 ]]; then
    mkdir -p /var/log/relayguard
    trap 'rm -rf "$work"; rmdir /var/log/relayguard' EXIT
fi

run example check-config --config config/relayguard.conf
if [[ "$status" != 0 ]]; then
    fail example "exit $status: $(cat "$work/example.err")"
elif [[ -s "$work/example.err" ]]; then
    fail example "unexpected stderr: $(cat "$work/example.err")"
else
    printed_keys="$(sed -E 's/ =.*//' "$work/example.out" | tr '\n' ' ')"
    if [[ "$printed_keys" != "${keys[*]} " ]]; then
        fail example "keys printed were: $printed_keys"
    else
        pass example
    fi
fi

# Every key is in the example file (it is a complete example): set, or, for hostname, whose
# default is the machine's own name, shown in a comment.
missing=""
for key in "${keys[@]}"; do
    pattern="^$key[[:space:]]*="
    [[ $key == hostname ]] && pattern="^#[[:space:]]*$key[[:space:]]*="
    grep -Eq "$pattern" config/relayguard.conf || missing="$missing $key"
done
if [[ -z "$missing" ]]; then pass example-sets-every-key; else fail example-sets-every-key "not set:$missing"; fi

# A few values as the example sets them, printed back in configuration syntax. As shipped it is
# safe: no local domain, only this host trusted, no DNSBL lookups, no user switch (systemd's job).
for want in "listen = 0.0.0.0:25, [::]:25" "local_domains =" "trusted_networks = 127.0.0.1/32, ::1/128" \
            "dnsbl_sites =" "command_timeout = 5m" "tls_cert_file =" "user ="; do
    if grep -qxF -- "$want" "$work/example.out"; then pass "example-value: $want"; else fail "example-value" "missing line '$want'"; fi
done

# The printed settings are themselves a valid configuration with the same settings.
cp "$work/example.out" "$work/roundtrip.conf"
run roundtrip check-config --config="$work/roundtrip.conf"
if [[ "$status" == 0 ]] && cmp -s "$work/example.out" "$work/roundtrip.out"; then
    pass roundtrip
else
    fail roundtrip "exit $status; output differs or error: $(cat "$work/roundtrip.err")"
fi

# An empty file: every default.
: >"$work/empty.conf"
run empty check-config --config "$work/empty.conf"
if [[ "$status" == 0 ]] && grep -qxF "listen = 127.0.0.1:2525" "$work/empty.out" \
   && grep -qxF "tarpit_delay = 5s" "$work/empty.out" && [[ "$(wc -l <"$work/empty.out")" == "${#keys[@]}" ]]; then
    pass empty-file-defaults
else
    fail empty-file-defaults "exit $status: $(cat "$work/empty.err")"
fi

# --- Broken files: exit 1 and exactly one line `relayguard: FILE:LINE: what` ------------------

broken unknown-key 3 'unknown key "lisen" (did you mean listen?)' \
    $'# test\n\nlisen = 0.0.0.0:25\n'
broken duplicate-key 4 'duplicate key tarpit_delay (first set on line 1)' \
    $'tarpit_delay = 5s\nerror_limit = 3\n# again\ntarpit_delay = 6s\n'
broken bad-value-in-continuation 2 'trusted_networks: bad network "10.0.0.1/8": host bits are set (the network is 10.0.0.0/8; a single host is 10.0.0.1/32)' \
    $'user = relayguard\ntrusted_networks = 127.0.0.1/32,\n    ::1/128,\n    10.0.0.1/8\n'
broken continuation-first 2 'continuation line (it starts with white space) without a key = value line before it' \
    $'# comment\n  listen = 0.0.0.0:25\n'
broken missing-equals 1 "missing '=' in \"listen 0.0.0.0:25\" (expected key = value)" \
    $'listen 0.0.0.0:25\n'
broken bad-duration 1 'tarpit_delay: bad duration "5x": unknown unit "x" (use ms, s, m, h or d)' \
    $'tarpit_delay = 5x\n'
broken bad-port 1 'listen: bad address "0.0.0.0:65536": the port must be a number from 1 to 65535' \
    $'listen = 0.0.0.0:65536\n'
broken tarpit-order 2 'tarpit_max_delay (10s) is less than tarpit_delay (20s)' \
    $'tarpit_delay = 20s\ntarpit_max_delay = 10s\n'
broken tls-half 1 'tls_cert_file is set but tls_key_file is not (set both or neither)' \
    $'tls_cert_file = /etc/relayguard/cert.pem\n'
broken map-without-file 1 'recipient_check = map needs recipient_map (the file of valid recipients)' \
    $'recipient_check = map\n'
broken bad-dnsbl 1 'dnsbl_sites: bad reply filter "127.0.0.[11..2]": range 11..2 is backwards' \
    $'dnsbl_sites = zen.spamhaus.org=127.0.0.[11..2]*3\n'
broken zero-limit 1 'max_recipients: must be at least 1' \
    $'max_recipients = 0\n'
broken crlf-file 3 'unknown key "bogus"' \
    $'listen = 0.0.0.0:25\r\n# c\r\nbogus = 1\r\n'

# --- Files that cannot be read ----------------------------------------------------------------

expect_error missing-file 1 "relayguard: $work/nope.conf: cannot read: No such file or directory" \
    check-config --config "$work/nope.conf"
mkdir "$work/a-directory"
expect_error directory 1 "relayguard: $work/a-directory: cannot read: Is a directory" \
    check-config --config "$work/a-directory"
printf 'hostname = \xff\n' >"$work/latin1.conf"
expect_error not-utf8 1 "relayguard: $work/latin1.conf: cannot read: not UTF-8 text" \
    check-config --config "$work/latin1.conf"

# --- Usage errors: exit 2 ---------------------------------------------------------------------

run unknown-option check-config --verbose
if [[ "$status" == 2 ]] && grep -qxF "relayguard: check-config: unknown option '--verbose'" "$work/unknown-option.err"; then
    pass unknown-option
else
    fail unknown-option "exit $status: $(cat "$work/unknown-option.err")"
fi
run config-without-path check-config --config
if [[ "$status" == 2 ]] && grep -qxF "relayguard: check-config: --config needs a PATH" "$work/config-without-path.err"; then
    pass config-without-path
else
    fail config-without-path "exit $status: $(cat "$work/config-without-path.err")"
fi
run stray-argument check-config config/relayguard.conf
if [[ "$status" == 2 ]]; then pass stray-argument; else fail stray-argument "exit $status"; fi
expect_error unknown-command 2 "relayguard: unknown command 'frobnicate' (see relayguard --help)" frobnicate
run no-arguments
if [[ "$status" == 2 ]] && grep -q "usage:" "$work/no-arguments.err"; then pass no-arguments; else fail no-arguments "exit $status"; fi

# --- --version and --help ---------------------------------------------------------------------

run version --version
# The commit is stamped by scripts/stamp-commit (scripts/test runs it before building).
if [[ "$status" == 0 ]] && grep -Eqx 'relayguard 0\.1\.0 \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)' "$work/version.out"; then
    pass version
else
    fail version "exit $status: $(cat "$work/version.out")"
fi
run help --help
help_ok=yes
for command in run check-config audit report demo --version; do
    grep -qF "relayguard $command" "$work/help.out" || help_ok="no ($command missing)"
done
if [[ "$status" == 0 && "$help_ok" == yes ]]; then pass help; else fail help "exit $status, $help_ok"; fi

echo "check-config.sh: $passes passed, $failures failed"
[[ "$failures" == 0 ]]
