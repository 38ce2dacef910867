#!/usr/bin/env bash
# man-pages.sh: the man pages in docs/man agree with the code, and render cleanly.
#
#   1. Every configuration key of the code (enum ConfigurationKey) is documented in
#      relayguard.conf(5), and every key documented there exists in the code; the same for the
#      decision log's reasons and events (enums Reason and Event) in relayguard(8). The values
#      are read from the Swift source (Tests/EndToEnd/manvocab.py), wherever the enum lives.
#   2. The comparison is not vacuous: a man page missing a key, and code with a key the man page
#      lacks, are both reported.
#   3. config/relayguard.conf names every key of the code (set, or shown in a comment).
#   4. Both pages render with man(1) and groff without a single warning.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_cmd python3 man groff grep

man8="$REPO_ROOT/docs/man/relayguard.8"
man5="$REPO_ROOT/docs/man/relayguard.conf.5"
[[ -f $man8 && -f $man5 ]] || fail "docs/man/relayguard.8 or docs/man/relayguard.conf.5 is missing"

# The one Swift file that declares `enum NAME: String` (files move between targets).
enum_file() {
    local name="$1" files
    files=$(grep -rlE "enum[[:space:]]+$name[[:space:]]*:[[:space:]]*String" "$REPO_ROOT/Sources" --include='*.swift' || true)
    [[ -n $files ]] || fail "no Swift file under Sources declares enum $name: String"
    (($(wc -l <<<"$files") == 1)) || fail "enum $name is declared in more than one file: $files"
    echo "$files"
}
keys_swift=$(enum_file ConfigurationKey)
reasons_swift=$(enum_file Reason)
events_swift=$(enum_file Event)

# --- 1. code and man pages agree, in both directions --------------------------------------------
check() { # SWIFT ENUM PAGE SECTION
    local out
    if out=$(python3 "$E2E_DIR/manvocab.py" "$@" 2>&1); then
        note "$2 / $(basename "$3") $4: $out"
    else
        fail "$2 in the code and $4 in $(basename "$3") disagree:"$'\n'"$out"
    fi
}
check "$keys_swift" ConfigurationKey "$man5" KEYS
check "$reasons_swift" Reason "$man8" REASONS
check "$events_swift" Event "$man8" EVENTS

# --- 2. the comparison finds a difference in either direction -----------------------------------
first_key=$(python3 - "$keys_swift" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
body = text[re.search(r"enum\s+ConfigurationKey\b[^{]*\{", text).end():]
case = re.search(r'case\s+([A-Za-z_]\w*)(?:\s*=\s*"([^"]*)")?', body)
print(case.group(2) or case.group(1))
PY
)
# The man page without the first key's entry (its .TP and .B lines).
python3 - "$man5" "$first_key" "$E2E_TMP/short.5" <<'PY'
import sys
page, key, out = sys.argv[1:]
lines = open(page).read().splitlines()
i = lines.index(".B " + key.replace("-", "\\-"))
del lines[i - 1:i + 1]
open(out, "w").write("\n".join(lines) + "\n")
PY
if out=$(python3 "$E2E_DIR/manvocab.py" "$keys_swift" ConfigurationKey "$E2E_TMP/short.5" KEYS 2>&1); then
    fail "a man page without '$first_key' was not reported: $out"
fi
grep -qx "missing from $E2E_TMP/short.5: $first_key" <<<"$out" || fail "unexpected report for a missing key: $out"
# The code with one more key than the man page.
python3 - "$keys_swift" "$E2E_TMP/Keys.swift" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
start = re.search(r"enum\s+ConfigurationKey\b[^{]*\{\n", text).end()
open(sys.argv[2], "w").write(text[:start] + '    case madeUpKey = "made_up_key"\n' + text[start:])
PY
grep -q made_up_key "$E2E_TMP/Keys.swift" || fail "could not add a key to a copy of $keys_swift"
if out=$(python3 "$E2E_DIR/manvocab.py" "$E2E_TMP/Keys.swift" ConfigurationKey "$man5" KEYS 2>&1); then
    fail "a key missing from the man page was not reported: $out"
fi
grep -qx "missing from $man5: made_up_key" <<<"$out" || fail "unexpected report for an undocumented key: $out"

# --- 3. the example configuration names every key -----------------------------------------------
keys=$(python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import manvocab
print("\n".join(manvocab.enum_values(sys.argv[2], "ConfigurationKey")))
' "$E2E_DIR" "$keys_swift")
missing=()
while read -r key; do
    grep -Eq "^(#[[:space:]]*)?$key[[:space:]]*=" "$REPO_ROOT/config/relayguard.conf" || missing+=("$key")
done <<<"$keys"
((${#missing[@]} == 0)) || fail "config/relayguard.conf does not name: ${missing[*]}"

# --- 4. both pages render without warnings ------------------------------------------------------
for page in "$man8" "$man5"; do
    warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l $page failed: $warnings"
    [[ -z $warnings ]] || fail "man --warnings -l $(basename "$page"):"$'\n'"$warnings"
    warnings=$(groff -ww -z -man "$page" 2>&1) || fail "groff failed on $page: $warnings"
    [[ -z $warnings ]] || fail "groff -ww $(basename "$page"):"$'\n'"$warnings"
    lines=$(MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
    ((lines > 100)) || fail "$(basename "$page") renders to only $lines lines"
done

pass "keys ($(wc -l <<<"$keys")), reasons and events agree between code and man pages; both pages render without warnings"
