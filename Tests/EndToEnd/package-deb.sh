#!/usr/bin/env bash
# package-deb.sh: the Debian package installs a working relayguard on a machine without Swift.
#
#   1. The package (RELAYGUARD_DEB, built once by scripts/test; otherwise built here with
#      scripts/package) holds the Debian layout, its conffiles, and a Depends line that covers
#      every shared library the binary loads; lintian reports no error.
#   2. `dpkg -i` creates the system user and /var/log/relayguard and starts nothing.
#   3. With /opt/swift hidden (a private mount namespace with an empty tmpfs over it), the
#      installed /usr/sbin/relayguard answers --version with the version and the commit of the
#      sources, and check-config accepts the shipped configuration.
#   4. Both man pages are found by man(1) and render without warnings; the installed unit passes
#      `systemd-analyze verify`, and its `systemd-analyze security` exposure stays low.
#   5. The installed binary, toolchain still hidden, started as root with `user = relayguard` and
#      NOTIFY_SOCKET, says READY=1, runs as relayguard, and carries one message from 127.0.0.2
#      into a real Postfix, which logs the real client; SIGTERM stops it with exit 0.
#   6. `dpkg --purge` removes the user, its group, the log directory and the configuration.
#
# Changes the machine (installs and purges the package relayguard): it refuses to run where a
# relayguard package or user already exists.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_root
require_cmd dpkg dpkg-deb dpkg-query lintian man groff systemd-analyze unshare mount python3 postfix \
    objdump getent pgrep ss git

if dpkg-query -W -f='${Status}' relayguard 2>/dev/null | grep -q ' installed'; then
    fail "a relayguard package is already installed on this machine; this test installs and purges its own"
fi
getent passwd relayguard >/dev/null && fail "a user relayguard already exists; this test checks that the package creates it"

# --- 1. the package --------------------------------------------------------------------------------
if [[ -n ${RELAYGUARD_DEB:-} ]]; then
    deb=$RELAYGUARD_DEB
else
    note "RELAYGUARD_DEB is not set: building the package with scripts/package (a release build)"
    deb=$(bash "$REPO_ROOT/scripts/package" | tail -n 1)
    deb="$REPO_ROOT/$deb"
fi
[[ -f $deb ]] || fail "no package at $deb"
[[ $(basename "$deb") =~ ^relayguard_[0-9.]+_$(dpkg --print-architecture)\.deb$ ]] || fail "unexpected package name $(basename "$deb")"
note "package $(basename "$deb"): $(du -k "$deb" | cut -f1) KiB"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for path in /usr/sbin/relayguard /etc/relayguard/relayguard.conf /etc/logrotate.d/relayguard \
    /lib/systemd/system/relayguard.service /usr/share/man/man8/relayguard.8.gz \
    /usr/share/man/man5/relayguard.conf.5.gz /usr/share/doc/relayguard/copyright \
    /usr/share/doc/relayguard/changelog.gz /usr/share/doc/relayguard/README.md.gz \
    /usr/share/doc/relayguard/README.deploy.md.gz \
    /usr/share/doc/relayguard/examples/postfix/master.cf.snippet \
    /usr/share/doc/relayguard/examples/exim/main.conf.snippet; do
    grep -qxF "$path" <<<"$contents" || fail "the package lacks $path"
done
dpkg-deb -c "$deb" | awk '{print $2}' | grep -vqx 'root/root' && fail "a file in the package is not owned by root"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
expect_eq "conffiles" $'/etc/logrotate.d/relayguard\n/etc/relayguard/relayguard.conf' "$conffiles"

# Every library the binary needs belongs to a package named in Depends (and no Swift runtime).
unpacked=$(new_temp_dir unpacked)
dpkg-deb -x "$deb" "$unpacked"
depends=$(dpkg-deb -f "$deb" Depends)
needed=$(objdump -p "$unpacked/usr/sbin/relayguard" | awk '$1 == "NEEDED" {print $2}')
[[ -n $needed ]] || fail "objdump shows no NEEDED libraries"
resolved=$(ldd "$unpacked/usr/sbin/relayguard")
while read -r soname; do
    [[ $soname == libswift* || $soname == libFoundation* || $soname == libdispatch* ]] &&
        fail "the binary still needs $soname: the Swift runtime is not linked in"
    [[ $soname == ld-linux* ]] && continue
    # Where the dynamic linker finds it, and which package holds that file (/usr merged or not).
    path=$(awk -v name="$soname" '$1 == name && $2 == "=>" {print $3}' <<<"$resolved")
    [[ -n $path && $path != "not" ]] || fail "the dynamic linker does not find $soname"
    owner=""
    for candidate in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
        owner=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) && [[ -n $owner ]] && break
    done
    [[ -n $owner ]] || fail "no installed package holds $soname ($path)"
    [[ ", $depends," == *", $owner"[\ ,]* ]] || fail "$soname comes from $owner, which Depends lacks ($depends)"
