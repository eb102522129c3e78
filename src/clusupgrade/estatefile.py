"""An estate file: simulated clusters described in TOML, checked before
anything runs, and tied to the state they keep between commands.

This module sits below simulator.py, which calls it for
Simulator.from_file() and Simulator.estate(): it builds simulators and
nodes with the classes it is given and never imports them.  The public
names are in estate.py.

Every mistake is an EstateError naming the file, the line where it can be
known, and the key path, e.g. ``estate.toml:12: clusters[1].nodes[2].os_build:
...``.  tomllib reports no positions, so the line is found by scanning
the text for the table header and the key (best effort: a key inside an
inline table or a multi-line value is placed at its table's line, or has
none).  Indexes in key paths count from 0, as in the TOML arrays.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, Protocol, TypeVar

from . import textfile
from .estatetie import STATE_MODES, Keeper, Modelled, Start, StateMode, Tie
from .nodes import NodeState
from .tomllines import line_for, lines_of

EXAMPLES: Final = Path(__file__).resolve().parent / "estates"
"""The estates shipped with clusupgrade."""
WINDOWS_SERVER: Final = (10, 0)
"""Major and minor version of every Windows Server since 2016."""
MAX_DELAY: Final = 86400.0

CLUSTER_KEYS: Final = (
    "name", "functional_level", "upgrade_in_progress", "leaves_in_progress", "upgrade_version", "delay",
    "open_error", "nodes", "upgrade", "check",
)
NODE_KEYS: Final = ("name", "state", "os_build", "highest_level", "lowest_level", "upgrade_version")
SCRIPT_KEYS: Final = ("phases", "fail_code", "fail_after")
STATES: Final = {"up": NodeState.UP, "down": NodeState.DOWN, "paused": NodeState.PAUSED,
                 "joining": NodeState.JOINING, "unknown": NodeState.UNKNOWN}


class EstateError(ValueError):
    """A mistake in an estate file, or in using one; the message names the
    file, the line (where it can be known) and the key path."""

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.key = key


# --------------------------------------------------------------------------
# The file, checked.


@dataclass
class _Reader:
    display: str
    path: Path
    lines: dict[str, int]

    def error(self, key: str, problem: str) -> EstateError:
        line = line_for(self.lines, key)
        where = f"{self.display}:{line}" if line is not None else self.display
        return EstateError(f"{where}: {key}: {problem}", path=self.path, line=line, key=key)

    def table(self, value: object, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, not {_kind(value)}")
        for name in value:
            if name not in allowed:
                raise self.error(f"{key}.{name}" if key else name,
                                 f"unknown key; the keys here are: {', '.join(allowed)}")
        return value

    def integer(self, value: object, key: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, not {_kind(value)}")
        if not low <= value <= high:
            raise self.error(key, f"must be from {low} to {high}, got {value}")
        return value

    def flag(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {_kind(value)}")
        return value

    def name(self, value: object, key: str) -> str:
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, not {_kind(value)}")
        if not value or any(c.isspace() or c in ",\0" for c in value) or len(value) > 255:
            raise self.error(key, f"{value!r} is not a name (1 to 255 characters, no spaces or commas)")
        return value


def _kind(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
            dict: "a table"}.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class ClusterSpec:
    """One cluster as the file describes it: Simulator() arguments, with
    the nodes as SimNode() arguments."""

    name: str
    key: str
    simulator: dict[str, Any]
    nodes: tuple[dict[str, Any], ...]


def parse(path: Path, display: str) -> tuple[_Reader, list[ClusterSpec]]:
    """Read and check the file's syntax and keys (not yet the levels)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EstateError(f"{display}: cannot read it: {exc.strerror or exc}", path=path) from None
    try:
        text = textfile.decode(data, display)
    except ValueError as exc:
        raise EstateError(str(exc), path=path) from None
    try:
        top = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        where = f"{display}:{line}" if line else display
        raise EstateError(f"{where}: not valid TOML: {exc}", path=path, line=line) from None
    reader = _Reader(display, path, lines_of(text))
    reader.table(top, "", ("clusters",))
    clusters = top.get("clusters")
    if not isinstance(clusters, list) or not clusters:
        raise reader.error("clusters", "the file describes no cluster: add a [[clusters]] table")
    specs: list[ClusterSpec] = []
    seen: dict[str, str] = {}
    for i, cluster in enumerate(clusters):
        spec = _cluster(reader, cluster, f"clusters[{i}]")
        other = seen.get(spec.name.casefold())
        if other is not None:
            raise reader.error(f"{spec.key}.name",
                               f"cluster {spec.name!r} is described twice (as {other!r} before; names ignore case)")
        seen[spec.name.casefold()] = spec.name
        specs.append(spec)
    return reader, specs


