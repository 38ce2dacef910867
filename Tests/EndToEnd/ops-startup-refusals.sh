#!/usr/bin/env bash
# One validation, two callers: every class of start-up refusal goes through both
# `check-config` and `run`, which must refuse with the same one line (`relayguard: FILE:LINE:
# what`) and the same exit status (1), `run` before it binds anything. Warnings (settings that
# have no effect) are the same line in both, and neither refuses for them. A UTF-8 byte order
# mark is skipped. The shipped example configuration passes both; `run` is tried inside a private
# network namespace, so that it can bind port 25 without touching the machine's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_cmd openssl unshare ip timeout
require_root
require_relayguard

dir=$(new_temp_dir cases)
chmod 0755 "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.local.example \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/other-key.pem" 2>/dev/null
cp "$dir/key.pem" "$dir/private-key.pem"
chmod 0644 "$dir/cert.pem" "$dir/key.pem" "$dir/other-key.pem"
chmod 0600 "$dir/private-key.pem"
printf 'alice@local.example\n' >"$dir/private-map"
chmod 0600 "$dir/private-map"
printf '# valid recipients\nalice@local.example\nbob\n' >"$dir/broken-map"
chmod 0644 "$dir/broken-map"

port=$(free_port)

# both NAME TEXT: runs check-config and run on a file holding TEXT; statuses and stderr in files.
both() {
    local name="$1" text="$2"
    conf="$dir/$name.conf"
    printf '%s\n' "$text" >"$conf"
    status_check=0
    "$RELAYGUARD" check-config --config "$conf" >"$dir/$name.check.out" 2>"$dir/$name.check.err" || status_check=$?
    status_run=0
    timeout 10 "$RELAYGUARD" run --config "$conf" >"$dir/$name.run.out" 2>"$dir/$name.run.err" || status_run=$?
}

# refused NAME WHERE MESSAGE TEXT: both refuse with `relayguard: WHERE: MESSAGE`, where WHERE is
# FILE:LINE (`CONF` in it stands for the configuration file itself).
refused() {
    local name="$1" where="$2" message="$3" text="$4" want
    both "$name" "$text"
    want="relayguard: ${where//CONF/$conf}: $message"
    expect_eq "$name: check-config exit status" 1 "$status_check"
    expect_eq "$name: run exit status" 1 "$status_run"
    expect_eq "$name: check-config stderr" "$want" "$(cat "$dir/$name.check.err")"
    expect_eq "$name: run stderr" "$want" "$(cat "$dir/$name.run.err")"
    [[ ! -s $dir/$name.check.out ]] || fail "$name: check-config printed settings for a refused file"
    note "$name: both say: $want"
}

base="listen = 127.0.0.1:$port
local_domains = local.example"
log="log = $dir/decisions.log"

refused unknown-key CONF:4 'unknown key "tarpit_dely" (did you mean tarpit_delay?)' "$base
$log
tarpit_dely = 3s"
refused bare-newline-normalize CONF:3 'bare_newline = normalize is not supported by this build; use reject' "$base
bare_newline = normalize
$log"
refused no-such-user CONF:4 'user nosuchuser-rg: no such user' "$base
$log
user = nosuchuser-rg"
refused map-missing CONF:5 "recipient_map $dir/absent: cannot read: No such file or directory" "$base
$log
recipient_check = map
recipient_map = $dir/absent"
refused map-unreadable-by-user CONF:3 "recipient_map $dir/private-map: not readable by user nobody" "$base
recipient_map = $dir/private-map
recipient_check = map
user = nobody
$log"
refused map-does-not-parse "$dir/broken-map:3" 'recipient map entry "bob" needs a domain: use user@domain or @domain' "$base
$log
recipient_check = map
recipient_map = $dir/broken-map"
refused tls-cert-missing CONF:4 "tls_cert_file $dir/absent.pem: cannot read: No such file or directory" "$base
$log
tls_cert_file = $dir/absent.pem
tls_key_file = $dir/key.pem"
refused tls-key-unreadable-by-user CONF:5 "tls_key_file $dir/private-key.pem: not readable by user nobody" "$base
$log
tls_cert_file = $dir/cert.pem
tls_key_file = $dir/private-key.pem
user = nobody"
refused tls-key-mismatch CONF:5 "TLS certificate and key: $dir/other-key.pem: cannot load private key: error:05800074:x509 certificate routines::key values mismatch" "$base
$log
tls_cert_file = $dir/cert.pem
tls_key_file = $dir/other-key.pem"
refused log-directory-missing CONF:3 "log $dir/absent/decisions.log: cannot create it in $dir/absent: No such file or directory" "$base
log = $dir/absent/decisions.log"

