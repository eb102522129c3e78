"""The package's modules import each other without cycles: leaves first,
the simulator low, the public API on top (DESIGN: module layout).

Read from the source (every relative import, at module level, under
TYPE_CHECKING or inside a function), so that a cycle hidden in a lazy
import counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import clusupgrade

PACKAGE = Path(clusupgrade.__file__).resolve().parent


def imports_of(path: Path) -> set[str]:
    """The package modules that `path` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:  # from . import a, b
                found.update(alias.name for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {path.stem: path for path in PACKAGE.glob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules} for name, path in modules.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle in `edges`, or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for nxt in sorted(edges[name]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(edges):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_cycles() -> None:
    assert cycle(graph()) is None, " -> ".join(cycle(graph()) or [])


def test_the_checker_finds_cycles() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_layers() -> None:
    edges = graph()
    leaves = ("_winerror", "_validate", "phase", "proplist", "sections", "nodes", "levels")
    for leaf in leaves:
        assert edges[leaf] <= {"_winerror"}, (leaf, edges[leaf])
    assert edges["simulator"] <= {"_validate", "nodes", "estatefile", "estatetie"}
    for low in ("estatefile", "estatetie", "statefile", "filelock", "textfile", "tomllines"):
        assert "simulator" not in edges[low], low
    assert "simulator" not in edges["outcome"] and "info" not in edges["outcome"]
    assert edges["target"] <= {"_validate", "simulator"}
