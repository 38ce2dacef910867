#!/usr/bin/env bash
# tarpit-delay.sh: the tarpit of relayguard.conf(5), tarpit and harvest keys, timed, with relayguard in front of Postfix.
#
# Two relayguards share one Postfix: one with recipient_check = backend (Postfix knows the
# mailboxes and answers an unknown user with its own 550 5.1.1), one with recipient_check = map
# (relayguard's recipient_map). tarpit_delay = 1s, tarpit_max_delay = 2s. For each, sessions
# run side by side:
#   escalation  refused RCPTs to unknown users of both local domains: the n-th reply comes NO
#               EARLIER than min(n x 1s, 2s) after the RCPT was sent (1 s, 2 s, 2 s: the cap),
#               and not much later (an RSET before the third does not reset the count); every
#               unknown-user reply has the one text
#               `550 5.1.1 <addr>: Recipient address rejected: User unknown` (backend mode: the
#               Postfix table name is not leaked); a known recipient afterwards is not delayed;
#               the log has tarpit_ms 1000, 2000, 2000.
#   pipelined   a refused RCPT pipelined with a good RCPT and NOOP: replies in command order, the
#               refusal after its delay, then the two 250s; two refused RCPTs pipelined: both
#               replies in order, each no earlier than its own delay.
#   refusals    relay refused, sender-specified routing, unqualified address: each 5xx delayed.
#   trusted     the trusted client (127.0.0.3 in trusted_networks): unknown users and an
#               unqualified address are refused at once, with no tarpit_ms in the log.
# The same unknown-user text comes from both modes. In map mode Postfix never sees the unknown
# users; in backend mode it did refuse them with its own (leaky) text.
set -euo pipefail
source "$(dirname "$0")/lib-tarpit.sh"

tarpit_postfix_start

tarpit_relayguard_start rg-backend recipient_check=backend
BACKEND_PORT=$RG_PORT BACKEND_LOG=$RG_LOG
tarpit_relayguard_start rg-map recipient_check=map
MAP_PORT=$RG_PORT MAP_LOG=$RG_LOG

tarpit_python "$BACKEND_PORT" "$BACKEND_LOG" "$MAP_PORT" "$MAP_LOG" <<'EOF' || fail "tarpit delays (failures above)"
import sys
from tarpitclient import Session, expect, run_cases, wait_for_decisions, decisions

DELAY, CAP = 1.0, 2.0
# How late a reply may come: loose, only to tell n x delay from the cap (2 s against 3 s).
SLACK = 0.9
UNKNOWN_TEXT = "550 5.1.1 <ADDR>: Recipient address rejected: User unknown"

modes = {
    "backend": (int(sys.argv[1]), sys.argv[2], "b"),
    "map": (int(sys.argv[3]), sys.argv[4], "m"),
}
texts = {}  # mode -> set of unknown-user texts with the address taken out


def expect_delay(reply, n, what):
    want = min(n * DELAY, CAP)
    expect(reply.elapsed >= want, f"{what}: reply {reply} came before its delay of {want:.1f}s")
    expect(reply.elapsed < want + SLACK, f"{what}: reply {reply} came long after its delay of {want:.1f}s")


def expect_unknown_user(mode, reply, address, what):
    expect(reply.code == 550, f"{what}: expected 550, got {reply}")
    generic = reply.generic(address)
    expect(generic == UNKNOWN_TEXT, f"{what}: unknown-user text is [{reply.text}], expected [{UNKNOWN_TEXT.replace('ADDR', address)}]")
    texts.setdefault(mode, set()).add(generic)


def open_session(port, bind, mode, case):
    session = Session(port, bind=bind, name=f"{mode}/{case}")
    expect(session.greeting is not None and session.greeting.code == 220, f"{mode}/{case}: greeting {session.greeting}")
    session.expect_reply("EHLO client.example", 250)
    session.expect_reply("MAIL FROM:<harvester@remote.example>", 250)
    return session


