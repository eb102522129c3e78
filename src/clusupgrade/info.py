"""Preflight: what a cluster says about its version (GetClusterInformation)."""

from __future__ import annotations

import queue
import struct
import sys
import time
from dataclasses import dataclass

from . import _clusupgrade, _validate, sections
from .errors import ClusterUpgradeError, UpgradeTimeoutError, unavailable
from .phase import END_HEADER
from .stream import Target, resolve
from .waiting import next_record

_INFO = struct.Struct("=HHHxxIII")

CLUSTER_VERSION_FLAG_MIXED_MODE = 0x1
CLUSTER_VERSION_UNKNOWN = 0xFFFFFFFF

LEVEL_NAMES = {
    8: "Windows Server 2012 R2",
    9: "Windows Server 2016",
    10: "Windows Server 2019",
    11: "Windows Server 2022",
    12: "Windows Server 2025",
}


def split_version(value: int) -> tuple[int, int] | None:
    """A cluster version DWORD as (major, upgrade); None when unknown."""
    if value == CLUSTER_VERSION_UNKNOWN:
        return None
    return (value >> 16, value & 0xFFFF)


@dataclass(frozen=True)
class ClusterInfo:
    """What the cluster (through the node that answered) says of itself."""

    name: str
    """The cluster's name."""
    os_version: tuple[int, int, int]
    """(major, minor, build) of the Windows the answering node runs."""
    highest_version: tuple[int, int] | None
    """Highest cluster version, (major, upgrade), or None when unknown."""
    lowest_version: tuple[int, int] | None
    """Lowest cluster version, (major, upgrade), or None when unknown."""
    mixed_mode: bool
    """Nodes run different versions: a rolling upgrade is under way."""

    @property
    def functional_level(self) -> int | None:
        """The major version of the lowest cluster version: the level the
        cluster runs at (9 = 2016, 10 = 2019, 11 = 2022, 12 = 2025)."""
        return self.lowest_version[0] if self.lowest_version else None

    @property
    def functional_level_name(self) -> str:
        """The level in words: "Windows Server 2022"."""
        level = self.functional_level
        return LEVEL_NAMES.get(level, f"level {level}") if level is not None else "unknown"


def _query(name: str | None, timeout: float | None) -> bytes:
    """The end record of a query of cluster `name`, made on a native
    worker; raises on failure or timeout."""
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    call = _clusupgrade.Call(items, name, kind=_clusupgrade.KIND_QUERY)
    deadline = None if timeout is None else time.monotonic() + timeout
    call.start()
    try:
        while True:
            item = next_record(items, call, deadline)
            if item is None:
                where = f"cluster {name!r}" if name else "the local cluster"
                raise UpgradeTimeoutError(f"{where} did not answer within {timeout:g} s", cluster=name)
            if type(item) is bytes:
                end = item
                break
    except BaseException:
        call.cancel()
        raise
    _, _, status, stage, missing = END_HEADER.unpack_from(end)
    if stage == _clusupgrade.STAGE_LOAD:
        raise unavailable(status, cluster=name, on_windows=sys.platform == "win32", missing=missing)
    if status != 0:
        raise ClusterUpgradeError(status, cluster=name)
    return end


def cluster_info(cluster: Target = None, *, timeout: float | None = None) -> ClusterInfo:
    """Ask `cluster` (None: the local one, a name, or a Simulator) for its
    name and versions.  Raises :class:`ClusterUpgradeError` when it cannot
    be reached, :class:`ClusapiUnavailableError` without clusapi.dll."""
    name, simulator = resolve(cluster)
    seconds = _validate.timeout(timeout)
    if simulator is not None:
        return simulator.info()
    end = _query(name, seconds)
    found = sections.parse(end[END_HEADER.size :])
    info = sections.first(found, sections.INFO)
    if info is None or info.status != 0 or len(info.data) < _INFO.size:
        raise ClusterUpgradeError(info.status if info and info.status else 13, cluster=name)
    major, minor, build, highest, lowest, flags = _INFO.unpack_from(info.data)
    return ClusterInfo(
        name=info.data[_INFO.size :].decode("utf-16-le", "replace"),
        os_version=(major, minor, build),
        highest_version=split_version(highest),
        lowest_version=split_version(lowest),
        mixed_mode=bool(flags & CLUSTER_VERSION_FLAG_MIXED_MODE),
    )
