#!/usr/bin/env bash
# admin-deploy.sh: the deployment files in deploy/ work as written.
#
#   1. A private Postfix whose smtpd service is the one of deploy/postfix/master.cf.snippet
#      (only the port changed) and whose main.cf has the settings of
#      deploy/postfix/main.cf.snippet; relayguard in front of it with proxy-v2.
#   2. A message from 127.0.0.2 through relayguard is delivered, and Postfix's maillog shows the
#      real client (127.0.0.2), never relayguard's address; relay is still refused; a client
#      that skips relayguard (no PROXY header) is refused by Postfix itself.
#   3. The logrotate recipe: after the log is moved away, SIGUSR1 (its postrotate) makes
#      relayguard write to a new file.
#   4. deploy/relayguard.service passes `systemd-analyze verify` and has the hardening the
#      README promises.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_root
require_relayguard
require_cmd postfix postconf python3 ss systemd-analyze

deploy="$REPO_ROOT/deploy"

# --- 1. Postfix configured from the snippets ---------------------------------------------------
instance=$(new_temp_dir postfix)
backend_port=$(free_port)
postfix_start "$instance" "$backend_port" --no-proxy --hostname mx.local.example
bash "$E2E_DIR/postfix-instance.sh" stop "$instance"
etc="$instance/etc"
python3 - "$etc/master.cf" "$deploy/postfix/master.cf.snippet" "$backend_port" <<'PY'
import re, sys
master, snippet, port = sys.argv[1], sys.argv[2], sys.argv[3]
service = [line for line in open(snippet).read().splitlines() if line.strip() and not line.startswith("#")]
assert service[0].startswith("127.0.0.1:10025 ") and service[1].strip() == "-o smtpd_upstream_proxy_protocol=haproxy", service
service[0] = service[0].replace("127.0.0.1:10025", "127.0.0.1:" + port, 1)
lines = open(master).read().splitlines()
out, replaced = [], False
for line in lines:
    if line.startswith("127.0.0.1:%s " % port):
        out.extend(service)
        replaced = True
        continue
    out.append(line)
assert replaced, "no smtpd line in the generated master.cf"
open(master, "w").write("\n".join(out) + "\n")
PY
grep -q "^127\.0\.0\.1:$backend_port .*smtpd$" "$etc/master.cf" || fail "snippet not placed in master.cf"
while IFS= read -r line; do
    [[ $line =~ ^([a-z_]+)\ =\ (.*)$ ]] || continue
    postconf -c "$etc" -e "${BASH_REMATCH[1]} = ${BASH_REMATCH[2]}"
done <"$deploy/postfix/main.cf.snippet"
expect_eq "main.cf relay restrictions from the snippet" \
    "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" \
    "$(postconf -c "$etc" -h smtpd_relay_restrictions | sed 's/^/smtpd_relay_restrictions = /')"
expect_eq "mynetworks from the snippet" "192.0.2.0/24" "$(postconf -c "$etc" -h mynetworks)"
warnings=$( (postconf -c "$etc" -n >/dev/null; postconf -c "$etc" -M >/dev/null) 2>&1 || true)
[[ -z $warnings ]] || fail "Postfix warns about the snippet configuration: $warnings"
postfix -c "$etc" start >/dev/null 2>&1 || fail "Postfix does not start with the snippet configuration"
wait_for_port "$backend_port"
note "Postfix from the snippets on 127.0.0.1:$backend_port"

guard_port=$(free_port)
cat >"$E2E_TMP/relayguard.conf" <<CONF
listen = 127.0.0.1:$guard_port
backend = 127.0.0.1:$backend_port
backend_client_identity = proxy-v2
hostname = mx.local.example
local_domains = local.example
trusted_networks = 192.0.2.0/24
recipient_check = backend
tarpit_delay = 100ms
log = $E2E_TMP/decisions.jsonl
CONF
relayguard_start "$E2E_TMP/relayguard.conf" "$guard_port"

# --- 2. the real client reaches Postfix's log ---------------------------------------------------
message="$E2E_TMP/message.txt"
cat >"$message" <<'MSG'
From: Sender <sender@example.net>
To: Alice <alice@local.example>
Subject: deploy snippet test
Message-ID: <deploy-1@example.net>

