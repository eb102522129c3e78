"""What a cluster says about itself: cluster_info().

One native query (KIND_QUERY) reads GetClusterInformation, the cluster's
read-only and read-write common properties and its nodes; this module turns
its sections into a ClusterInfo.  Every field comes from what the cluster
reported, and is None (or, for nodes, empty) where it reported nothing.

A cluster version DWORD is (major << 16) | upgrade version: since Windows
Server 2016 the low word is the *upgrade version* (Microsoft's
CLUSTER_GET_UPGRADE_VERSION page: "Minor version has been renamed to
upgrade version"), a small number, not an OS build.  clusupgrade shows it
as the pair (major, upgrade), printed "major.upgrade".
"""

from __future__ import annotations

import struct
import sys
import time
from dataclasses import dataclass

from . import _clusupgrade, _validate, proplist, sections
from .blocking import end_record
from .errors import ClusterUpgradeError, unavailable
from .levels import is_hci, level_words
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
    """A cluster version DWORD as (major, upgrade); None when unknown:
    CLUSTER_VERSION_UNKNOWN, or 0, which is what a GetClusterInformation
    that filled nothing in leaves (Wine's does)."""
    if value in (0, CLUSTER_VERSION_UNKNOWN):
        return None
    return (value >> 16, value & 0xFFFF)


def os_version(major: int | None, minor: int | None, build: int | None) -> tuple[int, int, int] | None:
    """(major, minor, build) of a Windows; None when a part is missing or
    all are 0 (nothing was filled in)."""
    if major is None or minor is None or build is None or (major, minor, build) == (0, 0, 0):
        return None
    return (major, minor, build)


@dataclass(frozen=True)
class ClusterInfo:
    """What the cluster (through the node that answered) says of itself."""

    name: str
    """The cluster's name."""
    os_version: tuple[int, int, int] | None
    """(major, minor, build) of the Windows the answering node runs
    (MajorVersion.MinorVersion.BuildNumber); None when unknown (0.0.0)."""
    highest_version: tuple[int, int] | None
    """The highest cluster version the answering node can join with, as
    (major, upgrade version), or None when unknown."""
    lowest_version: tuple[int, int] | None
    """The lowest cluster version the answering node can join with, as
    (major, upgrade version): a compatibility floor, not the functional
    level; None when unknown."""
    mixed_mode: bool
    """Nodes run different Cluster service versions: a rolling upgrade is
    under way.  Clear does not mean there is nothing to raise."""
    functional_level: int | None = None
    """The ClusterFunctionalLevel property; None when the cluster did not
    report it."""
    upgrade_version: int | None = None
    """The ClusterUpgradeVersion property, from the read-only common
    properties or, where it is not there, the read-write ones (Microsoft
    documents it as read/write); None when not reported."""
    nodes: tuple[NodeInfo, ...] = ()
    """Every node, as Get-ClusterNode lists them; empty when the cluster did
    not report them."""
    upgrade_in_progress: bool | None = None
    """The persistent "upgrade in progress" flag (MS-CMRP 3.1.1.12): known
    for a simulated cluster only.  None from clusapi.dll: no documented
    property or control reads it."""

    @property
    def functional_level_name(self) -> str:
        """The level in words: "11 (Windows Server 2022)", "13" for a level
        Microsoft does not name, "unknown"; with the inferred Azure Stack
        HCI / Azure Local remark when `hci`."""
        return level_words(self.functional_level, hci=self.hci)

    @property
    def hci(self) -> bool:
        """HCI_UPGRADE_BIT (0x8000) is set in an upgrade version the cluster
        reported (its highest version, or a node's): an Azure Stack HCI /
        Azure Local release, as inferred from clusapi.h."""
        versions = [self.highest_version, *(node.highest_version for node in self.nodes)]
        return any(is_hci(v) for v in versions)


@dataclass(frozen=True)
class Report:
    """A ClusterInfo and why the parts it lacks are missing (Win32 codes,
    0 when read): what preflight() needs to say "unknown" precisely."""

    info: ClusterInfo
    props_status: int
    nodes_status: int
    node_props_status: tuple[int, ...]
    """Per node of info.nodes: why its properties are missing, or 0."""
    cluster: str | None = None
    """The name the cluster was asked by (None: the local cluster), for
    the remedies' -Cluster."""


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
    props = _props(found, sections.CLUSTER_PROPS)
    upgrade_version = proplist.dword(props, proplist.UPGRADE_VERSION)
    if upgrade_version is None:
        upgrade_version = proplist.dword(_props(found, sections.CLUSTER_PROPS_RW), proplist.UPGRADE_VERSION)
    nodes, node_props_status, nodes_status = _nodes(found)
    info = ClusterInfo(
        name=data[_INFO.size :].decode("utf-16-le", "replace"),
        os_version=os_version(major, minor, build),
        highest_version=split_version(highest),
        lowest_version=split_version(lowest),
        mixed_mode=bool(flags & CLUSTER_VERSION_FLAG_MIXED_MODE),
        functional_level=proplist.dword(props, proplist.FUNCTIONAL_LEVEL),
        upgrade_version=upgrade_version,
        nodes=nodes,
        upgrade_in_progress=_in_progress(found),
    )
    return Report(
        info, sections.status_of(found, sections.CLUSTER_PROPS), nodes_status, node_props_status, cluster=name
    )


def _props(found: tuple[sections.Section, ...], ident: int) -> proplist.Properties:
    """The properties in section `ident`; none when it is absent."""
    data = sections.data_of(found, ident)
    return proplist.parse(data) if data is not None else {}


def _in_progress(found: tuple[sections.Section, ...]) -> bool | None:
    """The simulated cluster's persistent in-progress flag (the SIM_STATE
    section, u32); None for a real cluster, which has no such section."""
    data = sections.data_of(found, sections.SIM_STATE)
    if data is None or len(data) < _COUNT.size:
        return None
    return bool(_COUNT.unpack_from(data)[0])


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
        os_version=os_version(major, minor, build),
        highest_version=None if highest is None else split_version(highest),
        lowest_version=None if lowest is None else split_version(lowest),
    )
    return node, props_status
