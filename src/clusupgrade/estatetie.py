"""What ties a simulated cluster of an estate file to the state it keeps
between commands (statefile.py), and makes two processes on one estate
take turns as MS-CMRP's cluster makes two calls take turns.

An upgrade or a check on an estate's cluster:

1. takes the cluster's lock (filelock.py; one byte of ``<file>.lock`` per
   cluster), waiting in the calling thread while another process, or
   another thread of this one, holds it;
2. reads the kept state and, when it differs from what the simulator's
   model holds, gives the simulator a model with the kept level and flag;
3. when the model will raise (perform, flag clear, every node up and
   supporting the next level), writes the flag first: a process that dies
   mid-raise leaves it, and the next call gets 5976;
4. lets the model decide natively, as for any simulator;
5. once the native call has returned, a Python thread that waits on its
   Job reads the model's new level and writes it with the flag cleared
   (or left set, with leaves_in_progress), then gives the lock back.  It
   does not matter whether anyone still listens to the call.  At
   interpreter exit, a call that has not returned yet keeps its flag:
   that is the documented behaviour.

A read (cluster_info(), preflight()'s query) waits for the cluster's lock
too, so that it sees the state an upgrade or check under way leaves (in
this process or another), then reads without holding it.

With state "read-only" nothing is locked or written: the kept state is
read once, when the estate is loaded, and the simulators then change only
in this process.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from . import _clusupgrade, proplist, sections, statefile
from .filelock import ByteLock
from .nodes import NodeState
from .phase import END_HEADER

log = logging.getLogger("clusupgrade")

StateMode = Literal["keep", "reset", "read-only"]
STATE_MODES: Final = ("keep", "reset", "read-only")
HANDOFF_SECONDS: Final = 60.0
"""How long the lock waits for the call it was taken for to start: a call
that could not start (no thread, no memory) never hands its Job over."""
EXIT_JOIN_SECONDS: Final = 5.0
"""How long interpreter exit waits for the write-back of a call that has
returned (its thread only reads the model and writes a small file)."""
LOCK_BYTES: Final = 1 << 30
"""Cluster locks live on bytes 1 to 2**30 of the lock file (a hash of the name)."""


class NodeLike(Protocol):
    @property
    def state(self) -> Any: ...
    @property
    def highest_level(self) -> int | None: ...


class Modelled(Protocol):
    """What this module needs of a Simulator (which it cannot import)."""

    name: str
    open_error: int
    _model: Any

    @property
    def nodes(self) -> tuple[Any, ...]: ...


@dataclass
class Start:
    """How a tied cluster starts: its level and flag from the TOML (and
    overrides), and how to make a model for another level and flag."""

    level: int
    in_progress: bool
    leaves_in_progress: bool
    remodel: Callable[[int, bool], Any]
    """(level, flag) -> a new SimModel for the same cluster."""


class Keeper:
    """One estate file's state and locks."""

    def __init__(self, path: Path, mode: StateMode) -> None:
        self.path = path
        self.mode = mode
        self.state_path = statefile.state_path(path)
        self.lock_path = statefile.lock_path(path)
        self._state_lock = ByteLock(self.lock_path, 0)
        self.snapshot: dict[str, statefile.Kept] = {}

    @property
    def writes(self) -> bool:
        return self.mode != "read-only"

    def open(self) -> None:
        """Make sure the lock file can be had and read the state once;
        with "reset", forget it first.  OSError when the lock file cannot
        be created beside the estate, ValueError for a broken state file."""
        _settle_file(self.lock_path.as_posix())
        if not self.writes:
            self.snapshot = statefile.read(self.state_path)
            return
        self._state_lock.open()
        with self._state_lock:
            if self.mode == "reset":
                statefile.remove(self.state_path)
            self.snapshot = statefile.read(self.state_path)

    def cluster_lock(self, name: str) -> ByteLock:
        return ByteLock(self.lock_path, 1 + zlib.crc32(name.casefold().encode("utf-8")) % LOCK_BYTES)

    def current(self, name: str, start: Start) -> tuple[int, bool]:
        """The cluster's level and flag: kept, or from its file when nothing
        is kept or the file says otherwise than when it was kept."""
        if self.writes:
            with self._state_lock:
                kept = statefile.read(self.state_path).get(name.casefold())
        else:
            kept = self.snapshot.get(name.casefold())
        if kept is None:
            return start.level, start.in_progress
        if (kept.file_level, kept.file_in_progress) != (start.level, start.in_progress):
            log.info(
                "estate %s, cluster %s: the file (or an option) now says level %d%s; the kept state is set aside",
                self.path, name, start.level, ", upgrade in progress" if start.in_progress else "",
            )
            return start.level, start.in_progress
        return kept.functional_level, kept.upgrade_in_progress

    def keep(self, name: str, start: Start, level: int, in_progress: bool) -> None:
        """Write the cluster's level and flag, the others as they are."""
        with self._state_lock:
            kept = {key: (key, state) for key, state in statefile.read(self.state_path).items()}
            kept[name.casefold()] = (name, statefile.Kept(level, in_progress, start.level, start.in_progress))
            statefile.write(self.state_path, kept)


