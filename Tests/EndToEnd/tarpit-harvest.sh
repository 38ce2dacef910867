#!/usr/bin/env bash
# tarpit-harvest.sh: invalid_recipient_limit, the harvest block and error_limit (relayguard.conf(5), tarpit and harvest keys),
# with relayguard in front of Postfix, for recipient_check = backend and = map side by side.
#
# Settings: invalid_recipient_limit = 3, harvest_block_time = 2s, error_limit = 3 (tarpit 100 ms,
# so the test is fast). For each mode:
#   harvest  from 127.0.0.2: two refused RCPTs (an unknown user, which in backend mode is
#            Postfix's 5xx, and a relay attempt), RSET, MAIL, one more unknown user: that RCPT is
#            answered `421 4.7.0 Too many invalid recipients` and the connection closes (the
#            counter survived RSET). A new connection from 127.0.0.2 gets `421 4.7.0` at once
#            (logged: event connect, reason harvest_blocked); one from 127.0.0.4 is served; 1.2 s
#            after the block began 127.0.0.2 is still refused; after harvest_block_time it is
#            served again. The refused connections never reach Postfix.
#   errors   from 127.0.0.6: garbage, RSET, garbage, garbage: the third error is answered 421 and
#            the connection closes (the counter survived RSET); 127.0.0.6 is NOT blocked.
set -euo pipefail
source "$(dirname "$0")/lib-tarpit.sh"

tarpit_postfix_start

limits=(invalid_recipient_limit=3 harvest_block_time=2s error_limit=3 tarpit_delay=100ms tarpit_max_delay=200ms)
tarpit_relayguard_start rg-backend recipient_check=backend "${limits[@]}"
BACKEND_PORT=$RG_PORT BACKEND_LOG=$RG_LOG
tarpit_relayguard_start rg-map recipient_check=map "${limits[@]}"
MAP_PORT=$RG_PORT MAP_LOG=$RG_LOG

tarpit_python "$BACKEND_PORT" "$BACKEND_LOG" "$MAP_PORT" "$MAP_LOG" <<'EOF' || fail "limits and harvest block (failures above)"
import sys
import time
from tarpitclient import Session, expect, run_cases, wait_for_decisions, decisions

BLOCK = 2.0
HARVESTER, NEIGHBOUR, BLUNDERER = "127.0.0.2", "127.0.0.4", "127.0.0.6"
modes = {"backend": (int(sys.argv[1]), sys.argv[2]), "map": (int(sys.argv[3]), sys.argv[4])}


def greeted(port, bind, what):
    session = Session(port, bind=bind, name=what)
    expect(session.greeting is not None and session.greeting.code == 220, f"{what}: expected a 220 greeting, got {session.greeting}")
    return session


def served(port, bind, what):
    """A full, ordinary session: greeted, and a known recipient accepted."""
    with greeted(port, bind, what) as session:
        session.expect_reply("EHLO client.example", 250, f"{what}: EHLO")
        session.expect_reply("MAIL FROM:<someone@remote.example>", 250, f"{what}: MAIL")
        session.expect_reply("RCPT TO:<alice@local.example>", 250, f"{what}: RCPT to a known user")
        session.expect_reply("QUIT", 221, f"{what}: QUIT")


def refused_at_greeting(port, bind, what):
    with Session(port, bind=bind, name=what) as session:
        greeting = session.greeting
        expect(greeting is not None and greeting.code == 421 and greeting.last.startswith("421 4.7.0 "),
               f"{what}: expected a 421 4.7.0 greeting, got {greeting}")
        session.expect_eof()