def _cluster(reader: _Reader, value: object, key: str) -> ClusterSpec:
    table = reader.table(value, key, CLUSTER_KEYS)
    if "name" not in table:
        raise reader.error(key, "a cluster needs a name")
    name = reader.name(table["name"], f"{key}.name")
    if "functional_level" not in table:
        raise reader.error(key, f"cluster {name!r} needs its functional_level (e.g. 11 for Windows Server 2022)")
    kwargs: dict[str, Any] = {
        "name": name,
        "functional_level": reader.integer(table["functional_level"], f"{key}.functional_level", 1, 0xFFFF),
    }
    for flag in ("upgrade_in_progress", "leaves_in_progress"):
        if flag in table:
            kwargs[flag] = reader.flag(table[flag], f"{key}.{flag}")
    if "upgrade_version" in table:
        kwargs["upgrade_version"] = reader.integer(table["upgrade_version"], f"{key}.upgrade_version", 0, 0xFFFFFFFF)
    if "open_error" in table:
        kwargs["open_error"] = reader.integer(table["open_error"], f"{key}.open_error", 0, 0xFFFFFFFF)
    if "delay" in table:
        delay = table["delay"]
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or math.isnan(delay) \
                or not 0 <= delay <= MAX_DELAY:
            raise reader.error(f"{key}.delay", f"must be a number of seconds from 0 to {MAX_DELAY:g}, got {delay!r}")
        kwargs["delay"] = float(delay)
    # A file scripts the raise and the check separately: a fault in
    # [clusters.upgrade] leaves the check to the model.
    kwargs.update(check_status=None, check_fail_after=None)
    for section, prefix in (("upgrade", ""), ("check", "check_")):
        if section in table:
            kwargs.update(_script(reader, table[section], f"{key}.{section}", prefix))
    nodes = table.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise reader.error(f"{key}.nodes" if "nodes" in table else key,
                           f"cluster {name!r} has no nodes: add [[clusters.nodes]] tables")
    if len(nodes) > 64:
        raise reader.error(f"{key}.nodes", f"a cluster has at most 64 nodes, {name!r} has {len(nodes)}")
    node_specs = []
    seen: dict[str, str] = {}
    for j, node in enumerate(nodes):
        node_key = f"{key}.nodes[{j}]"
        spec = _node(reader, node, node_key)
        other = seen.get(spec["name"].casefold())
        if other is not None:
            raise reader.error(f"{node_key}.name", f"cluster {name!r} has two nodes named {spec['name']!r} "
                               f"(and {other!r}; Windows ignores case)")
        seen[spec["name"].casefold()] = spec["name"]
        node_specs.append(spec)
    return ClusterSpec(name, key, kwargs, tuple(node_specs))


def _script(reader: _Reader, value: object, key: str, prefix: str) -> dict[str, Any]:
    table = reader.table(value, key, SCRIPT_KEYS)
    kwargs: dict[str, Any] = {}
    if "phases" in table:
        phases = table["phases"]
        if not isinstance(phases, list):
            raise reader.error(f"{key}.phases", f"must be an array of integers, not {_kind(phases)}")
        kwargs["check_phases" if prefix else "phases"] = tuple(
            reader.integer(p, f"{key}.phases[{i}]", -(2**31), 2**31 - 1) for i, p in enumerate(phases)
        )
    if "fail_code" in table:
        kwargs[f"{prefix}status"] = reader.integer(table["fail_code"], f"{key}.fail_code", 0, 0xFFFFFFFF)
    if "fail_after" in table:
        count = len(kwargs.get("check_phases" if prefix else "phases", (1, 2) if prefix else (1, 2, 3, 4, 5)))
        kwargs[f"{prefix}fail_after"] = reader.integer(table["fail_after"], f"{key}.fail_after", 0, count)
    return kwargs


