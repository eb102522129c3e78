"""The records a Salt job returns and fires, as the command line writes them
(``clusupgrade --json``; the shipped JSON Schema describes them).

This is the one module that knows how a record is built, so that the Salt
modules and the command line say the same thing in the same words.
"""

from __future__ import annotations

from typing import Any, Final

from .. import _winerror, remedies
from ..errors import ClusapiUnavailableError, ClusterUpgradeError, UpgradeTimeoutError
from ..info import ClusterInfo
from ..levels import level_words
from ..nodes import NodeInfo
from ..outcome import FIX_FIRST
from ..phase import Phase, PhaseEvent
from ..preflight import Preflight
from ..result import UpgradeResult

Record = dict[str, Any]

SCHEMA_VERSION: Final = 1

EXIT_CODES: Final = {
    "check-passed": 0,
    "raised": 0,
    "nothing-to-raise": 0,
    "failed": 1,
    "not-ready": 3,
    "blocked": 3,
    "unreachable": 4,
    "access-denied": 4,
    "no-clusapi": 4,
    "raised-restart-required": 7,
    "timed-out": 8,
    "state-unknown": 8,
}
"""The command line's exit code for each outcome a Salt job can have; the
job's retcode."""

UNREACHABLE: Final = frozenset({1722, 1726, 1753})
STATE_WORDS: Final = {-1: "Unknown", 0: "Up", 1: "Down", 2: "Paused", 3: "Joining"}


def where(name: str | None) -> str:
    return f"cluster {name!r}" if name else "the local cluster"


def level_text(level: int | None) -> str:
    """"11 (Windows Server 2022)", "13", "unknown"."""
    return level_words(level)


def exit_code(record: Record) -> int:
    """The exit code the command line would end with for `record` (an
    info record has no outcome: read, it is a success)."""
    if "outcome" not in record:
        return 0
    return EXIT_CODES.get(str(record["outcome"]), 1)


def _head(event: str, simulated: bool) -> Record:
    return {"schema_version": SCHEMA_VERSION, "event": event, "simulated": simulated}


def _node(node: NodeInfo) -> Record:
    state = int(node.state)
    return {
        "name": node.name,
        "state": state,
        "state_name": STATE_WORDS.get(state),
        "os_version": None if node.os_version is None else list(node.os_version),
        "highest_version": None if node.highest_version is None else list(node.highest_version),
        "highest_level": node.highest_level,
        "lowest_version": None if node.lowest_version is None else list(node.lowest_version),
    }


def info_record(name: str | None, info: ClusterInfo, *, simulated: bool) -> Record:
    return {
        **_head("info", simulated),
        "cluster": name,
        "name": info.name,
        "functional_level": info.functional_level,
        "functional_level_name": info.functional_level_name,
        "upgrade_version": info.upgrade_version,
        "os_version": None if info.os_version is None else list(info.os_version),
        "highest_version": None if info.highest_version is None else list(info.highest_version),
        "lowest_version": None if info.lowest_version is None else list(info.lowest_version),
        "mixed_mode": info.mixed_mode,
        "nodes": [_node(node) for node in info.nodes],
    }


def preflight_outcome(p: Preflight) -> str:
    if p.nothing_to_do:
        return "nothing-to-raise"
    return "check-passed" if p.ready else "not-ready"


def preflight_sentence(name: str | None, p: Preflight) -> str:
    level = p.info.functional_level
    if p.nothing_to_do:
        return (f"nothing to raise: {where(name)} is already at level {level_text(level)} and no node "
                "supports a higher one")
    if p.ready:
        return f"ready: {where(name)} can go from level {level_text(level)} to {level_text(p.target_level)}"
    return f"not ready: {where(name)} cannot go from level {level_text(level)} to {level_text(p.target_level)} yet"


def preflight_fields(p: Preflight) -> Record:
    return {
        "ready": p.ready,
        "nothing_to_do": p.nothing_to_do,
        "functional_level": p.info.functional_level,
        "target_level": p.target_level,
        "blockers": list(p.blockers),
    }


def preflight_record(name: str | None, p: Preflight, *, simulated: bool) -> Record:
    return {
        **_head("preflight", simulated),
        "cluster": name,
        "outcome": preflight_outcome(p),
        "message": preflight_sentence(name, p),
        **preflight_fields(p),
    }


def phase_record(event: PhaseEvent, *, performed: bool, simulated: bool) -> Record:
    phase = event.phase
    return {
        **_head("phase", simulated),
        "cluster": event.cluster,
        "performed": performed,
        "phase": int(phase),
        "name": phase.name if isinstance(phase, Phase) else None,
        "sequence": event.sequence,
        "elapsed": round(event.elapsed, 6),
        "timestamp": event.timestamp,
    }


