"""How the command names a cluster and a level: the few words every other
module of the command line uses."""

from __future__ import annotations

from ..levels import level_words


def where(name: str | None) -> str:
    """How the command names a cluster."""
    return f"cluster {name!r}" if name else "the local cluster"


def level_text(level: int | None, hci: bool = False) -> str:
    """``11 (Windows Server 2022)``, ``13``, or "unknown" (levels.level_words)."""
    return level_words(level, hci=hci)
