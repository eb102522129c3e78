"""From what the native call returned to a result or an exception, and the
log lines that go with it."""

from __future__ import annotations

import logging
import sys
from typing import Final

from . import _clusupgrade, _winerror, proplist, remedies, sections
from .errors import ClusapiUnavailableError, ClusterUpgradeError, unavailable
from .phase import END_HEADER, PhaseEvent
from .result import UpgradeResult

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
    aborted: bool = False,
) -> UpgradeResult:
    """The result of the call whose end record is `end`, with the levels the
    cluster reported before and after it and the duration measured where
    the call returned; raises (and logs) the error when it failed.
    `aborted`: the call was aborted (Call.abort()), which explains a 1223."""
    _, _, status, stage, missing, duration_ns = END_HEADER.unpack_from(end)
    duration = duration_ns / 1e9
    error = _failure(status, stage, missing, name=name, events=events, aborted=aborted)
    if error is not None:
        text = str(error)
        log.log(log_level(error, perform), "%s", text if text.startswith(where(name)) else f"{where(name)}: {text}")
        raise error
    if lost:
        # Out of memory in a callback: the call went on, the consumer missed
        # some phases.  Reported, never turned into a failure of the call.
        log.warning("%s: some phases could not be delivered (out of memory)", where(name))
    found = sections.parse(end[END_HEADER.size :])
    result = UpgradeResult(
        cluster=name,
        performed=perform,
        events=events,
        duration=duration,
        status=status,
        level_before=level_in(found, sections.CLUSTER_PROPS),
        level_after=level_in(found, sections.CLUSTER_PROPS_AFTER) if perform else None,
    )
    if restart_needed(result):
        log.warning("%s: %s", where(name), remedies.advice(status, cluster=name))
    log.info("%s: %s (%.2f s)", where(name), summary(result), duration)
    return result


def restart_needed(result: UpgradeResult) -> bool:
    """A raise that returned 5975 (the level was raised, the cluster must
    be restarted), unless the levels it reported show that it stayed put:
    then there is no raise to restart for.  A check raises nothing."""
    before, after = result.level_before, result.level_after
    stayed = before is not None and after is not None and after <= before
    return result.performed and result.restart_required and not stayed


FIX_FIRST: Final = frozenset({5973, 5974, 5976, 5050, 5070, 5072, 5073, 5980, 5037})
"""Refusals that mean "fix the cluster first": a node is not on the new
version, forced quorum, an upgrade already under way, a node down, paused,
not ready or shutting down, not an active member (5980), not every node
available (5037).  Which of these a real cluster gives for a down or paused
node is documented nowhere, so all are "not ready".  Nothing was changed."""


def log_level(error: ClusterUpgradeError, perform: bool) -> int:
    """How loud a failed call is logged.  The caller gets the exception
    too, so what is expected is not an ERROR: a refusal that means "fix the
    cluster first" (INFO for a check, that is its answer; WARNING for a
    raise), any other failed check (WARNING: nothing was changed).  A raise
    that failed otherwise is an ERROR: the cluster may need a look."""
    if error.winerror in FIX_FIRST and not isinstance(error, ClusapiUnavailableError):
        return logging.WARNING if perform else logging.INFO
    return logging.ERROR if perform else logging.WARNING


def level_in(found: tuple[sections.Section, ...], ident: int) -> int | None:
    """ClusterFunctionalLevel in the property list of section `ident`, or
    None when the cluster did not report it."""
    data = sections.data_of(found, ident)
    return None if data is None else proplist.dword(proplist.parse(data), proplist.FUNCTIONAL_LEVEL)


def summary(result: UpgradeResult) -> str:
    """What a successful call did, as far as the levels tell."""
    before, after = result.level_before, result.level_after
    if not result.performed:
        return f"the check passed at level {before}" if before is not None else "the check passed"
    if result.raised:
        return f"raised the functional level from {before} to {after}"
    if before is not None and after is not None:
        return f"the call succeeded but the functional level stayed at {after}: nothing was raised"
    return "the call succeeded; the cluster did not report its functional level, so whether it moved is unknown"


def _failure(
    status: int,
    stage: int,
    missing: int,
    *,
    name: str | None,
    events: tuple[PhaseEvent, ...],
    aborted: bool = False,
) -> ClusterUpgradeError | None:
    """The error a call's end stands for, or None when it succeeded."""
    if stage == _clusupgrade.STAGE_LOAD:
        return unavailable(status, cluster=name, on_windows=sys.platform == "win32", missing=missing)
    if status == _winerror.ERROR_CANCELLED and aborted:
        return ClusterUpgradeError(
            status,
            f"{where(name)}: stopped after abort() answered FALSE (error 1223, ERROR_CANCELLED); "
            "what a cluster does then is not documented: read its level again to see where it stands",
            cluster=name,
            events=events,
        )
    if status == _winerror.ERROR_CANCELLED and stage == _clusupgrade.STAGE_OPEN and _clusupgrade.closed():
        return ClusterUpgradeError(
            status,
            f"{where(name)}: the interpreter is exiting, so the call was not made "
            "(error 1223, ERROR_CANCELLED)",
            cluster=name,
            events=events,
        )
    if status not in (_winerror.SUCCESS, _winerror.ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED):
        return ClusterUpgradeError(status, cluster=name, events=events)
    return None
