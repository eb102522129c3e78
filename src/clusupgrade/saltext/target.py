"""Which cluster a Salt job means, and which estate files it may name.

Salt runs its minion as root (SYSTEM on Windows) and masters grant
functions by name, so a user allowed ``clusupgrade.*`` must gain no other
power.  An estate file is read, and its state written back beside it
(``<file>.state.json``, ``<file>.lock``): a job argument may name one only
under a directory that the minion's own configuration lists::

    # /etc/salt/minion.d/clusupgrade.conf
    clusupgrade.estate_dirs:
      - /srv/clusupgrade/estates

The path is resolved (symbolic links and ``..`` followed) before it is
compared, and the resolved path is what is opened.  The minion's
configuration or its pillar (both set by administrators, not by the job)
may also name an estate as ``clusupgrade.simulate``; that one is used when
the job does not say ``simulate`` at all.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from .. import _validate
from ..simulator import Simulator
from ..target import Target

DIRS_KEY: Final = "estate_dirs"
SIMULATE_KEY: Final = "simulate"
PREFIX: Final = "clusupgrade"

StateMode = Literal["keep", "reset", "read-only"]


class EstatePathError(PermissionError):
    """A job named an estate file that the minion's configuration does not
    allow (winerror 5, ERROR_ACCESS_DENIED): nothing was read or run."""

    winerror = 5

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, message)

    def __str__(self) -> str:
        return str(self.strerror)


def option(source: Mapping[str, Any] | None, key: str) -> Any:
    """``clusupgrade.<key>`` from a configuration or pillar mapping: the
    flat key (``clusupgrade.estate_dirs: [...]``) or the nested one
    (``clusupgrade: {estate_dirs: [...]}``); None when neither is set."""
    if source is None:
        return None
    flat = source.get(f"{PREFIX}.{key}")
    if flat is not None:
        return flat
    nested = source.get(PREFIX)
    if isinstance(nested, Mapping):
        return nested.get(key)
    return None


def allowed_dirs(opts: Mapping[str, Any]) -> list[str]:
    """The resolved directories under which a job argument may name an
    estate file: ``clusupgrade.estate_dirs`` of the minion's configuration
    only (never the pillar, never the job)."""
    value = option(opts, DIRS_KEY)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise EstatePathError(f"{PREFIX}.{DIRS_KEY} in the minion's configuration must be a list of directories")
    dirs = []
    for entry in value:
        if not isinstance(entry, str) or not os.path.isabs(entry):
            raise EstatePathError(f"{PREFIX}.{DIRS_KEY}: {entry!r} is not an absolute directory")
        dirs.append(os.path.realpath(entry))
    return dirs


def _inside(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([path, directory]) == directory
    except ValueError:  # different drives on Windows
        return False


def allowed_estate(path: object, opts: Mapping[str, Any]) -> str:
    """The resolved path of the estate file a job argument names, if it lies
    under a directory of ``clusupgrade.estate_dirs``; EstatePathError if not."""
    if not isinstance(path, str) or not path:
        raise TypeError(f"simulate must be True, False or an estate file's path, not {type(path).__name__}")
    if "\0" in path:
        raise EstatePathError("simulate: an estate path must not contain NUL characters")
    if not os.path.isabs(path):
        raise EstatePathError(f"simulate: {path!r} is not an absolute path")
    dirs = allowed_dirs(opts)
    if not dirs:
        raise EstatePathError(
            f"simulate: {path!r} refused: this minion allows no estate files in job arguments "
            f"(set {PREFIX}.{DIRS_KEY} in its configuration, or name the estate as {PREFIX}.{SIMULATE_KEY} "
            "in its configuration or pillar)"
        )
    real = os.path.realpath(path)
    if not any(_inside(real, d) for d in dirs):
        raise EstatePathError(
            f"simulate: {path!r} refused: it is not under a directory that {PREFIX}.{DIRS_KEY} allows "
            f"({', '.join(dirs)})"
        )
    if not os.path.isfile(real):
        raise EstatePathError(f"simulate: {path!r} is not an estate file")
    return real


@dataclass(frozen=True)
class Resolved:
    """The cluster a job means."""

    name: str | None
    """The cluster's name as the job gave it; None for the local cluster."""
    simulated: bool
    estate: str | None = None
    """The resolved path of the estate file, for a simulated estate."""

    def target(self, state: StateMode = "keep") -> Target:
        """What the library calls take as `cluster`.  `state`: how an estate
        keeps its state ("read-only" for a read, a preflight or a check)."""
        if self.estate is not None:
            return estate_simulator(self.estate, self.name, state)
        if self.simulated:
            return Simulator() if self.name is None else Simulator(name=self.name)
        return self.name


def estate_simulator(path: str, cluster: str | None, state: StateMode) -> Simulator:
    """The simulated cluster `cluster` (None: the file's only one) of the
    estate file `path`; clusupgrade.estate.EstateError (a ValueError) for a
    file that is not a valid estate or has no such cluster."""
    return Simulator.from_file(path, cluster, state=state)


def resolve(cluster: object, simulate: object, opts: Mapping[str, Any],
            pillar: Mapping[str, Any] | None = None) -> Resolved:
    """The cluster a job means: `cluster` (None: the local one) and
    `simulate` (None: what the configuration or pillar says, else a real
    cluster; False: a real cluster; True: the built-in simulated cluster;
    a path: an estate file under ``clusupgrade.estate_dirs``)."""
    name = None if cluster is None else _validate.cluster_name(cluster)
    if simulate is None:
        configured = option(opts, SIMULATE_KEY)
        if configured is None:
            configured = option(pillar, SIMULATE_KEY)
        if configured is None or configured is False:
            return Resolved(name, False)
        if configured is True:
            return Resolved(name, True)
        if not isinstance(configured, str) or not os.path.isabs(configured):
            raise ValueError(f"{PREFIX}.{SIMULATE_KEY} must be true, false or an absolute estate path")
        return Resolved(name, True, os.path.realpath(configured))
    if isinstance(simulate, bool):
        return Resolved(name, simulate)
    return Resolved(name, True, allowed_estate(simulate, opts))
