#!/usr/bin/env bash
# proxy-client-address.sh: Postfix behind relayguard sees the REAL client address.
#
# Clients connect to relayguard from 127.0.0.2, 127.0.0.3 and 127.0.0.4 (Linux routes all of
# 127/8 to loopback, so a client can bind any of them), never from relayguard's own 127.0.0.1:
#   - backend_client_identity = proxy-v2 (the default): PROXY v2 header, smtpclient.py from 127.0.0.2
#   - backend_client_identity = proxy-v1: PROXY v1 header, swaks from 127.0.0.3
#   - backend_client_identity = xclient: Postfix XCLIENT (a second instance that allows it), 127.0.0.4
# Each time Postfix's maillog must show the client address (connect from, client=) and the
# delivered message's Received header too; relayguard's decision log shows it as `client`.
# Last, a capturing fake backend shows that proxy-v1 and proxy-v2 put the header of that
# version on the wire, naming 127.0.0.2.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"
require_cmd swaks

stack_start --identity proxy-v2

# A second relayguard with PROXY v1 in front of the same Postfix.
v1_port=$(free_port)
v1_conf="$E2E_TMP/relayguard-v1.conf"
v1_log="$E2E_TMP/decisions-v1.jsonl"
relayguard_conf "$v1_conf" "listen=127.0.0.1:$v1_port" "backend=127.0.0.1:$PF_PORT" \
    "backend_client_identity=proxy-v1" "log=$v1_log"
relayguard_run relayguard-v1 "$v1_conf" "$v1_port"

# --- proxy-v2 ---------------------------------------------------------------------------------
dialogue "proxy-v2: message from 127.0.0.2 not accepted" --bind 127.0.0.2 <<'EOF'
<220
>EHLO client-two.example
<250
>MAIL FROM:<two@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: from 127.0.0.2\r\n\r\nproxy-v2\r\n.\r\n
<250 ~ queued as
>QUIT
<221
EOF
maillog_grep "$PF" 'postfix/smtpd\[[0-9]+\]: connect from unknown\[127\.0\.0\.2\]' >/dev/null
maillog_grep "$PF" 'client=unknown\[127\.0\.0\.2\]' >/dev/null
decision_expect "proxy-v2 client" event=connect client=127.0.0.2 decision=accept >/dev/null
decision_expect "proxy-v2 message" event=message client=127.0.0.2 decision=accept >/dev/null

# --- proxy-v1 ---------------------------------------------------------------------------------
swaks_out="$E2E_TMP/swaks.out"
if ! swaks --server "127.0.0.1:$v1_port" --local-interface 127.0.0.3 --ehlo client-three.example \
    --from three@remote.example --to alice@local.example --header 'Subject: from 127.0.0.3' \
    --body 'proxy-v1' >"$swaks_out" 2>&1; then
    cat "$swaks_out" >&2
    fail "proxy-v1: swaks from 127.0.0.3 through relayguard failed (output above)"
fi
maillog_grep "$PF" 'postfix/smtpd\[[0-9]+\]: connect from unknown\[127\.0\.0\.3\]' >/dev/null
maillog_grep "$PF" 'client=unknown\[127\.0\.0\.3\]' >/dev/null
RG_LOG=$v1_log decision_expect "proxy-v1 client" event=connect client=127.0.0.3 decision=accept >/dev/null