def harvest(mode):
    port, log = modes[mode]
    what = f"{mode}: harvester {HARVESTER}"
    with greeted(port, HARVESTER, what) as session:
        session.expect_reply("EHLO harvester.example", 250)
        session.expect_reply("MAIL FROM:<harvester@remote.example>", 250)
        reply = session.expect_reply("RCPT TO:<h-unknown1@local.example>", 550, f"{what}: refused RCPT 1 (unknown user)")
        expect(" 5.1.1 " in reply.last, f"{what}: refused RCPT 1 should be 5.1.1: {reply}")
        reply = session.expect_reply("RCPT TO:<victim@remote.example>", 550, f"{what}: refused RCPT 2 (relay)")
        expect(" 5.7.1 " in reply.last, f"{what}: refused RCPT 2 should be 5.7.1: {reply}")
        session.expect_reply("RSET", 250, f"{what}: RSET")
        session.expect_reply("MAIL FROM:<harvester@remote.example>", 250, f"{what}: MAIL after RSET")
        reply = session.command("RCPT TO:<h-unknown2@other.example>")
        expect(reply.text == "421 4.7.0 Too many invalid recipients",
               f"{what}: the RCPT reaching invalid_recipient_limit = 3 (counted across RSET): expected [421 4.7.0 Too many invalid recipients], got {reply}")
        blocked_at = reply.at
        session.expect_eof()

    refused_at_greeting(port, HARVESTER, f"{what}: reconnect at once")
    served(port, NEIGHBOUR, f"{mode}: another client {NEIGHBOUR} while {HARVESTER} is blocked")
    time.sleep(max(0.0, blocked_at + 1.2 - time.monotonic()))
    refused_at_greeting(port, HARVESTER, f"{what}: reconnect 1.2s after the block began (block is {BLOCK}s)")
    time.sleep(max(0.0, blocked_at + BLOCK + 0.4 - time.monotonic()))
    served(port, HARVESTER, f"{what}: reconnect after harvest_block_time")

    record = wait_for_decisions(log, 1, event="rcpt", rcpt="h-unknown2@other.example")[0]
    expect(record.get("code") == 421 and record.get("enhanced") == "4.7.0" and record.get("decision") == "drop"
           and record.get("reason") == "too_many_invalid_recipients",
           f"{mode}: decision record of the RCPT that reached the limit: {record}")
    blocked = wait_for_decisions(log, 2, event="connect", client=HARVESTER, reason="harvest_blocked")
    expect(len(blocked) == 2 and all(r.get("code") == 421 and r.get("decision") == "drop" for r in blocked),
           f"{mode}: expected exactly 2 connect records code 421, drop, harvest_blocked for {HARVESTER}: {blocked}")
    neighbour = decisions(log, event="connect", client=NEIGHBOUR, reason="harvest_blocked")
    expect(not neighbour, f"{mode}: {NEIGHBOUR} was logged as harvest_blocked: {neighbour}")


def errors(mode):
    port, log = modes[mode]
    what = f"{mode}: client {BLUNDERER} sending garbage"
    with greeted(port, BLUNDERER, what) as session:
        session.expect_reply("EHLO blunderer.example", 250)
        reply = session.command("FROBNICATE")
        expect(reply.code >= 500 and reply.code < 600, f"{what}: error 1: expected a 5xx, got {reply}")
        session.expect_reply("RSET", 250, f"{what}: RSET")
        reply = session.command("WIBBLE wobble")
        expect(reply.code >= 500 and reply.code < 600, f"{what}: error 2: expected a 5xx, got {reply}")
        reply = session.command("XYZZY")
        expect(reply.code == 421 and reply.last.startswith("421 4.7.0 "),
               f"{what}: error 3 reaching error_limit = 3 (counted across RSET): expected 421 4.7.0, got {reply}")
        session.expect_eof()
    served(port, BLUNDERER, f"{what}: reconnect after error_limit (no block)")
    record = wait_for_decisions(log, 1, client=BLUNDERER, reason="too_many_errors")[0]
    expect(record.get("code") == 421 and record.get("decision") == "drop", f"{mode}: decision record for error_limit: {record}")
    blocked = decisions(log, event="connect", client=BLUNDERER, reason="harvest_blocked")
    expect(not blocked, f"{mode}: error_limit blocked the client: {blocked}")


cases = [(f"{mode}/{case.__name__}", lambda case=case, mode=mode: case(mode)) for mode in modes for case in (harvest, errors)]
sys.exit(1 if run_cases(cases) else 0)
EOF

# A refused connection never reaches the backend: Postfix saw 127.0.0.2 twice per mode (the
# harvesting session and the one after the block), not the two refused in between.
maillog_grep "$PF" 'disconnect from unknown\[127\.0\.0\.2\]' >/dev/null
harvester_connections=$(grep -cE 'postfix/smtpd\[[0-9]+\]: connect from unknown\[127\.0\.0\.2\]' "$PF/maillog" || true)
expect_eq "Postfix sessions from the harvester 127.0.0.2 (2 per mode; blocked ones never forwarded)" 4 "$harvester_connections"

pass "invalid_recipient_limit and error_limit count across RSET; the harvester is blocked for harvest_block_time, others are not"