def escalation(mode):
    port, log, prefix = modes[mode]
    addresses = [f"{prefix}-nobody1@local.example", f"{prefix}-nobody2@other.example", f"{prefix}-Nobody3@LOCAL.example"]
    with open_session(port, "127.0.0.1", mode, "escalation") as session:
        for n, address in enumerate(addresses, 1):
            if n == 3:
                # The count survives RSET: were it reset, #3 would wait 1 s, not 2 s.
                session.expect_reply("RSET", 250)
                session.expect_reply("MAIL FROM:<harvester@remote.example>", 250)
            reply = session.command(f"RCPT TO:<{address}>")
            expect_unknown_user(mode, reply, address, f"{mode}: refused RCPT #{n} <{address}>")
            expect_delay(reply, n, f"{mode}: refused RCPT #{n} <{address}>")
            expect("table" not in reply.text.lower(), f"{mode}: reply names a lookup table: {reply}")
        reply = session.expect_reply("RCPT TO:<alice@local.example>", 250, "a known recipient after the refusals")
        expect(reply.elapsed < 0.5, f"{mode}: an accepted RCPT was delayed: {reply}")
        session.expect_reply("QUIT", 221)
    for address, ms in zip(addresses, [1000, 2000, 2000]):
        records = wait_for_decisions(log, 1, event="rcpt", rcpt=address)
        expect(records[0].get("tarpit_ms") == ms and records[0].get("code") == 550 and records[0].get("decision") == "reject",
               f"{mode}: decision record for <{address}>: expected code 550, reject, tarpit_ms {ms}: {records[0]}")
        # An unknown user is unknown_recipient whoever said so; the backend's own text is in detail.
        expect(records[0].get("reason") == "unknown_recipient", f"{mode}: reason for <{address}>: expected unknown_recipient: {records[0]}")
        if mode == "backend":
            expect("User unknown" in records[0].get("detail", ""), f"backend: its own reply in detail: {records[0]}")


def pipelined(mode):
    port, log, prefix = modes[mode]
    with open_session(port, "127.0.0.1", mode, "pipelined") as session:
        first = f"{prefix}-nobody4@local.example"
        sent = session.send(f"RCPT TO:<{first}>\r\nRCPT TO:<alice@local.example>\r\nNOOP\r\n".encode())
        replies = [session.reply(sent) for _ in range(3)]
        expect(None not in replies, f"{mode}: pipelined RCPT+RCPT+NOOP: the server closed: {replies}")
        codes = [r.code for r in replies]
        expect(codes == [550, 250, 250], f"{mode}: pipelined RCPT(unknown)+RCPT(alice)+NOOP: codes {codes}, expected [550, 250, 250]: {replies}")
        expect_unknown_user(mode, replies[0], first, f"{mode}: pipelined refused RCPT")
        expect_delay(replies[0], 1, f"{mode}: pipelined refused RCPT")
        expect("2.1.5" in replies[1].text, f"{mode}: second pipelined reply should be the RCPT's 250 2.1.5: {replies[1]}")
        expect(replies[1].at >= replies[0].at and replies[2].at >= replies[1].at, f"{mode}: replies out of order: {replies}")

        second, third = f"{prefix}-nobody5@other.example", f"{prefix}-nobody6@local.example"
        sent = session.send(f"RCPT TO:<{second}>\r\nRCPT TO:<{third}>\r\n".encode())
        replies = [session.reply(sent) for _ in range(2)]
        expect(None not in replies, f"{mode}: two pipelined refused RCPTs: the server closed: {replies}")
        expect_unknown_user(mode, replies[0], second, f"{mode}: pipelined refused RCPT #2")
        expect_unknown_user(mode, replies[1], third, f"{mode}: pipelined refused RCPT #3")
        expect(replies[0].elapsed >= 2 * DELAY, f"{mode}: pipelined refused RCPT #2 came before its 2s: {replies[0]}")
        expect(replies[1].elapsed >= CAP, f"{mode}: pipelined refused RCPT #3 came before its 2s: {replies[1]}")
        session.expect_reply("QUIT", 221)


