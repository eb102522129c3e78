"""Several clusters at once: upgrade_many().

Every member's call puts its records, tagged with the member's index, into
one queue, so the consumer blocks on one queue whatever the fleet's size.
The work per record does not depend on that size either: a record finds its
member by tag in a dict; the nearest deadline is the head of a queue of
deadlines (one timeout for all, so they come in start order; members that
ended are dropped lazily as they reach the head); and the fallback for an
end record that never arrived reads Call.end() only on an idle poll, for a
bounded slice of the members, round robin.

Starting is paced too.  Each call's native worker takes the GIL once to
begin; thousands of threads queueing for the GIL at once make every
hand-over slow (each waiter wakes at every switch interval, and two cores
drown in wake-ups), so a large fleet starts its calls as the earlier ones
get going, never more than START_AHEAD ahead.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final

from . import _clusupgrade, _validate
from .errors import ClusterUpgradeError, UpgradeTimeoutError
from .outcome import conclude, log, where
from .phase import END_HEADER, PHASE_KIND, PhaseEvent, unpack_phase
from .result import UpgradeResult
from .simulator import Simulator
from .stream import _WAKE, POLL_SECONDS, Target, add_event, launch, resolve, start_error
from .waiting import check_fork, fork_generation

MAX_PARALLEL: Final = 10_000

SCAN_SLICE: Final = 256
"""Members whose Call.end() one idle poll reads: a lost end record is found
within ceil(running / SCAN_SLICE) idle polls, and no poll costs more."""

START_AHEAD: Final = 32
"""Started calls whose worker may still be waiting to begin.  Measured on
2 cores: with any bound from 8 to 128, 10,000 simulated clusters at once
took about half as long as with none (benchmarks/run.py)."""

STARTING_POLL: Final = 0.001
"""The wait while starting is paced: a worker that begins puts nothing into
the queue, so the consumer looks again this soon."""

Outcome = UpgradeResult | ClusterUpgradeError


@dataclass(slots=True)
class _Member:
    """One cluster of the fleet while its call runs."""

    index: int
    name: str | None
    call: _clusupgrade.Call
    started: float
    events: list[PhaseEvent] = field(default_factory=list)


class FleetUpgrade:
    """Iterates over the phases of several clusters' calls, interleaved as
    they happen; each event names its cluster.

    At most `max_parallel` calls run at once; the rest start as others end
    (by success, failure or timeout).  A cluster that fails does not stop
    the others: once iteration ends, :attr:`outcomes` holds, in the order
    the clusters were given, an :class:`UpgradeResult` or the
    :class:`ClusterUpgradeError` for each (a call whose thread could not
    start included).  `timeout` applies to each cluster's call.  Leaving
    early (:meth:`cancel`, Ctrl+C, leaving ``with``, dropping the fleet)
    answers FALSE to every later phase of every running call, and starts no
    more; a bare ``break`` without ``with`` does not while the fleet is
    still referenced.
    """

    def __init__(
        self,
        clusters: Iterable[Target],
        *,
        perform: bool = True,
        max_parallel: int = 8,
        timeout: float | None = None,
    ) -> None:
        if isinstance(clusters, (str, Simulator)):
            raise TypeError("clusters must be an iterable of clusters, not a single cluster")
        self._targets = [resolve(c) for c in clusters]
        self._perform = _validate.flag(perform, "perform")
        self._max_parallel = _validate.integer(max_parallel, "max_parallel", 1, MAX_PARALLEL)
        self._timeout = _validate.timeout(timeout)
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._waiting = deque(range(len(self._targets)))
        self._running: dict[int, _Member] = {}
        self._deadlines: deque[tuple[float, int]] = deque()
        """(deadline, index) of started members, in start order."""
        self._scan: deque[int] = deque()
        """Started members, in the round-robin order of the end() fallback."""
        self._starting: deque[_Member] = deque()
        """Started members whose worker may not have begun, oldest first."""
        self._outcomes: list[Outcome | None] = [None] * len(self._targets)
        self._stopped = False
        self._born: int | None = None
        self._log = False

    @property
    def outcomes(self) -> list[Outcome | None]:
        """Per cluster, in the order given: its result or error; None while
        it has not ended (or was never started because the fleet was left)."""
        return list(self._outcomes)

    @property
    def succeeded(self) -> list[UpgradeResult]:
        return [o for o in self._outcomes if isinstance(o, UpgradeResult)]

    @property
    def failed(self) -> list[ClusterUpgradeError]:
        return [o for o in self._outcomes if isinstance(o, ClusterUpgradeError)]

    def __iter__(self) -> FleetUpgrade:
        return self

    def __next__(self) -> PhaseEvent:
        if self._stopped:
            raise StopIteration
        try:
            event = self._next_event()
        except BaseException:
            self.cancel()
            raise
        if event is None:
            self._stopped = True
            raise StopIteration
        return event

    def cancel(self) -> None:
        """Leave every running call and start no more.  Safe from any thread."""
        # Announce first, then look at the members: a member _launch()
        # stores after this snapshot sees `_stopped` and cancels itself.
        self._stopped = True
        self._waiting.clear()
        for member in list(self._running.values()):
            member.call.cancel()
        self._running.clear()
        self._items.put(_WAKE)  # a consumer blocked in another thread stops

    def __enter__(self) -> FleetUpgrade:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cancel()

    def _next_event(self) -> PhaseEvent | None:
        """The next event of any member; None once every member has ended."""
        if self._born is None:
            self._born = fork_generation()
            # Decided once per fleet: an event then costs nothing while INFO is off.
            self._log = log.isEnabledFor(logging.INFO)
            self._fill()
        running = self._running
        while running:
            item = self._next_item()
            if self._stopped:
                return None  # cancel() from another thread
            if type(item) is not bytes:
                continue  # an idle poll, an expiry, a wake-up
            if item[0] == PHASE_KIND:
                fields = unpack_phase(item)
                member = running.get(fields[1])  # the tag
                if member is None:
                    continue  # a member that already timed out
                return add_event(member.events, fields, member.name, self._log)
            member = running.pop(END_HEADER.unpack_from(item)[1], None)
            if member is not None:  # else: timed out, or a late duplicate
                self._conclude(member, item)
                self._fill()
        return None

    def _fill(self) -> None:
        """Start waiting members while there is room, START_AHEAD at most
        ahead of the workers that have begun."""
        starting, running = self._starting, self._running
        while self._waiting and len(running) < self._max_parallel and not self._stopped:
            # caller_thread is set once the worker has taken the GIL and
            # begun.  Oldest first: amortised O(1) per member.
            while starting and (starting[0].call.caller_thread or starting[0].index not in running):
                starting.popleft()
            if len(starting) >= START_AHEAD:
                return
            self._launch(self._waiting.popleft())

    def _launch(self, index: int) -> None:
        name, simulator = self._targets[index]
        spec = simulator._spec(self._perform) if simulator is not None else None

        def make() -> _clusupgrade.Call:
            return _clusupgrade.Call(self._items, name, self._perform, spec, tag=index)

        started = time.perf_counter()  # for the duration, as in stream.py
        try:
            call = launch(simulator, make)
        except OSError as err:
            # Resources exhausted: this member fails, the others go on.
            error = start_error(err, name)
            log.error("%s", error)
            self._outcomes[index] = error
            return
        member = _Member(index, name, call, started)
        self._running[index] = member
        self._starting.append(member)
        self._scan.append(index)
        if self._timeout is not None:
            self._deadlines.append((time.monotonic() + self._timeout, index))
        if self._stopped:
            call.cancel()  # cancel() from another thread took its snapshot before this member

    def _next_item(self) -> object | None:
        """The next record, or None after an idle poll or an expiry."""
        wait = POLL_SECONDS
        if self._waiting and len(self._running) < self._max_parallel:
            self._fill()  # paced: see START_AHEAD
            if self._waiting and len(self._running) < self._max_parallel:
                wait = STARTING_POLL
        deadlines = self._deadlines
        if deadlines:
            # One clock read per record, so a flood cannot hold a deadline off.
            left = deadlines[0][0] - time.monotonic()
            if left <= 0.0:
                self._expire()
                return None
            if left < wait:
                wait = left
        try:
            return self._items.get(True, wait)
        except queue.Empty:
            self._idle()
            return None

    def _idle(self) -> None:
        """Nothing arrived for a whole wait: look for members that ended
        without their end record reaching the queue, a slice at a time."""
        check_fork(self._born)
        scan, running = self._scan, self._running
        for _ in range(min(SCAN_SLICE, len(scan))):
            index = scan.popleft()
            member = running.get(index)
            if member is None:
                continue  # ended: dropped from the scan here
            scan.append(index)
            end = member.call.end()
            if end is not None:
                # Behind any phase record the call put before it returned.
                self._items.put(end)

    def _expire(self) -> None:
        """Time out the members whose deadline has passed, and start others."""
        deadlines, now = self._deadlines, time.monotonic()
        while deadlines and deadlines[0][0] <= now:
            index = deadlines.popleft()[1]
            member = self._running.get(index)
            if member is None or member.call.end() is not None:
                continue  # ended before its deadline; or its end is on the way, and wins
            del self._running[index]
            member.call.cancel()
            log.error("%s did not finish within %g s", where(member.name), self._timeout)
            self._outcomes[index] = UpgradeTimeoutError(
                f"{where(member.name)} did not finish within {self._timeout:g} s; later "
                "phases are answered FALSE, but the cluster may still complete the upgrade",
                cluster=member.name,
                events=tuple(member.events),
            )
        self._fill()

    def _conclude(self, member: _Member, end: bytes) -> None:
        try:
            self._outcomes[member.index] = conclude(
                end,
                name=member.name,
                perform=self._perform,
                events=tuple(member.events),
                lost=member.call.lost,
                duration=time.perf_counter() - member.started,
            )
        except ClusterUpgradeError as err:
            self._outcomes[member.index] = err


def upgrade_many(
    clusters: Iterable[Target],
    *,
    perform: bool = True,
    max_parallel: int = 8,
    timeout: float | None = None,
) -> FleetUpgrade:
    """Raise the functional level of several clusters, `max_parallel` at a
    time, yielding their phases interleaved; see :class:`FleetUpgrade`."""
    return FleetUpgrade(clusters, perform=perform, max_parallel=max_parallel, timeout=timeout)