done <<<"$needed"
objdump -p "$unpacked/usr/sbin/relayguard" | grep -E 'RUNPATH|RPATH' && fail "the binary has a RUNPATH (above)"

lintian_out=$( (lintian "$deb" 2>&1 || true) | grep -v 'running with root privileges' || true)
[[ -n $lintian_out ]] && note "lintian:"$'\n'"$lintian_out"
grep -q '^E:' <<<"$lintian_out" && fail "lintian reports errors (above)"

# --- 2. install --------------------------------------------------------------------------------------
on_exit dpkg --purge relayguard
dpkg -i "$deb" >"$E2E_TMP/dpkg-install.log" 2>&1 || { cat "$E2E_TMP/dpkg-install.log" >&2; fail "dpkg -i failed"; }
entry=$(getent passwd relayguard) || fail "the package did not create the user relayguard"
IFS=: read -r _ _ uid gid _ home shell <<<"$entry"
((uid < 1000)) || fail "relayguard is not a system user (uid $uid)"
expect_eq "relayguard's shell" /usr/sbin/nologin "$shell"
expect_eq "relayguard's home" /nonexistent "$home"
expect_eq "relayguard's group" relayguard "$(getent group "$gid" | cut -d: -f1)"
expect_eq "/var/log/relayguard" "relayguard relayguard 750" "$(stat -c '%U %G %a' /var/log/relayguard)"
sleep 0.5
pgrep -u relayguard >/dev/null && fail "something runs as relayguard right after installation"

# --- 3. the installed binary, toolchain hidden -------------------------------------------------------
# without_swift CMD...: CMD in a private mount namespace where /opt/swift is an empty tmpfs.
# It execs, so a background `without_swift` has the daemon's own pid.
without_swift() {
    exec unshare -m -- bash -c 'mount -t tmpfs -o size=1m relayguard-test /opt/swift &&
        [[ -z $(ls -A /opt/swift) ]] || { echo "could not hide /opt/swift" >&2; exit 99; }
        exec "$@"' without_swift "$@"
}
mkdir -p /opt/swift
version=$(without_swift /usr/sbin/relayguard --version 2>&1) || fail "the installed relayguard --version failed without /opt/swift: $version"
head_commit=$(git -C "$REPO_ROOT" rev-parse --short=12 HEAD 2>&1) ||
    fail "git cannot name the commit of $REPO_ROOT ($head_commit); the package's --version is checked against it"
