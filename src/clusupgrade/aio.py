"""asyncio: aphases() and aupgrade().

The native worker puts records into a queue.SimpleQueue as for the
blocking API; a relay, a native thread of the same kind as the worker
(csrc/relay.c), waits on it and hands the records to the event loop with
loop.call_soon_threadsafe(), the loop's own thread-safe wake-up.  The
loop is woken once per batch of records, never by a timer.  Cancelling
the task that awaits only stops listening (every later phase is answered
TRUE), exactly as leaving a blocking iterator does; only abort() answers
FALSE.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import time
import weakref
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Final

from . import _clusupgrade
from .api import ended, raise_after
from .errors import ClusterUpgradeError
from .phase import END_KIND, PhaseEvent
from .result import UpgradeResult
from .stream import _WAKE, POLL_SECONDS, CallStream, Target, start_error
from .waiting import undelivered

BATCH: Final = 256
"""Most records handed to the loop with one wake-up."""


def _is_last(item: object) -> bool:
    """True for the last record the relay hands over: the call's end record
    (bytes of kind END_KIND, as CallStream._take() reads it), or the
    wake-up put by close() (which also wakes a task still awaiting the next
    event).  tests/test_relay.py checks that a relay ends with its call."""
    return item is _WAKE or (type(item) is bytes and item[0] == END_KIND)


def _put_all(records: asyncio.Queue[object], batch: list[object]) -> None:
    """On the loop: queue a batch of records for the awaiting task."""
    for item in batch:
        records.put_nowait(item)


class _Relay:
    """The step that the native relay (_clusupgrade.start_relay) calls
    again and again, with the GIL, until it returns False.

    It holds only a weak reference to its stream, `dropped`, whose callback
    puts the reference itself into the queue when the stream is dropped,
    which ends the relay.  It never raises for an expected reason, and
    returns within POLL_SECONDS: shutdown waits for a relay's step.
    """

    __slots__ = ("_items", "_loop", "_records", "_dropped")

    def __init__(
        self,
        items: queue.SimpleQueue[object],
        loop: asyncio.AbstractEventLoop,
        records: asyncio.Queue[object],
        dropped: weakref.ref[AsyncPhaseStream],
    ) -> None:
        self._items = items
        self._loop = loop
        self._records = records
        self._dropped = dropped

    def __call__(self) -> bool:
        """Wait a little for records and hand those that are ready to the
        loop; False once there will be no more, or nobody to take them."""
        batch: list[object] = []
        try:
            item = self._items.get(timeout=POLL_SECONDS)
        except queue.Empty:
            undelivered = self._undelivered()
            if undelivered is None:
                return True
            item = undelivered
        try:
            while True:
                if item is self._dropped:
                    return False
                batch.append(item)
                if _is_last(item) or len(batch) == BATCH:
                    break
                item = self._items.get_nowait()
        except queue.Empty:
            pass
        try:
            self._loop.call_soon_threadsafe(_put_all, self._records, batch)
        except RuntimeError:  # the loop is closed: nobody is listening
            return False
        return not _is_last(batch[-1])

    def _undelivered(self) -> object | None:
        """After an idle wait: the next record of a call that has finished
        although its end record never reached the queue, read from the Call
        itself (waiting.next_record does the same for blocking streams), so
        an awaiting task never waits for ever; None while it runs."""
        stream = self._dropped()
        call = None if stream is None else stream._call
        return None if call is None else undelivered(self._items, call)


class AsyncPhaseStream(CallStream):
    """``async for event in aphases(...)``: the phases of one call as they happen.

    Like :class:`PhaseStream`: the call starts at the first ``__anext__``
    (or on entering ``async with``); :attr:`result` is set when iteration
    ends; a failure raises :class:`ClusterUpgradeError` at the end.  Only
    :meth:`abort` answers FALSE; cancelling the awaiting task, a timeout,
    :meth:`aclose`, :meth:`close` or leaving ``async with`` only stop
    listening.
    """

    _records: asyncio.Queue[object]

    def __aiter__(self) -> AsyncPhaseStream:
        return self

    async def __anext__(self) -> PhaseEvent:
        if self._state == "new":
            self._start_or_stop()
        while self._state == "running":
            try:
                item = await self._wait()
            except asyncio.TimeoutError:
                raise self._timed_out() from None
            except BaseException as exc:
                # Task cancelled: nobody listens any more.
                self._stop_listening(exc)
                raise
            event = self._take(item)
            if event is not None:
                return event
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop listening, as :meth:`close` does."""
        self.close()

    async def __aenter__(self) -> AsyncPhaseStream:
        if self._state == "new":
            self._start_or_stop()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self._stop_listening(exc)
        else:
            self.close()

    def _start(self) -> None:
        if self._leaving or self._aborting:
            super()._start()  # left before it began: nothing runs, no relay
            return
        loop = asyncio.get_running_loop()
        self._records = asyncio.Queue()
        # If this stream is dropped before its call ends, the Call's dealloc
        # detaches it (later phases answered TRUE) and the weak reference's
        # callback, the queue's put() (C, no Python code), wakes the relay.
        # The relay holds the reference, so that it outlives the stream,
        # even in a cycle.
        dropped = weakref.ref(self, self._items.put)
        # The relay first: a call without one would have nobody to listen.
        try:
            _clusupgrade.start_relay(_Relay(self._items, loop, self._records, dropped))
        except OSError as err:
            self._state = "failed"
            raise start_error(err, self._name) from err
        try:
            super()._start()
        except BaseException:
            self._items.put(_WAKE)  # ends the relay
            raise

    async def _wait(self) -> object:
        """The next record; asyncio.TimeoutError once the deadline has
        passed while the call still runs.  A call that has returned wins
        over its deadline: its end record is on the way, or queued."""
        records = self._records
        if self._deadline is None:
            return await records.get()
        try:
            return records.get_nowait()
        except asyncio.QueueEmpty:
            pass
        left = self._deadline - time.monotonic()
        if left > 0.0:
            try:
                return await asyncio.wait_for(records.get(), left)
            except asyncio.TimeoutError:
                pass
        assert self._call is not None
        if self._call.end() is None:
            raise asyncio.TimeoutError
        return await records.get()  # the relay hands over the rest