# --- Warnings: the same lines from both, and both go on ----------------------------------------

# warned NAME TEXT LINE...: check-config exits 0 with exactly these stderr lines; run starts,
# with the same lines right after its `started` line.
warned() {
    local name="$1" text="$2" want listen_port
    shift 2
    want=$(printf '%s\n' "$@")
    printf '%s\n' "$text" >"$dir/$name.conf"
    conf="$dir/$name.conf"
    want=${want//CONF/$conf}
    status_check=0
    "$RELAYGUARD" check-config --config "$conf" >"$dir/$name.check.out" 2>"$dir/$name.check.err" || status_check=$?
    expect_eq "$name: check-config exit status" 0 "$status_check"
    expect_eq "$name: check-config stderr" "$want" "$(cat "$dir/$name.check.err")"
    start_bg "$name-run" "$RELAYGUARD" run --config "$conf"
    local pid=$BG_PID i
    for ((i = 0; i < 50; i++)); do
        grep -q 'relayguard: info: ready' "$E2E_TMP/$name-run.log" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || fail "$name: run exited: $(cat "$E2E_TMP/$name-run.log")"
        sleep 0.1
    done
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    expect_eq "$name: run's warnings after its started line" "$want" \
        "$(sed -n '2,$p' "$E2E_TMP/$name-run.log" | grep '^relayguard: warning: CONF\|^relayguard: warning: /' )"
    note "$name: both warn"
}

warned dnsbl-without-sites "$base
$log
dnsbl_threshold = 1
dnsbl_timeout = 5s" \
    "relayguard: warning: CONF:5: dnsbl_timeout has no effect: dnsbl_sites is empty"
port6=$(free_port)
warned ignored-map "$base
$log
recipient_check = backend
recipient_map = $dir/absent" \
    "relayguard: warning: CONF:5: recipient_map $dir/absent is ignored with recipient_check = backend (only map reads it)"
warned ipv6-only "listen = [::]:$port6
$log" \
    "relayguard: warning: CONF:1: listen [::]:$port6 accepts IPv6 clients only (relayguard sets IPV6_V6ONLY); add 0.0.0.0:$port6 for IPv4 clients"

# --- A byte order mark at the start of the file is skipped -------------------------------------

printf '\xef\xbb\xbflisten = 127.0.0.1:%s\nlocal_domains = local.example\n' "$port" >"$dir/bom.conf"
out=$("$RELAYGUARD" check-config -c "$dir/bom.conf" 2>&1) || fail "a file starting with a BOM is refused: $out"
expect_contains "BOM: the first key is read" "$out" "listen = 127.0.0.1:$port"

# --- The shipped example passes both ------------------------------------------------------------

example="$REPO_ROOT/config/relayguard.conf"
# The package creates the log directory the example names; create it here when it is missing.
log_dir=/var/log/relayguard
if [[ ! -d $log_dir ]]; then
    mkdir -p "$log_dir"
    on_exit rmdir "$log_dir"
    on_exit rm -f "$log_dir/decisions.jsonl"
fi
out=$("$RELAYGUARD" check-config --config "$example" 2>&1 >/dev/null) || fail "check-config refuses the example: $out"
expect_eq "check-config on the example: stderr" "" "$out"
status=0
timeout 20 unshare -n bash -c '
    ip link set lo up
    "$1" run --config "$2" 2>"$3" &
    pid=$!
    for i in $(seq 50); do grep -q "relayguard: info: ready" "$3" && break; kill -0 $pid 2>/dev/null || exit 3; sleep 0.1; done
    kill -TERM $pid; wait $pid' _ "$RELAYGUARD" "$example" "$dir/example.run.err" || status=$?
expect_eq "run on the example: exit status (stderr: $(cat "$dir/example.run.err"))" 0 "$status"
grep -q '^relayguard: info: ready (listening on 0.0.0.0:25, \[::\]:25' "$dir/example.run.err" \
    || fail "run on the example did not get ready: $(cat "$dir/example.run.err")"
grep -q '^relayguard: \(error\|warning\): /' "$dir/example.run.err" \
    && fail "run on the example found a problem in it: $(cat "$dir/example.run.err")"

pass "10 refusals alike in check-config and run, 3 warnings alike, BOM skipped, the example passes both"
