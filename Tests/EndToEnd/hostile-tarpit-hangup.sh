#!/usr/bin/env bash
# hostile-tarpit-hangup.sh: the tarpit is no oracle within a session (relayguard.conf(5), tarpit and harvest keys: a refusal
# counts the moment it is decided, not when its delayed reply is written). A harvester that
# hangs up when no reply comes within 300 ms learns that its RCPTs were refused (a real user is
# answered at once); it used to be free to go on, since refusals were only counted when their
# tarpitted replies were written, and a hang-up meant they never were.
#
# Settings: invalid_recipient_limit = 3, tarpit_delay = tarpit_max_delay = 2s, for
# recipient_check = backend (Postfix decides) and = map (relayguard decides) side by side.
# For each mode:
#   harvester   opens one session, EHLO, MAIL, then 3 RCPTs to unknown users pipelined in one
#               write; no reply comes within 300 ms (the tarpit holds them); it hangs up. Its
#               next connection is greeted `421 4.7.0` and closed at once (logged: connect,
#               harvest_blocked); the three refusals are in the log, the third as the drop
#               too_many_invalid_recipients.
#   control     from another address, the same with only 2 unknown users (below the limit): its
#               next connection is served. So the block comes from the counted refusals, not
#               from hanging up.
#   neighbour   a third address is served while the harvester is blocked.
# The blocked connection never reaches Postfix.
set -euo pipefail
source "$(dirname "$0")/lib-tarpit.sh"

tarpit_postfix_start

limits=(invalid_recipient_limit=3 tarpit_delay=2s tarpit_max_delay=2s harvest_block_time=1m)
tarpit_relayguard_start rg-backend recipient_check=backend "${limits[@]}"
BACKEND_PORT=$RG_PORT BACKEND_LOG=$RG_LOG
tarpit_relayguard_start rg-map recipient_check=map "${limits[@]}"
MAP_PORT=$RG_PORT MAP_LOG=$RG_LOG

tarpit_python "$BACKEND_PORT" "$BACKEND_LOG" "$MAP_PORT" "$MAP_LOG" <<'EOF' || fail "refusals not counted when the client hangs up (failures above)"
import select
import sys
import time
from tarpitclient import CheckFailed, Session, expect, run_cases, wait_for_decisions, decisions

modes = {"backend": (int(sys.argv[1]), sys.argv[2], "127.0.0.2", "127.0.0.4", "127.0.0.6"),
         "map": (int(sys.argv[3]), sys.argv[4], "127.0.0.7", "127.0.0.8", "127.0.0.9")}
PATIENCE = 0.3
# An unknown user is logged as unknown_recipient whoever decided it (relayguard.conf(5), tarpit and harvest keys).
UNKNOWN_USER = ("unknown_recipient",)


def probe_and_hang_up(port, bind, users, what):
    """One session: EHLO, MAIL, the RCPTs pipelined in one write; hangs up when nothing came
    back within PATIENCE. Returns the time it hung up."""
    session = Session(port, bind=bind, name=what)
    expect(session.greeting is not None and session.greeting.code == 220, f"{what}: greeting {session.greeting}")
    session.expect_reply("EHLO harvester.example", 250, f"{what}: EHLO")
    session.expect_reply("MAIL FROM:<harvester@remote.example>", 250, f"{what}: MAIL")
    session.send("".join(f"RCPT TO:<{user}@local.example>\r\n" for user in users).encode())
    ready, _, _ = select.select([session.sock], [], [], PATIENCE)
    # The premise: the tarpit (2 s) holds every refusal, so the harvester sees nothing.
    if ready or session.buffer:
        raise CheckFailed(f"{what}: a reply came within {PATIENCE}s: {session.buffer + session.sock.recv(4096)!r}")
    session.close()
    return time.monotonic()