package_version=$(dpkg-deb -f "$deb" Version)
[[ $version =~ ^relayguard\ ${package_version//./\\.}\ \(commit\ $head_commit(-dirty)?\)$ ]] ||
    fail "--version says '$version'; expected version $package_version and commit $head_commit"
note "$version"
settings=$(without_swift /usr/sbin/relayguard check-config 2>&1) || fail "check-config of the shipped configuration failed: $settings"
for want in "listen = 0.0.0.0:25, [::]:25" "local_domains =" "trusted_networks = 127.0.0.1/32, ::1/128" \
            "log = /var/log/relayguard/decisions.jsonl" "user ="; do
    grep -qxF -- "$want" <<<"$settings" || fail "the shipped configuration does not set '$want'"
done

# --- 4. man pages and the unit ------------------------------------------------------------------------
for page in "8 relayguard" "5 relayguard.conf"; do
    read -r section name <<<"$page"
    file=$(man -w "$section" "$name") || fail "man does not find $name($section)"
    expect_eq "$name($section)" "/usr/share/man/man$section/$name.$section.gz" "$file"
    warnings=$(MANWIDTH=80 man --warnings -l "$file" 2>&1 >/dev/null) || fail "man -l $file failed: $warnings"
    [[ -z $warnings ]] || fail "$name($section) renders with warnings: $warnings"
    MANWIDTH=80 man "$section" "$name" 2>/dev/null | grep -q "^NAME" || fail "man $section $name shows no NAME section"
done
unit=/lib/systemd/system/relayguard.service
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit failed: $verify"
[[ -z $verify ]] || fail "systemd-analyze verify warns: $verify"
for directive in 'Type=notify' 'User=relayguard' 'AmbientCapabilities=CAP_NET_BIND_SERVICE' \
    'ExecReload=/usr/sbin/relayguard check-config --config /etc/relayguard/relayguard.conf' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'ExecStart=/usr/sbin/relayguard run --config /etc/relayguard/relayguard.conf'; do
    grep -Fxq -- "$directive" "$unit" || fail "$unit lacks [$directive]"
done
# The check-config line comes before the kill: a broken file stops the reload before the signal.
check_line=$(grep -n '^ExecReload=/usr/sbin/relayguard check-config' "$unit" | cut -d: -f1)
kill_line=$(grep -n '^ExecReload=/bin/kill' "$unit" | cut -d: -f1)
((check_line < kill_line)) || fail "ExecReload runs the kill before check-config"
exposure=$(systemd-analyze security --offline=yes "$unit" 2>&1 | sed -n 's/.*Overall exposure level for relayguard.service: \([0-9.]*\).*/\1/p')
[[ -n $exposure ]] || fail "systemd-analyze security gave no exposure level"
note "systemd-analyze security: exposure $exposure"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 2.0 else 1)" "$exposure" ||
    fail "the unit's exposure level is $exposure (it was 1.7; the hardening regressed)"

# --- 5. one real delivery through the installed binary -------------------------------------------------
instance=$(new_temp_dir postfix)
backend_port=$(free_port)
guard_port=$(free_port)
postfix_start "$instance" "$backend_port"
conf="$E2E_TMP/relayguard.conf"
cat >"$conf" <<EOF
listen = 127.0.0.1:$guard_port
backend = 127.0.0.1:$backend_port
backend_client_identity = proxy-v2
local_domains = local.example
trusted_networks = 192.0.2.0/24
tarpit_delay = 0
log = $E2E_TMP/decisions.jsonl
user = relayguard
EOF
datagrams="$E2E_TMP/datagrams.log"
: >"$datagrams"
start_bg notify python3 "$E2E_DIR/notifylisten.py" "$E2E_TMP/notify.sock" "$datagrams"
for ((i = 0; i < 50; i++)); do [[ -S $E2E_TMP/notify.sock ]] && break; sleep 0.1; done
chmod 0777 "$E2E_TMP/notify.sock"   # relayguard writes to it after dropping root
NOTIFY_SOCKET="$E2E_TMP/notify.sock" start_bg relayguard without_swift /usr/sbin/relayguard run --config "$conf"
guard_pid=$BG_PID
for ((i = 0; i < 150; i++)); do grep -q '^READY=1' "$datagrams" && break; sleep 0.1; done
grep -q '^READY=1' "$datagrams" || { cat "$E2E_TMP/relayguard.log" >&2; fail "the installed relayguard never said READY=1"; }
ss -Hltn "sport = :$guard_port" | grep -q . || fail "READY=1 but nothing listens on $guard_port"
expect_eq "the daemon's user and group ids" "$uid $uid $gid $gid" \
    "$(awk '/^Uid:/ {u = $2 " " $3} /^Gid:/ {g = $2 " " $3} END {print u, g}' "/proc/$guard_pid/status")"
[[ -z $(grep -l '/opt/swift' "/proc/$guard_pid/maps" 2>/dev/null) ]] || fail "the daemon maps files from /opt/swift"

message="$E2E_TMP/message.txt"
cat >"$message" <<'EOF'
From: Sender <sender@example.net>
To: Alice <alice@local.example>
Subject: installed from the Debian package
Message-ID: <package-1@example.net>

Delivered by the packaged relayguard.
EOF
transcript=$(smtp_client --port "$guard_port" --bind 127.0.0.2 <<EOF
<220
>EHLO client.example
<250
>MAIL FROM:<sender@example.net>
<250
>RCPT TO:<victim@elsewhere.example>
<550 ~ 5\.7\.1
>RCPT TO:<alice@local.example>
<250
>DATA
<354
>@$message
<250 ~ queued as
>QUIT
<221
EOF
) || { echo "$transcript" >&2; fail "delivery through the installed relayguard failed"; }
delivered=$(wait_for_mail "$instance" alice 1 10)
diff -u "$message" <(strip_delivery_headers "$delivered") >&2 || fail "the delivered message differs from the one sent"
maillog_grep "$instance" 'client=unknown\[127\.0\.0\.2\]' >/dev/null
maillog_lacks "$instance" 'connect from [^ ]*\[127\.0\.0\.1\]'
for ((i = 0; i < 50; i++)); do grep -q '"event":"message"' "$E2E_TMP/decisions.jsonl" && break; sleep 0.1; done
grep -Eq '"event":"message","client":"127.0.0.2",("client_port":[0-9]+,)?"decision":"accept"' "$E2E_TMP/decisions.jsonl" ||
    fail "the decision log has no accepted message from 127.0.0.2"
grep -q '"reason":"relay_denied"' "$E2E_TMP/decisions.jsonl" || fail "the decision log has no relay_denied"

kill -TERM "$guard_pid"
status=0
wait "$guard_pid" || status=$?
expect_eq "exit status after SIGTERM" 0 "$status"
grep -q '^STOPPING=1' "$datagrams" || fail "no STOPPING=1 at SIGTERM"

# --- 6. purge -------------------------------------------------------------------------------------------
dpkg --purge relayguard >"$E2E_TMP/dpkg-purge.log" 2>&1 || { cat "$E2E_TMP/dpkg-purge.log" >&2; fail "dpkg --purge failed"; }
getent passwd relayguard >/dev/null && fail "purge left the user relayguard"
getent group relayguard >/dev/null && fail "purge left the group relayguard"
for path in /var/log/relayguard /etc/relayguard /usr/sbin/relayguard /lib/systemd/system/relayguard.service; do
    [[ -e $path ]] && fail "purge left $path"
done

pass "$(basename "$deb") installs, runs without the toolchain ($version), delivers through Postfix, purges cleanly"
