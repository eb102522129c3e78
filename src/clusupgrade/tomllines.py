"""Where a key of a TOML file is, found by scanning its text: tomllib
reports no positions.  Best effort: a key inside an inline table or a
multi-line value is placed at the nearest enclosing table or key found."""

from __future__ import annotations

import re
from collections.abc import Mapping

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _parts(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in re.split(r"\.(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)", dotted)]


def lines_of(text: str) -> dict[str, int]:
    """The line of each table header and key, by key path
    (``clusters[0].nodes[1].state``); the first line where a path appears."""
    found: dict[str, int] = {}
    counts: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table = ""
            parts = _parts(header.group(2))
            for i, part in enumerate(parts):
                table = f"{table}.{part}" if table else part
                last = i == len(parts) - 1
                if header.group(1) == "[[" and last:
                    index = counts.get(table, -1) + 1
                    counts[table] = index
                    # A new element: its sub-arrays count from 0 again.
                    for stale in [k for k in counts if k.startswith(f"{table}[{index - 1}]")]:
                        del counts[stale]
                    table = f"{table}[{index}]"
                elif table in counts:
                    table = f"{table}[{counts[table]}]"
            found.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            path = ".".join([table, *_parts(key.group(1))]) if table else ".".join(_parts(key.group(1)))
            found.setdefault(path, number)
    return found


def line_for(lines: Mapping[str, int], path: str) -> int | None:
    """The line of `path`, or of the nearest enclosing table or key found."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
