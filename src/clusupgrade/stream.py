"""The iterator of phase events behind phases() and upgrade().

The native call runs on a native worker thread, without the GIL; its
trampoline puts one record per phase into a queue.SimpleQueue (bytes:
phase.PHASE_RECORD), and the worker a last one, the end record
(phase.END_HEADER and the payload).  This iterator turns them into
PhaseEvents on the consumer's thread.  The consumer never blocks for long in
one wait (waiting.py), so Ctrl+C and timeouts take effect while the native
call is still blocked.

A stream is the only owner of its Call, and owns it before it starts: the
Call is made and stored first, started second, so an abort() or a stop
that lands in between (a signal handler, another thread) always finds it.
The answer policy (issue 16): FALSE only after abort(); every other way out
(timeout, break, close(), leaving ``with``, Ctrl+C, an exception, a dropped
stream) only stops listening: the Call is detached and every later phase
is answered TRUE.  Dropping a stream detaches through the Call's own
dealloc, in C.  There is deliberately no __del__ here: CPython raises a
pending Ctrl+C in whatever Python code runs next, a finalizer included, and
a KeyboardInterrupt raised in a finalizer is printed and lost.
"""

from __future__ import annotations

import logging
import queue
import time
from types import TracebackType
from typing import Final

from . import _clusupgrade, _validate
from .errors import STATE_UNKNOWN, ClusterUpgradeError, Pending, UpgradeTimeoutError, describe
from .outcome import conclude, log, log_event, where
from .pending import PendingCall
from .phase import PHASE_KIND, PhaseEvent, new_event, unpack_phase
from .result import UpgradeResult
from .simulator import Simulator
from .target import Target, resolve
from .waiting import POLL_SECONDS, fork_generation, next_record

__all__ = [
    "POLL_SECONDS",
    "CallStream",
    "PhaseStream",
    "Target",
    "add_event",
    "launch",
    "note_stopped",
    "resolve",
    "start_error",
]

NEW: Final = "new"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
STOPPED: Final = "stopped"

_WAKE: Final = object()
"""Put by close() so that a consumer blocked in another thread stops."""


def launch(simulator: Simulator | None, call: _clusupgrade.Call, *, counted: bool = True) -> bool:
    """Start `call`, which its owner has already stored; a simulator keeps
    its Job first, for wait(), runs and answers.  False when the call was
    detached or aborted before it started: then nothing was sent.  Raises
    OSError (see start_error()) when its thread cannot start.  Calls to one
    simulated cluster do not queue here: the cluster itself makes a second
    one wait natively."""
    job = None
    if simulator is not None:
        job = call.job
        simulator._track(job, counted=counted)
    started = False
    try:
        started = call.start()
    finally:
        # Never made (stopped before it started, or its thread could not
        # start): the simulator forgets it and an estate gives its lock back.
        if not started and simulator is not None and job is not None:
            simulator._untrack(job)
    return started


def note_stopped(exc: BaseException, pending: Pending | None) -> None:
    """Tell `exc`, which left a call that still runs, that listening stopped
    and the call goes on (a PEP 678 note), and give it `pending`."""
    if pending is None or getattr(exc, "pending", None) is not None:
        return
    exc.add_note(
        f"{where(pending.cluster)}: clusupgrade stopped listening (later phases are answered TRUE); "
        f"{STATE_UNKNOWN}. clusupgrade.pending_call(exc).wait() waits for its outcome."
    )
    try:
        exc.pending = pending  # type: ignore[attr-defined]
    except AttributeError:  # an exception type that refuses new attributes
        pass