@dataclass(eq=False)
class _Attempt:
    """An upgrade or check that holds its cluster's lock."""

    thread: int
    lock: ByteLock
    model: Any
    level: int
    raises: bool
    handed: threading.Event = field(default_factory=threading.Event)
    job: _clusupgrade.Job | None = None
    watcher: threading.Thread | None = None
    abandoned: bool = False
    """The call was never made after all (see Tie.abandoned())."""


_active: dict[tuple[str, str], _Attempt] = {}
"""The attempt holding each cluster's lock in this process, by (lock file, casefolded name)."""
_active_lock = threading.Lock()


def _settle_file(lock: str) -> None:
    """_settle() every cluster of the estate whose lock file is `lock`."""
    with _active_lock:
        keys = [key for key in _active if key[0] == lock]
    for key in keys:
        _settle(key)


def _settle(key: tuple[str, str]) -> None:
    """Wait for the write-back of this process's call on the cluster when
    that call has returned already: whoever read its end record must then
    read the state it left, not the one before."""
    with _active_lock:
        attempt = _active.get(key)
    if attempt is not None and attempt.job is not None and attempt.job.finished and attempt.watcher is not None:
        if attempt.watcher is not threading.current_thread():
            attempt.watcher.join()


class Tie:
    """One Simulator's tie to its estate (Simulator._estate_tie)."""

    def __init__(self, keeper: Keeper, name: str, start: Start) -> None:
        self.keeper = keeper
        self.name = name
        self.start = start
        self._key = (keeper.lock_path.as_posix(), name.casefold())
        if keeper.writes:
            _settle(self._key)
        level, flag = keeper.current(name, start)
        self.known = (level, flag)
        """What the simulator's model holds (when no call runs)."""
        self._initial = (level, flag)
        self._unstarted: dict[int, _Attempt] = {}

    def initial(self) -> tuple[int, bool]:
        """The level and flag the simulator starts with."""
        return self._initial

    def _sync(self, sim: Modelled, state: tuple[int, bool]) -> None:
        if state != self.known:
            sim._model = self.start.remodel(*state)
            self.known = state

    def before(self, sim: Modelled, perform: bool, query: bool, deadline: float | None = None) -> None:
        """Called by Simulator._spec() before a call to `sim` is made.
        TimeoutError when the cluster's lock is not had by `deadline`
        (time.monotonic()): the call's own timeout covers that wait too."""
        if not self.keeper.writes:
            return
        me = threading.get_ident()
        stale = self._unstarted.pop(me, None)
        if stale is not None:
            # This thread asked for a call before and never started it.
            stale.handed.set()
        lock = self.keeper.cluster_lock(self.name)
        if not lock.acquire(on_wait=lambda: log.info(
            "cluster %s of estate %s: waiting for another clusupgrade call on it to end", self.name, self.keeper.path
        ), deadline=deadline):
            raise TimeoutError(f"another clusupgrade call on cluster {self.name!r} still runs")
        if query:
            # A read waits for the upgrade or check under way, then reads
            # the state it left; it changes nothing, so it need not hold
            # the lock while it runs.
            try:
                self._sync(sim, self.keeper.current(self.name, self.start))
            finally:
                lock.release()
            return
        try:
            state = self.keeper.current(self.name, self.start)
            self._sync(sim, state)
            level, flag = state
            raises = perform and not flag and sim.open_error == 0 and _all_ready(sim.nodes, level)
            if raises:
                self.keeper.keep(self.name, self.start, level, True)
            attempt = _Attempt(me, lock, sim._model, level, raises)
            watcher = threading.Thread(
                target=self._watch, args=(attempt,), name=f"clusupgrade-estate-{self.name}", daemon=True
            )
            attempt.watcher = watcher
            with _active_lock:
                _active[self._key] = attempt
            self._unstarted[me] = attempt
            watcher.start()
        except BaseException:
            lock.release()
            raise

    def started(self, job: _clusupgrade.Job) -> None:
        """Called by Simulator._track() once the call has started."""
        attempt = self._unstarted.pop(threading.get_ident(), None)
        if attempt is not None:
            attempt.job = job
            attempt.handed.set()

    def abandoned(self, job: _clusupgrade.Job) -> None:
        """Called when a call handed over by started() was never made after
        all (its thread could not start, or it was stopped before it
        started): its lock is given back."""
        with _active_lock:
            attempt = _active.get(self._key)
        if attempt is not None and attempt.job is job:
            attempt.abandoned = True

    def _watch(self, attempt: _Attempt) -> None:
        try:
            attempt.handed.wait(HANDOFF_SECONDS)
            job = attempt.job
            # Short waits: a call never made after all never finishes.
            while job is not None and not job.wait(0.2):
                if attempt.abandoned:
                    job = None
            if job is None or attempt.abandoned:
                # Never made: nothing was decided.
                level, flag = attempt.level, False
            else:
                level = _level_of(self.name, attempt.model, attempt.level)
                flag = attempt.raises and self.start.leaves_in_progress
            if attempt.raises or (level, flag) != (attempt.level, False):
                self.keeper.keep(self.name, self.start, level, flag)
            self.known = (level, flag)
        except Exception:
            log.exception("cluster %s of estate %s: could not keep its state", self.name, self.keeper.path)
        finally:
            with _active_lock:
                if _active.get(self._key) is attempt:
                    del _active[self._key]
            attempt.lock.release()