Through relayguard into the Postfix of deploy/postfix.
MSG
transcript=$(smtp_client --port "$guard_port" --bind 127.0.0.2 <<EOF
<220 ~ mx\.local\.example
>EHLO client.example
<250
>MAIL FROM:<sender@example.net>
<250
>RCPT TO:<victim@elsewhere.example>
<550 ~ 5\.7\.1
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>@$message
<250 ~ queued as
>QUIT
<221
EOF
) || { echo "$transcript" >&2; fail "delivery through relayguard failed"; }
delivered=$(wait_for_mail "$instance" alice 1 10)
grep -q '^Subject: deploy snippet test$' "$delivered" || fail "delivered message is not the one sent"
maillog_grep "$instance" 'postfix/smtpd\[[0-9]+\]: connect from unknown\[127\.0\.0\.2\]' >/dev/null
maillog_grep "$instance" 'client=unknown\[127\.0\.0\.2\]' >/dev/null
grep -q '^Received: from client.example (unknown \[127\.0\.0\.2\])' "$delivered" || fail "Received header does not name the real client"
maillog_lacks "$instance" 'connect from [^ ]*\[127\.0\.0\.1\]'

# A client that skips relayguard gets nothing from Postfix: the snippet's port speaks PROXY only.
transcript=$(smtp_client --port "$backend_port" --timeout 8 <<'EOF'
>EHLO bypass.example
<421
<EOF
EOF
) || { echo "$transcript" >&2; fail "a client without a PROXY header was not refused by Postfix"; }

# --- 3. logrotate's postrotate: SIGUSR1 reopens the log ------------------------------------------
grep -q '"client":"127.0.0.2"' "$E2E_TMP/decisions.jsonl" || fail "decision log lacks the client"
grep -Eq 'postrotate' "$deploy/logrotate/relayguard" && grep -q -- '--signal=USR1' "$deploy/logrotate/relayguard" ||
    fail "deploy/logrotate/relayguard does not send SIGUSR1 in postrotate"
mv "$E2E_TMP/decisions.jsonl" "$E2E_TMP/decisions.jsonl.1"
kill -USR1 "$RELAYGUARD_PID"
for ((i = 0; i < 50; i++)); do [[ -e $E2E_TMP/decisions.jsonl ]] && break; sleep 0.1; done
smtp_client --port "$guard_port" --bind 127.0.0.3 >/dev/null <<'EOF' || fail "second session failed"
<220
>QUIT
<221
EOF
for ((i = 0; i < 50; i++)); do grep -q '"client":"127.0.0.3"' "$E2E_TMP/decisions.jsonl" 2>/dev/null && break; sleep 0.1; done
grep -q '"client":"127.0.0.3"' "$E2E_TMP/decisions.jsonl" 2>/dev/null || fail "after SIGUSR1 relayguard does not write to a new log file"
grep -q '"client":"127.0.0.3"' "$E2E_TMP/decisions.jsonl.1" && fail "after SIGUSR1 relayguard still writes to the rotated file"

# --- 4. the systemd unit -------------------------------------------------------------------------
unit="$deploy/relayguard.service"
for directive in 'User=relayguard' 'AmbientCapabilities=CAP_NET_BIND_SERVICE' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' \
    'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ReadWritePaths=/var/log/relayguard' 'ExecReload=/bin/kill -HUP $MAINPID' \
    'ExecStart=/usr/sbin/relayguard run --config /etc/relayguard/relayguard.conf' 'Type=notify'; do
    grep -Fxq -- "$directive" "$unit" || fail "$unit lacks [$directive]"
done
# The example configuration logs where the unit lets it write.
grep -q '^log = /var/log/relayguard/' "$REPO_ROOT/config/relayguard.conf" || fail "config/relayguard.conf does not log under /var/log/relayguard"
# The binary is not installed here (package-deb.sh verifies the installed unit, man pages included).
sed "s|/usr/sbin/relayguard|$RELAYGUARD|g" "$unit" >"$E2E_TMP/relayguard.service"
verify=$(systemd-analyze verify --man=no "$E2E_TMP/relayguard.service" 2>&1) || fail "systemd-analyze verify failed: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify warns: $verify"

pass "Postfix from the snippets sees the real client through relayguard; log reopened on SIGUSR1; unit verified"
