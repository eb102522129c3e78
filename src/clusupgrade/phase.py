"""The phases an upgrade reports, and the event each one becomes."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

PHASE_RECORD = struct.Struct("=BIiqqQ")
"""What the trampoline puts for a phase (csrc/record.h): kind b"P", tag,
phase, elapsed_ns, wall_ns, thread_id."""

END_HEADER = struct.Struct("=BIIiiq")
"""The head of what the worker puts when the call has returned: kind b"E",
tag, status, stage, missing export (or -1), duration_ns (measured natively
where the call returned, so a slow consumer does not lengthen it); the
payload's sections follow."""

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


_PHASES: dict[int, Phase] = {phase.value: phase for phase in Phase}
"""Phase by value: Phase(value) on an IntEnum costs some 0.6 us, a dict
lookup a tenth of that, and this runs once per event."""


def to_phase(value: int) -> Phase | int:
    """`value` as a Phase, or the plain int for a value Phase does not know."""
    return _PHASES.get(value, value)


@dataclass(frozen=True, slots=True, weakref_slot=True)
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
        _, _, phase, elapsed_ns, wall_ns, thread_id = unpack_phase(record)
        return new_event(phase, sequence, elapsed_ns, wall_ns, thread_id, cluster)


unpack_phase = PHASE_RECORD.unpack
"""(kind, tag, phase, elapsed_ns, wall_ns, thread_id) of a phase record."""

# Every event of every call is built here, on the consumer's thread, so it
# skips what makes a frozen dataclass slow to build (keyword binding, then
# object.__setattr__ looked up and called per field): it fills the slots
# through their own descriptors, which a frozen class's __setattr__ does not
# guard.  The result is an ordinary, immutable PhaseEvent.
_new = object.__new__
_set_phase = vars(PhaseEvent)["phase"].__set__
_set_sequence = vars(PhaseEvent)["sequence"].__set__
_set_elapsed = vars(PhaseEvent)["elapsed"].__set__
_set_timestamp = vars(PhaseEvent)["timestamp"].__set__
_set_thread_id = vars(PhaseEvent)["thread_id"].__set__
_set_cluster = vars(PhaseEvent)["cluster"].__set__


def new_event(
    phase: int, sequence: int, elapsed_ns: int, wall_ns: int, thread_id: int, cluster: str | None
) -> PhaseEvent:
    """The PhaseEvent for one phase record's fields, built fast."""
    event: PhaseEvent = _new(PhaseEvent)
    _set_phase(event, _PHASES.get(phase, phase))
    _set_sequence(event, sequence)
    _set_elapsed(event, elapsed_ns / 1e9)
    _set_timestamp(event, wall_ns / 1e9)
    _set_thread_id(event, thread_id)
    _set_cluster(event, cluster)
    return event

