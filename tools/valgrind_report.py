"""Reads valgrind memcheck logs and fails on the errors that matter.

Every invalid read, write or free fails, wherever valgrind saw it: memory
corrupted by the extension is often read later by CPython.  Uses of
uninitialised values fail when the extension is on the stack; elsewhere
they are CPython's own (seeding from getrandom, which this valgrind does
not model) and are only counted.

Usage: python valgrind_report.py LOG...   exit 1 when any error matters.
"""

from __future__ import annotations

import re
import sys

ALWAYS = ("Invalid read", "Invalid write", "Invalid free", "Mismatched free", "overlap", "Syscall param")
OURS = re.compile(r"_clusupgrade|csrc/")
HEAD = re.compile(r"^==\d+== (.*\S.*)$")


def blocks(text: str) -> list[list[str]]:
    found: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        match = HEAD.match(line)
        if match:
            current.append(match.group(1))
        elif line.startswith("==") and current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def main(paths: list[str]) -> int:
    fatal, ignored = [], 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as log:
            for block in blocks(log.read()):
                head = block[0]
                if head.startswith(ALWAYS) or (OURS.search("\n".join(block)) and not head.startswith("HEAP")):
                    fatal.append("\n".join(block))
                else:
                    ignored += 1
    for report in fatal:
        print(report, end="\n\n")
    print(f"valgrind: {len(fatal)} error(s) in clusupgrade or invalid accesses; "
          f"{ignored} report(s) inside CPython alone ignored")
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
