"""The iterator of phase events behind phases() and upgrade().

The native call runs on a native worker thread, without the GIL; its
trampoline puts one record per phase into a queue.SimpleQueue (bytes:
phase.PHASE_RECORD), and the worker a last one, the end record
(phase.END_HEADER and the payload).  This iterator turns them into
PhaseEvents on the consumer's thread.  The consumer never blocks for long in
one wait (waiting.py), so Ctrl+C and timeouts take effect while the native
call is still blocked.

A stream is the only owner of its Call.  Dropping a stream that is still
running leaves the call through the Call's own dealloc, in C, which answers
FALSE to every later phase.  There is deliberately no __del__ here: CPython
raises a pending Ctrl+C in whatever Python code runs next, a finalizer
included, and a KeyboardInterrupt raised in a finalizer is printed and lost.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from types import TracebackType
from typing import Final

from . import _clusupgrade, _validate
from .errors import ClusterUpgradeError, UpgradeTimeoutError, describe
from .outcome import conclude, log, log_event, where
from .phase import PHASE_KIND, PhaseEvent, new_event, unpack_phase
from .result import UpgradeResult
from .simulator import Simulator
from .target import Target, resolve
from .waiting import POLL_SECONDS, fork_generation, next_record

__all__ = ["POLL_SECONDS", "CallStream", "PhaseStream", "Target", "add_event", "launch", "resolve", "start_error"]

NEW: Final = "new"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
CANCELLED: Final = "cancelled"

_WAKE: Final = object()
"""Put by cancel() so that a consumer blocked in another thread stops."""


def launch(simulator: Simulator | None, make: Callable[[], _clusupgrade.Call]) -> _clusupgrade.Call:
    """Make a call with `make()` and start it; a simulator keeps its Job,
    for wait(), runs and answers.  Calls to one simulated cluster do not
    queue here: the cluster itself makes a second one wait natively."""
    call = make()
    call.start()
    if simulator is not None:
        simulator._track(call.job)
    return call


def start_error(err: OSError, name: str | None) -> ClusterUpgradeError:
    """The cluster's error for a call whose native thread could not start
    (Call.start() raises OSError with a Win32 code: resources exhausted)."""
    winerror = getattr(err, "winerror", None)
    code = winerror if isinstance(winerror, int) else err.errno if isinstance(err.errno, int) else 8
    return ClusterUpgradeError(
        code, f"{where(name)}: could not start the call's thread: {describe(code)}", cluster=name
    )


def add_event(
    events: list[PhaseEvent], fields: tuple[int, int, int, int, int, int], cluster: str | None, log_it: bool
) -> PhaseEvent:
    """The event for a phase record's fields (unpack_phase), appended to
    `events` (its sequence is their count), and logged when `log_it`."""
    _, _, phase, elapsed_ns, wall_ns, thread_id = fields
    event = new_event(phase, len(events), elapsed_ns, wall_ns, thread_id, cluster)
    events.append(event)
    if log_it:
        log_event(event)
    return event


class CallStream:
    """What the blocking and the asyncio stream share: one call, its records
    turned into events, its end turned into a result or an exception."""

    def __init__(self, cluster: Target = None, *, perform: bool = True, timeout: float | None = None) -> None:
        self._name, self._simulator = resolve(cluster)
        self._perform = _validate.flag(perform, "perform")
        self._timeout = _validate.timeout(timeout)
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._call: _clusupgrade.Call | None = None
        self._events: list[PhaseEvent] = []
        self._state = NEW  # new, running, done, failed, cancelled
        self._leaving = False
        """Set first by cancel(): see there."""
        self._started = 0.0
        self._deadline: float | None = None
        self._born: int | None = None
        self._log = False
        self.result: UpgradeResult | None = None
        """The outcome, once iteration ended because the call succeeded."""

    @property
    def cluster(self) -> str | None:
        return self._name

    @property
    def caller_thread_id(self) -> int | None:
        """Native id of the thread that makes the blocking call (None before
        the call starts): callbacks on "the calling thread" run there."""
        return self._call.caller_thread if self._call is not None else None

    @property
    def events(self) -> tuple[PhaseEvent, ...]:
        """The events delivered so far."""
        return tuple(self._events)

    @property
    def cancelled(self) -> bool:
        """True when the call was left before it ended."""
        return self._state == CANCELLED

    def cancel(self) -> None:
        """Stop listening: later phases are answered FALSE and iteration ends.

        Safe from any thread and from a signal handler.  The native call
        goes on until the cluster returns; what a cluster does with a FALSE
        answer is not documented (see the README).
        """
        # No lock: a signal handler runs cancel() on the consumer's own
        # thread, where _start() could be holding it.  Ordering instead:
        # this announces first, then looks for the call; _start() stores
        # the call, then looks for the announcement.  Whichever comes second
        # sees the other's write, so a started call is always cancelled
        # (Call.cancel() is idempotent).
        self._leaving = True
        call = self._call
        if call is not None:
            call.cancel()
        if self._state in (NEW, RUNNING):
            self._state = CANCELLED
            self._items.put(_WAKE)

    def _start(self) -> None:
        if self._leaving:
            return  # cancelled before it began: nothing runs
        spec = self._simulator._spec(self._perform) if self._simulator is not None else None

        def make() -> _clusupgrade.Call:
            return _clusupgrade.Call(self._items, self._name, self._perform, spec)

        # The duration on perf_counter(), the clock of the events' elapsed
        # (QueryPerformanceCounter on Windows): before 3.13, monotonic()
        # there ticks every 15.6 ms, so a short call would last less than
        # its own events.
        self._started = time.perf_counter()
        if self._timeout is not None:
            self._deadline = time.monotonic() + self._timeout
        self._born = fork_generation()
        # Decided once per call: an event then costs nothing while INFO is off.
        self._log = log.isEnabledFor(logging.INFO)
        # Running before the call exists: a cancel() from here on either
        # sees the call or is seen below.
        self._state = RUNNING
        try:
            call = launch(self._simulator, make)
        except OSError as err:
            self._state = FAILED
            raise start_error(err, self._name) from err
        except BaseException:
            self._state = FAILED
            raise
        self._call = call
        if self._leaving:
            call.cancel()
            self._state = CANCELLED

    def _take(self, item: object) -> PhaseEvent | None:
        """The event for a phase record; None once the call's end is handled
        (which raises when the call failed)."""
        if type(item) is not bytes:
            return None
        if item[0] == PHASE_KIND:
            return add_event(self._events, unpack_phase(item), self._name, self._log)
        self._finish(item)
        return None

    def _timed_out(self) -> UpgradeTimeoutError:
        """Leave the call; the error to raise for its timeout."""
        self.cancel()
        log.error("%s did not finish within %g s", where(self._name), self._timeout)
        return UpgradeTimeoutError(
            f"{where(self._name)} did not finish within {self._timeout:g} s; clusupgrade stopped "
            "listening and answers FALSE to any later phase, but the cluster may "
            "still complete the upgrade",
            cluster=self._name,
            events=tuple(self._events),
        )

    def _finish(self, end: bytes) -> None:
        """Turn the worker's end record into `result` or an exception."""
        self._state = FAILED
        assert self._call is not None
        self.result = conclude(
            end,
            name=self._name,
            perform=self._perform,
            events=tuple(self._events),
            lost=self._call.lost,
            duration=time.perf_counter() - self._started,
        )
        self._state = DONE


