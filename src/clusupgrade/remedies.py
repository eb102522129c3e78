"""The PowerShell lines clusupgrade suggests, built from each cmdlet's own
parameters so that every line works when pasted where clusupgrade ran.

CMDLETS is the table: each cmdlet the package or its documentation names,
with the parameters Microsoft documents for it (the FailoverClusters,
Hyper-V and Storage modules' references; the tests check that every
builder, and every PowerShell line of README.md and docs/, only uses
these).  Where a cluster name was
given, a line names it with the cmdlet's own parameter: `-Cluster NAME` for
most, `-Name NAME` for Get-Cluster and Start-Cluster, which take no
-Cluster.  Without a name the cmdlet runs on the local cluster.

advice(code, cluster=...) is the remedy for a Win32 code, as errors and
the command line print it.
"""

from __future__ import annotations

import re
from typing import Final

CMDLETS: Final[dict[str, frozenset[str]]] = {
    "Get-Cluster": frozenset({"Name", "Domain"}),
    "Get-ClusterNode": frozenset({"Name", "InputObject", "Cluster"}),
    "Start-Cluster": frozenset({"Name", "IgnorePersistentState", "Wait"}),
    "Stop-Cluster": frozenset({"Cluster", "Force", "Wait", "InputObject"}),
    "Start-ClusterNode": frozenset(
        {"Name", "ForceQuorum", "ClearQuarantine", "IgnorePersistentState", "PreventQuorum", "Wait",
         "InputObject", "Cluster"}
    ),
    "Resume-ClusterNode": frozenset({"Name", "Failback", "InputObject", "Cluster"}),
    "Add-ClusterNode": frozenset({"Name", "NoStorage", "InputObject", "Cluster"}),
    "Remove-ClusterNode": frozenset(
        {"Name", "Force", "Wait", "CleanupDisks", "IgnoreStorageConnectivityLoss", "InputObject", "Cluster"}
    ),
    "Get-ClusterLog": frozenset(
        {"Node", "Destination", "TimeSpan", "UseLocalTime", "SkipClusterState", "Health", "InputObject", "Cluster"}
    ),
    "Update-ClusterFunctionalLevel": frozenset({"Force", "InputObject", "Cluster", "WhatIf", "Confirm"}),
    "Where-Object": frozenset({"Property", "EQ", "Value"}),
    "Format-List": frozenset({"Property"}),
    # Named by the README only: validating before the raise, and the two
    # steps Microsoft's rolling-upgrade article lists after it.
    "Test-Cluster": frozenset(
        {"Node", "Disk", "Pool", "ReportName", "List", "Include", "Ignore", "Force", "InputObject", "Cluster",
         "WhatIf", "Confirm"}
    ),
    "Get-VM": frozenset({"Name", "Id", "ClusterObject", "CimSession", "ComputerName", "Credential"}),
    "Update-VMVersion": frozenset(
        {"Name", "VM", "CimSession", "ComputerName", "Credential", "Force", "AsJob", "Passthru", "WhatIf", "Confirm"}
    ),
    "Get-StoragePool": frozenset(
        {"FriendlyName", "UniqueId", "Name", "Usage", "OtherUsageDescription", "IsPrimordial", "HealthStatus",
         "CimSession", "ThrottleLimit", "AsJob"}
    ),
    "Update-StoragePool": frozenset(
        {"FriendlyName", "UniqueId", "Name", "InputObject", "CimSession", "ThrottleLimit", "AsJob", "PassThru",
         "WhatIf", "Confirm"}
    ),
}
"""Cmdlet -> the parameters it takes (without the common parameters)."""

EVICT_CAUTION: Final = (
    "caution: Remove-ClusterNode evicts the node from the cluster; it must be added again "
    "(Add-ClusterNode) before it serves the cluster"
)

_PLAIN = re.compile(r"[A-Za-z0-9._-]+|\*")


def quote(value: str) -> str:
    """`value` as one PowerShell argument: bare when it is a plain name (or
    the wildcard *), else single-quoted (a quote inside doubled)."""
    if _PLAIN.fullmatch(value):
        return value
    return "'" + value.replace("'", "''") + "'"


def _line(cmdlet: str, *args: tuple[str, str | None]) -> str:
    """`cmdlet -Param value ...`; a None value is a switch, an argument
    whose value is "" is left out."""
    parts = [cmdlet]
    for param, value in args:
        if value == "":
            continue
        parts.append(f"-{param}" if value is None else f"-{param} {quote(value)}")
    return " ".join(parts)


def _cluster(cluster: str | None) -> tuple[str, str]:
    return ("Cluster", cluster or "")


def get_level(cluster: str | None = None) -> str:
    """Shows the cluster's functional level (Get-Cluster takes -Name)."""
    return _line("Get-Cluster", ("Name", cluster or "")) + " | " + _line(
        "Format-List", ("Property", "ClusterFunctionalLevel")
    )


def get_nodes(cluster: str | None = None) -> str:
    """Lists the nodes and their states."""
    return _line("Get-ClusterNode", _cluster(cluster))


def get_node_state(node: str, cluster: str | None = None) -> str:
    """One node and its state."""
    return _line("Get-ClusterNode", ("Name", node), _cluster(cluster))


