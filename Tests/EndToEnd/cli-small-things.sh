#!/usr/bin/env bash
# The small things of the command line, end to end through the built binary:
#   - every subcommand answers --help (and -h) with its usage on stdout and exit 0;
#   - -c is --config, for run and check-config;
#   - demo --port N listens on N (and refuses a bad N as a usage error);
#   - recipient_map reads a Postfix lookup-table source (virtual, vmailbox): the first field of
#     a line is the address, the rest of it and indented continuation lines are the table's
#     value and are ignored. Proven at RCPT time, in front of a sink.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"
require_cmd python3 smtp-sink
require_root
require_relayguard

for command in run check-config audit report demo; do
    for flag in --help -h; do
        status=0
        out=$("$RELAYGUARD" "$command" "$flag" 2>"$E2E_TMP/help.err") || status=$?
        expect_eq "$command $flag: exit status" 0 "$status"
        [[ $out == "usage: relayguard $command"* ]] || fail "$command $flag: stdout does not start with its usage: $out"
        [[ ! -s $E2E_TMP/help.err ]] || fail "$command $flag wrote to stderr: $(cat "$E2E_TMP/help.err")"
    done
done
note "every subcommand answers --help and -h"

sink_port=$(free_port)
start_bg sink smtp-sink -u nobody "127.0.0.1:$sink_port" 100
wait_for_port "$sink_port"

map="$E2E_TMP/virtual"
cat >"$map" <<'MAP'
# a Postfix virtual(5) source, reused as relayguard's recipient map
alice@local.example      frank@local.example
carol@local.example	carol
    dave@local.example, erin@local.example
@other.example           catchall@mailhost.example
MAP
chmod 0644 "$map"

RG_PORT=$(free_port)
conf="$E2E_TMP/relayguard.conf"
relayguard_conf "$conf" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$sink_port" "backend_client_identity=none" \
    "local_domains=local.example, other.example" "recipient_check=map" "recipient_map=$map" "tarpit_delay=0"
out=$("$RELAYGUARD" check-config -c "$conf" 2>&1) || fail "check-config -c refuses the file: $out"
expect_contains "check-config -c reads the file it names" "$out" "recipient_map = $map"

start_bg rg "$RELAYGUARD" run -c "$conf"
wait_for_port "$RG_PORT"
dialogue "Postfix table source: first fields are recipients, values and continuation lines are not" <<'S'
<220
>EHLO client.example
<250
>MAIL FROM:<someone@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>RCPT TO:<carol@local.example>
<250
>RCPT TO:<anyone@other.example>
<250
>RCPT TO:<frank@local.example>
<550 ~ 5\.1\.1
>RCPT TO:<dave@local.example>
<550 ~ 5\.1\.1
>QUIT
<221
S
note "run -c serves the file it names; the map read a Postfix table source"

demo_port=$(free_port)
start_bg demo "$RELAYGUARD" demo --port "$demo_port"
wait_for_port "$demo_port"
dialogue "demo --port N listens on N" --port "$demo_port" <<'S'
<220
>EHLO client.example
<250
>MAIL FROM:<someone@remote.example>
<250
>RCPT TO:<alice@example.com>
<250
>QUIT
<221
S
status=0
"$RELAYGUARD" demo --port 0x19 2>"$E2E_TMP/demo-bad.err" || status=$?
expect_eq "demo --port with a bad number: usage error" 2 "$status"

pass "--help and -h on every subcommand, -c for run and check-config, demo --port, Postfix table sources as recipient_map"
