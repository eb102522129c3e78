"""The records a Salt job returns and fires: built by the command line's own
builders (cli.records and cli.endings), so that a job returns exactly what
``clusupgrade --json`` writes (clusupgrade/schema/records.schema.json),
and its retcode is the command line's exit code.

This is the one module of the Salt extension that knows how the command
line builds its records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..cli import endings
from ..cli import records as cli_records
from ..cli.codes import EXIT_NOT_READY, EXIT_OK
from ..cli.endings import Ending
from ..cli.words import level_text, where
from ..errors import ClusterUpgradeError
from ..info import ClusterInfo
from ..phase import PhaseEvent
from ..preflight import Preflight

Record = dict[str, Any]

__all__ = ["Done", "Ending", "Record", "endings", "level_text", "where"]


@dataclass(frozen=True)
class Done:
    """A job's return: the cluster's final record, and the command line's
    exit code for it (the job's retcode)."""

    record: Record
    exit_code: int

    def __post_init__(self) -> None:
        # As --json writes it: tuples become lists, and nothing a JSON
        # line could not hold reaches Salt's serializer.
        object.__setattr__(self, "record", plain(self.record))


def plain(record: Record) -> Record:
    """`record` as a JSON line holds it."""
    loaded: Record = json.loads(json.dumps(record))
    return loaded


def info(name: str | None, facts: ClusterInfo, *, simulated: bool) -> Done:
    return Done(cli_records.info_record(name, facts, simulated=simulated), EXIT_OK)


def preflight(name: str | None, p: Preflight, *, refused: int | None, simulated: bool) -> Done:
    """The preflight record; `refused`: the code the cluster's own check was
    refused with (None: it passed)."""
    record = cli_records.preflight_record(name, p, simulated=simulated, refused=refused)
    return Done(record, EXIT_OK if p.ready or p.nothing_to_do else EXIT_NOT_READY)


def ending(end: Ending, *, simulated: bool) -> Done:
    """The `result` record of how a call came out."""
    return Done(cli_records.result_record(end, simulated=simulated), end.exit_code)


def failed(err: ClusterUpgradeError, *, performed: bool, level_before: int | None = None, simulated: bool) -> Done:
    """A read or check that failed (nothing was sent)."""
    return ending(endings.error_ending(err, performed=performed, level_before=level_before), simulated=simulated)


def phase(event: PhaseEvent, *, simulated: bool) -> Record:
    """The phase record of a raise."""
    return plain(cli_records.phase_record(event, performed=True, simulated=simulated))


def preflight_sentence(name: str | None, p: Preflight) -> str:
    return endings.preflight_sentence(name, p)