def _all_ready(nodes: tuple[Any, ...], level: int) -> bool:
    """The model's rule for a raise: every node up and supporting level + 1."""
    return all(
        int(node.state) == NodeState.UP and node.highest_level is not None and node.highest_level > level
        for node in nodes
    )


def _level_of(name: str, model: Any, fallback: int) -> int:
    """The model's level, read with a query of its own (no delay, no
    script); `fallback` when it cannot be read."""
    call = _clusupgrade.Call(queue.SimpleQueue(), name, False, ((), 0, None, -1, 0, True, model),
                             kind=_clusupgrade.KIND_QUERY)
    end = call.run()
    status = END_HEADER.unpack_from(end)[2]
    if status != 0:
        return fallback
    data = sections.data_of(sections.parse(end[END_HEADER.size :]), sections.CLUSTER_PROPS)
    level = None if data is None else proplist.dword(proplist.parse(data), proplist.FUNCTIONAL_LEVEL)
    return fallback if level is None else level


@atexit.register
def _finish_returned_calls() -> None:
    """At exit, let the write-back of each call that has returned finish;
    a call still running keeps its flag set."""
    with _active_lock:
        attempts = list(_active.values())
    for attempt in attempts:
        job, watcher = attempt.job, attempt.watcher
        if job is not None and job.finished and watcher is not None:
            watcher.join(EXIT_JOIN_SECONDS)