def get_node(node: str, cluster: str | None = None) -> str:
    """Every property of one node (its versions included)."""
    return _line("Get-ClusterNode", ("Name", node), _cluster(cluster)) + " | " + _line(
        "Format-List", ("Property", "*")
    )


def start_node(node: str, cluster: str | None = None) -> str:
    """Starts the Cluster service on a down node."""
    return _line("Start-ClusterNode", ("Name", node), _cluster(cluster))


def resume_node(node: str, cluster: str | None = None) -> str:
    """Resumes a paused node."""
    return _line("Resume-ClusterNode", ("Name", node), _cluster(cluster))


def remove_node(node: str, cluster: str | None = None) -> str:
    """Evicts a node: print EVICT_CAUTION with it."""
    return _line("Remove-ClusterNode", ("Name", node), _cluster(cluster))


def _in_state(state: str, cluster: str | None, then: str) -> str:
    return get_nodes(cluster) + " | " + _line(
        "Where-Object", ("Property", "State"), ("EQ", None), ("Value", state)
    ) + " | " + then


def start_down_nodes(cluster: str | None = None) -> str:
    """Starts every node that is down (when which one is not known)."""
    return _in_state("Down", cluster, "Start-ClusterNode")


def resume_paused_nodes(cluster: str | None = None) -> str:
    """Resumes every paused node (when which one is not known)."""
    return _in_state("Paused", cluster, "Resume-ClusterNode")


def stop_cluster(cluster: str | None = None) -> str:
    """Stops the whole cluster (downtime)."""
    return _line("Stop-Cluster", _cluster(cluster))


def start_cluster(cluster: str | None = None, *, node: str | None = None) -> str:
    """Starts the cluster.  Start-Cluster takes -Name, not -Cluster, and
    needs a node's name when every node is stopped (the cluster's name
    resolves only while it runs): give `node` then."""
    return _line("Start-Cluster", ("Name", node or cluster or ""))


def cluster_log(cluster: str | None = None) -> str:
    """Writes the cluster log of every node into the current directory."""
    return _line("Get-ClusterLog", _cluster(cluster), ("Destination", "."))


def update_level(cluster: str | None = None, *, what_if: bool = False) -> str:
    """Microsoft's own way to raise the level."""
    return _line("Update-ClusterFunctionalLevel", _cluster(cluster), ("WhatIf", None if what_if else ""))


NEWER_WINDOWS: Final = (
    "run clusupgrade on Windows Server 2016 or later (a cluster node, or a server with RSAT-Clustering)"
)
"""Where ClusterUpgradeFunctionalLevel exists: only the clusapi.dll of
Windows Server 2016 and later exports it; RSAT-Clustering on an older
server brings that server's older clusapi.dll, without it."""


def advice(code: int, *, cluster: str | None = None) -> str:
    """What to do about Win32 code `code` from `cluster` (None: the local
    one), with pasteable lines; "" when there is nothing specific."""
    if code == 1:
        return (
            "The node that answered lacks the upgrade control (it runs Windows Server 2012 R2 or older): "
            "connect through a node of the cluster that runs Windows Server 2016 or later."
        )
    if code == 5:
        return "Run as an administrator of the cluster: raising the level needs full access."
    if code in (126, 127):
        return f"To raise the level, {NEWER_WINDOWS}."
    if code in (1722, 1726):
        return "The cluster could not be reached: check its name, the network and that the Cluster service runs."
    if code == 1753:
        return "The Cluster service is not running on that node."
    if code == 5050:
        return f"Start every node that is down: {start_down_nodes(cluster)}"
    if code == 5070:
        return f"Resume every paused node: {resume_paused_nodes(cluster)}"
    if code in (5072, 5073, 5980, 5037):
        return (
            "Every node must be up and an active member (none paused or down); the exact code is the "
            f"server's. See their states with {get_nodes(cluster)}, start a down one with "
            f"{start_down_nodes(cluster)}, resume a paused one with {resume_paused_nodes(cluster)}, then try again."
        )
    if code == 5973:
        return (
            "Finish the rolling upgrade: every node must run the newer Windows Server; "
            f"{get_nodes(cluster)} shows them."
        )
    if code == 5974:
        return (
            "The cluster runs with forced quorum: start more of its member nodes until it regains quorum "
            f"({start_down_nodes(cluster)}), or stop it ({stop_cluster(cluster)}) and start it again "
            f"without ForceQuorum ({start_cluster(cluster)}), then try again."
        )
    if code == 5975:
        return (
            "The level WAS raised. Restart the cluster, not a node, to use every new feature: "
            f"{stop_cluster(cluster)}, then {start_cluster(cluster)} (the whole cluster stops: plan the "
            "downtime; once every node is stopped the cluster's name may not answer: then give Start-Cluster "
            "a node's name)."
        )
    if code == 5976:
        return (
            "An upgrade is in progress, or a failed one left the cluster's persistent in-progress flag set: "
            "wait for it; if none is running, read the cluster log "
            f"({cluster_log(cluster)}) before trying again."
        )
    if code == 5977:
        return f"Read the cluster log ({cluster_log(cluster)}), then run the upgrade again."
    return ""
