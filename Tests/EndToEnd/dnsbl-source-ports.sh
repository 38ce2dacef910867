#!/usr/bin/env bash
# dnsbl-source-ports.sh: every DNSBL query leaves from a fresh random UDP source port with a
# random ID (relayguard.conf(5), dns_servers; RFC 5452), so an off-path forger cannot aim at a port
# it has learnt.
#
#   - a small Python DNS server on 127.0.0.1 (the only dns_servers entry) answers every A
#     question for the zone bl.test (127.0.0.2 for the RFC 5782 test point 2.0.0.127, NXDOMAIN
#     otherwise) and records each query's source port, ID and name;
#   - 40 clients connect one after another from 127.0.1.1 to 127.0.1.40, each greeted and gone;
#   - the queries the server saw (the 40 client lookups and the zone health checks) came from as
#     many distinct ports, with as many distinct IDs, as random draws give (a chance collision or
#     three allowed); the 40 client names are all there; and relayguard holds no UDP socket once
#     the lookups are over. (The unit test holds 50 queries open at once: all 50 ports differ.)
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

DNS_PORT=$(free_port)
queries="$E2E_TMP/queries.txt"
start_bg dns-server python3 -c '
import socket, struct, sys
port, record = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
out = open(record, "a", buffering=1)
while True:
    data, (host, sport) = s.recvfrom(4096)
    if len(data) < 12:
        continue
    qid, flags, qd = struct.unpack("!HHH", data[:6])
    labels, i = [], 12
    while i < len(data) and data[i]:
        labels.append(data[i + 1:i + 1 + data[i]].decode("ascii", "replace"))
        i += 1 + data[i]
    question = data[12:i + 5]
    qtype = struct.unpack("!H", data[i + 1:i + 3])[0]
    name = ".".join(labels).lower()
    out.write(f"{sport} {qid} {name} {qtype}\n")
    listed = qtype == 1 and name == "2.0.0.127.bl.test"
    header = struct.pack("!HHHHHH", qid, 0x8180 if listed else 0x8183, 1, 1 if listed else 0, 0, 0)
    answer = (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 2])) if listed else b""
    s.sendto(header + question + answer, (host, sport))
' "$DNS_PORT" "$queries"
DNS_PID=$BG_PID
for ((i = 0; i < 50; i++)); do ss -Hlun "sport = :$DNS_PORT" | grep -q . && break; sleep 0.1; done

PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT"
RG_PORT=$(free_port)
while [[ $RG_PORT == "$PF_PORT" || $RG_PORT == "$DNS_PORT" ]]; do RG_PORT=$(free_port); done
conf="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$conf" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=$RG_LOG" \
    "dnsbl_sites=bl.test" "dns_servers=127.0.0.1:$DNS_PORT" "dnsbl_timeout=2s" "max_connections_per_client=100"
relayguard_start "$conf" "$RG_PORT"

CLIENTS=40
PYTHONDONTWRITEBYTECODE=1 python3 - "$RG_PORT" "$CLIENTS" <<'EOF' || fail "clients could not be served"
import socket, sys
port, clients = int(sys.argv[1]), int(sys.argv[2])
for n in range(1, clients + 1):
    s = socket.socket()
    s.settimeout(10)
    s.bind((f"127.0.1.{n}", 0))
    s.connect(("127.0.0.1", port))
    greeting = s.recv(4096)
    if not greeting.startswith(b"220"):
        sys.exit(f"client 127.0.1.{n}: greeting {greeting!r}")
    s.sendall(b"QUIT\r\n")
    s.recv(4096)
    s.close()
EOF
for ((i = 0; i < 50; i++)); do
    (($(grep -c '\.1\.0\.127\.bl\.test 1$' "$queries" || true) >= CLIENTS)) && break
    sleep 0.1
done
sleep 0.5

total=$(wc -l <"$queries")
ports=$(awk '{print $1}' "$queries" | sort -u | wc -l)
ids=$(awk '{print $2}' "$queries" | sort -u | wc -l)
client_names=$(grep -c '\.1\.0\.127\.bl\.test 1$' "$queries" || true)
note "queries seen: $total ($client_names for the clients), distinct source ports: $ports, distinct IDs: $ids"
note "source ports: $(awk '{print $1}' "$queries" | tr '\n' ' ')"
expect_eq "a lookup for each client" "$CLIENTS" "$client_names"
# The kernel draws each port at random from the whole ephemeral range (about 28,000 ports): two
# of 42 queries on the same port happens (a few percent), four or more practically never; with
# the old fixed sockets there were at most 8 distinct ports.
((ports >= total - 3)) || fail "only $ports distinct source ports for $total queries"
((ids >= total - 3)) || fail "only $ids distinct IDs for $total queries"
udp_left=$(ss -Hupn | grep -c "pid=$RELAYGUARD_PID," || true)
expect_eq "UDP sockets relayguard holds after the lookups" 0 "$udp_left"
pass "$total DNSBL queries from $ports distinct source ports with $ids distinct IDs; no socket left open"
