"""Simulated estates described in TOML files: load_estate(), the shipped
examples, and EstateError.  docs/rehearsal.md describes the format.

    >>> from clusupgrade.estate import load_estate, example_path
    >>> estate = load_estate(example_path("four-node"), state="read-only")
    >>> estate.names
    ('hv-cluster',)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .estatefile import EXAMPLES, Estate, EstateError, load
from .simulator import SimNode, Simulator

__all__ = ["Estate", "EstateError", "copy_example", "example_path", "examples", "load_estate"]

EXAMPLE_PREFIX = "example:"
"""``--simulate example:NAME`` names a shipped example."""


def load_estate(path: str | os.PathLike[str], *, state: str = "keep") -> Estate[Simulator]:
    """The estate in the TOML file at `path`, checked before anything runs.

    `state`: "keep" (the default) keeps each cluster's level and "upgrade
    in progress" flag in ``<file>.state.json`` beside the file, under the
    lock ``<file>.lock``; "reset" forgets what was kept and starts from the
    file; "read-only" reads what is kept and writes nothing.  Raises
    EstateError (a ValueError) naming the file, line and key path."""
    return load(path, state=state, make_sim=Simulator, make_node=SimNode)


def examples() -> list[str]:
    """The names of the estates shipped with clusupgrade."""
    return sorted(path.stem for path in EXAMPLES.glob("*.toml"))


def example_path(name: str) -> Path:
    """The shipped example estate `name` (see examples()).  Rehearse from a
    copy (copy_example()) to keep its state; the shipped file itself is
    read with state="read-only"."""
    if not isinstance(name, str):
        raise TypeError(f"example name must be a str, not {type(name).__name__}")
    path = EXAMPLES / f"{name}.toml"
    if name not in examples():
        raise EstateError(f"no example estate named {name!r}; the examples are: {', '.join(examples())}")
    return path


def copy_example(name: str, directory: str | os.PathLike[str]) -> Path:
    """Copy the shipped example `name` into `directory` (made if missing),
    and return the copy's path: a file to rehearse with, whose state is
    kept beside it.  An existing copy is replaced, its kept state kept."""
    source = example_path(name)
    target_dir = Path(os.fspath(directory))
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / source.name
    shutil.copyfile(source, target)
    return target