def _node(reader: _Reader, value: object, key: str) -> dict[str, Any]:
    table = reader.table(value, key, NODE_KEYS)
    if "name" not in table:
        raise reader.error(key, "a node needs a name")
    kwargs: dict[str, Any] = {"name": reader.name(table["name"], f"{key}.name")}
    if "state" in table:
        state = table["state"]
        if isinstance(state, str) and state.casefold() in STATES:
            kwargs["state"] = STATES[state.casefold()]
        elif isinstance(state, int) and not isinstance(state, bool):
            kwargs["state"] = reader.integer(state, f"{key}.state", -(2**31), 2**31 - 1)
        else:
            raise reader.error(f"{key}.state", f"{state!r} is not a node state: {', '.join(STATES)} (or a number)")
    if "os_build" in table:
        kwargs["os_version"] = (*WINDOWS_SERVER, reader.integer(table["os_build"], f"{key}.os_build", 1, 0xFFFF))
    for level in ("highest_level", "lowest_level"):
        if level in table:
            kwargs[level] = reader.integer(table[level], f"{key}.{level}", 0, 0xFFFF)
    if "upgrade_version" in table:
        kwargs["upgrade_version"] = reader.integer(table["upgrade_version"], f"{key}.upgrade_version", 0, 0xFFFF)
    return kwargs


# --------------------------------------------------------------------------
# From specs to simulators.


class NodeLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def highest_level(self) -> int | None: ...


class Tieable(Modelled, Protocol):
    _estate_tie: Tie | None


S = TypeVar("S", bound=Tieable)


class Estate(Generic[S]):
    """The clusters of an estate file, checked; each simulator() is tied to
    the state the estate keeps beside the file."""

    def __init__(self, path: Path, state: StateMode, specs: list[ClusterSpec], reader: _Reader,
                 make_sim: Callable[..., S], nodes: dict[str, tuple[Any, ...]], keeper: Keeper) -> None:
        self.path = path
        """The estate file."""
        self.state: StateMode = state
        self._specs = {spec.name.casefold(): spec for spec in specs}
        self._reader = reader
        self._make_sim = make_sim
        self._nodes = nodes
        self._keeper = keeper

    @property
    def names(self) -> tuple[str, ...]:
        """The clusters' names, in the file's order."""
        return tuple(spec.name for spec in self._specs.values())

    @property
    def state_path(self) -> Path:
        """Where the estate keeps its state: ``<file>.state.json``."""
        return self._keeper.state_path

    def __repr__(self) -> str:
        return f"Estate({str(self.path)!r}, names={self.names!r}, state={self.state!r})"

    def described(self, name: str) -> dict[str, Any]:
        """The Simulator() arguments the file gives cluster `name`, nodes
        aside (what an override would replace)."""
        return dict(self._specs[self.lookup(name).casefold()].simulator)

    def lookup(self, name: str) -> str:
        """The cluster's name as the file spells it (names ignore case);
        EstateError listing the names when the file has no such cluster."""
        spec = self._specs.get(name.casefold()) if isinstance(name, str) else None
        if spec is None:
            raise EstateError(
                f"{self._reader.display}: no cluster named {name!r}; it has: {', '.join(self.names)}", path=self.path
            )
        return spec.name

    def simulator(self, name: str | None = None, **overrides: Any) -> S:
        """A new Simulator of cluster `name` (None: the file's only
        cluster), tied to the estate's state; `overrides` are Simulator()
        arguments that replace the file's (a functional_level or
        upgrade_in_progress given here starts the cluster over, as an
        edited file does)."""
        if name is None:
            if len(self._specs) != 1:
                raise EstateError(
                    f"{self._reader.display} describes {len(self._specs)} clusters; name one: {', '.join(self.names)}",
                    path=self.path,
                )
            name = self.names[0]
        spec = self._specs[self.lookup(name).casefold()]
        kwargs = {**spec.simulator, "nodes": self._nodes[spec.name.casefold()], **overrides}
        make = self._make_sim

        def build(level: int, in_progress: bool) -> S:
            try:
                return make(**{**kwargs, "functional_level": level, "upgrade_in_progress": in_progress})
            except (TypeError, ValueError) as exc:
                raise self._reader.error(spec.key, f"cluster {spec.name!r}: {exc}") from None

        start = Start(
            level=int(kwargs.get("functional_level", 11)),
            in_progress=bool(kwargs.get("upgrade_in_progress", False)),
            leaves_in_progress=bool(kwargs.get("leaves_in_progress", False)),
            remodel=lambda level, flag: build(level, flag)._model,
        )
        tie = Tie(self._keeper, spec.name, start)
        sim = build(*tie.initial())
        sim._estate_tie = tie
        return sim

    def simulators(self, **overrides: Any) -> list[S]:
        """A Simulator of every cluster, in the file's order."""
        return [self.simulator(name, **overrides) for name in self.names]


