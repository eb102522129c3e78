"""The calls: upgrade(), phases() and check()."""

from __future__ import annotations

from collections.abc import Callable

from .errors import STATE_UNKNOWN, ClusterUpgradeError, ListeningStoppedError
from .outcome import summary, where
from .phase import PhaseEvent
from .result import UpgradeResult
from .stream import CallStream, PhaseStream, Target, note_stopped


def phases(cluster: Target = None, *, perform: bool, timeout: float | None = None) -> PhaseStream:
    """Yield a :class:`PhaseEvent` per phase of one call to `cluster` as it
    happens: ``perform=True`` raises the functional level (irreversible),
    ``perform=False`` only checks.  `perform` has no default: say which.

    `cluster` is None for the local cluster, a cluster's name, or a
    :class:`Simulator`.  The call starts at the first ``next()``.  Only
    :meth:`PhaseStream.abort` answers the cluster FALSE; leaving early in
    any other way only stops listening.
    """
    return PhaseStream(cluster, perform=perform, timeout=timeout)


def upgrade(
    cluster: Target = None,
    *,
    perform: bool = True,
    on_phase: Callable[[PhaseEvent], object] | None = None,
    timeout: float | None = None,
) -> UpgradeResult:
    """Raise the functional level of `cluster` and wait until it is done.

    ``on_phase(event)`` runs on this thread for every phase.  If it raises
    an Exception, it is not called again, the call runs to its end (within
    `timeout`), and then that exception is raised with a note naming the
    cluster and the call's outcome.  Raises :class:`ClusterUpgradeError`
    when the cluster refuses or fails, :class:`UpgradeTimeoutError` (a
    :class:`ListeningStoppedError` and a TimeoutError) after `timeout`
    seconds.  Nothing but an explicit abort answers the cluster FALSE: a
    timeout or Ctrl+C only stops listening, the call goes on, and the
    exception says so and carries the call (:func:`pending_call`).
    Irreversible when it succeeds.
    """
    if on_phase is not None and not callable(on_phase):
        raise TypeError(f"on_phase must be callable, not {type(on_phase).__name__}")
    stream = PhaseStream(cluster, perform=perform, timeout=timeout)
    failure: Exception | None = None
    try:
        with stream:
            if on_phase is None:
                for _ in stream:
                    pass
            else:
                for event in stream:
                    if failure is None:
                        try:
                            on_phase(event)
                        except Exception as exc:  # noqa: BLE001 - raised below, once the call has ended
                            failure = exc
    except ClusterUpgradeError as err:
        if failure is None:
            raise
        raise_after(failure, stream.cluster, err)
    return ended(stream, failure)


def ended(stream: CallStream, failure: Exception | None) -> UpgradeResult:
    """What upgrade() and aupgrade() return once `stream` ended without
    failing: its result; or `failure`, the exception on_phase raised (see
    raise_after()); or, for a stream that ended without a result (only an
    interpreter shutting down ends it so), ListeningStoppedError."""
    if failure is not None:
        raise_after(failure, stream.cluster, stream.result)
    if stream.result is None:
        raise ListeningStoppedError(
            f"{where(stream.cluster)}: clusupgrade stopped listening: {STATE_UNKNOWN}",
            cluster=stream.cluster,
            events=stream.events,
            pending=stream.pending,
        )
    return stream.result


def raise_after(failure: Exception, cluster: str | None, outcome: UpgradeResult | ClusterUpgradeError | None) -> None:
    """Raise `failure`, the exception on_phase raised, once the call has
    ended in `outcome`, with a note that says so."""
    head = f"{where(cluster)}: on_phase raised, so it was not called again"
    if isinstance(outcome, UpgradeResult):
        failure.add_note(f"{head}; the call then ended: {summary(outcome)}")
        raise failure
    if isinstance(outcome, ListeningStoppedError):
        failure.add_note(f"{head}; then {outcome}")
        note_stopped(failure, outcome.pending)
        raise failure from outcome
    if isinstance(outcome, ClusterUpgradeError):
        failure.add_note(f"{head}; the call then failed: {outcome}")
        raise failure from outcome
    failure.add_note(f"{head}; clusupgrade then stopped listening: {STATE_UNKNOWN}")
    raise failure


def check(cluster: Target = None, *, timeout: float | None = None) -> UpgradeResult:
    """Ask whether `cluster` can raise its functional level, changing nothing
    (PowerShell's ``Update-ClusterFunctionalLevel -WhatIf``).

    Returns when the cluster is ready, or has nothing to raise; raises
    :class:`ClusterUpgradeError` (5973 when not every node runs the new
    version) when it is not.
    """
    return upgrade(cluster, perform=False, timeout=timeout)
