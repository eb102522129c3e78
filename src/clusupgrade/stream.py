"""The iterator of phase events behind phases() and upgrade().

The native call runs on a native worker thread, without the GIL; its
trampoline puts one record per phase into a queue.SimpleQueue (28 bytes:
phase.RECORD), and the worker a last one, the tuple (status, stage).
This iterator turns them into PhaseEvents on the consumer's thread.  The
consumer never blocks for long in one wait, so Ctrl+C and timeouts take
effect while the native call is still blocked.

A stream is the only owner of its Call.  Dropping a stream that is still
running leaves the call through the Call's own dealloc, in C, which answers
FALSE to every later phase.  There is deliberately no __del__ here: CPython
raises a pending Ctrl+C in whatever Python code runs next, a finalizer
included, and a KeyboardInterrupt raised in a finalizer is printed and lost.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from types import TracebackType
from typing import Final

from . import _clusupgrade, _validate
from .errors import UpgradeTimeoutError
from .outcome import conclude, log, log_event, where
from .phase import PhaseEvent
from .result import UpgradeResult
from .simulator import Simulator

POLL_SECONDS: Final = 0.2
"""Longest single wait: Windows does not interrupt a lock wait on Ctrl+C."""

Target = str | Simulator | None


_WAKE: Final = object()
"""Put by cancel() so that a consumer blocked in another thread stops."""


def launch(
    simulator: Simulator | None, make: Callable[[_clusupgrade.Job | None], _clusupgrade.Call]
) -> _clusupgrade.Call:
    """Make a call with `make(after)` and start it; a simulator's calls run
    one after another, as on a real cluster."""
    if simulator is not None:
        return simulator._start(make)
    call = make(None)
    call.start()
    return call


def resolve(cluster: object) -> tuple[str | None, Simulator | None]:
    """(name, simulator) for what a user passed as `cluster`."""
    if cluster is None:
        return None, None
    if isinstance(cluster, Simulator):
        return cluster.name, cluster
    if not isinstance(cluster, str):
        raise TypeError(f"cluster must be None, a str or a Simulator, not {type(cluster).__name__}")
    return _validate.cluster_name(cluster), None


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
        self._state = "new"  # new, running, done, failed, cancelled
        self._started = 0.0
        self._deadline: float | None = None
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
        return self._state == "cancelled"

    def cancel(self) -> None:
        """Stop listening: later phases are answered FALSE and iteration ends.

        The native call goes on until the cluster returns; what a cluster does
        with a FALSE answer is not documented (see the README).
        """
        if self._call is not None:
            self._call.cancel()
        if self._state in ("new", "running"):
            self._state = "cancelled"
            self._items.put(_WAKE)

    def _start(self) -> None:
        spec = self._simulator._spec(self._perform) if self._simulator is not None else None

        def make(after: _clusupgrade.Job | None = None) -> _clusupgrade.Call:
            return _clusupgrade.Call(self._items, self._name, self._perform, spec, after)

        # The duration on perf_counter(), the clock of the events' elapsed
        # (QueryPerformanceCounter on Windows): before 3.13, monotonic()
        # there ticks every 15.6 ms, so a short call would last less than
        # its own events.
        self._started = time.perf_counter()
        if self._timeout is not None:
            self._deadline = time.monotonic() + self._timeout
        self._call = launch(self._simulator, make)
        self._state = "running"

    def _take(self, item: object) -> PhaseEvent | None:
        """The event for a phase record; None once the call's end is handled
        (which raises when the call failed)."""
        if type(item) is bytes:
            event = PhaseEvent.from_record(item, len(self._events), self._name)
            self._events.append(event)
            log_event(event)
            return event
        if type(item) is tuple:
            self._finish(item)
        return None

    def _timed_out(self) -> UpgradeTimeoutError:
        log.error("%s did not finish within %g s", where(self._name), self._timeout)
        return UpgradeTimeoutError(
            f"{where(self._name)} did not finish within {self._timeout:g} s; clusupgrade stopped "
            "listening and answers FALSE to any later phase, but the cluster may "
            "still complete the upgrade",
            cluster=self._name,
            events=tuple(self._events),
        )

    def _finish(self, outcome: tuple[int, int]) -> None:
        """Turn the worker's (status, stage) into `result` or an exception."""
        self._state = "failed"
        status, stage = outcome
        assert self._call is not None
        self.result = conclude(
            status,
            stage,
            name=self._name,
            perform=self._perform,
            events=tuple(self._events),
            lost=self._call.lost,
            duration=time.perf_counter() - self._started,
            simulator=self._simulator,
        )
        self._state = "done"


class PhaseStream(CallStream):
    """Iterates over the phases of one call as they happen.

    The call starts at the first ``next()`` (or on entering ``with``).  When
    it succeeds, iteration ends and :attr:`result` holds the
    :class:`UpgradeResult`; when it fails, the last ``next()`` raises
    :class:`ClusterUpgradeError`.  Leaving early (``break``, :meth:`close`,
    :meth:`cancel`, leaving ``with``, garbage collection, an exception)
    answers FALSE to every later phase.
    """

    def __iter__(self) -> PhaseStream:
        return self

    def __next__(self) -> PhaseEvent:
        if self._state == "new":
            self._start()
        while self._state == "running":
            try:
                item = self._next_item()
            except BaseException:
                # KeyboardInterrupt, timeout: nobody is listening any more.
                self.cancel()
                raise
            event = self._take(item)
            if event is not None:
                return event
        raise StopIteration

    def close(self) -> None:
        """Leave the call if it is still running (same as cancel())."""
        self.cancel()

    def __enter__(self) -> PhaseStream:
        if self._state == "new":
            self._start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _next_item(self) -> object:
        while True:
            wait = POLL_SECONDS
            if self._deadline is not None:
                wait = min(wait, max(0.0, self._deadline - time.monotonic()))
            try:
                item = self._items.get(timeout=wait)
            except queue.Empty:
                if self._deadline is not None and time.monotonic() >= self._deadline:
                    raise self._timed_out() from None
                continue
            if self._state != "running":
                return _WAKE
            return item
