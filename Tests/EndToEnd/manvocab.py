#!/usr/bin/env python3
"""Compare a closed vocabulary of the code with the list a man page gives of it.

    manvocab.py SWIFT_FILE ENUM_NAME MAN_PAGE SECTION

SWIFT_FILE holds `enum ENUM_NAME: String`; its values are the raw values of its cases
(`case listen`, `case tarpitDelay = "tarpit_delay"`, `case a, b, c`), read from the source
text, so a case added to the code is seen without touching this script.

MAN_PAGE holds the list between the roff comments `.\\" BEGIN SECTION` and `.\\" END SECTION`,
one entry per `.TP` paragraph whose tag line is `.B value`.

Prints one line per difference (`missing from MAN_PAGE: x`, `not in the code: y`,
`listed twice in MAN_PAGE: z`) and exits 1 when there is any; exits 0 and prints
`N values agree` otherwise. Exits 2 when either list cannot be found or is empty.
"""
import re
import sys


def enum_values(path, name):
    text = open(path, encoding="utf-8").read()
    match = re.search(r"\benum\s+" + re.escape(name) + r"\s*:\s*String\b[^{]*\{", text)
    if not match:
        sys.exit(f"manvocab: no `enum {name}: String` in {path}")
    depth, values = 1, []
    for line in text[match.end():].splitlines():
        code = re.sub(r"//.*", "", line)
        if depth == 1:
            case = re.match(r"\s*case\s+(.*)$", code)
            if case:
                for item in case.group(1).split(","):
                    item = item.strip()
                    if not item:
                        continue
                    raw = re.match(r'^([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*"([^"]*)")?$', item)
                    if not raw:
                        sys.exit(f"manvocab: cannot read case {item!r} in {path}")
                    values.append(raw.group(2) if raw.group(2) is not None else raw.group(1))
        depth += code.count("{") - code.count("}")
        if depth <= 0:
            break
    if not values:
        sys.exit(f"manvocab: enum {name} in {path} has no cases")
    return values


def man_values(path, section):
    lines = open(path, encoding="utf-8").read().splitlines()
    begin = [i for i, line in enumerate(lines) if line.startswith(f'.\\" BEGIN {section}')]
    end = [i for i, line in enumerate(lines) if line.startswith(f'.\\" END {section}')]
    if len(begin) != 1 or len(end) != 1 or end[0] < begin[0]:
        sys.exit(f"manvocab: {path} needs exactly one BEGIN {section} and one END {section} comment")
    values = []
    body = lines[begin[0] + 1:end[0]]
    for i, line in enumerate(body):
        if line.strip() == ".TP" and i + 1 < len(body):
            tag = re.match(r"^\.B\s+(\S+)\s*$", body[i + 1])
            if not tag:
                sys.exit(f"manvocab: {path}: the .TP tag {body[i + 1]!r} in {section} is not `.B value`")
            values.append(tag.group(1).replace("\\-", "-"))
    if not values:
        sys.exit(f"manvocab: {path}: no entries between BEGIN {section} and END {section}")
    return values


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    swift, enum, page, section = sys.argv[1:]
    code, man = enum_values(swift, enum), man_values(page, section)
    problems = [f"missing from {page}: {v}" for v in code if v not in man]
    problems += [f"not in the code ({swift} enum {enum}): {v}" for v in man if v not in code]
    problems += [f"listed twice in {page}: {v}" for v in sorted(set(man)) if man.count(v) > 1]
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(f"{len(code)} values agree")


if __name__ == "__main__":
    main()
