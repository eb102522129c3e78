"""Preflight: what a cluster says about its version (GetClusterInformation)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from . import _clusupgrade
from .errors import ClusterUpgradeError, unavailable
from .stream import Target, resolve

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


def cluster_info(cluster: Target = None) -> ClusterInfo:
    """Ask `cluster` (None: the local one, a name, or a Simulator) for its
    name and versions.  Raises :class:`ClusterUpgradeError` when it cannot
    be reached, :class:`ClusapiUnavailableError` without clusapi.dll."""
    name, simulator = resolve(cluster)
    if simulator is not None:
        return simulator.info()
    status, stage, raw = _clusupgrade.cluster_info(name)
    if stage == _clusupgrade.STAGE_LOAD:
        raise unavailable(status, cluster=name, on_windows=sys.platform == "win32")
    if status != 0 or raw is None:
        raise ClusterUpgradeError(status, cluster=name)
    real_name, major, minor, build, highest, lowest, flags = raw
    return ClusterInfo(
        name=real_name,
        os_version=(major, minor, build),
        highest_version=split_version(highest),
        lowest_version=split_version(lowest),
        mixed_mode=bool(flags & CLUSTER_VERSION_FLAG_MIXED_MODE),
    )
