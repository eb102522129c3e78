"""The JSON records the command writes with --json: pure functions from
outcomes to dicts, importable without side effects (Salt builds its
records with them too).

Every record has ``schema_version``, ``event``, ``simulated`` and
``cluster`` (the cluster's name; null for the local cluster, and for the
summary).  Per cluster: one ``preflight``, its ``phase`` records, one
``result``; then always one closing ``summary``.  ``info`` writes one
``info`` record, then the summary.  The schema:
clusupgrade/schema/records.schema.json.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Final

from .._winerror import name_of
from ..info import ClusterInfo
from ..nodes import NodeInfo
from ..phase import Phase, PhaseEvent
from ..preflight import Preflight
from .endings import Ending, preflight_outcome, restart_names

SCHEMA_VERSION: Final = 1
Record = dict[str, object]

STATE_WORDS: Final = {-1: "Unknown", 0: "Up", 1: "Down", 2: "Paused", 3: "Joining"}
"""CLUSTER_NODE_STATE as Get-ClusterNode words it."""


def head(event: str, cluster: str | None, *, simulated: bool) -> Record:
    """The keys every record starts with."""
    return {"schema_version": SCHEMA_VERSION, "event": event, "simulated": simulated, "cluster": cluster}


def json_line(record: Record) -> str:
    return json.dumps(record)


def phase_record(event: PhaseEvent, *, performed: bool, simulated: bool) -> Record:
    phase = event.phase
    return {
        **head("phase", event.cluster, simulated=simulated),
        "performed": performed,
        "phase": int(phase),
        "name": phase.name if isinstance(phase, Phase) else None,
        "sequence": event.sequence,
        "elapsed": round(event.elapsed, 6),
        "timestamp": event.timestamp,
        "thread_id": event.thread_id,
    }


def preflight_record(name: str | None, p: Preflight, *, simulated: bool, refused: int | None = None) -> Record:
    """What the preflight found; `refused`: the code the cluster's own check
    was refused with (None: it passed)."""
    return {
        **head("preflight", name, simulated=simulated),
        "outcome": preflight_outcome(p),
        "ready": p.ready,
        "nothing_to_do": p.nothing_to_do,
        "functional_level": p.info.functional_level,
        "target_level": p.target_level,
        "check_winerror": refused or 0,
        "blockers": list(p.blockers),
    }


def result_record(ending: Ending, *, simulated: bool) -> Record:
    """One cluster's final record, success or not."""
    return {
        **head("result", ending.cluster, simulated=simulated),
        "performed": ending.performed,
        "outcome": ending.outcome,
        "winerror": ending.winerror,
        "name": None if ending.winerror is None else name_of(ending.winerror),
        "message": ending.message,
        "level_before": ending.level_before,
        "level_after": ending.level_after,
        "raised": ending.raised,
        "restart_required": ending.restart_required,
        "stands": ending.stands,
        "duration": None if ending.duration is None else round(ending.duration, 6),
        "phases": list(ending.phases),
    }


def cluster_summary(ending: Ending) -> Record:
    """One cluster in the summary record."""
    return {
        "cluster": ending.cluster,
        "outcome": ending.outcome,
        "winerror": ending.winerror,
        "level_before": ending.level_before,
        "level_after": ending.level_after,
        "raised": ending.raised,
        "restart_required": ending.restart_required,
        "stands": ending.stands,
        "duration": None if ending.duration is None else round(ending.duration, 6),
    }


def summary_record(
    endings: Sequence[Ending], *, command: str, simulated: bool, exit_code: int, signal: str | None = None,
    message: str | None = None,
) -> Record:
    """The closing record, for one cluster or many."""
    return {
        **head("summary", None, simulated=simulated),
        "command": command,
        "clusters": [cluster_summary(e) for e in endings],
        "counts": dict(Counter(e.outcome for e in endings)),
        "interrupted": signal is not None,
        "signal": signal,
        "exit_code": exit_code,
        "restart_required": restart_names(endings),
        "message": message,
    }


def node_record(node: NodeInfo) -> Record:
    state = int(node.state)
    return {
        "name": node.name,
        "state": state,
        "state_name": STATE_WORDS.get(state),
        "os_version": node.os_version,
        "highest_version": node.highest_version,
        "highest_level": node.highest_level,
        "lowest_version": node.lowest_version,
    }


def info_record(name: str | None, info: ClusterInfo, *, simulated: bool) -> Record:
    """What `clusupgrade info` read; `name` is the cluster as it was named
    (None: the local one), info["name"] what it calls itself."""
    return {
        **head("info", name, simulated=simulated),
        "name": info.name,
        "functional_level": info.functional_level,
        "functional_level_name": info.functional_level_name,
        "upgrade_version": info.upgrade_version,
        "upgrade_in_progress": getattr(info, "upgrade_in_progress", None),
        "os_version": info.os_version,
        "highest_version": info.highest_version,
        "lowest_version": info.lowest_version,
        "mixed_mode": info.mixed_mode,
        "nodes": [node_record(node) for node in info.nodes],
    }
