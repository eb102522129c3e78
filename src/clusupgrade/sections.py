"""The payload of an end record: the sections the native call read from the
cluster (csrc/buf.h).  Each is `u32 id, u32 status, u32 length, data,
padding to 4`; a non-zero status means the data is absent and says why.

The framing is written by clusupgrade's own C code, but what is inside came
from a server, and the parser trusts neither: a section that does not fit is
dropped with everything after it, never read past the end; an id it does
not know is kept, for the caller to ignore.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

INFO: Final = 1
CLUSTER_PROPS: Final = 2
CLUSTER_PROPS_AFTER: Final = 3
NODES: Final = 4
NODE: Final = 5
CLUSTER_PROPS_RW: Final = 6
"""The cluster's read-write common properties
(CLUSCTL_CLUSTER_GET_COMMON_PROPERTIES), read by a query: ClusterUpgradeVersion
is documented as read/write, so it may be there and not in CLUSTER_PROPS."""
SIM_STATE: Final = 7
"""Only from the simulator: u32, its persistent "upgrade in progress" flag."""

ERROR_INVALID_DATA: Final = 13
"""The status clusupgrade gives a section that is there but malformed."""

_HEAD = struct.Struct("=III")


@dataclass(frozen=True)
class Section:
    id: int
    status: int
    """0 when `data` holds what was read; otherwise why nothing was."""
    data: bytes


def parse(payload: bytes) -> tuple[Section, ...]:
    """Every whole section of `payload`, in order."""
    found = []
    offset = 0
    while offset + _HEAD.size <= len(payload):
        ident, status, length = _HEAD.unpack_from(payload, offset)
        start = offset + _HEAD.size
        if length > len(payload) - start:
            break
        # Data beside a failure status would be a writer's bug: absent.
        data = bytes(payload[start : start + length]) if status == 0 else b""
        found.append(Section(ident, status, data))
        offset = start + length + (-length % 4)
    return tuple(found)


def first(found: tuple[Section, ...], ident: int) -> Section | None:
    """The first section with id `ident`, or None."""
    return next((s for s in found if s.id == ident), None)


def status_of(found: tuple[Section, ...], ident: int) -> int:
    """Why section `ident` has no data: its status, or ERROR_INVALID_DATA
    when it is missing; 0 when it was read."""
    section = first(found, ident)
    return ERROR_INVALID_DATA if section is None else section.status


def data_of(found: tuple[Section, ...], ident: int) -> bytes | None:
    """The data of section `ident` when it was read, else None."""
    section = first(found, ident)
    return section.data if section is not None and section.status == 0 else None
