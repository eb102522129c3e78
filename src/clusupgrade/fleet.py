"""Several clusters at once: upgrade_many()."""

from __future__ import annotations

import queue
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final

from . import _clusupgrade, _validate
from .errors import ClusterUpgradeError, UpgradeTimeoutError
from .outcome import conclude, log, log_event, where
from .phase import PhaseEvent
from .result import UpgradeResult
from .simulator import Simulator
from .stream import POLL_SECONDS, Target, launch, resolve

MAX_PARALLEL: Final = 10_000

Outcome = UpgradeResult | ClusterUpgradeError


@dataclass
class _Member:
    """One cluster of the fleet while its call runs."""

    index: int
    name: str | None
    call: _clusupgrade.Call
    started: float
    deadline: float | None
    events: list[PhaseEvent] = field(default_factory=list)


class FleetUpgrade:
    """Iterates over the phases of several clusters' calls, interleaved as
    they happen; each event names its cluster.

    At most `max_parallel` calls run at once; the rest start as others end.
    A cluster that fails does not stop the others: once iteration ends,
    :attr:`outcomes` holds, in the order the clusters were given, an
    :class:`UpgradeResult` or the :class:`ClusterUpgradeError` for each.
    `timeout` applies to each cluster's call.  Leaving early (``break``,
    :meth:`cancel`, Ctrl+C, leaving ``with``) answers FALSE to every later
    phase of every running call, and starts no more.
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
        self._outcomes: list[Outcome | None] = [None] * len(self._targets)
        self._stopped = False

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
            self._fill()
            while self._running:
                item = self._next_item()
                if item is None:
                    continue
                event = self._take(item)  # type: ignore[arg-type]
                if event is not None:
                    return event
                self._fill()
        except BaseException:
            self.cancel()
            raise
        self._stopped = True
        raise StopIteration

    def cancel(self) -> None:
        """Leave every running call and start no more."""
        self._stopped = True
        self._waiting.clear()
        for member in self._running.values():
            member.call.cancel()
        self._running.clear()

    def __enter__(self) -> FleetUpgrade:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cancel()

    def _fill(self) -> None:
        while self._waiting and len(self._running) < self._max_parallel:
            index = self._waiting.popleft()
            name, simulator = self._targets[index]
            spec = simulator._spec(self._perform) if simulator is not None else None

            def make(after: _clusupgrade.Job | None = None) -> _clusupgrade.Call:
                return _clusupgrade.Call(self._items, name, self._perform, spec, after, index)  # noqa: B023

            started = time.perf_counter()  # for the duration, as in stream.py
            deadline = None if self._timeout is None else time.monotonic() + self._timeout
            self._running[index] = _Member(index, name, launch(simulator, make), started, deadline)

    def _next_item(self) -> object | None:
        """The next record, or None after expiring members that timed out."""
        wait = POLL_SECONDS
        deadlines = [m.deadline for m in self._running.values() if m.deadline is not None]
        if deadlines:
            wait = min(wait, max(0.0, min(deadlines) - time.monotonic()))
        try:
            return self._items.get(timeout=wait)
        except queue.Empty:
            self._expire()
            return None

    def _expire(self) -> None:
        now = time.monotonic()
        for index, member in list(self._running.items()):
            if member.deadline is not None and now >= member.deadline:
                member.call.cancel()
                del self._running[index]
                log.error("%s did not finish within %g s", where(member.name), self._timeout)
                self._outcomes[index] = UpgradeTimeoutError(
                    f"{where(member.name)} did not finish within {self._timeout:g} s; later "
                    "phases are answered FALSE, but the cluster may still complete the upgrade",
                    cluster=member.name,
                    events=tuple(member.events),
                )

    def _take(self, item: tuple[object, ...]) -> PhaseEvent | None:
        """Handle one tagged record: an event to yield, or None for an end."""
        member = self._running.get(int(item[0]))  # type: ignore[call-overload]
        if member is None:
            return None  # a member that already timed out
        if len(item) == 2:  # (tag, record)
            event = PhaseEvent.from_record(item[1], len(member.events), member.name)  # type: ignore[arg-type]
            member.events.append(event)
            log_event(event)
            return event
        del self._running[member.index]
        status, stage = item[1], item[2]
        try:
            self._outcomes[member.index] = conclude(
                status,  # type: ignore[arg-type]
                stage,  # type: ignore[arg-type]
                name=member.name,
                perform=self._perform,
                events=tuple(member.events),
                lost=member.call.lost,
                duration=time.perf_counter() - member.started,
                simulator=self._targets[member.index][1],
            )
        except ClusterUpgradeError as err:
            self._outcomes[member.index] = err
        return None


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
