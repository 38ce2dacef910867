#!/usr/bin/env bash
# postfix-instance.sh: a private Postfix instance, the backend behind relayguard in end-to-end tests.
#
#   postfix-instance.sh start DIR PORT [options]
#   postfix-instance.sh stop DIR
#   postfix-instance.sh status DIR
#
# start options:
#   --no-proxy          smtpd takes plain SMTP clients (no PROXY protocol on the port)
#   --xclient           plain SMTP, and XCLIENT allowed from 127.0.0.0/8 (for backend_client_identity = xclient)
#   --domain D          a virtual mailbox domain; repeat for several (default: local.example)
#   --users "A B ..."   mailboxes in every domain (default: "alice bob postmaster")
#   --mynetworks LIST   Postfix mynetworks (default: 192.0.2.0/24, which never holds the proxy's address)
#   --hostname NAME     myhostname (default: backend-PORT.test)
#   --maxproc N         smtpd process limit (default: 100)
#   --set KEY=VALUE     any further main.cf setting; repeatable; applied last with `postconf -e`
#
# Layout under DIR:
#   etc/main.cf, etc/master.cf, etc/vmailbox   the configuration (config_directory)
#   queue/  data/                               queue_directory, data_directory
#   mail/DOMAIN/USER/{new,cur,tmp}              Maildir mailboxes (virtual delivery, uid of `nobody`)
#   maillog                                     Postfix's log (maillog_file through postlogd)
#
# Why no change to /etc/postfix/main.cf: run as root, `postfix -c DIR` accepts a configuration
# directory that is not listed in alternate_config_directories, and never reads the default
# main.cf (which the Debian package does not even create with "No configuration"). So several
# instances run side by side, each with its own directories and port, and the machine's own
# Postfix (if any) is untouched.
#
# Why the settings (see the notes on test peers): chroot off, so no copies of /etc are needed;
# no reverse DNS; no in-flow delay and no error sleep, so tests are not throttled; mynetworks
# must not contain the proxy's address, since with the PROXY header Postfix sees the real
# client; reject_unauth_destination stays on as a second wall; default_transport = discard
# lets a relay that was allowed be accepted without sending anything out.
set -euo pipefail

