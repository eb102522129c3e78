"""What a cluster says about itself: cluster_info().

One native query (KIND_QUERY) reads GetClusterInformation, the cluster's
read-only common properties and its nodes; this module turns its sections
into a ClusterInfo.  Every field comes from what the cluster reported, and
is None (or, for nodes, empty) where it reported nothing.
"""

from __future__ import annotations

import struct
import sys
import time
from dataclasses import dataclass

from . import _clusupgrade, _validate, proplist, sections
from .blocking import end_record
from .errors import ClusterUpgradeError, unavailable
from .levels import level_name
from .nodes import NodeInfo, to_state
from .phase import END_HEADER
from .simulator import Simulator
from .target import Target, resolve

_INFO = struct.Struct("=HHHxxIII")
_NODE = struct.Struct("=iII")
_COUNT = struct.Struct("=I")

CLUSTER_VERSION_FLAG_MIXED_MODE = 0x1
CLUSTER_VERSION_UNKNOWN = 0xFFFFFFFF


def split_version(value: int) -> tuple[int, int] | None:
    """A cluster version DWORD as (major, build); None when unknown."""
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
    """The highest cluster version the answering node can join with, as
    (major, build), or None when unknown."""
    lowest_version: tuple[int, int] | None
    """The lowest cluster version the answering node can join with, as
    (major, build): a compatibility floor, not the functional level."""
    mixed_mode: bool
    """Nodes run different Cluster service versions: a rolling upgrade is
    under way.  Clear does not mean there is nothing to raise."""
    functional_level: int | None = None
    """The ClusterFunctionalLevel property; None when the cluster did not
    report it."""
    upgrade_version: int | None = None
    """The ClusterUpgradeVersion property; None when not reported."""
    nodes: tuple[NodeInfo, ...] = ()
    """Every node, as Get-ClusterNode lists them; empty when the cluster did
    not report them."""

    @property
    def functional_level_name(self) -> str:
        """The level in words, with the sources' caution: "Windows Server 2016",
        "Windows Server 2022 or Azure Stack HCI / Azure Local (widely
        reported, not in Microsoft's reference)", "unknown"."""
        return level_name(self.functional_level)


@dataclass(frozen=True)
class Report:
    """A ClusterInfo and why the parts it lacks are missing (Win32 codes,
    0 when read): what preflight() needs to say "unknown" precisely."""

    info: ClusterInfo
    props_status: int
    nodes_status: int
    node_props_status: tuple[int, ...]
    """Per node of info.nodes: why its properties are missing, or 0."""


def cluster_info(cluster: Target = None, *, timeout: float | None = None) -> ClusterInfo:
    """Ask `cluster` (None: the local one, a name, or a Simulator) for its
    name, versions, functional level and nodes.  Blocks like upgrade(): on
    the native worker, `timeout` raising UpgradeTimeoutError, Ctrl+C
    raising KeyboardInterrupt.  Raises :class:`ClusterUpgradeError` when the
    cluster cannot be reached, :class:`ClusapiUnavailableError` without
    clusapi.dll."""
    name, simulator = resolve(cluster)
    seconds = _validate.timeout(timeout)
    deadline = None if seconds is None else time.monotonic() + seconds
    return read(name, simulator, deadline=deadline, timeout=seconds).info


def read(
    name: str | None, simulator: Simulator | None, *, deadline: float | None, timeout: float | None
) -> Report:
    """The query behind cluster_info(), for a resolved target."""
    end = end_record(
        name, simulator, kind=_clusupgrade.KIND_QUERY, perform=False, deadline=deadline, timeout=timeout
    )
    _, _, status, stage, missing, _ = END_HEADER.unpack_from(end)
    if stage == _clusupgrade.STAGE_LOAD:
        raise unavailable(status, cluster=name, on_windows=sys.platform == "win32", missing=missing)
    if status != 0:
        raise ClusterUpgradeError(status, cluster=name)
    return report(sections.parse(end[END_HEADER.size :]), name)


def report(found: tuple[sections.Section, ...], name: str | None) -> Report:
    """The Report of a successful query's sections."""
    data = sections.data_of(found, sections.INFO)
    if data is None or len(data) < _INFO.size:
        raise ClusterUpgradeError(sections.status_of(found, sections.INFO) or sections.ERROR_INVALID_DATA,
                                  cluster=name)
    major, minor, build, highest, lowest, flags = _INFO.unpack_from(data)
    props_data = sections.data_of(found, sections.CLUSTER_PROPS)
    props = proplist.parse(props_data) if props_data is not None else {}
    nodes, node_props_status, nodes_status = _nodes(found)
    info = ClusterInfo(
        name=data[_INFO.size :].decode("utf-16-le", "replace"),
        os_version=(major, minor, build),
        highest_version=split_version(highest),
        lowest_version=split_version(lowest),
        mixed_mode=bool(flags & CLUSTER_VERSION_FLAG_MIXED_MODE),
        functional_level=proplist.dword(props, proplist.FUNCTIONAL_LEVEL),
        upgrade_version=proplist.dword(props, proplist.UPGRADE_VERSION),
        nodes=nodes,
    )
    return Report(info, sections.status_of(found, sections.CLUSTER_PROPS), nodes_status, node_props_status)


def _nodes(found: tuple[sections.Section, ...]) -> tuple[tuple[NodeInfo, ...], tuple[int, ...], int]:
    """(nodes, why each one's properties are missing, why the nodes are
    missing): all of them, or none when any is malformed or missing, so
    that a partial list never passes for the whole cluster."""
    data = sections.data_of(found, sections.NODES)
    if data is None:
        return (), (), sections.status_of(found, sections.NODES)
    parsed = [_node(s.data) for s in found if s.id == sections.NODE and s.status == 0]
    if len(data) < _COUNT.size or _COUNT.unpack_from(data)[0] != len(parsed) or None in parsed:
        return (), (), sections.ERROR_INVALID_DATA
    whole = [p for p in parsed if p is not None]
    return tuple(n for n, _ in whole), tuple(s for _, s in whole), 0


def _node(data: bytes) -> tuple[NodeInfo, int] | None:
    """A NODE section's node and why its properties are missing; None when
    the section is malformed."""
    if len(data) < _NODE.size:
        return None
    state, props_status, name_bytes = _NODE.unpack_from(data)
    start = _NODE.size
    if name_bytes == 0 or name_bytes % 2 or name_bytes > len(data) - start:
        return None
    try:
        name = data[start : start + name_bytes].decode("utf-16-le")
    except UnicodeDecodeError:
        return None
    props_at = start + name_bytes + (-name_bytes % 4)
    props = proplist.parse(data[props_at:]) if props_status == 0 else {}
    major, minor, build = (proplist.dword(props, key) for key in ("MajorVersion", "MinorVersion", "BuildNumber"))
    highest = proplist.dword(props, "NodeHighestVersion")
    lowest = proplist.dword(props, "NodeLowestVersion")
    node = NodeInfo(
        name=name,
        state=to_state(state),
        os_version=None if major is None or minor is None or build is None else (major, minor, build),
        highest_version=None if highest is None else split_version(highest),
        lowest_version=None if lowest is None else split_version(lowest),
    )
    return node, props_status