def load(
    path: str | os.PathLike[str],
    *,
    state: str,
    make_sim: Callable[..., S],
    make_node: Callable[..., NodeLike],
) -> Estate[S]:
    """The estate in the TOML file at `path`, checked (EstateError), its
    state opened as `state` says ("keep", "reset" or "read-only")."""
    if state not in STATE_MODES:
        raise ValueError(f"state must be one of {', '.join(map(repr, STATE_MODES))}, not {state!r}")
    mode: StateMode = state  # type: ignore[assignment]
    file = Path(os.fspath(path))
    display = os.fspath(path)
    reader, specs = parse(file, display)
    nodes = {spec.name.casefold(): _build_nodes(reader, spec, make_node) for spec in specs}
    absolute = file.resolve()
    if mode != "read-only" and absolute.parent == EXAMPLES:
        raise EstateError(
            f"{display} is an example shipped with clusupgrade: rehearse from a copy "
            f"(clusupgrade.estate.copy_example({absolute.stem!r}, DIRECTORY)), or keep no state "
            "(state='read-only', --state read-only)",
            path=file,
        )
    keeper = Keeper(absolute, mode)
    try:
        keeper.open()
    except OSError as exc:
        raise EstateError(
            f"cannot keep the state of {display} beside it ({exc.filename or keeper.lock_path}: "
            f"{exc.strerror or exc}): rehearse from a copy in a directory you can write, or keep no state "
            "(state='read-only', --state read-only)",
            path=file,
        ) from None
    except ValueError as exc:
        raise EstateError(str(exc), path=file) from None
    return Estate(file, mode, specs, reader, make_sim, nodes, keeper)


def _build_nodes(reader: _Reader, spec: ClusterSpec, make_node: Callable[..., NodeLike]) -> tuple[Any, ...]:
    """The cluster's nodes, and the rules that bind files only: every node's
    build supports the cluster's level, and the level is one some node can
    have."""
    level = spec.simulator["functional_level"]
    built = []
    for j, kwargs in enumerate(spec.nodes):
        key = f"{spec.key}.nodes[{j}]"
        try:
            built.append(make_node(**kwargs))
        except (TypeError, ValueError) as exc:
            field = "os_build" if "build" in str(exc) and "highest_level" not in kwargs else None
            raise reader.error(f"{key}.{field}" if field else key, str(exc)) from None
    highest = [node.highest_level or 0 for node in built]
    if level > max(highest):
        raise reader.error(
            f"{spec.key}.functional_level",
            f"cluster {spec.name!r} is at level {level}, above what any of its nodes supports "
            f"(at most {max(highest)}): a cluster's level is one all its nodes support",
        )
    for j, (kwargs, node) in enumerate(zip(spec.nodes, built, strict=True)):
        key = f"{spec.key}.nodes[{j}]"
        if (node.highest_level or 0) < level:
            field = "highest_level" if "highest_level" in kwargs else "os_build"
            build = kwargs.get("os_version", (0, 0, 0))[2] if "os_version" in kwargs else None
            runs = f"runs build {build}, which supports" if field == "os_build" and build else "supports"
            raise reader.error(
                f"{key}.{field}",
                f"node {node.name!r} {runs} level {node.highest_level} at most, below cluster {spec.name!r}'s "
                f"level {level}: it cannot be a member (upgrade its OS, or lower the cluster's level)",
            )
    return tuple(built)