def aphases(cluster: Target = None, *, perform: bool, timeout: float | None = None) -> AsyncPhaseStream:
    """The asyncio form of :func:`clusupgrade.phases`: `perform` is required."""
    return AsyncPhaseStream(cluster, perform=perform, timeout=timeout)


async def aupgrade(
    cluster: Target = None,
    *,
    perform: bool = True,
    on_phase: Callable[[PhaseEvent], object | Awaitable[object]] | None = None,
    timeout: float | None = None,
) -> UpgradeResult:
    """The asyncio form of :func:`clusupgrade.upgrade`; `on_phase` may be a
    coroutine function.  Cancelling the awaiting task stops listening: the
    call goes on, every later phase is answered TRUE, and the
    CancelledError carries a note and the call (:func:`pending_call`)."""
    if on_phase is not None and not callable(on_phase):
        raise TypeError(f"on_phase must be callable, not {type(on_phase).__name__}")
    stream = AsyncPhaseStream(cluster, perform=perform, timeout=timeout)
    failure: Exception | None = None
    try:
        async with stream:
            async for event in stream:
                if on_phase is None or failure is not None:
                    continue
                try:
                    outcome = on_phase(event)
                    if inspect.isawaitable(outcome):
                        await outcome
                except Exception as exc:  # noqa: BLE001 - raised below, once the call has ended
                    failure = exc
    except ClusterUpgradeError as err:
        if failure is None:
            raise
        raise_after(failure, stream.cluster, err)
    return ended(stream, failure)
