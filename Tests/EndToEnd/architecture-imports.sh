#!/usr/bin/env bash
# The module graph is the architecture (docs/ARCHITECTURE.md): every `import` in Sources/ names
# a module its target declares in Package.swift, and the pure modules import no Glibc,
# Foundation, Dispatch or C library. A file that imports more than its target may fails here,
# before a clean build would.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_cmd swift
require_cmd python3

cd "$REPO_ROOT"
swift package dump-package >"$E2E_TMP/package.json" || fail "swift package dump-package failed"
python3 - "$E2E_TMP/package.json" <<'PY' || fail "an import is not what Package.swift and docs/ARCHITECTURE.md allow (above)"
import json, pathlib, re, sys

package = json.load(open(sys.argv[1]))
PURE = {"NetworkAddress", "SMTPProtocol", "DecisionLog", "DNSBL", "RelayPolicy", "SMTPSession", "RelayAudit", "LogReport"}
TOOLCHAIN = {"Glibc", "Foundation", "Dispatch", "Synchronization", "Testing", "XCTest"}
problems = []
checked = 0
for target in package["targets"]:
    name, kind = target["name"], target["type"]
    if kind not in ("regular", "executable"):
        continue
    declared = {d["byName"][0] for d in target.get("dependencies", []) if "byName" in d}
    path = pathlib.Path(target.get("path") or f"Sources/{name}")
    for source in sorted(path.rglob("*.swift")):
        for line in source.read_text().splitlines():
            match = re.match(r"\s*(?:@testable\s+)?import\s+(\w+)", line)
            if not match:
                continue
            module = match.group(1)
            checked += 1
            if name in PURE and module not in declared:
                problems.append(f"{source}: the pure module {name} imports {module}")
            elif module not in declared and module not in TOOLCHAIN:
                problems.append(f"{source}: {name} imports {module}, which Package.swift does not give it")
    if name in PURE and declared - PURE:
        problems.append(f"Package.swift: the pure module {name} depends on {sorted(declared - PURE)}")
for problem in problems:
    print(problem, file=sys.stderr)
print(f"{checked} imports checked", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
pass "every import is declared in Package.swift; the pure modules import only pure modules"