def start_error(err: OSError, name: str | None) -> ClusterUpgradeError:
    """The cluster's error for a call (or relay) whose native thread could
    not start (Call.start() and start_relay() raise OSError with a Win32
    code: resources exhausted)."""
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

    def __init__(self, cluster: Target = None, *, perform: bool, timeout: float | None = None) -> None:
        self._name, self._simulator = resolve(cluster)
        self._perform = _validate.flag(perform, "perform")
        self._timeout = _validate.timeout(timeout)
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._call: _clusupgrade.Call | None = None
        self._events: list[PhaseEvent] = []
        self._state = NEW  # new, running, done, failed, stopped
        self._leaving = False
        """Set first by close(): see there."""
        self._aborting = False
        """Set first by abort(): see there."""
        self._pending: PendingCall | None = None
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
        return self._call.caller_thread if self._call is not None and self._call.started else None

    @property
    def events(self) -> tuple[PhaseEvent, ...]:
        """The events delivered so far."""
        return tuple(self._events)

    @property
    def aborted(self) -> bool:
        """True once :meth:`abort` was called."""
        return self._aborting

    @property
    def listening(self) -> bool:
        """True while the call runs and this stream still takes its phases."""
        return self._state == RUNNING

    @property
    def pending(self) -> PendingCall | None:
        """The call, while it runs in this process and this stream has not
        seen its end (None before it starts and after the end): wait() on
        it for its outcome after listening stopped."""
        call = self._call
        if call is None or not call.started or self._state in (NEW, DONE, FAILED):
            return None
        if self._state == STOPPED:
            if self._pending is None:
                self._pending = PendingCall(call, cluster=self._name, perform=self._perform, events=self.events)
            return self._pending
        return PendingCall(call, cluster=self._name, perform=self._perform, events=self.events)

    def abort(self) -> None:
        """Answer FALSE to every later phase: asks the cluster to stop at its
        next phase.  What the cluster does then is not documented; it may
        still complete.

        The only way clusupgrade ever answers FALSE.  The stream keeps
        listening: iteration ends with the call's own outcome (on the
        simulator, ClusterUpgradeError 1223).  Before the call starts, it is
        never made.  Safe from any thread and from a signal handler.
        """
        # Announce first, then look for the call; _start() stores the call,
        # then starts it, and Call.start() refuses a call aborted before it
        # started: an abort is never lost.
        self._aborting = True
        call = self._call
        if call is not None:
            call.abort()
        if self._state == NEW:
            self._state = STOPPED

    def close(self) -> None:
        """Stop listening: no more events, and every later phase is answered
        TRUE; the call goes on (see :attr:`pending`).  Nothing runs when
        the call has not started.  Safe from any thread and from a signal
        handler."""
        # No lock: a signal handler runs close() on the consumer's own
        # thread, where _start() could be holding it.  Ordering instead:
        # this announces first, then looks for the call; _start() stores
        # the call, then starts it, and Call.start() refuses a detached
        # one (Call.detach() is idempotent).
        self._leaving = True
        call = self._call
        if call is not None:
            call.detach()
        if self._state in (NEW, RUNNING):
            self._state = STOPPED
            self._items.put(_WAKE)

    def _stop_listening(self, exc: BaseException) -> None:
        """Leave the call because `exc` leaves the stream while it runs."""
        running = self._state == RUNNING
        self.close()
        if running:
            note_stopped(exc, self.pending)

    def _start_or_stop(self) -> None:
        """_start(); a stop that lands while the call starts (Ctrl+C, a
        task cancelled) leaves it as any stop does.  A ClusterUpgradeError
        is the call's own failure to start: nothing is left running."""
        try:
            self._start()
        except ClusterUpgradeError:
            raise
        except BaseException as exc:
            self._stop_listening(exc)
            raise

    def _start(self) -> None:
        if self._leaving or self._aborting:
            self._state = STOPPED
            return  # left before it began: nothing runs
        spec = self._simulator._spec(self._perform) if self._simulator is not None else None
        # Owned before it starts: a close() or abort() from here on finds it.
        call = _clusupgrade.Call(self._items, self._name, self._perform, spec)
        self._call = call
        # One that landed after the check above (in _spec(), say) found no
        # call: pass it on, so that Call.start() refuses this one.
        if self._aborting:
            call.abort()
        if self._leaving:
            call.detach()
        if self._timeout is not None:
            self._deadline = time.monotonic() + self._timeout
        self._born = fork_generation()
        # Decided once per call: an event then costs nothing while INFO is off.
        self._log = log.isEnabledFor(logging.INFO)
        self._state = RUNNING
        try:
            made = launch(self._simulator, call)
        except OSError as err:
            self._state = FAILED
            raise start_error(err, self._name) from err
        if not made:  # closed or aborted meanwhile: nothing was sent
            self._state = STOPPED
            self._items.put(_WAKE)

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
        """Stop listening; the error to raise for the timeout."""
        self.close()
        log.error("%s did not finish within %g s", where(self._name), self._timeout)
        return UpgradeTimeoutError(
            f"{where(self._name)} did not finish within {self._timeout:g} s; clusupgrade stopped "
            f"listening and answers TRUE to any later phase: {STATE_UNKNOWN}",
            cluster=self._name,
            events=tuple(self._events),
            pending=self.pending,
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
            aborted=self._call.aborted,
        )
        self._state = DONE


class PhaseStream(CallStream):
    """Iterates over the phases of one call as they happen.

    The call starts at the first ``next()`` (or on entering ``with``).  When
    it succeeds, iteration ends and :attr:`result` holds the
    :class:`UpgradeResult`; when it fails, the last ``next()`` raises
    :class:`ClusterUpgradeError`.

    Only :meth:`abort` answers FALSE.  Every other way out stops listening
    and answers TRUE to every later phase, so the call goes on: leaving
    ``with`` (after ``break`` or an exception), :meth:`close`, dropping the
    last reference, Ctrl+C or the timeout.  An exception that leaves while
    the call runs carries a note and its :attr:`pending` call.
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
            except BaseException as exc:
                # KeyboardInterrupt, a forked child: nobody is listening any more.
                self._stop_listening(exc)
                raise
            if item is None:
                raise self._timed_out()
            if self._state != RUNNING:
                raise StopIteration  # closed meanwhile: the record is dropped
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
            self._start_or_stop()
        if self._state != RUNNING:
            raise StopIteration

    def __enter__(self) -> PhaseStream:
        if self._state == NEW:
            self._start_or_stop()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self._stop_listening(exc)
        else:
            self.close()
