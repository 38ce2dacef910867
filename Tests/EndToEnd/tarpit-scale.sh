#!/usr/bin/env bash
# tarpit-scale.sh: the tarpit is a timer, not a blocked thread (docs/ARCHITECTURE.md and relayguard.conf(5), tarpit and harvest keys).
#
# 200 sessions at once from one Python process (asyncio), from 127.0.0.10 to 127.0.0.13 (50
# each; max_connections_per_client raised to 100, Postfix's per-client connection limit off), in
# front of Postfix with recipient_check = backend and tarpit_delay = 2s. First every session is
# opened (greeting, EHLO, MAIL); then all 200 send one refused RCPT at the same moment, half to
# an unknown local user (Postfix's 5xx), half a relay attempt (relayguard's own 550). Each reply
# must be the refusal and come no earlier than 2 s after its RCPT, and all 200 must be answered
# within 2 x 2 s of the first RCPT: about one delay, not 200 delays (nor 200 / cores).
set -euo pipefail
source "$(dirname "$0")/lib-tarpit.sh"

SESSIONS=200
tarpit_postfix_start --maxproc $((SESSIONS + 20)) --set smtpd_client_connection_count_limit=0
# 50 refusals per address at once: client_refusal_limit (across sessions) raised out of the way,
# it has its own test (tarpit-client-refusals.sh).
tarpit_relayguard_start rg recipient_check=backend tarpit_delay=2s tarpit_max_delay=2s max_connections_per_client=100 \
    client_refusal_limit=1000

tarpit_python "$RG_PORT" "$RG_LOG" "$SESSIONS" <<'EOF' || fail "200 concurrent tarpitted sessions (failures above)"
import asyncio
import sys
import time
from tarpitclient import AsyncSession, CheckFailed, expect, wait_for_decisions

port, log, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
DELAY = 2.0
sources = [f"127.0.0.{10 + i}" for i in range(4)]


async def open_one(index):
    session = await AsyncSession.open(port, bind=sources[index % len(sources)])
    expect(session.greeting is not None and session.greeting.code == 220, f"session {index}: greeting {session.greeting}")
    await session.expect_reply("EHLO client.example", 250)
    await session.expect_reply(f"MAIL FROM:<s{index}@remote.example>", 250)
    return session


def recipient(index):
    return f"scale-unknown{index}@local.example" if index % 2 == 0 else f"scale-victim{index}@remote.example"


async def refuse(session, index, start):
    await start.wait()
    reply = await session.command(f"RCPT TO:<{recipient(index)}>")
    return reply


async def main():
    began = time.monotonic()
    sessions = await asyncio.gather(*(open_one(i) for i in range(count)))
    print(f"{count} sessions open in {time.monotonic() - began:.2f}s")
    start = asyncio.Event()
    tasks = [asyncio.create_task(refuse(s, i, start)) for i, s in enumerate(sessions)]
    await asyncio.sleep(0.1)  # every task is parked on the event
    first_sent = time.monotonic()
    start.set()
    replies = await asyncio.gather(*tasks)
    last_reply = max(r.at for r in replies)
    wall = last_reply - first_sent
    elapsed = sorted(r.elapsed for r in replies)
    print(f"{count} refused RCPTs answered in {wall:.2f}s wall time; "
          f"per reply min {elapsed[0]:.3f}s, median {elapsed[len(elapsed) // 2]:.3f}s, max {elapsed[-1]:.3f}s")
    problems = []
    for index, reply in enumerate(replies):
        enhanced = "5.1.1" if index % 2 == 0 else "5.7.1"
        if reply.code != 550 or f" {enhanced} " not in reply.last:
            problems.append(f"session {index} RCPT <{recipient(index)}>: expected 550 {enhanced}, got {reply}")
        elif reply.elapsed < DELAY:
            problems.append(f"session {index} RCPT <{recipient(index)}>: reply before its {DELAY}s delay: {reply}")
    expect(not problems, f"{len(problems)} of {count} replies wrong:\n  " + "\n  ".join(problems[:10]))
    expect(wall < 2 * DELAY, f"{count} tarpitted replies took {wall:.2f}s wall time; expected about one delay (< {2 * DELAY}s)")
    await asyncio.gather(*(s.expect_reply("QUIT", 221) for s in sessions))
    for s in sessions:
        s.close()
    records = wait_for_decisions(log, count, event="rcpt", code=550, tarpit_ms=2000)
    expect(len(records) == count, f"decision log: {len(records)} rcpt records with code 550 and tarpit_ms 2000, expected {count}")


try:
    asyncio.run(main())
except CheckFailed as failure:
    print(f"FAIL: {failure}", file=sys.stderr)
    sys.exit(1)
print("ok")
EOF

pass "$SESSIONS concurrent tarpitted RCPTs answered after one delay each, in about one delay of wall time"
