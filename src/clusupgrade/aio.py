"""asyncio: aphases() and aupgrade().

The native worker puts records into a queue.SimpleQueue as for the
blocking API; a relay thread blocks on it and hands each record to the
event loop with loop.call_soon_threadsafe(), the loop's own thread-safe
wake-up.  Nothing polls.  Cancelling the task that awaits answers FALSE to
every later phase, exactly as leaving a blocking iterator does.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from types import TracebackType

from .errors import ClusterUpgradeError
from .phase import PhaseEvent
from .result import UpgradeResult
from .stream import _WAKE, CallStream, Target


def _relay(
    items: queue.SimpleQueue[object],
    loop: asyncio.AbstractEventLoop,
    deliver: Callable[[object], None],
    dropped: weakref.ref[AsyncPhaseStream],
) -> None:
    """On a helper thread: hand every record to the loop, until the last,
    or until `dropped` (a weak reference to the stream) arrives."""
    while True:
        item = items.get()
        if item is dropped:
            return
        try:
            loop.call_soon_threadsafe(deliver, item)
        except RuntimeError:  # the loop is closed: nobody is listening
            return
        # The call's end, or the stream was left (which also wakes a task
        # still awaiting the next event).
        if type(item) is tuple or item is _WAKE:
            return


class AsyncPhaseStream(CallStream):
    """``async for event in aphases(...)``: the phases of one call as they happen.

    Like :class:`PhaseStream`: the call starts at the first ``__anext__``
    (or on entering ``async with``); :attr:`result` is set when iteration
    ends; a failure raises :class:`ClusterUpgradeError` at the end.
    """

    _records: asyncio.Queue[object]

    def __aiter__(self) -> AsyncPhaseStream:
        return self

    async def __anext__(self) -> PhaseEvent:
        if self._state == "new":
            self._start()
        while self._state == "running":
            try:
                item = await self._wait()
            except BaseException:
                # Task cancelled, timeout: nobody listens any more.
                self.cancel()
                raise
            event = self._take(item)
            if event is not None:
                return event
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.cancel()

    async def __aenter__(self) -> AsyncPhaseStream:
        if self._state == "new":
            self._start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cancel()

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._records = asyncio.Queue()
        super()._start()
        # If this stream is dropped before its call ends, the Call's dealloc
        # answers FALSE and the weak reference's callback, the queue's put()
        # (C, no Python code), wakes the relay.  The relay holds the
        # reference, so that it outlives the stream, even in a cycle.
        dropped = weakref.ref(self, self._items.put)
        relay = threading.Thread(
            target=_relay,
            args=(self._items, loop, self._records.put_nowait, dropped),
            name=f"clusupgrade relay {self._name or 'local cluster'}",
            daemon=True,
        )
        relay.start()

    async def _wait(self) -> object:
        if self._deadline is None:
            return await self._records.get()
        try:
            return await asyncio.wait_for(self._records.get(), max(0.0, self._deadline - time.monotonic()))
        except asyncio.TimeoutError:
            raise self._timed_out() from None


def aphases(cluster: Target = None, *, perform: bool = True, timeout: float | None = None) -> AsyncPhaseStream:
    """The asyncio form of :func:`clusupgrade.phases`."""
    return AsyncPhaseStream(cluster, perform=perform, timeout=timeout)


async def aupgrade(
    cluster: Target = None,
    *,
    perform: bool = True,
    on_phase: Callable[[PhaseEvent], object | Awaitable[object]] | None = None,
    timeout: float | None = None,
) -> UpgradeResult:
    """The asyncio form of :func:`clusupgrade.upgrade`; `on_phase` may be a
    coroutine function.  Cancelling the awaiting task leaves the call."""
    if on_phase is not None and not callable(on_phase):
        raise TypeError(f"on_phase must be callable, not {type(on_phase).__name__}")
    stream = AsyncPhaseStream(cluster, perform=perform, timeout=timeout)
    async with stream:
        async for event in stream:
            if on_phase is not None:
                outcome = on_phase(event)
                if inspect.isawaitable(outcome):
                    await outcome
    if stream.result is None:
        raise ClusterUpgradeError(1223, cluster=stream._name, events=stream.events)
    return stream.result
