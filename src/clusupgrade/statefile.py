"""What a simulated estate remembers between commands: each cluster's
functional level and "upgrade in progress" flag, in ``<file>.state.json``
beside the estate's TOML file (which is never rewritten).

The file is replaced whole (a temporary file, then os.replace), so that a
reader never sees half of it.  Windows cannot replace a file another
process holds open: clusupgrade itself reads it only under the estate's
state lock (estatetie.py), and a replace that meets another program's
reader is tried again for a while.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

FORMAT: Final = 1
"""The state file's format version, its "clusupgrade_estate_state" key."""
REPLACE_TRIES: Final = 40
"""How often a replace that Windows refuses is tried, 50 ms apart."""


def state_path(estate: Path) -> Path:
    """``estate.toml.state.json`` beside ``estate.toml``."""
    return estate.with_name(estate.name + ".state.json")


def lock_path(estate: Path) -> Path:
    """``estate.toml.lock`` beside ``estate.toml``."""
    return estate.with_name(estate.name + ".lock")


@dataclass(frozen=True)
class Kept:
    """One cluster's kept state, and what its TOML said when it was kept:
    a file edited since (or a --level given) starts from the file again."""

    functional_level: int
    upgrade_in_progress: bool
    file_level: int
    file_in_progress: bool


def read(path: Path) -> dict[str, Kept]:
    """The kept state by casefolded cluster name; empty when there is none.
    ValueError naming the file when it is not a state file."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        return {}
    try:
        top = json.loads(data.decode("utf-8"))
        if not isinstance(top, dict) or top.get("clusupgrade_estate_state") != FORMAT:
            raise ValueError(f"not a format-{FORMAT} clusupgrade state file")
        clusters = top["clusters"]
        if not isinstance(clusters, dict):
            raise ValueError("'clusters' is not an object")
        kept = {}
        for name, entry in clusters.items():
            kept[str(name).casefold()] = Kept(
                _int(entry, "functional_level"),
                _bool(entry, "upgrade_in_progress"),
                _int(entry, "file_level"),
                _bool(entry, "file_in_progress"),
            )
        return kept
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{path}: cannot read the kept state ({exc}); remove the file or start over with state 'reset'"
        ) from None


def _int(entry: object, key: str) -> int:
    value = entry[key] if isinstance(entry, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 0xFFFF:
        raise ValueError(f"{key} is not a level")
    return value


def _bool(entry: object, key: str) -> bool:
    value = entry[key] if isinstance(entry, dict) else None
    if not isinstance(value, bool):
        raise ValueError(f"{key} is not true or false")
    return value


def write(path: Path, kept: dict[str, tuple[str, Kept]]) -> None:
    """Replace the state file with `kept` (casefolded name -> (name, state))."""
    top = {
        "clusupgrade_estate_state": FORMAT,
        "comment": "written by clusupgrade; the estate's TOML file is never rewritten",
        "clusters": {
            name: {
                "functional_level": state.functional_level,
                "upgrade_in_progress": state.upgrade_in_progress,
                "file_level": state.file_level,
                "file_in_progress": state.file_in_progress,
            }
            for name, state in sorted(kept.values(), key=lambda item: item[0].casefold())
        },
    }
    text = json.dumps(top, indent=2) + "\n"
    fd, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        _replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def remove(path: Path) -> None:
    """Forget the kept state (nothing to do when there is none)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _replace(source: str, target: Path) -> None:
    for attempt in range(REPLACE_TRIES):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            # Windows: another program has the state file open.
            if attempt == REPLACE_TRIES - 1:
                raise
            time.sleep(0.05)
