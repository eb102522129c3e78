"""The phases an upgrade reports, and the event each one becomes."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

PHASE_RECORD = struct.Struct("=BIiqqQ")
"""What the trampoline puts for a phase (csrc/record.h): kind b"P", tag,
phase, elapsed_ns, wall_ns, thread_id."""

END_HEADER = struct.Struct("=BIIii")
"""The head of what the worker puts when the call has returned: kind b"E",
tag, status, stage, missing export (or -1); the payload's sections follow."""

PHASE_KIND = ord("P")
END_KIND = ord("E")


class Phase(enum.IntEnum):
    """CLUSTER_UPGRADE_PHASE, as clusapi.dll reports it."""

    INITIALIZE = 1
    VALIDATING_UPGRADE = 2
    UPGRADING_COMPONENTS = 3
    INSTALLING_NEW_COMPONENTS = 4
    UPGRADE_COMPLETE = 5

    @property
    def label(self) -> str:
        """Words for people: "Validating upgrade"."""
        return self.name.replace("_", " ").capitalize()


def to_phase(value: int) -> Phase | int:
    """`value` as a Phase, or the plain int for a value Phase does not know."""
    try:
        return Phase(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class PhaseEvent:
    """One progress callback.

    `elapsed` and `timestamp` are taken in the native callback before it
    waits for the GIL, so they say when the cluster reported the phase, not
    when Python got to see it.
    """

    phase: Phase | int
    """The phase, or the plain int for a value Phase does not know."""
    sequence: int
    """0 for the first event of a call, then 1, 2, ..."""
    elapsed: float
    """Seconds from the start of the call to the callback."""
    timestamp: float
    """The callback's moment on time.time()'s clock."""
    thread_id: int
    """Native id of the thread the callback ran on (threading.get_native_id())."""
    cluster: str | None
    """The cluster's name; None for the local cluster."""

    @classmethod
    def from_record(cls, record: bytes, sequence: int, cluster: str | None) -> PhaseEvent:
        """The event for one trampoline record (see PHASE_RECORD)."""
        _, _, phase, elapsed_ns, wall_ns, thread_id = PHASE_RECORD.unpack(record)
        return cls(
            phase=to_phase(phase),
            sequence=sequence,
            elapsed=elapsed_ns / 1e9,
            timestamp=wall_ns / 1e9,
            thread_id=thread_id,
            cluster=cluster,
        )
