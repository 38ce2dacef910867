#!/usr/bin/env bash
# hostile-slowloris.sh: command_timeout is a deadline, not an idle timer (relayguard.conf(5)): a
# whole command line must arrive within command_timeout of the moment relayguard waits for it,
# and a trickle of bytes does not extend it. Sessions that sent one byte every few seconds used
# to survive any command_timeout, since every byte restarted the timer.
#
# With command_timeout = 3s, 20 clients, each from its own address (127.0.1.1 to 127.0.1.20),
# send a command one byte per second (the first half of them right after the greeting, the
# other half after a complete EHLO), never completing the line. Each one must get
# `421 4.4.2 <hostname> Error: timeout exceeded` and be closed:
#   - not before command_timeout (the deadline is 3 s after relayguard started waiting, which is
#     before the client saw the greeting or the EHLO reply: allow 0.5 s of that),
#   - within 8 s (3 s plus a generous margin; the trickle would need 33 s for its line),
# and the decision log has, for each client address, a disconnect with reason timeout. A
# bystander that sends a complete command at once is still served meanwhile.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT" --set debug_peer_list=127.0.0.0/8
RG_PORT=$(free_port)
while [[ $RG_PORT == "$PF_PORT" ]]; do RG_PORT=$(free_port); done
RG_CONF="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" \
    "backend_client_identity=proxy-v2" "log=$RG_LOG" "command_timeout=3s"
relayguard_start "$RG_CONF" "$RG_PORT"

python3 - "$RG_PORT" "$RG_LOG" <<'EOF' || fail "slow clients were not closed by the command_timeout deadline (above)"
import json, re, select, socket, statistics, sys, threading, time

port, log = int(sys.argv[1]), sys.argv[2]
TIMEOUT, EARLY, LATEST, GIVE_UP = 3.0, 0.5, 8.0, 12.0
LINE = b"MAIL FROM:<slow-but-never-done@remote.example>\r\n"
CLIENTS = [(f"127.0.1.{n}", n > 10) for n in range(1, 21)]  # (address, EHLO first)
results, problems = {}, []


def read_reply(sock, buffer, deadline):
    """One complete reply line (the tests' replies here are one line), or None on close."""
    while b"\r\n" not in buffer[0]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no reply")
        ready, _, _ = select.select([sock], [], [], remaining)
        if not ready:
            continue
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return None
        buffer[0] += chunk
    line, buffer[0] = buffer[0].split(b"\r\n", 1)
    return line.decode("utf-8", "replace")


def slow_client(address, ehlo_first):
    sock = socket.socket()
    sock.bind((address, 0))
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    buffer = [b""]
    greeting = read_reply(sock, buffer, time.monotonic() + 10)
    waiting_since = time.monotonic()
    if greeting is None or not greeting.startswith("220 "):
        raise AssertionError(f"greeting {greeting!r}")
    if ehlo_first:
        sock.sendall(b"EHLO slow.example\r\n")
        while True:
            line = read_reply(sock, buffer, time.monotonic() + 10)
            if line is None or not line.startswith("250"):
                raise AssertionError(f"EHLO reply {line!r}")
            if line.startswith("250 "):
                break
        waiting_since = time.monotonic()
    # One byte per second, at half seconds (0.5, 1.5, ...) so no byte coincides with the deadline.
    sent, received = 0, b""
    while True:
        now = time.monotonic()
        if now - waiting_since > GIVE_UP:
            raise AssertionError(f"still open {GIVE_UP:.0f}s after relayguard began waiting ({sent} bytes sent)")
        next_byte = waiting_since + 0.5 + sent
        ready, _, _ = select.select([sock], [], [], max(0.0, next_byte - now))
        if ready:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                closed_after = time.monotonic() - waiting_since
                break
            received += chunk
            continue
        if sent >= len(LINE) - 2:
            raise AssertionError("the whole line but its CRLF was sent and the session is still open")
        try:
            sock.sendall(LINE[sent:sent + 1])
        except (BrokenPipeError, ConnectionResetError):
            raise AssertionError(f"the connection was reset before its reply was read (received {received!r})")
        sent += 1
    sock.close()
    return closed_after, sent, buffer[0] + received


def run(address, ehlo_first):
    try:
        results[address] = slow_client(address, ehlo_first)
    except Exception as error:  # reported as this client's failure
        problems.append(f"{address}: {error}")


threads = [threading.Thread(target=run, args=client) for client in CLIENTS]
for thread in threads:
    thread.start()

# A bystander meanwhile: a complete EHLO is answered at once.
time.sleep(1.0)
with socket.create_connection(("127.0.0.1", port), timeout=5) as bystander:
    buffer = [b""]
    greeting = read_reply(bystander, buffer, time.monotonic() + 5)
    bystander.sendall(b"EHLO bystander.example\r\n")
    ehlo = read_reply(bystander, buffer, time.monotonic() + 5)
    if not (greeting or "").startswith("220") or not (ehlo or "").startswith("250"):
        problems.append(f"bystander: greeting {greeting!r}, EHLO reply {ehlo!r}")
    bystander.sendall(b"QUIT\r\n")

for thread in threads:
    thread.join()

pattern = re.compile(rb"421 4\.4\.2 \S+ Error: timeout exceeded\r\n")
for address, (closed_after, sent, received) in sorted(results.items()):
    if not pattern.fullmatch(received):
        problems.append(f"{address}: expected exactly one 421 4.4.2 ... timeout exceeded, received {received!r}")
    if closed_after < TIMEOUT - EARLY:
        problems.append(f"{address}: closed {closed_after:.2f}s after relayguard began waiting, before command_timeout")
    if closed_after > LATEST:
        problems.append(f"{address}: closed only {closed_after:.2f}s after relayguard began waiting (bound {LATEST}s)")
    if sent >= len(LINE) - 2:
        problems.append(f"{address}: sent its whole line ({sent} bytes)")

times = sorted(closed_after for closed_after, _, _ in results.values())
if times:
    print(f"measured: {len(times)} slow clients closed after {times[0]:.2f}s min, "
          f"{statistics.median(times):.2f}s median, {times[-1]:.2f}s max (command_timeout {TIMEOUT:.0f}s), "
          f"after {min(r[1] for r in results.values())}-{max(r[1] for r in results.values())} bytes each")

# The decision log: one disconnect with reason timeout per slow client.
deadline = time.monotonic() + 5
while True:
    records = []
    with open(log, encoding="utf-8") as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    timeouts = {}
    for record in records:
        if record.get("event") == "disconnect" and record.get("reason") == "timeout":
            timeouts[record.get("client")] = timeouts.get(record.get("client"), 0) + 1
    if all(timeouts.get(address) for address, _ in CLIENTS) or time.monotonic() > deadline:
        break
    time.sleep(0.1)
for address, _ in CLIENTS:
    if timeouts.get(address, 0) != 1:
        problems.append(f"{address}: {timeouts.get(address, 0)} disconnect record(s) with reason timeout, expected 1")

for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

pass "20 clients trickling one byte a second were each closed 421 4.4.2 by the 3 s command deadline, logged as timeout"
