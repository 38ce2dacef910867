#!/usr/bin/env bash
# dnsbl-bench.sh: DNSBL lookups per second against a local dnsmasq, and the cost of a cache hit.
#
#   bench/dnsbl-bench.sh [COUNT] [CONCURRENCY]      (defaults 20000 and 200)
#
# Builds the dnsbl-bench executable in release mode, starts dnsmasq with the test zones
# (Tests/EndToEnd/dnsmasq-zone.sh, zone bl.test: every client but 127.0.0.2/3 is NXDOMAIN), runs
# the benchmark against it and stops dnsmasq.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
COUNT=${1:-20000}
CONCURRENCY=${2:-200}
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { "$ROOT/Tests/EndToEnd/dnsmasq-zone.sh" stop "$DIR"; rm -rf "$DIR"; }
trap cleanup EXIT
(cd "$ROOT" && swift build -c release --product dnsbl-bench >/dev/null)
"$ROOT/Tests/EndToEnd/dnsmasq-zone.sh" start "$DIR" "$PORT"
"$ROOT/.build/release/dnsbl-bench" --server "127.0.0.1:$PORT" --zone bl.test --count "$COUNT" --concurrency "$CONCURRENCY"
