# lib-tls.sh: helpers for the tls-*.sh end-to-end tests (relayguard.conf(5), RELAY DECISION rule 8, 6, 7): the BUILT
# relayguard ($RELAYGUARD) terminates STARTTLS in front of a private Postfix that offers AUTH
# through Cyrus SASL. Source it instead of lib.sh (it sources lib.sh):
#
#   #!/usr/bin/env bash
#   set -euo pipefail
#   source "$(dirname "$0")/lib-tls.sh"
#   tls_stack_start                      # certificate, SASL Postfix, relayguard with TLS
#   tls_dialogue "what it proves" <<'EOF'
#   <220
#   >EHLO client.example
#   <250 ~ STARTTLS
#   >STARTTLS
#   <220
#   !TLS
#   ...
#   EOF
#
# What it adds to lib.sh:
#   tls_stack_start [--rg KEY=VALUE]... [--postfix-option ARG]...
#                        a throwaway certificate, Postfix with SASL and relayguard with
#                        tls_cert_file/tls_key_file on free ports. Sets:
#                          PF, PF_PORT    the Postfix instance directory and its smtpd port
#                                         (PROXY protocol; every command it reads is logged)
#                          RG_PORT, RG_CONF, RG_LOG
#                                         relayguard's port, configuration, decision log
#                          TLS_CERT, TLS_KEY  the certificate and key (PEM)
#                          SASL_USER, SASL_PASSWORD  the one account in the sasldb
#   tls_make_cert DIR    writes DIR/cert.pem and DIR/key.pem (EC P-256, self-signed, 1 day)
#   tls_dialogue WHAT [--timeout S] <SCRIPT
#                        tlsclient.py (smtpclient.py's language plus !TLS, !CLIENTHELLO,
#                        !CLOSED) against relayguard; on failure shows the transcript and fails
#                        with WHAT. The transcript is in $E2E_TMP/dialogue.out.
#   postfix_read REGEX [SECONDS]   until Postfix logged reading a command matching REGEX
#   postfix_never_read REGEX       fails when Postfix logged reading a command matching REGEX
#   decision_expect WHAT KEY=VALUE...
#                        until the decision log has a line whose fields equal every KEY=VALUE
#                        (the field's JSON value as text: code=550); KEY~REGEX matches the
#                        field's text with a regular expression instead; prints the first match
#   decision_count KEY=VALUE...    how many decision log lines match
#
# The Cyrus SASL recipe (found by trying on Debian 12, Postfix 3.7.11, Cyrus SASL 2.1.28):
#   - packages sasl2-bin (saslpasswd2) and libsasl2-modules (PLAIN, LOGIN; the sasldb auxprop
#     plugin comes with libsasl2-modules-db, a dependency of libsasl2-2);
#   - Debian's Postfix reads smtpd.conf from $config_directory/sasl/ (seen with strace: it opened
#     DIR/etc/sasl/smtpd.conf and ignored another cyrus_sasl_config_path), so the file goes
#     there, and cyrus_sasl_config_path names the same directory;
#   - smtpd.conf: pwcheck_method auxprop, auxprop_plugin sasldb, mech_list PLAIN LOGIN, and
#     sasldb_path (without it Cyrus opens /etc/sasldb2, which user postfix cannot read);
#   - the sasldb is root:postfix 0640 (smtpd runs as postfix); the account is created with
#     `saslpasswd2 -c -u local.example alice`, so the SASL user name is alice@local.example;
#   - smtpd_tls_auth_only = no: the relayguard-to-Postfix link is plaintext on loopback.
#
# Why Postfix logs every command: `debug_peer_list = 127.0.0.0/8` makes smtpd log each line it
# reads from a client in 127/8 (with the PROXY header, the real client, 127.0.0.1 here) as
# `smtpd[PID]: < unknown[ADDR]: LINE`, so "Postfix never read this" comes from Postfix's own
# log. (AUTH lines and SASL responses are logged too, in clear: the test password only.)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib-decisions.sh"

require_root
require_relayguard
require_cmd postfix postconf python3 ss openssl saslpasswd2

SASL_USER=alice@local.example
SASL_PASSWORD='Corr3ct-horse'

tls_make_cert() {
    local dir="$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
        -subj "/CN=relayguard.test" -addext "subjectAltName=DNS:relayguard.test" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl-req.log" 2>&1 ||
        { cat "$dir/openssl-req.log" >&2; fail "could not make a throwaway certificate"; }
    chmod 0600 "$dir/key.pem"
}

