"""From what the native call returned to a result or an exception, and the
log lines that go with it."""

from __future__ import annotations

import logging
import sys

from . import _clusupgrade, _winerror
from .errors import ClusterUpgradeError, unavailable
from .phase import END_HEADER, PhaseEvent
from .result import UpgradeResult
from .simulator import Simulator

log = logging.getLogger("clusupgrade")


def where(name: str | None) -> str:
    """How messages name a cluster."""
    return f"cluster {name!r}" if name else "the local cluster"


def log_event(event: PhaseEvent) -> None:
    phase = event.phase
    label = phase.name if hasattr(phase, "name") else f"unknown phase {phase}"
    log.info("%s: %s (event %d, %.3f s)", where(event.cluster), label, event.sequence, event.elapsed)


def conclude(
    end: bytes,
    *,
    name: str | None,
    perform: bool,
    events: tuple[PhaseEvent, ...],
    lost: bool,
    duration: float,
    simulator: Simulator | None = None,
) -> UpgradeResult:
    """The result of the call whose end record is `end`; raises (and logs)
    the error when it failed.  A simulated cluster that was upgraded moves up
    one level."""
    _, _, status, stage, missing = END_HEADER.unpack_from(end)
    error = _failure(status, stage, missing, name=name, events=events)
    if error is not None:
        log.error("%s", error)
        raise error
    if lost:
        # Out of memory in a callback: the call went on, the consumer missed
        # some phases.  Reported, never turned into a failure of the call.
        log.warning("%s: some phases could not be delivered (out of memory)", where(name))
    result = UpgradeResult(cluster=name, performed=perform, events=events, duration=duration, status=status)
    if perform and simulator is not None:
        simulator._upgraded()
    if result.restart_required:
        log.warning("%s: %s", where(name), _winerror.CODES[status].advice)
    log.info("%s: %s in %.2f s", where(name), "upgraded" if perform else "ready to upgrade", duration)
    return result


def _failure(
    status: int, stage: int, missing: int, *, name: str | None, events: tuple[PhaseEvent, ...]
) -> ClusterUpgradeError | None:
    """The error a call's end stands for, or None when it succeeded."""
    if stage == _clusupgrade.STAGE_LOAD:
        return unavailable(status, cluster=name, on_windows=sys.platform == "win32", missing=missing)
    if status == _winerror.ERROR_CANCELLED and _clusupgrade.closed():
        return ClusterUpgradeError(
            status,
            f"{where(name)}: the interpreter is exiting, so later phases were answered "
            "FALSE (error 1223, ERROR_CANCELLED); the cluster may still complete the upgrade",
            cluster=name,
            events=events,
        )
    if status not in (_winerror.SUCCESS, _winerror.ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED):
        return ClusterUpgradeError(status, cluster=name, events=events)
    return None
