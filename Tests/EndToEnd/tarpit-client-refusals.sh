#!/usr/bin/env bash
# tarpit-client-refusals.sh: refused RCPTs count per client ACROSS sessions (relayguard.conf(5), tarpit and harvest keys,
# client_refusal_limit), the harvester that reconnects for every guess.
#
# Settings: client_refusal_limit = 4 within client_refusal_window = 1h, client_ipv6_prefix = 64,
# invalid_recipient_limit = 10 (never reached: one guess per session), harvest_block_time = 1m,
# tarpit 100 ms; relayguard listens on 127.0.0.1 and [::1], in front of Postfix
# (recipient_check = backend, so each unknown user is Postfix's own 550).
#   IPv4  127.0.0.2 opens a session per guess, one unknown RCPT each (550 5.1.1), and waits for
#         the tarpitted reply. The 4th refusal reaches the limit: that session ends with 421 4.7.0
#         and logs the limit; the 5th connection is greeted 421 4.7.0 (connect, harvest_blocked)
#         and closed. 127.0.0.4 is served meanwhile; so is 127.0.0.6, which had 3 refusals of its
#         own (below the limit: each client has its own count).
#   IPv6  2001:db8:77:1::/64 is routed to loopback for the test. Four guesses, each from a fresh
#         address of that /64, reach the limit together; a fifth address of the same /64 is
#         refused at connect, while 2001:db8:77:2::1 (another /64) is served.
set -euo pipefail
source "$(dirname "$0")/lib-tarpit.sh"
require_cmd ip

tarpit_postfix_start

# A /48 routed to loopback, so the test can connect from any address in it.
PREFIX=2001:db8:77
ip -6 route add local "$PREFIX::/48" dev lo table local || fail "cannot route $PREFIX::/48 to loopback"
on_exit ip -6 route del local "$PREFIX::/48" dev lo table local

port=$(free_port)
while [[ $port == "$PF_PORT" ]]; do port=$(free_port); done
conf="$E2E_TMP/relayguard.conf"
log="$E2E_TMP/decisions.jsonl"
cat >"$conf" <<EOF
listen = 127.0.0.1:$port, [::1]:$port
backend = 127.0.0.1:$PF_PORT
hostname = relayguard.test
local_domains = local.example, other.example
trusted_networks = 127.0.0.3/32
recipient_check = backend
tarpit_delay = 100ms
tarpit_max_delay = 200ms
invalid_recipient_limit = 10
harvest_block_time = 1m
client_refusal_limit = 4
client_refusal_window = 1h
client_ipv6_prefix = 64
log = $log
EOF
relayguard_start "$conf" "$port"

tarpit_python "$port" "$log" "$PREFIX" <<'EOF' || fail "cross-session refusal counting (failures above)"
import sys
from tarpitclient import Session, expect, run_cases, wait_for_decisions, decisions

port, log, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3]
LIMIT = 4


def host_of(bind):
    return "::1" if ":" in bind else "127.0.0.1"


def probe(bind, user, what):
    """One guess per session, as a reconnecting harvester does; returns the RCPT reply."""
    with Session(port, bind=bind, host=host_of(bind), name=what) as session:
        expect(session.greeting is not None and session.greeting.code == 220, f"{what}: expected a 220 greeting, got {session.greeting}")
        session.expect_reply("EHLO harvester.example", 250, f"{what}: EHLO")
        session.expect_reply("MAIL FROM:<h@remote.example>", 250, f"{what}: MAIL")
        reply = session.command(f"RCPT TO:<{user}@local.example>")
        if reply.code != 421:
            # The refusal that reaches the limit may be answered as refused, then the session
            # ends with a 421 (which then answers the QUIT).
            bye = session.command("QUIT")
            expect(bye.code in (221, 421), f"{what}: QUIT: expected 221 or 421, got {bye}")
            if bye.code == 421:
                reply = bye
        return reply


def refused_at_connect(bind, what):
    with Session(port, bind=bind, host=host_of(bind), name=what) as session:
        greeting = session.greeting
        expect(greeting is not None and greeting.last.startswith("421 4.7.0 "), f"{what}: expected a 421 4.7.0 greeting, got {greeting}")
        session.expect_eof()


def served(bind, what):
    with Session(port, bind=bind, host=host_of(bind), name=what) as session:
        expect(session.greeting is not None and session.greeting.code == 220, f"{what}: expected a 220 greeting, got {session.greeting}")
        session.expect_reply("EHLO client.example", 250, f"{what}: EHLO")
        session.expect_reply("MAIL FROM:<someone@remote.example>", 250, f"{what}: MAIL")
        session.expect_reply("RCPT TO:<alice@local.example>", 250, f"{what}: RCPT to a known user")
        session.expect_reply("QUIT", 221, f"{what}: QUIT")


def reached_limit(record):
    return record.get("reason") == "client_refusal_limit" or "client refusal limit" in record.get("detail", "")


def harvest(sources, blocked_source, label):
    for index, source in enumerate(sources, start=1):
        reply = probe(source, f"{label}-guess{index}", f"{label} guess {index} from {source}")
        if index < LIMIT:
            expect(reply.code == 550 and " 5.1.1 " in reply.last, f"{label} guess {index}: expected 550 5.1.1, got {reply}")
        else:
            expect(reply.last.startswith("421 4.7.0 "), f"{label} guess {index}: the session should end with 421 4.7.0, got {reply}")
    refused_at_connect(blocked_source, f"{label}: guess {LIMIT + 1} from {blocked_source}")
    # The session of the refusal that reached the limit logs it (the man pages: reason client_refusal_limit).
    last = wait_for_decisions(log, 1, event="rcpt", rcpt=f"{label}-guess{LIMIT}@local.example")[0]
    limit_records = [r for r in wait_for_decisions(log, 1, session=last["session"]) if reached_limit(r)]
    expect(limit_records, f"{label}: no record of session {last['session']} says the client refusal limit was reached")
    for n in range(1, LIMIT):
        first_session = wait_for_decisions(log, 1, event="rcpt", rcpt=f"{label}-guess{n}@local.example")[0]["session"]
        early = [r for r in decisions(log, session=first_session) if reached_limit(r)]
        expect(not early, f"{label}: refusal {n} (below the limit) was logged as reaching it: {early}")
    blocked = wait_for_decisions(log, 1, event="connect", client=blocked_source, reason="harvest_blocked")
    expect(blocked[0].get("code") == 421 and blocked[0].get("decision") == "drop", f"{label}: connect record: {blocked[0]}")
    print(f"{label}: {LIMIT} guesses from {len(set(sources))} address(es) answered, then refused at connect")


def ipv4():
    harvester = "127.0.0.2"
    for index in range(1, LIMIT):
        probe("127.0.0.6", f"slow-guess{index}", f"127.0.0.6 guess {index}")
    harvest([harvester] * LIMIT, harvester, "v4")
    served("127.0.0.4", "127.0.0.4 while 127.0.0.2 is blocked")
    served("127.0.0.6", "127.0.0.6, 3 refusals of its own")


def ipv6():
    sources = [f"{prefix}:1::{n}" for n in range(1, LIMIT + 1)]
    harvest(sources, f"{prefix}:1:ffff::99", "v6")
    served(f"{prefix}:2::1", "another /64 while the first is blocked")


sys.exit(1 if run_cases([("ipv4", ipv4), ("ipv6", ipv6)], parallel=False) else 0)
EOF
pass "a harvester reconnecting for every guess is blocked after client_refusal_limit refusals, per IPv4 address and per IPv6 /64"
