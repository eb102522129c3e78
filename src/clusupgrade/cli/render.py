"""What the command shows people: phase lines, tables, warnings.  Pure
functions from events to text (the JSON records: records.py)."""

from __future__ import annotations

from collections.abc import Sequence

from .. import remedies
from .._winerror import ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
from ..phase import Phase, PhaseEvent
from .words import where

STEPS = len(Phase)


def restart_warning(name: str | None) -> str:
    """For a raise that ended with 5975: the level was raised, and a restart
    is needed for every feature."""
    advice = remedies.advice(ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED, cluster=name)
    return f"clusupgrade: warning: {where(name)}: {advice}"


def step_label(event: PhaseEvent) -> str:
    phase = event.phase
    if isinstance(phase, Phase):
        return f"step {int(phase)} of {STEPS}: {phase.label}"
    return f"phase {phase} (not a documented phase)"


def phase_line(event: PhaseEvent, name_width: int | None = None) -> str:
    """`  [   0.40 s] step 2 of 5: ...`, with the cluster first in a fleet."""
    head = "  " if name_width is None else f"  {event.cluster or '(local)':<{name_width}}  "
    return f"{head}[{event.elapsed:7.2f} s] {step_label(event)}"


def table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Rows as aligned columns; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