wait_for_mail "$PF" alice 2 10 >/dev/null
for n in 2 3; do
    file=$(grep -l "^Subject: from 127\.0\.0\.$n\$" "$(maildir_path "$PF" alice)"/new/*) ||
        fail "no delivered message with Subject: from 127.0.0.$n"
    grep -qE "^Received: from client-(two|three)\.example \(unknown \[127\.0\.0\.$n\]\)" "$file" ||
        fail "the Received header of $file does not name 127.0.0.$n: $(grep -A1 '^Received:' "$file")"
done
# Postfix never took a message from relayguard's own address, and read nothing from it but
# QUIT (relayguard's start-up probe announces 198.51.100.254).
maillog_lacks "$PF" 'client=[^ ]*\[127\.0\.0\.1\]'
if grep -E 'smtpd\[[0-9]+\]: < [^ ]+\[127\.0\.0\.1\]: ' "$PF/maillog" | grep -vE ': QUIT$' >&2; then
    fail "Postfix read commands other than the start-up probe's QUIT from 127.0.0.1 (above)"
fi

# --- xclient ----------------------------------------------------------------------------------
xpf=$(new_temp_dir postfix-xclient)
xpf_port=$(free_port)
postfix_start "$xpf" "$xpf_port" --xclient
x_port=$(free_port)
x_conf="$E2E_TMP/relayguard-xclient.conf"
x_log="$E2E_TMP/decisions-xclient.jsonl"
relayguard_conf "$x_conf" "listen=127.0.0.1:$x_port" "backend=127.0.0.1:$xpf_port" \
    "backend_client_identity=xclient" "log=$x_log"
relayguard_run relayguard-xclient "$x_conf" "$x_port"
dialogue "xclient: message from 127.0.0.4 not accepted" --port "$x_port" --bind 127.0.0.4 <<'EOF'
<220
>EHLO client-four.example
<250
>MAIL FROM:<four@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: from 127.0.0.4\r\n\r\nxclient\r\n.\r\n
<250 ~ queued as
>QUIT
<221
EOF
grep -q 'XCLIENT' "$E2E_TMP/dialogue.out" && fail "xclient: the client saw XCLIENT in relayguard's replies"
maillog_grep "$xpf" 'client=unknown\[127\.0\.0\.4\]' >/dev/null
file=$(wait_for_mail "$xpf" alice 1 10)
grep -qE '^Received: from client-four\.example \(unknown \[127\.0\.0\.4\]\)' "$file" ||
    fail "xclient: the Received header does not name 127.0.0.4: $(grep -A1 '^Received:' "$file")"
RG_LOG=$x_log decision_expect "xclient client" event=message client=127.0.0.4 decision=accept >/dev/null

# --- the identity header on the wire ------------------------------------------------------------
# Postfix accepts both PROXY versions on one port, so the maillog cannot tell which one was
# sent: a capturing fake backend shows the first bytes each relayguard sends.
cat >"$E2E_TMP/capture.py" <<'EOF'
import socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(5)
for number in range(1, 10):  # relayguard's start-up probe, then the session
    c, _ = s.accept()
    c.settimeout(3)
    data = b""
    try:
        # a whole v2 header (28 octets for TCP over IPv4), or a whole v1 line
        while not ((data.startswith(b"\r\n") and len(data) >= 28) or (data.startswith(b"PROXY") and data.endswith(b"\r\n"))):
            chunk = c.recv(1024)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    open(f"{out}.{number}", "wb").write(data)
    c.sendall(b"421 4.3.2 capture done\r\n")
    c.close()
EOF
for identity in proxy-v1 proxy-v2; do
    cap_port=$(free_port)
    start_bg "capture-$identity" python3 "$E2E_TMP/capture.py" "$cap_port" "$E2E_TMP/header-$identity.bin"
    wait_for_port "$cap_port" 5
    listen_port=$(free_port)
    relayguard_conf "$E2E_TMP/capture-$identity.conf" "listen=127.0.0.1:$listen_port" \
        "backend=127.0.0.1:$cap_port" "backend_client_identity=$identity" "log=$E2E_TMP/capture-$identity.jsonl"
    relayguard_run "relayguard-capture-$identity" "$E2E_TMP/capture-$identity.conf" "$listen_port"
    dialogue "$identity capture: no 421 after the backend's 421 greeting" --port "$listen_port" --bind 127.0.0.2 <<'EOF'
<421 ~ ^421 4\.3\.0
<EOF
EOF
done
python3 - "$E2E_TMP" <<'EOF' || fail "relayguard's identity headers are not PROXY v1 / v2 naming 127.0.0.2 (above)"
import glob, re, socket, sys
PROBE_V1 = b"PROXY TCP4 198.51.100.254 "
PROBE_V2 = socket.inet_aton("198.51.100.254")
def is_start_up_probe(header):
    # relayguard's start-up check announces the documentation address 198.51.100.254
    return header.startswith(PROBE_V1) or (header.startswith(b"\r\n\r\n\x00\r\nQUIT\n") and header[16:20] == PROBE_V2)
def headers(identity):
    found = [open(path, "rb").read() for path in sorted(glob.glob(f"{sys.argv[1]}/header-{identity}.bin.*"))]
    return [header for header in found if not is_start_up_probe(header)]
def v1_client(header):
    match = re.fullmatch(rb"PROXY TCP4 (127\.0\.0\.[0-9]+) 127\.0\.0\.1 \d+ \d+\r\n", header)
    return match and match.group(1).decode()
def v2_client(header):
    # signature, version 2 + PROXY command, TCP over IPv4, 12 address octets
    if (header.startswith(b"\r\n\r\n\x00\r\nQUIT\n") and header[12:16] == b"\x21\x11\x00\x0c"
            and len(header) == 28 and socket.inet_ntoa(header[20:24]) == "127.0.0.1"):
        return socket.inet_ntoa(header[16:20])
ok = True
for identity, client in (("proxy-v1", v1_client), ("proxy-v2", v2_client)):
    seen = headers(identity)
    print(f"{identity} headers seen: {seen!r}", file=sys.stderr)
    clients = [client(header) for header in seen]
    if None in clients or "127.0.0.2" not in clients:
        print(f"{identity}: expected only {identity} headers, one naming 127.0.0.2; clients {clients}", file=sys.stderr)
        ok = False
sys.exit(0 if ok else 1)
EOF

pass "Postfix saw clients 127.0.0.2 (proxy-v2), 127.0.0.3 (proxy-v1) and 127.0.0.4 (xclient)"
