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
from .errors import STATE_UNKNOWN, ClusterUpgradeError, ListeningStoppedError, UpgradeTimeoutError
from .outcome import conclude, log, where
from .pending import PendingCall
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
    events: list[PhaseEvent] = field(default_factory=list)


class FleetUpgrade:
    """Iterates over the phases of several clusters' calls, interleaved as
    they happen; each event names its cluster.

    At most `max_parallel` calls run at once; the rest start as others end
    (by success, failure or timeout).  A cluster that fails does not stop
    the others: once iteration ends, :attr:`outcomes` holds, in the order
    the clusters were given, an :class:`UpgradeResult` or the
    :class:`ClusterUpgradeError` for each (a call whose thread could not
    start included).  `timeout` applies to each cluster's call.

    Only :meth:`abort` answers FALSE.  Leaving early in any other way
    (:meth:`close`, Ctrl+C, leaving ``with``, dropping the fleet) stops
    listening to every running call (each is answered TRUE from then on
    and goes on; its outcome is a :class:`ListeningStoppedError` whose
    ``pending`` waits for it) and starts no more (their outcome stays
    None).  :meth:`stop_starting` starts no more but keeps listening.  A
    bare ``break`` without ``with`` changes nothing while the fleet is
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
        self._given = list(clusters)
        self._targets = [resolve(c) for c in self._given]
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
        """Set first by close(): nothing more is listened to or started."""
        self._no_more = False
        """Set first by stop_starting(), abort() and close(): nothing more starts."""
        self._aborted: set[int] = set()
        """Members abort() asked for, so that one starting meanwhile is aborted too."""
        self._let_go_calls: dict[int, _clusupgrade.Call] = {}
        """The calls of members no longer listened to (close(), a timeout):
        abort() still reaches them."""
        self._born: int | None = None
        self._log = False

    @property
    def outcomes(self) -> list[Outcome | None]:
        """Per cluster, in the order given: its :class:`UpgradeResult` or
        :class:`ClusterUpgradeError`; a :class:`ListeningStoppedError` (with
        ``pending``) for a call still in flight when the fleet stopped
        listening to it (close(), Ctrl+C, leaving ``with``; an
        :class:`UpgradeTimeoutError` for its timeout); None while it has not
        ended, and for a cluster never started."""
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
        except BaseException as exc:
            self._stop_listening(exc)
            raise
        if event is None:
            self._stopped = True
            raise StopIteration
        return event

    def close(self) -> None:
        """Stop listening to every running call and start no more.  Each
        running call is answered TRUE from now on and goes on; its outcome
        becomes a :class:`ListeningStoppedError` whose ``pending`` waits for
        it.  Clusters not started stay None.  Safe from any thread and from
        a signal handler."""
        # Announce first, then look at the members: a member _launch()
        # stores after this snapshot sees `_stopped`, and Call.start()
        # refuses a call detached before it started.
        self._no_more = True
        self._stopped = True
        self._waiting.clear()
        for member in list(self._running.values()):
            self._let_go(member)
        self._items.put(_WAKE)  # a consumer blocked in another thread stops

    def stop_starting(self) -> None:
        """Start no more clusters, and keep listening to the running ones:
        iteration ends when they have.  Clusters not started stay None.
        Safe from any thread and from a signal handler."""
        self._no_more = True
        self._waiting.clear()

    def abort(self, cluster: Target | None = None) -> None:
        """Answer FALSE to every later phase of `cluster`'s call: asks the
        cluster to stop at its next phase.  What the cluster does then is
        not documented; it may still complete.

        `cluster` is a member as it was given, its name (case-insensitive)
        or its :class:`Simulator`; ValueError for one not in the fleet.
        None aborts every running call and starts no more.  A member not
        started yet is never started (its outcome stays None).  The fleet
        keeps listening: each aborted call's outcome is what it returns.
        """
        indexes = range(len(self._targets)) if cluster is None else self._members_of(cluster)
        if cluster is None:
            self._no_more = True
            self._waiting.clear()
        # Announce first, then look: a member _launch() stores after this
        # sees its index here, and Call.start() refuses an aborted call.
        self._aborted.update(indexes)
        for index in indexes:
            member = self._running.get(index)
            call = member.call if member is not None else self._let_go_calls.get(index)
            if call is not None:
                call.abort()
            elif cluster is not None:
                try:
                    self._waiting.remove(index)
                except ValueError:
                    pass  # started and ended, or never waiting

    def _members_of(self, cluster: object) -> list[int]:
        """The indexes of the members `cluster` names."""
        found = [i for i, given in enumerate(self._given) if given is cluster]
        if not found and isinstance(cluster, Simulator):
            found = [i for i, (_, sim) in enumerate(self._targets) if sim is cluster]
        if not found and isinstance(cluster, str):
            key = cluster.casefold()
            names = [name if sim is None else sim.name for name, sim in self._targets]
            found = [i for i, name in enumerate(names) if name is not None and name.casefold() == key]
        if not found:
            raise ValueError(f"{cluster!r} is not a cluster of this fleet")
        return found

    def _let_go(self, member: _Member) -> None:
        """Stop listening to a running member: detach its call, and make
        its outcome a ListeningStoppedError that can wait for it."""
        if self._running.pop(member.index, None) is None:
            return  # ended, or let go already
        member.call.detach()
        self._let_go_calls[member.index] = member.call
        pending = None
        if member.call.started:
            pending = PendingCall(member.call, cluster=member.name, perform=self._perform, events=tuple(member.events))
        self._outcomes[member.index] = ListeningStoppedError(
            f"{where(member.name)}: clusupgrade stopped listening while the call ran (later phases "
            f"are answered TRUE): {STATE_UNKNOWN}",
            cluster=member.name,
            events=tuple(member.events),
            pending=pending,
        )

    def _stop_listening(self, exc: BaseException) -> None:
        """Leave every running call because `exc` leaves the fleet."""
        names = [where(m.name) for m in self._running.values()]
        self.close()
        if names:
            exc.add_note(
                f"clusupgrade stopped listening to {', '.join(names)} (later phases are answered TRUE); "
                f"each call goes on and its cluster's state is unknown until read again; "
                "the fleet's outcomes hold a ListeningStoppedError whose pending waits for it"
            )

    def __enter__(self) -> FleetUpgrade:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None and not self._stopped:
            self._stop_listening(exc)
        else:
            self.close()

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
                return None  # close() from another thread
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
        while self._waiting and len(running) < self._max_parallel and not self._no_more:
            # caller_thread is set once the worker has taken the GIL and
            # begun.  Oldest first: amortised O(1) per member.
            while starting and (starting[0].call.caller_thread or starting[0].index not in running):
                starting.popleft()
            if len(starting) >= START_AHEAD:
                return
            try:
                index = self._waiting.popleft()
            except IndexError:  # stop_starting() or abort() from a signal handler
                return
            self._launch(index)

    def _launch(self, index: int) -> None:
        name, simulator = self._targets[index]
        spec = simulator._spec(self._perform) if simulator is not None else None

        # Owned before it starts: close() or abort() from here on finds it.
        call = _clusupgrade.Call(self._items, name, self._perform, spec, tag=index)
        member = _Member(index, name, call)
        self._running[index] = member
        if self._stopped or self._no_more:
            # close() took its snapshot before this member, or
            # stop_starting() landed after _fill() took it: never started.
            call.detach()
        if index in self._aborted:
            call.abort()
        try:
            made = launch(simulator, call)
        except OSError as err:
            # Resources exhausted: this member fails, the others go on.
            del self._running[index]
            error = start_error(err, name)
            log.error("%s", error)
            self._outcomes[index] = error
            return
        if not made:  # closed or aborted before it started: never started
            self._running.pop(index, None)
            self._outcomes[index] = None
            return
        self._starting.append(member)
        self._scan.append(index)
        if self._timeout is not None:
            self._deadlines.append((time.monotonic() + self._timeout, index))

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
            member.call.detach()
            self._let_go_calls[index] = member.call
            log.error("%s did not finish within %g s", where(member.name), self._timeout)
            self._outcomes[index] = UpgradeTimeoutError(
                f"{where(member.name)} did not finish within {self._timeout:g} s; clusupgrade stopped "
                f"listening and answers TRUE to any later phase: {STATE_UNKNOWN}",
                cluster=member.name,
                events=tuple(member.events),
                pending=PendingCall(
                    member.call, cluster=member.name, perform=self._perform, events=tuple(member.events)
                ),
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
                aborted=member.call.aborted,
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