class PhaseStream(CallStream):
    """Iterates over the phases of one call as they happen.

    The call starts at the first ``next()`` (or on entering ``with``).  When
    it succeeds, iteration ends and :attr:`result` holds the
    :class:`UpgradeResult`; when it fails, the last ``next()`` raises
    :class:`ClusterUpgradeError`.  Leaving ``with`` (after ``break`` or an
    exception), :meth:`close`, :meth:`cancel`, dropping the last reference,
    Ctrl+C or the timeout while waiting answer FALSE to every later phase;
    a bare ``break`` without ``with`` does not, while the stream is still
    referenced (see the README).
    """

    def __iter__(self) -> PhaseStream:
        return self

    def __next__(self) -> PhaseEvent:
        # The hot path, run once per event: one get() when a record is
        # waiting; next_record() only for a deadline or an empty queue.
        if self._state != RUNNING:
            self._begin()
        while True:
            try:
                if self._deadline is None:
                    try:
                        item = self._items.get(True, POLL_SECONDS)
                    except queue.Empty:
                        item = self._wait_record()
                else:
                    item = self._wait_record()
            except BaseException:
                # KeyboardInterrupt, a forked child: nobody is listening any more.
                self.cancel()
                raise
            if item is None:
                raise self._timed_out()
            if self._state != RUNNING:
                raise StopIteration  # cancelled meanwhile: the record is dropped
            if type(item) is bytes:
                if item[0] != PHASE_KIND:
                    self._finish(item)
                    raise StopIteration
                return add_event(self._events, unpack_phase(item), self._name, self._log)

    def _wait_record(self) -> object | None:
        """The next record, waiting as long as it takes; None on timeout."""
        assert self._call is not None
        return next_record(self._items, self._call, self._deadline, self._born)

    def _begin(self) -> None:
        """Start a new stream's call; StopIteration for one that is over."""
        if self._state == NEW:
            self._start()
        if self._state != RUNNING:
            raise StopIteration

    def close(self) -> None:
        """Leave the call if it is still running (same as cancel())."""
        self.cancel()

    def __enter__(self) -> PhaseStream:
        if self._state == NEW:
            self._start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
