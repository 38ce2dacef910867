#!/usr/bin/env bash
# dnsmasq-zone.sh: a private dnsmasq on 127.0.0.1 serving test DNSBL zones, for end-to-end tests
# and the DNSBL benchmark.
#
#   dnsmasq-zone.sh start DIR PORT     start dnsmasq (foreground process, in the background) on
#                                      127.0.0.1:PORT (UDP and TCP); state and log in DIR
#   dnsmasq-zone.sh stop DIR           stop it (and the blackhole behind slow.test)
#   dnsmasq-zone.sh query PORT NAME [A|TXT] [TIMEOUT]
#                                      one query, printed as `RCODE answer...` or `TIMEOUT`
#   dnsmasq-zone.sh verify PORT        checks every zone below; exit 1 on a difference
#
# Zones served:
#   bl.test    RFC 5782 healthy: lists 127.0.0.2 (A 127.0.0.2, TXT "listed for testing"),
#              does NOT list 127.0.0.1 (NXDOMAIN), lists 127.0.0.3 with the error code
#              127.255.255.254; every other name under bl.test is NXDOMAIN.
#   dead.test  lists everyone (127.0.0.1 included): A 127.0.0.2 for any name.
#   slow.test  never answers: forwarded to a UDP socket on 127.0.0.1 that reads nothing.
#
# Needs /usr/sbin/dnsmasq (package dnsmasq-base) and python3 (the blackhole and `query`).
set -euo pipefail

DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
PYTHON=${PYTHON:-python3}

die() { echo "dnsmasq-zone.sh: $*" >&2; exit 1; }

# A tiny DNS client: query PORT NAME TYPE TIMEOUT -> "NOERROR 127.0.0.2", "NXDOMAIN", "TIMEOUT".
query() {
    "$PYTHON" - "$@" <<'PY'
import random, socket, struct, sys
port, name, qtype, timeout = int(sys.argv[1]), sys.argv[2], sys.argv[3].upper(), float(sys.argv[4])
types = {"A": 1, "TXT": 16}
qid = random.randrange(65536)
question = b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".")) + b"\0" + struct.pack(">HH", types[qtype], 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(timeout)
s.sendto(struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question, ("127.0.0.1", port))
try:
    while True:
        reply, _ = s.recvfrom(4096)
        if struct.unpack(">H", reply[:2])[0] == qid:
            break
except socket.timeout:
    print("TIMEOUT"); sys.exit(0)
flags, qd, an = struct.unpack(">HHH", reply[2:8])
rcode = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}.get(flags & 15, "RCODE%d" % (flags & 15))
def skip_name(i):
    while True:
        n = reply[i]
        if n >= 0xC0: return i + 2
        if n == 0: return i + 1
        i += 1 + n
i = 12
for _ in range(qd): i = skip_name(i) + 4
out = [rcode]
for _ in range(an):
    i = skip_name(i)
    rtype, _, _, length = struct.unpack(">HHIH", reply[i:i + 10]); i += 10
    data = reply[i:i + length]; i += length
    if rtype == 1: out.append(socket.inet_ntoa(data))
    elif rtype == 16:
        j, parts = 0, []
        while j < len(data): parts.append(data[j + 1:j + 1 + data[j]].decode()); j += 1 + data[j]
        out.append('"' + "".join(parts) + '"')
print(" ".join(out))
PY
}

start() {
    local dir=$1 port=$2
    [[ -x $DNSMASQ ]] || die "missing $DNSMASQ (apt-get install dnsmasq-base)"
    mkdir -p "$dir"
    [[ -f $dir/dnsmasq.pid ]] && die "already started in $dir (run stop first)"
    # The blackhole behind slow.test: a UDP socket that never reads; it prints its port.
    rm -f "$dir/blackhole.port"
    "$PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(10**9)' >"$dir/blackhole.port" 2>"$dir/blackhole.log" &
    echo $! >"$dir/blackhole.pid"
    local waited=0
    until grep -qx '[0-9][0-9]*' "$dir/blackhole.port" 2>/dev/null; do
        sleep 0.05; waited=$((waited + 1)); ((waited < 100)) || die "blackhole did not start"
    done
    local blackhole_port
    blackhole_port=$(cat "$dir/blackhole.port")
    "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-negcache \
        --port="$port" --listen-address=127.0.0.1 --bind-interfaces \
        --user="$(id -un)" --group="$(id -gn)" --pid-file= \
        --log-facility="$dir/dnsmasq.log" \
        --local=/bl.test/ \
        --host-record=2.0.0.127.bl.test,127.0.0.2 \
        '--txt-record=2.0.0.127.bl.test,listed for testing' \
        --host-record=3.0.0.127.bl.test,127.255.255.254 \
        --address=/dead.test/127.0.0.2 \
        --server="/slow.test/127.0.0.1#$blackhole_port" \
        >"$dir/dnsmasq.out" 2>&1 &
    echo $! >"$dir/dnsmasq.pid"
    waited=0
    until [[ $(query "$port" 2.0.0.127.bl.test A 0.2 2>/dev/null) == "NOERROR 127.0.0.2" ]]; do
        kill -0 "$(cat "$dir/dnsmasq.pid")" 2>/dev/null || { cat "$dir/dnsmasq.out" >&2; stop "$dir"; die "dnsmasq exited"; }
        waited=$((waited + 1)); ((waited < 50)) || { stop "$dir"; die "dnsmasq does not answer on 127.0.0.1:$port"; }
    done
}

stop() {
    local dir=$1 name pid
    for name in dnsmasq blackhole; do
        [[ -f $dir/$name.pid ]] || continue
        pid=$(cat "$dir/$name.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/$name.pid"
    done
}

verify() {
    local port=$1 failures=0 name type expected actual
    while IFS='|' read -r name type expected; do
        actual=$(query "$port" "$name" "$type" 1)
        if [[ $actual == "$expected" ]]; then
            echo "ok   $name $type: $actual"
        else
            echo "FAIL $name $type: expected '$expected', got '$actual'"; failures=$((failures + 1))
        fi
    done <<'CASES'
2.0.0.127.bl.test|A|NOERROR 127.0.0.2
2.0.0.127.bl.test|TXT|NOERROR "listed for testing"
1.0.0.127.bl.test|A|NXDOMAIN
3.0.0.127.bl.test|A|NOERROR 127.255.255.254
4.3.2.1.bl.test|A|NXDOMAIN
1.0.0.127.dead.test|A|NOERROR 127.0.0.2
9.113.0.203.dead.test|A|NOERROR 127.0.0.2
2.0.0.127.slow.test|A|TIMEOUT
CASES
    ((failures == 0)) || die "$failures check(s) failed"
}

case ${1:-} in
    start) [[ $# -eq 3 ]] || die "usage: start DIR PORT"; start "$2" "$3" ;;
    stop) [[ $# -eq 2 ]] || die "usage: stop DIR"; stop "$2" ;;
    query) [[ $# -ge 3 ]] || die "usage: query PORT NAME [A|TXT] [TIMEOUT]"; query "$2" "$3" "${4:-A}" "${5:-2}" ;;
    verify) [[ $# -eq 2 ]] || die "usage: verify PORT"; verify "$2" ;;
    *) die "usage: dnsmasq-zone.sh start DIR PORT | stop DIR | query PORT NAME [A|TXT] | verify PORT" ;;
esac