PROG=postfix-instance.sh
die() { echo "$PROG: $*" >&2; exit 1; }
usage() {
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Runs a Postfix command so that its error messages are seen: Postfix commands write their
# errors to stderr only when stderr is a terminal, otherwise only to the (maybe not yet running) log.
postfix_verbose() {
    if command -v script >/dev/null 2>&1; then
        local cmd
        printf -v cmd '%q ' "$@"
        script -qec "$cmd" /dev/null
    else
        "$@"
    fi
}

master_pid() { # DIR -> pid of the running master, or nothing
    local pidfile="$1/queue/pid/master.pid" pid
    [[ -r $pidfile ]] || return 0
    pid=$(tr -dc '0-9' <"$pidfile")
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

is_running() { [[ -n $(master_pid "$1") ]]; }

port_listening() { # PORT -> true when something listens on 127.0.0.1:PORT
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q .
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

check_traversable() { # every directory above DIR must be searchable by the postfix user
    local path="$1"
    while [[ $path != / && -n $path ]]; do
        local perm
        perm=$(stat -c '%A' "$path")
        [[ ${perm:9:1} == x || ${perm:9:1} == t ]] ||
            die "$path is not searchable by others (mode $perm); Postfix's daemons run as user postfix and must reach $1"
        path=$(dirname "$path")
    done
}

do_stop() {
    local dir="$1"
    [[ -f $dir/etc/main.cf ]] || return 0
    local pid
    pid=$(master_pid "$dir")
    [[ -n $pid ]] || return 0
    postfix -c "$dir/etc" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "$PROG: master $pid did not stop in 10 s; aborting it" >&2
    postfix -c "$dir/etc" abort >/dev/null 2>&1 || true
    kill -KILL "$pid" 2>/dev/null || true
    pkill -KILL -P "$pid" 2>/dev/null || true
}

do_start() {
    local dir="$1" port="$2"
    shift 2
    local proxy=haproxy mynetworks=192.0.2.0/24 hostname="" maxproc=100
    local users="alice bob postmaster"
    local -a domains=() settings=()
    while (($#)); do
        case "$1" in
            --no-proxy) proxy=none ;;
            --xclient) proxy=xclient ;;
            --domain) domains+=("${2:?--domain needs a value}"); shift ;;
            --users) users="${2:?--users needs a value}"; shift ;;
            --mynetworks) mynetworks="${2:?--mynetworks needs a value}"; shift ;;
            --hostname) hostname="${2:?--hostname needs a value}"; shift ;;
            --maxproc) maxproc="${2:?--maxproc needs a value}"; shift ;;
            --set) [[ ${2:-} == *=* ]] || die "--set needs KEY=VALUE"; settings+=("$2"); shift ;;
            *) die "unknown option: $1" ;;
        esac
        shift
    done
    ((${#domains[@]})) || domains=(local.example)
    [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "bad port: $port"
    [[ -n $hostname ]] || hostname="backend-$port.test"

    [[ $(id -u) == 0 ]] || die "must run as root (Postfix's master starts as root)"
    command -v postfix >/dev/null 2>&1 || die "missing peer: postfix (install with .ci/run)"
    command -v postconf >/dev/null 2>&1 || die "missing peer: postconf (install with .ci/run)"
    id postfix >/dev/null 2>&1 || die "user postfix does not exist (install the postfix package with .ci/run)"
    local vuid vgid
    vuid=$(id -u nobody) vgid=$(id -g nobody) || die "user nobody does not exist"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if is_running "$dir"; then
        echo "$PROG: an instance already runs in $dir; restarting it" >&2
        do_stop "$dir"
    fi
    port_listening "$port" && die "port $port on 127.0.0.1 is already in use"
    chmod 0755 "$dir"
    check_traversable "$dir"

    mkdir -p "$dir/etc" "$dir/queue" "$dir/mail"
    chown root:root "$dir/etc" "$dir/queue"
    chmod 0755 "$dir/etc" "$dir/queue"
    chown "$vuid:$vgid" "$dir/mail"
    chmod 0755 "$dir/mail"
    : >"$dir/maillog"

    local etc="$dir/etc" domain user
    : >"$etc/vmailbox"
    for domain in "${domains[@]}"; do
        for user in $users; do
            printf '%s@%s %s/%s/\n' "$user" "$domain" "$domain" "$user" >>"$etc/vmailbox"
        done
    done

    local domain_list
    domain_list=$(IFS=,; echo "${domains[*]}")
    domain_list=${domain_list//,/, }
    cat >"$etc/main.cf" <<EOF
# Private Postfix instance for relayguard's end-to-end tests (written by $PROG).
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop

myhostname = $hostname
mydomain = ${domains[0]}
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = all
mynetworks = $mynetworks
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
readme_directory = no
smtpd_banner = \$myhostname ESMTP

maillog_file = $dir/maillog
maillog_file_prefixes = $dir

virtual_mailbox_domains = $domain_list
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = texthash:$etc/vmailbox
virtual_uid_maps = static:$vuid
virtual_gid_maps = static:$vgid
default_transport = discard

smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = reject_unlisted_recipient, permit
smtpd_peername_lookup = no
in_flow_delay = 0
smtpd_error_sleep_time = 0
local_header_rewrite_clients =
smtputf8_enable = yes
EOF
    # smtpd_forbid_bare_newline exists in 3.7.11 (backported); set it only where Postfix knows it.
    if [[ -n $(postconf -c "$etc" -d smtpd_forbid_bare_newline 2>/dev/null) ]]; then
        echo "smtpd_forbid_bare_newline = reject" >>"$etc/main.cf"
    else
        echo "$PROG: note: this Postfix has no smtpd_forbid_bare_newline" >&2
    fi
    if [[ $proxy == xclient ]]; then
        echo "smtpd_authorized_xclient_hosts = 127.0.0.0/8" >>"$etc/main.cf"
    fi

    local smtpd_opts=""
    if [[ $proxy == haproxy ]]; then
        smtpd_opts="  -o smtpd_upstream_proxy_protocol=haproxy"
    fi
    cat >"$etc/master.cf" <<EOF
# Private Postfix instance for relayguard's end-to-end tests (written by $PROG).
# Every service runs without chroot (column 5 = n).
# service        type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$port  inet  n       -       n       -       $maxproc     smtpd
$smtpd_opts
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

    local kv
    for kv in ${settings[@]+"${settings[@]}"}; do
        postconf -c "$etc" -e "${kv%%=*} = ${kv#*=}"
    done

    # A generated configuration must be clean: any postconf warning (unknown or misspelled
    # parameter, bad master.cf line) fails the start rather than surfacing later as a mystery.
    local warnings
    warnings=$(postconf -c "$etc" -n 2>&1 >/dev/null || true)
    warnings+=$(postconf -c "$etc" -M 2>&1 >/dev/null || true)
    [[ -z $warnings ]] || die "configuration in $etc has problems:"$'\n'"$warnings"

    if ! postfix -c "$etc" check >/dev/null 2>&1; then
        echo "$PROG: postfix -c $etc check failed:" >&2
        postfix_verbose postfix -c "$etc" check >&2 || true
        exit 1
    fi
    if ! postfix -c "$etc" start >/dev/null 2>&1; then
        echo "$PROG: postfix -c $etc start failed:" >&2
        postfix_verbose postfix -c "$etc" start >&2 || true
        tail -n 20 "$dir/maillog" >&2 || true
        exit 1
    fi

    local i
    for ((i = 0; i < 100; i++)); do
        if is_running "$dir" && port_listening "$port"; then
            echo "$port" >"$dir/port"
            return 0
        fi
        sleep 0.1
    done
    echo "$PROG: the instance in $dir does not listen on 127.0.0.1:$port after 10 s; maillog:" >&2
    tail -n 20 "$dir/maillog" >&2 || true
    do_stop "$dir"
    exit 1
}

case "${1:-}" in
    start)
        (($# >= 3)) || usage
        do_start "$2" "$3" "${@:4}"
        ;;
    stop)
        (($# == 2)) || usage
        [[ -d $2 ]] || exit 0
        do_stop "$(cd "$2" && pwd -P)"
        ;;
    status)
        (($# == 2)) || usage
        [[ -d $2 ]] && is_running "$(cd "$2" && pwd -P)" && { echo running; exit 0; }
        echo stopped
        exit 1
        ;;
    *) usage ;;
esac
