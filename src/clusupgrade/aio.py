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
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Final

from . import _clusupgrade, _validate
from .errors import ClusterUpgradeError, UpgradeTimeoutError
from .outcome import conclude, log, log_event, where
from .phase import PhaseEvent
from .result import UpgradeResult
from .stream import Target, resolve

_WAKE: Final = object()
"""Ends the relay when the stream is left before the call's last record."""


def _relay(items: queue.SimpleQueue[object], loop: asyncio.AbstractEventLoop, deliver: Callable[[object], None]) -> None:
    """On a helper thread: hand every record to the loop, until the last."""
    while True:
        item = items.get()
        if item is _WAKE:
            return
        try:
            loop.call_soon_threadsafe(deliver, item)
        except RuntimeError:  # the loop is closed: nobody is listening
            return
        if type(item) is tuple:  # (status, stage): the call has returned
            return


class AsyncPhaseStream:
    """``async for event in aphases(...)``: the phases of one call as they happen.

    Like :class:`PhaseStream`: the call starts at the first ``__anext__``
    (or on entering ``async with``); :attr:`result` is set when iteration
    ends; a failure raises :class:`ClusterUpgradeError` at the end.
    """

    def __init__(self, cluster: Target = None, *, perform: bool = True, timeout: float | None = None) -> None:
        self._name, self._simulator = resolve(cluster)
        self._perform = _validate.flag(perform, "perform")
        self._timeout = _validate.timeout(timeout)
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._records: asyncio.Queue[object] | None = None
        self._call: _clusupgrade.Call | None = None
        self._events: list[PhaseEvent] = []
        self._state = "new"
        self._started = 0.0
        self.result: UpgradeResult | None = None

    @property
    def events(self) -> tuple[PhaseEvent, ...]:
        return tuple(self._events)

    @property
    def cancelled(self) -> bool:
        return self._state == "cancelled"

    def __aiter__(self) -> AsyncPhaseStream:
        return self

    async def __anext__(self) -> PhaseEvent:
        if self._state == "new":
            self._start()
        if self._state != "running":
            raise StopAsyncIteration
        assert self._records is not None
        try:
            item = await self._wait(self._records)
        except BaseException:
            # Task cancelled, timeout: nobody listens any more.
            self.cancel()
            raise
        if type(item) is bytes:
            event = PhaseEvent.from_record(item, len(self._events), self._name)
            self._events.append(event)
            log_event(event)
            return event
        self._state = "failed"
        assert self._call is not None
        status, stage = item  # type: ignore[misc]
        self.result = conclude(
            status,
            stage,
            name=self._name,
            perform=self._perform,
            events=tuple(self._events),
            lost=self._call.lost,
            duration=time.monotonic() - self._started,
        )
        if self._perform and self._simulator is not None:
            self._simulator._upgraded()
        self._state = "done"
        raise StopAsyncIteration

    def cancel(self) -> None:
        """Stop listening: later phases are answered FALSE, iteration ends."""
        if self._call is not None:
            self._call.cancel()
        if self._state in ("new", "running"):
            self._state = "cancelled"
            self._items.put(_WAKE)

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

    def __del__(self) -> None:
        if getattr(self, "_state", None) == "running":
            self.cancel()

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._records = asyncio.Queue()
        spec = self._simulator._spec(self._perform) if self._simulator is not None else None

        def make(after: _clusupgrade.Call | None = None) -> _clusupgrade.Call:
            return _clusupgrade.Call(self._items, self._name, self._perform, spec, after)

        self._started = time.monotonic()
        if self._simulator is not None:
            self._call = self._simulator._start(make)
        else:
            self._call = make()
            self._call.start()
        self._state = "running"
        relay = threading.Thread(
            target=_relay,
            args=(self._items, loop, self._records.put_nowait),
            name=f"clusupgrade relay {self._name or 'local cluster'}",
            daemon=True,
        )
        relay.start()

    async def _wait(self, records: asyncio.Queue[object]) -> object:
        if self._timeout is None:
            return await records.get()
        remaining = self._started + self._timeout - time.monotonic()
        try:
            return await asyncio.wait_for(records.get(), max(0.0, remaining))
        except asyncio.TimeoutError:
            log.error("%s did not finish within %g s", where(self._name), self._timeout)
            raise UpgradeTimeoutError(
                f"{where(self._name)} did not finish within {self._timeout:g} s; clusupgrade "
                "stopped listening and answers FALSE to any later phase, but the cluster may "
                "still complete the upgrade",
                cluster=self._name,
                events=tuple(self._events),
            ) from None


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
