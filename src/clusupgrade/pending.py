"""PendingCall: a call still running in this process that nobody listens to.

Every way of stopping to listen (a timeout, Ctrl+C, break, close(), a
fleet left early) detaches the call: later phases are answered TRUE and
forwarded nowhere, and the cluster carries on.  The call's native side
still finishes in this process, and its end (status, levels, duration) is
kept on the Call, so a caller who stopped listening can still learn the
outcome by waiting for it here.
"""

from __future__ import annotations

import time
from typing import Final

from . import _clusupgrade, _validate
from .errors import ClusterUpgradeError
from .outcome import conclude, where
from .phase import PhaseEvent
from .result import UpgradeResult

STEP: Final = 0.2
"""Longest single wait: Ctrl+C gets through between two (Windows too)."""


class PendingCall:
    """A call still running in this process that nobody listens to any more.

    Its later phases are answered TRUE; the cluster carries on.  Made by
    clusupgrade, never by the caller: see :func:`clusupgrade.pending_call`,
    :attr:`ListeningStoppedError.pending` and :attr:`PhaseStream.pending`.
    """

    __slots__ = ("_call", "_job", "_cluster", "_perform", "_events", "_outcome")

    def __init__(
        self, call: _clusupgrade.Call, *, cluster: str | None, perform: bool, events: tuple[PhaseEvent, ...]
    ) -> None:
        self._call = call
        self._job = call.job
        self._cluster = cluster
        self._perform = perform
        self._events = events
        self._outcome: UpgradeResult | ClusterUpgradeError | None = None

    @property
    def cluster(self) -> str | None:
        """The cluster's name; None for the local cluster."""
        return self._cluster

    @property
    def done(self) -> bool:
        """True once the call has returned (its outcome is then known)."""
        return self._job.finished

    def wait(self, timeout: float | None = None) -> UpgradeResult | None:
        """Wait until the call has returned, at most `timeout` seconds
        (None: as long as it takes; 0: just look).  Returns its
        :class:`UpgradeResult`, or None while it still runs at the timeout;
        raises :class:`ClusterUpgradeError` when the call ended in failure.
        Ctrl+C interrupts the wait and leaves the call as it is.  The
        result's events are those delivered before listening stopped."""
        seconds = _validate.timeout(timeout, zero=True)
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            step = STEP if deadline is None else min(STEP, max(0.0, deadline - time.monotonic()))
            if self._job.wait(step):
                break
            if deadline is not None and time.monotonic() >= deadline:
                return None
        return self._conclude()

    def _conclude(self) -> UpgradeResult:
        outcome = self._outcome
        if outcome is None:
            end = self._call.end()
            assert end is not None  # the job has finished
            try:
                outcome = conclude(
                    end,
                    name=self._cluster,
                    perform=self._perform,
                    events=self._events,
                    lost=self._call.lost,
                    aborted=self._call.aborted,
                )
            except ClusterUpgradeError as err:
                outcome = err
            self._outcome = outcome
        if isinstance(outcome, ClusterUpgradeError):
            raise outcome
        return outcome

    def __repr__(self) -> str:
        state = "returned" if self.done else "running"
        return f"<PendingCall {where(self._cluster)} ({state})>"


def pending_call(exc: BaseException) -> PendingCall | None:
    """The call still running in this process that `exc` left without
    listening to: a :class:`ListeningStoppedError`'s ``pending``, or the
    ``pending`` attribute clusupgrade puts on a KeyboardInterrupt (or
    another exception) that left upgrade() or a stream while its call ran;
    None when there is none.

    Also looks along the exceptions `exc` was raised in the handling of:
    asyncio.run() turns Ctrl+C into a cancellation of its task, which
    clusupgrade marks, then raises a KeyboardInterrupt of its own whose
    ``__context__`` is that CancelledError."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        pending = getattr(link, "pending", None)
        if isinstance(pending, PendingCall):
            return pending
        link = link.__cause__ or link.__context__
    return None