# relayguard_conf FILE KEY=VALUE...: the defaults below, overridden by the arguments.
# tarpit_delay is low so the suite stays fast; 127.0.0.1 is NOT trusted, so the test client is
# a stranger who may relay only once authenticated.
_TLS_RG_DEFAULTS=(
    "hostname=relayguard.test"
    "local_domains=local.example"
    "trusted_networks=192.0.2.0/24"
    "recipient_check=backend"
    "tarpit_delay=300ms"
    "tarpit_max_delay=1s"
    "invalid_recipient_limit=50"
    "error_limit=50"
    "harvest_block_time=1m"
    "command_timeout=30s"
    "data_timeout=30s"
)

_tls_relayguard_conf() {
    local file="$1"
    shift
    python3 - "$file" "${_TLS_RG_DEFAULTS[@]}" "$@" <<'EOF' || fail "could not write $1"
import sys
path, settings = sys.argv[1], {}
for pair in sys.argv[2:]:
    key, _, value = pair.partition("=")
    settings[key] = value
with open(path, "w") as out:
    out.write("# written by lib-tls.sh for an end-to-end test\n")
    for key, value in settings.items():
        out.write(f"{key} = {value}\n")
EOF
    "$RELAYGUARD" check-config --config "$file" >"$file.effective" 2>"$file.err" ||
        fail "relayguard check-config refuses the test configuration: $(cat "$file.err")"
}

# sasl_postfix_start DIR PORT [postfix-instance.sh options]: Postfix with Cyrus SASL (sasldb).
sasl_postfix_start() {
    local dir="$1" port="$2"
    shift 2
    local sasl="$dir/etc/sasl"
    mkdir -p "$sasl"
    chmod 0755 "$dir" "$dir/etc" "$sasl"
    cat >"$sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $sasl/sasldb2
EOF
    chmod 0644 "$sasl/smtpd.conf"
    local user="${SASL_USER%@*}" realm="${SASL_USER#*@}"
    printf '%s' "$SASL_PASSWORD" | saslpasswd2 -p -c -f "$sasl/sasldb2" -u "$realm" "$user" ||
        fail "saslpasswd2 could not create $sasl/sasldb2"
    chown root:postfix "$sasl/sasldb2"
    chmod 0640 "$sasl/sasldb2"
    postfix_start "$dir" "$port" \
        --set smtpd_sasl_auth_enable=yes \
        --set smtpd_sasl_type=cyrus \
        --set smtpd_sasl_path=smtpd \
        --set "cyrus_sasl_config_path=$sasl" \
        --set smtpd_tls_auth_only=no \
        --set "smtpd_relay_restrictions=permit_sasl_authenticated, reject_unauth_destination" \
        --set debug_peer_list=127.0.0.0/8 \
        "$@"
}

tls_stack_start() {
    local -a rg_settings=() pf_options=()
    while (($#)); do
        case "$1" in
            --rg) rg_settings+=("$2"); shift ;;
            --postfix-option) pf_options+=("$2"); shift ;;
            *) fail "tls_stack_start: unknown option $1" ;;
        esac
        shift
    done
    local tlsdir
    tlsdir=$(new_temp_dir tls)
    tls_make_cert "$tlsdir"
    TLS_CERT="$tlsdir/cert.pem"
    TLS_KEY="$tlsdir/key.pem"
    PF=$(new_temp_dir postfix)
    PF_PORT=$(free_port)
    sasl_postfix_start "$PF" "$PF_PORT" ${pf_options[@]+"${pf_options[@]}"}
    RG_PORT=$(free_port)
    [[ $RG_PORT != "$PF_PORT" ]] || RG_PORT=$(free_port)
    RG_CONF="$E2E_TMP/relayguard.conf"
    RG_LOG="$E2E_TMP/decisions.jsonl"
    _tls_relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" \
        "backend_client_identity=proxy-v2" "log=$RG_LOG" \
        "tls_cert_file=$TLS_CERT" "tls_key_file=$TLS_KEY" ${rg_settings[@]+"${rg_settings[@]}"}
    relayguard_start "$RG_CONF" "$RG_PORT"
    note "Postfix (SASL) on 127.0.0.1:$PF_PORT ($PF), relayguard with STARTTLS on 127.0.0.1:$RG_PORT"
}

tls_dialogue() {
    local what="$1"
    shift
    if ! python3 "$E2E_DIR/tlsclient.py" --port "$RG_PORT" "$@" >"$E2E_TMP/dialogue.out"; then
        note "transcript ($what):"
        sed 's/^/    /' "$E2E_TMP/dialogue.out" >&2
        fail "$what"
    fi
}