def refusals(mode):
    port, log, prefix = modes[mode]
    cases = [
        ("victim@remote.example", "5.7.1", "relay_denied"),
        ("user%remote.example@local.example", "5.7.1", "sender_routing"),
        (f"{prefix}-nodomain", "5.7.1", "unqualified_recipient"),
    ]
    with open_session(port, "127.0.0.2", mode, "refusals") as session:
        for n, (address, enhanced, reason) in enumerate(cases, 1):
            reply = session.command(f"RCPT TO:<{address}>")
            expect(reply.code == 550 and f" {enhanced} " in reply.last, f"{mode}: RCPT <{address}> ({reason}): expected 550 {enhanced}, got {reply}")
            expect_delay(reply, n, f"{mode}: RCPT <{address}> ({reason})")
        session.expect_reply("QUIT", 221)
    for n, (address, _, reason) in enumerate(cases, 1):
        record = wait_for_decisions(log, 1, event="rcpt", rcpt=address)[0]
        want = int(min(n * DELAY, CAP) * 1000)
        expect(record.get("reason") == reason and record.get("tarpit_ms") == want,
               f"{mode}: decision record for <{address}>: expected reason {reason}, tarpit_ms {want}: {record}")


def trusted(mode):
    port, log, prefix = modes[mode]
    addresses = [f"{prefix}-nobody7@local.example", f"{prefix}-nobody8@other.example", f"{prefix}-nobody9@local.example"]
    with open_session(port, "127.0.0.3", mode, "trusted") as session:
        for address in addresses:
            reply = session.command(f"RCPT TO:<{address}>")
            expect_unknown_user(mode, reply, address, f"{mode}: trusted client, RCPT <{address}>")
            expect(reply.elapsed < 0.5, f"{mode}: trusted client was tarpitted: RCPT <{address}>: {reply}")
        reply = session.command(f"RCPT TO:<{prefix}-trusted-nodomain>")
        expect(reply.code == 550 and " 5.7.1 " in reply.last, f"{mode}: trusted client, unqualified RCPT: {reply}")
        expect(reply.elapsed < 0.5, f"{mode}: trusted client was tarpitted: unqualified RCPT: {reply}")
        session.expect_reply("QUIT", 221)
    for address in addresses + [f"{prefix}-trusted-nodomain"]:
        record = wait_for_decisions(log, 1, event="rcpt", rcpt=address)[0]
        expect(record.get("code") == 550 and record.get("client") == "127.0.0.3" and "tarpit_ms" not in record,
               f"{mode}: decision record for the trusted client's <{address}>: expected 550 and no tarpit_ms: {record}")


cases = []
for mode in modes:
    for case in (escalation, pipelined, refusals, trusted):
        cases.append((f"{mode}/{case.__name__}", lambda case=case, mode=mode: case(mode)))
failed = run_cases(cases)

both = texts.get("backend", set()) | texts.get("map", set())
if both != {UNKNOWN_TEXT}:
    print(f"FAIL unknown-user text differs between modes or addresses: {sorted(both)}", file=sys.stderr)
    failed += 1
else:
    print("ok one unknown-user text for every address, domain and mode")
sys.exit(1 if failed else 0)
EOF

# Backend mode: Postfix refused the unknown users with its own text, which names its table;
# relayguard rewrote it. Map mode: relayguard refused them; Postfix never saw them.
maillog_grep "$PF" 'reject: RCPT from [^ ]*\[127\.0\.0\.1\]: 550 5\.1\.1 <b-nobody1@local\.example>: Recipient address rejected: User unknown in virtual mailbox table' >/dev/null
maillog_lacks "$PF" '<m-nobody'
maillog_lacks "$PF" '<[bm]-nodomain'

pass "refused RCPTs answered no earlier than min(n x tarpit_delay, tarpit_max_delay), in order, with one unknown-user text; trusted client never delayed"
