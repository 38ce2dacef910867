#!/usr/bin/env bash
# tarpit-rejection-count.sh: n in the tarpit delay is the number of REJECTED RCPTs (the man pages
# 3, tarpit_max_delay: "the n-th rejected RCPT in a session waits min(n x tarpit_delay,
# tarpit_max_delay)"; section 5: every 5xx reply to RCPT is tarpitted).
#
# A RCPT refused for bad syntax (501 5.1.3) is a rejected RCPT: it counts towards error_limit,
# not invalid_recipient_limit, but it is the n-th rejected RCPT all the same, and unrelated
# protocol errors (unknown commands) are not rejected RCPTs at all. With tarpit_delay = 500ms
# and tarpit_max_delay = 5s, from an untrusted client:
#   garbage-first  three unknown commands (502, not RCPTs), MAIL, then a RCPT with bad syntax:
#                  the FIRST rejected RCPT waits 0.5 s (not 4 x 0.5 s);
#   mixed          unknown user, bad syntax, unknown user: the 1st, 2nd and 3rd rejected RCPTs
#                  wait 0.5 s, 1.0 s and 1.5 s (none earlier than that).
# Both modes (recipient_check = backend and = map).
set -euo pipefail
source "$(dirname "$0")/lib-tarpit.sh"

tarpit_postfix_start
timing=(tarpit_delay=500ms tarpit_max_delay=5s)
tarpit_relayguard_start rg-backend recipient_check=backend "${timing[@]}"
BACKEND_PORT=$RG_PORT
tarpit_relayguard_start rg-map recipient_check=map "${timing[@]}"
MAP_PORT=$RG_PORT

tarpit_python "$BACKEND_PORT" "$MAP_PORT" <<'EOF' || fail "tarpit n is not the number of rejected RCPTs (failures above)"
import sys
from tarpitclient import Session, expect, run_cases

DELAY, SLACK = 0.5, 0.4
modes = {"backend": int(sys.argv[1]), "map": int(sys.argv[2])}


def expect_delay(reply, n, what):
    want = n * DELAY
    expect(reply.elapsed >= want, f"{what}: reply {reply} came before the delay of rejected RCPT #{n}, {want:.1f}s")
    expect(reply.elapsed < want + SLACK, f"{what}: reply {reply} should come {want:.1f}s after the RCPT (rejected RCPT #{n})")


def open_session(mode, case):
    session = Session(modes[mode], bind="127.0.0.2", name=f"{mode}/{case}")
    expect(session.greeting is not None and session.greeting.code == 220, f"{mode}/{case}: greeting {session.greeting}")
    session.expect_reply("EHLO client.example", 250)
    return session


def garbage_first(mode):
    with open_session(mode, "garbage-first") as session:
        for verb in ("FROBNICATE", "WIBBLE", "XYZZY"):
            reply = session.command(verb)
            expect(reply.code == 502, f"{mode}: {verb}: expected 502, got {reply}")
        session.expect_reply("MAIL FROM:<someone@remote.example>", 250)
        reply = session.command("RCPT TO:<bad address@local.example>")
        expect(reply.code == 501, f"{mode}: RCPT with bad syntax: expected 501, got {reply}")
        expect_delay(reply, 1, f"{mode}: first rejected RCPT (bad syntax) after 3 unknown commands")


def mixed(mode):
    with open_session(mode, "mixed") as session:
        session.expect_reply("MAIL FROM:<someone@remote.example>", 250)
        steps = [("RCPT TO:<count-unknown1@local.example>", 550),
                 ("RCPT TO:<bad address@local.example>", 501),
                 ("RCPT TO:<count-unknown2@local.example>", 550)]
        for n, (command, code) in enumerate(steps, 1):
            reply = session.command(command)
            expect(reply.code == code, f"{mode}: {command}: expected {code}, got {reply}")
            expect_delay(reply, n, f"{mode}: rejected RCPT #{n} ({command})")


cases = [(f"{mode}/{case.__name__}", lambda case=case, mode=mode: case(mode)) for mode in modes for case in (garbage_first, mixed)]
sys.exit(1 if run_cases(cases) else 0)
EOF

pass "the n-th rejected RCPT waits n x tarpit_delay, whatever the reason it was rejected"