def _result(
    name: str | None,
    *,
    simulated: bool,
    outcome: str,
    message: str,
    winerror: int | None,
    before: int | None,
    after: int | None,
    raised: bool | None,
    stands: str | None,
    duration: float | None,
    phases: list[int],
    restart: bool = False,
) -> Record:
    return {
        **_head("result", simulated),
        "cluster": name,
        "outcome": outcome,
        "winerror": winerror,
        "name": None if winerror is None else _winerror.name_of(winerror),
        "message": message,
        "level_before": before,
        "level_after": after,
        "raised": raised,
        "restart_required": restart,
        "stands": stands,
        "duration": None if duration is None else round(duration, 6),
        "phases": phases,
    }


def check_record(name: str | None, p: Preflight, check: UpgradeResult | ClusterUpgradeError, *,
                 simulated: bool) -> Record:
    """How `check` ended: the preflight's verdict, the check's phases."""
    if isinstance(check, ClusterUpgradeError):
        code, duration, events = check.winerror, None, check.events
    else:
        code, duration, events = check.status, check.duration, check.events
    level = p.info.functional_level
    return {
        **_result(
            name,
            simulated=simulated,
            outcome=preflight_outcome(p),
            message=preflight_sentence(name, p),
            winerror=code,
            before=level,
            after=level,
            raised=False,
            stands="unchanged",
            duration=duration,
            phases=[int(e.phase) for e in events],
        ),
        **preflight_fields(p),
    }


def refused_record(name: str | None, p: Preflight, outcome: str, message: str, *, simulated: bool) -> Record:
    """A raise that was never sent: nothing to raise, blocked, not ready."""
    level = p.info.functional_level
    return {
        **_result(
            name, simulated=simulated, outcome=outcome, message=message, winerror=None, before=level,
            after=level, raised=False, stands="unchanged", duration=None, phases=[],
        ),
        **preflight_fields(p),
    }


def raised_record(name: str | None, result: UpgradeResult, *, nothing_more: bool | None, simulated: bool) -> Record:
    """A raise that returned success (0 or 5975), told from the levels the
    cluster reported: never "raised" without seeing the level move."""
    before, after = result.level_before, result.level_after
    restart = result.restart_required
    phases = [int(e.phase) for e in result.events]
    common: dict[str, Any] = {
        "simulated": simulated, "winerror": result.status, "before": before, "after": after,
        "duration": result.duration, "phases": phases,
    }
    if before is None or after is None:
        return _result(name, outcome="state-unknown", raised=None, stands="unknown", restart=restart,
                       message=f"{where(name)} reported success; its level before and after is unknown "
                       "(Get-Cluster | Select ClusterFunctionalLevel shows it)", **common)
    if after > before:
        text = f"raised {where(name)} from level {level_text(before)} to {level_text(after)}"
        if restart:
            advice = remedies.advice(_winerror.ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED, cluster=name)
            return _result(name, outcome="raised-restart-required", raised=True, stands="raised", restart=True,
                           message=f"{text}; {advice}", **common)
        return _result(name, outcome="raised", raised=True, stands="raised", message=text, **common)
    if nothing_more:
        return _result(name, outcome="nothing-to-raise", raised=False, stands="unchanged",
                       message=f"nothing to raise: {where(name)} is already at level {level_text(after)} and no "
                       "node supports a higher one", **common)
    return _result(name, outcome="failed", raised=False, stands="unchanged",
                   message=f"{where(name)} reported success but its level did not move: before "
                   f"{level_text(before)}, after {level_text(after)}", **common)


def error_outcome(err: ClusterUpgradeError) -> str:
    if isinstance(err, UpgradeTimeoutError):
        return "timed-out"
    if isinstance(err, ClusapiUnavailableError):
        return "no-clusapi"
    if err.winerror in FIX_FIRST:
        return "not-ready"
    if err.winerror in UNREACHABLE:
        return "unreachable"
    if err.winerror == 5:
        return "access-denied"
    return "failed"


def error_record(
    name: str | None,
    err: ClusterUpgradeError,
    *,
    simulated: bool,
    performed: bool,
    before: int | None = None,
    after: int | None = None,
    stands: str | None = None,
) -> Record:
    """A call that failed.  For a raise, `after` and `stands` say what a
    read of the cluster after the failure found ("raised", "unchanged",
    "unknown"); nothing sent, or a refusal that means "fix the cluster
    first", leaves the cluster unchanged."""
    outcome = error_outcome(err)
    if not performed or (outcome in ("not-ready", "no-clusapi") and not err.events):
        stands, after = "unchanged", before
    if performed and stands == "raised":
        outcome = "raised"
    elif performed and stands == "unknown" and outcome in ("failed", "timed-out"):
        outcome = "state-unknown"
    raised = None if stands in (None, "unknown") else stands == "raised"
    text = str(err)
    message = text if text.startswith(where(name)) else f"{where(name)}: {text}"
    if performed and stands == "raised":
        message += f"; read again, the cluster stands at level {level_text(after)}: the level was raised"
    elif performed and stands == "unknown":
        message += "; the cluster's state is unknown until read again"
    return _result(
        name, simulated=simulated, outcome=outcome, message=message, winerror=err.winerror, before=before,
        after=after, raised=raised, stands=stands, duration=None, phases=[int(e.phase) for e in err.events],
    )
