"""What the command shows: lines for people, one JSON object a line for
scripts.  Pure functions from events and outcomes to text and records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

from .. import remedies
from .._winerror import ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
from ..errors import ClusapiUnavailableError, ClusterUpgradeError
from ..phase import Phase, PhaseEvent
from ..result import UpgradeResult
from .codes import Verdict, code_name, error_outcome

STEPS = len(Phase)
Record = dict[str, object]


class Levels(NamedTuple):
    """The cluster's functional level before and after a call; None: unknown."""

    before: int | None
    after: int | None


def level_json(levels: Levels, performed: bool = True) -> Record:
    """The levels, and whether the level was raised: False for a check
    (it raises nothing), None where a level is unknown."""
    before, after = levels
    raised = None if before is None or after is None else after > before
    return {"level_before": before, "level_after": after, "raised": raised if performed else False}


def where(name: str | None) -> str:
    """How the command names a cluster."""
    return f"cluster {name!r}" if name else "the local cluster"


def restart_warning(name: str | None) -> str:
    """For a raise that ended with 5975: the level was raised, and a restart
    is needed for every feature."""
    advice = remedies.advice(ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED, cluster=name)
    return f"clusupgrade: warning: {where(name)}: {advice}"


def json_line(record: Record) -> str:
    return json.dumps(record)


def step_label(event: PhaseEvent) -> str:
    phase = event.phase
    if isinstance(phase, Phase):
        return f"step {int(phase)} of {STEPS}: {phase.label}"
    return f"phase {phase} (not a documented phase)"


def phase_line(event: PhaseEvent, name_width: int | None = None) -> str:
    """`  [   0.40 s] step 2 of 5: ...`, with the cluster first in a fleet."""
    head = "  " if name_width is None else f"  {event.cluster or '(local)':<{name_width}}  "
    return f"{head}[{event.elapsed:7.2f} s] {step_label(event)}"


def phase_record(event: PhaseEvent, performed: bool) -> Record:
    phase = event.phase
    return {
        "event": "phase",
        "cluster": event.cluster,
        "performed": performed,
        "phase": int(phase),
        "name": phase.name if isinstance(phase, Phase) else None,
        "sequence": event.sequence,
        "elapsed": round(event.elapsed, 6),
        "timestamp": event.timestamp,
        "thread_id": event.thread_id,
    }


def result_record(result: UpgradeResult, verdict: Verdict, levels: Levels) -> Record:
    return {
        "event": "result",
        "cluster": result.cluster,
        "performed": result.performed,
        "outcome": verdict.outcome,
        "status": result.status,
        "name": code_name(result.status),
        "restart_required": result.restart_required and result.performed,
        "complete": result.complete,
        "duration": round(result.duration, 6),
        "phases": [int(e.phase) for e in result.events],
        **level_json(levels, result.performed),
    }


def error_words(err: ClusterUpgradeError) -> str:
    """The error as the command says it: naming its cluster, with advice for
    the command line rather than for Python."""
    text = str(err)
    if isinstance(err, ClusapiUnavailableError):
        text = text.replace("pass cluster=clusupgrade.Simulator()", "add --simulate")
        if "--simulate" not in text:
            text += " To rehearse without a cluster, add --simulate."
    subject = where(err.cluster)
    return text if text.startswith(subject) else f"{subject}: {text}"


def error_record(err: ClusterUpgradeError, performed: bool) -> Record:
    return {
        "event": "error",
        "cluster": err.cluster,
        "performed": performed,
        "outcome": error_outcome(err)[0],
        "winerror": err.winerror,
        "name": code_name(err.winerror),
        "message": error_words(err),
        "phases": [int(e.phase) for e in err.events],
    }


def table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Rows as aligned columns; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
