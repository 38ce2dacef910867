#!/usr/bin/env bash
# proxy-backend-killed.sh: the backend dies while the client is sending a message (between the
# 354 and the final dot). The client must be told (451 4.3.0, or 421) and the message must NOT
# be delivered, not even after Postfix is restarted (nothing half-received may be queued).
#
#   A. SIGKILL to the smtpd process serving the session (a crash).
#   B. The whole Postfix instance stopped (postfix stop), then started again.
# After each, a clean control message through relayguard IS delivered, so "nothing arrived"
# is not a broken delivery path.
set -euo pipefail
source "$(dirname "$0")/lib-proxy.sh"

# After a child dies by a signal, Postfix's master throttles the service for
# service_throttle_time (default 60s): keep that short so the control message gets an smtpd.
stack_start --postfix-option --set --postfix-option service_throttle_time=1s

# Kills the backend once Postfix has sent the 354 and read a little of the message.
# $1: "smtpd" (SIGKILL the smtpd children of this instance's master) or "postfix" (stop it).
backend_killer() {
    cat >"$E2E_TMP/killer.sh" <<'EOF'
how=$1 dir=$2 instance_script=$3
for ((i = 0; i < 100; i++)); do
    grep -q ': > [^ ]*: 354 ' "$dir/maillog" && break
    sleep 0.1
done
sleep 1
if [[ $how == smtpd ]]; then
    master=$(tr -dc '0-9' <"$dir/queue/pid/master.pid")
    for pid in $(ps -o pid=,comm= --ppid "$master" | awk '$2 == "smtpd" { print $1 }'); do
        echo "killing smtpd $pid"
        kill -KILL "$pid"
    done
else
    echo "stopping Postfix"
    bash "$instance_script" stop "$dir"
fi
EOF
    start_bg "killer-$1" bash "$E2E_TMP/killer.sh" "$1" "$PF" "$E2E_DIR/postfix-instance.sh"
    KILLER_PID=$BG_PID
}

# The client: a message cut off in the middle; it waits (without the final dot) for the verdict.
cut_message() { # SUBJECT
    dialogue "backend killed mid-DATA ($1): the client did not get 451 4.3.0 / 421 and a close" --timeout 15 <<EOF
<220
>EHLO client.example
<250
>MAIL FROM:<sender@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: $1\r\n\r\nthe first part of a message that never ends\r\n
<4 ~ ^4(51|21) 4\.3\.
<EOF
EOF
}

control_message() { # SUBJECT
    dialogue "control message ($1) not accepted" <<EOF
<220
>EHLO client.example
<250
>MAIL FROM:<control@remote.example>
<250
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>>Subject: $1\r\n\r\ncontrol\r\n.\r\n
<250 ~ queued as
>QUIT
<221
EOF
}

queue_files() {
    find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/deferred" "$PF/queue/maildrop" \
        "$PF/queue/hold" -type f 2>/dev/null | wc -l
}

# --- A. smtpd killed ------------------------------------------------------------------------
backend_killer smtpd
cut_message "cut A"
wait "$KILLER_PID" || true
grep -q 'killing smtpd' "$E2E_TMP/killer-smtpd.log" || fail "the killer killed no smtpd: $(cat "$E2E_TMP/killer-smtpd.log")"
decision_expect "backend lost mid-DATA" event=error decision=tempfail code=451 enhanced=4.3.0 reason=backend_unavailable >/dev/null
sleep 1.5 # the master's throttle after the killed smtpd
control_message "control A"
file=$(wait_for_mail "$PF" alice 1 10)
grep -q '^Subject: control A$' "$file" || fail "alice's first message is not the control message: $file"

# --- B. the whole instance stopped, then started again ----------------------------------------
backend_killer postfix
cut_message "cut B"
wait "$KILLER_PID" || true
grep -q 'stopping Postfix' "$E2E_TMP/killer-postfix.log" || fail "the killer did not stop Postfix"
[[ $(bash "$E2E_DIR/postfix-instance.sh" status "$PF" || true) == stopped ]] || fail "Postfix still runs after postfix stop"
expect_eq "backend-lost events" 2 "$(decision_count event=error reason=backend_unavailable)"
bash "$E2E_DIR/postfix-instance.sh" start "$PF" "$PF_PORT" --set debug_peer_list=127.0.0.0/8 \
    --set service_throttle_time=1s ||
    fail "could not restart Postfix"
sleep 2 # time for qmgr to deliver anything a restart would find in the queue
control_message "control B"
wait_for_mail "$PF" alice 2 10 >/dev/null
sleep 1
expect_eq "messages for alice (two controls, no cut message)" 2 "$(maildir_count "$PF" alice)"
grep -l '^Subject: cut' "$(maildir_path "$PF" alice)"/new/* >&2 && fail "a cut message was delivered"
expect_eq "files left in Postfix's queue" 0 "$(queue_files)"
expect_eq "accepted messages in the decision log" 2 "$(decision_count event=message decision=accept)"

pass "backend killed or stopped mid-DATA: client told 451 4.3.0, the cut message never delivered"
