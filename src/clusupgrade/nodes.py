"""A cluster's nodes as the cluster reports them (Get-ClusterNode)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class NodeState(enum.IntEnum):
    """CLUSTER_NODE_STATE, as GetClusterNodeState reports it."""

    UNKNOWN = -1
    UP = 0
    DOWN = 1
    PAUSED = 2
    JOINING = 3


def to_state(value: int) -> NodeState | int:
    """`value` as a NodeState, or the plain int for a value NodeState does not know."""
    try:
        return NodeState(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class NodeInfo:
    """One node: its state and versions, each None when the cluster did not report it."""

    name: str
    state: NodeState | int
    """A NodeState, or the plain int for a value the enum does not know."""
    os_version: tuple[int, int, int] | None
    """(major, minor, build) of the Windows the node runs: its MajorVersion,
    MinorVersion and BuildNumber properties; None when unknown."""
    highest_version: tuple[int, int] | None
    """NodeHighestVersion as (major, upgrade version): the major word is the
    highest functional level the node supports; the low word has been the
    upgrade version since Windows Server 2016, not an OS build."""
    lowest_version: tuple[int, int] | None
    """NodeLowestVersion as (major, upgrade version)."""

    @property
    def highest_level(self) -> int | None:
        """The highest functional level the node supports, or None when unknown."""
        return self.highest_version[0] if self.highest_version is not None else None
