set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"
PF=$(new_temp_dir postfix)
PF_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT"
RG_PORT=$(free_port)
RG_CONF="$E2E_TMP/relayguard.conf"
RG_LOG="$E2E_TMP/decisions.jsonl"
relayguard_conf "$RG_CONF" "listen=127.0.0.1:$RG_PORT" "backend=127.0.0.1:$PF_PORT" "log=$RG_LOG" "error_limit=20"
relayguard_start "$RG_CONF" "$RG_PORT"
python3 $E2E_DIR/floodclient.py bystander --port $RG_PORT --bind 127.0.0.3 --seconds 1 --out $E2E_TMP/base.json
python3 $E2E_DIR/floodclient.py flood --port $RG_PORT --bind 127.0.0.2 --command "EXPN x" --seconds 5 --out $E2E_TMP/flood.json &
fp=$!
sleep 0.3
python3 $E2E_DIR/floodclient.py bystander --port $RG_PORT --bind 127.0.0.3 --seconds 4 --out $E2E_TMP/by.json
wait $fp
cp -r $E2E_TMP /tmp/flood-keep; python3 - $E2E_TMP <<'EOF'
import json, sys, collections
d=sys.argv[1]
for n in ("base","by"):
    p=json.load(open(f"{d}/{n}.json"))["probes"]
    print(n, [pr["delay"] and round(pr["delay"],3) for pr in p][:40], [pr["error"] for pr in p if pr["error"]][:3])
f=json.load(open(f"{d}/flood.json"))
s=f["sessions"]
print("sessions", len(s), "elapsed", f["elapsed"], "connect_errors", f["connect_errors"])
print(collections.Counter((x["greeting"][:30] if x["greeting"] else None, x["replies"], x["last"], x["ended"]) for x in s).most_common(10))
EOF
ls -la $E2E_TMP/decisions.jsonl; wc -l $E2E_TMP/decisions.jsonl; wc -l $PF/maillog; tail -3 $E2E_TMP/relayguard.log
