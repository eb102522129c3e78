"""The calls: upgrade(), phases() and check()."""

from __future__ import annotations

from collections.abc import Callable

from . import _winerror
from .errors import ClusterUpgradeError
from .phase import PhaseEvent
from .result import UpgradeResult
from .stream import PhaseStream, Target


def phases(cluster: Target = None, *, perform: bool = True, timeout: float | None = None) -> PhaseStream:
    """Raise the functional level of `cluster` (``perform=False``: only
    check), yielding a :class:`PhaseEvent` per phase as it happens.

    `cluster` is None for the local cluster, a cluster's name, or a
    :class:`Simulator`.  The call starts at the first ``next()``.
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

    ``on_phase(event)`` runs on this thread for every phase; if it raises,
    the call is left (later phases are answered FALSE) and the exception
    propagates.  Raises :class:`ClusterUpgradeError` when the cluster
    refuses or fails, :class:`UpgradeTimeoutError` (a TimeoutError) after
    `timeout` seconds.  Irreversible when it succeeds.
    """
    if on_phase is not None and not callable(on_phase):
        raise TypeError(f"on_phase must be callable, not {type(on_phase).__name__}")
    stream = PhaseStream(cluster, perform=perform, timeout=timeout)
    with stream:
        if on_phase is None:
            for _ in stream:
                pass
        else:
            for event in stream:
                on_phase(event)
    if stream.result is None:
        # Only an interpreter shutting down ends the stream this way.
        raise ClusterUpgradeError(_winerror.ERROR_CANCELLED, cluster=stream.cluster, events=stream.events)
    return stream.result


def check(cluster: Target = None, *, timeout: float | None = None) -> UpgradeResult:
    """Ask whether `cluster` can raise its functional level, changing nothing
    (PowerShell's ``Update-ClusterFunctionalLevel -WhatIf``).

    Returns when the cluster is ready, or has nothing to raise; raises
    :class:`ClusterUpgradeError` (5973 when not every node runs the new
    version) when it is not.
    """
    return upgrade(cluster, perform=False, timeout=timeout)