def harvester(mode):
    port, log, harvester_ip, control_ip, neighbour_ip = modes[mode]
    what = f"{mode}: harvester {harvester_ip}"
    hung_up = probe_and_hang_up(port, harvester_ip, ["h-unknown1", "h-unknown2", "h-unknown3"], what)
    # The third refusal is decided once Postfix (or the map) answered, usually within
    # milliseconds; on a loaded machine wait for its record, so the check below is about what
    # was decided, not about how fast.
    wait_for_decisions(log, 1, client=harvester_ip, event="rcpt", reason="too_many_invalid_recipients")
    with Session(port, bind=harvester_ip, name=f"{what}: reconnect") as again:
        greeting = again.greeting
        expect(greeting is not None and greeting.code == 421 and greeting.last.startswith("421 4.7.0 "),
               f"{what}: reconnecting {time.monotonic() - hung_up:.2f}s after hanging up: expected a 421 4.7.0 greeting, got {greeting}")
        again.expect_eof()
    print(f"measured: {mode}: harvester blocked after one session of 3 pipelined RCPTs, hung up after {PATIENCE}s with no reply")
    with Session(port, bind=neighbour_ip, name=f"{mode}: neighbour {neighbour_ip}") as other:
        expect(other.greeting is not None and other.greeting.code == 220, f"{mode}: neighbour greeting {other.greeting}")
        other.expect_reply("EHLO neighbour.example", 250)
        other.expect_reply("MAIL FROM:<n@remote.example>", 250)
        other.expect_reply("RCPT TO:<alice@local.example>", 250, f"{mode}: neighbour's RCPT to a real user")
        other.expect_reply("QUIT", 221)

    refused = wait_for_decisions(log, 3, client=harvester_ip, event="rcpt")
    rejects = [r for r in refused if r.get("decision") == "reject" and r.get("code") == 550
               and r.get("enhanced") == "5.1.1" and r.get("reason") in UNKNOWN_USER]
    drops = [r for r in refused if r.get("decision") == "drop" and r.get("code") == 421
             and r.get("reason") == "too_many_invalid_recipients"]
    expect(len(refused) == 3 and len(rejects) == 2 and len(drops) == 1,
           f"{what}: expected 2 rcpt records 550 5.1.1 (unknown user) and 1 drop too_many_invalid_recipients: {refused}")
    expect(drops[0].get("rcpt") == "h-unknown3@local.example", f"{what}: the third RCPT should be the drop: {drops}")
    blocked = wait_for_decisions(log, 1, client=harvester_ip, event="connect", reason="harvest_blocked")
    expect(len(blocked) == 1 and blocked[0].get("code") == 421, f"{what}: connect records harvest_blocked: {blocked}")


def control(mode):
    port, log, harvester_ip, control_ip, neighbour_ip = modes[mode]
    what = f"{mode}: control {control_ip}"
    probe_and_hang_up(port, control_ip, ["c-unknown1", "c-unknown2"], what)
    with Session(port, bind=control_ip, name=f"{what}: reconnect") as again:
        expect(again.greeting is not None and again.greeting.code == 220,
               f"{what}: 2 refusals are below invalid_recipient_limit = 3, expected a 220, got {again.greeting}")
        again.expect_reply("QUIT", 221)
    refused = wait_for_decisions(log, 2, client=control_ip, event="rcpt", code=550)
    expect(len(refused) == 2 and all(r.get("reason") in UNKNOWN_USER for r in refused),
           f"{what}: expected the 2 refusals logged: {refused}")
    expect(not decisions(log, client=control_ip, reason="harvest_blocked"), f"{what}: blocked below the limit")


cases = [(f"{mode}/{case.__name__}", lambda case=case, mode=mode: case(mode)) for mode in modes for case in (harvester, control)]
sys.exit(1 if run_cases(cases) else 0)
EOF

# Postfix saw the backend-mode harvester once (the probing session), never its blocked reconnect.
maillog_grep "$PF" 'disconnect from unknown\[127\.0\.0\.2\]' 10 >/dev/null
expect_eq "Postfix sessions from the harvester 127.0.0.2" 1 \
    "$(grep -cE 'postfix/smtpd\[[0-9]+\]: connect from unknown\[127\.0\.0\.2\]' "$PF/maillog" || true)"
postfix_lines=$(grep -cE 'smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.2\]: 550 5\.1\.1' "$PF/maillog" || true)
expect_eq "unknown users Postfix refused for the harvester" 3 "$postfix_lines"

pass "a harvester that hangs up before its tarpitted replies is still blocked at invalid_recipient_limit (backend and map)"
