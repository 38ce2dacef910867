# lib-decisions.sh: what Postfix read and what relayguard decided, for the end-to-end tests that
# put relayguard in front of a private Postfix with `debug_peer_list` (lib-proxy.sh, lib-tls.sh
# source it). Needs PF (the Postfix instance directory) and RG_LOG (relayguard's decision log).
#
#   postfix_read REGEX [SECONDS]   until Postfix logged reading a command matching REGEX
#   postfix_never_read REGEX       fails when Postfix logged reading a command matching REGEX
#   decision_expect WHAT KEY=VALUE...
#                        until the decision log has a line whose fields equal every KEY=VALUE
#                        (the field's JSON value as text: code=550, from= for the null sender);
#                        KEY~REGEX matches the field's text with a regular expression instead;
#                        prints the first match
#   decision_count KEY=VALUE...    how many decision log lines match

# A line smtpd read as a command: "postfix/smtpd[123]: < unknown[127.0.0.1]: RCPT TO:<...>".
_postfix_command_regex() {
    echo "postfix/smtpd\[[0-9]+\]: < [^ ]+\[[0-9a-fA-F.:]+\]: $1"
}

postfix_read() {
    maillog_grep "$PF" "$(_postfix_command_regex "$1")" "${2:-5}"
}

postfix_never_read() {
    local regex
    regex=$(_postfix_command_regex "$1")
    if grep -E -- "$regex" "$PF/maillog" >&2; then
        fail "Postfix read a command matching /$1/ (maillog lines above)"
    fi
}

# _decision_query MODE KEY=VALUE|KEY~REGEX...: MODE first (print the first match; exit 1 if none)
# or count.
_decision_query() {
    python3 - "$RG_LOG" "$@" <<'EOF'
import json, re, sys
path, mode = sys.argv[1], sys.argv[2]
wanted = []
for arg in sys.argv[3:]:
    equal, tilde = arg.find("="), arg.find("~")
    if tilde != -1 and (equal == -1 or tilde < equal):
        wanted.append((arg[:tilde], "~", arg[tilde + 1:]))
    else:
        wanted.append((arg[:equal], "=", arg[equal + 1:]))
def text(value):
    return value if isinstance(value, str) else json.dumps(value)
def holds(record, key, how, value):
    if key not in record:
        return False
    return text(record[key]) == value if how == "=" else re.search(value, text(record[key])) is not None
matches = []
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    try:
        record = json.loads(line)
    except ValueError:
        continue
    if all(holds(record, key, how, value) for key, how, value in wanted):
        matches.append(line)
if mode == "count":
    print(len(matches))
elif matches:
    print(matches[0])
else:
    sys.exit(1)
EOF
}

decision_expect() {
    local what="$1" i
    shift
    for ((i = 0; i < 50; i++)); do
        _decision_query first "$@" && return 0
        sleep 0.1
    done
    note "decision log:"
    sed 's/^/    /' "$RG_LOG" >&2 2>/dev/null || true
    fail "$what: no decision log line with $*"
}

decision_count() {
    _decision_query count "$@"
}
