"""How the command names a cluster and a level: the few words every other
module of the command line uses."""

from __future__ import annotations

from ..levels import level_name


def where(name: str | None) -> str:
    """How the command names a cluster."""
    return f"cluster {name!r}" if name else "the local cluster"


def level_text(level: int | None) -> str:
    """``11 (Windows Server 2022 ...)``, or "unknown"."""
    if level is None:
        return "unknown"
    name = level_name(level)
    return f"{level} ({'a level the sources do not name' if name == f'level {level}' else name})"
