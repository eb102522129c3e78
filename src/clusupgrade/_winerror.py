"""Win32 error codes an upgrade can end with: symbolic name and plain words.

The text is used where the system has none (every platform but Windows, or
a Windows whose message table lacks the code), and the advice always.
"""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    name: str
    text: str
    advice: str = ""


SUCCESS = 0
ERROR_CANCELLED = 1223
ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS = 5973
ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED = 5975
ERROR_CLUSTER_UPGRADE_IN_PROGRESS = 5976
ERROR_CLUSTER_UPGRADE_INCOMPLETE = 5977

CODES: dict[int, Code] = {
    1: Code("ERROR_INVALID_FUNCTION", "Incorrect function.",
            "The cluster runs Windows Server 2012 R2 or older, which cannot raise its level."),
    5: Code("ERROR_ACCESS_DENIED", "Access is denied.",
            "Run as an administrator of the cluster: raising the level needs full access."),
    6: Code("ERROR_INVALID_HANDLE", "The handle is invalid."),
    8: Code("ERROR_NOT_ENOUGH_MEMORY", "Not enough memory resources are available to process this command."),
    87: Code("ERROR_INVALID_PARAMETER", "The parameter is incorrect."),
    120: Code("ERROR_CALL_NOT_IMPLEMENTED", "This function is not supported on this system."),
    126: Code("ERROR_MOD_NOT_FOUND", "The specified module could not be found."),
    127: Code("ERROR_PROC_NOT_FOUND", "The specified procedure could not be found."),
    1223: Code("ERROR_CANCELLED", "The operation was canceled by the user."),
    1460: Code("ERROR_TIMEOUT", "This operation returned because the timeout period expired."),
    1722: Code("RPC_S_SERVER_UNAVAILABLE", "The RPC server is unavailable.",
               "The cluster could not be reached: check its name, the network and that the Cluster service runs."),
    1726: Code("RPC_S_CALL_FAILED", "The remote procedure call failed.",
               "The cluster could not be reached: check the network and the Cluster service."),
    1753: Code("EPT_S_NOT_REGISTERED", "There are no more endpoints available from the endpoint mapper.",
               "The Cluster service is not running on that node."),
    5050: Code("ERROR_CLUSTER_NODE_DOWN", "The cluster node is down.",
               "Bring every node up (Get-ClusterNode) and try again."),
    5070: Code("ERROR_CLUSTER_NODE_PAUSED", "The cluster node is paused.",
               "Resume every paused node (Resume-ClusterNode) and try again."),
    5072: Code("ERROR_CLUSTER_NODE_NOT_READY", "The cluster node is not ready to perform the requested operation.",
               "Wait until every node is an active member and try again."),
    5073: Code("ERROR_CLUSTER_NODE_SHUTTING_DOWN", "The cluster node is shutting down.",
               "Wait until every node is an active member and try again."),
    5973: Code("ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS",
               "The cluster upgrade could not be performed: not every node supports the new level.",
               "Finish the rolling upgrade: every node must run the new Windows Server version."),
    5974: Code("ERROR_CLUSTER_UPGRADE_FIX_QUORUM_NOT_SUPPORTED",
               "The cluster upgrade is not supported while the cluster runs in forced-quorum mode.",
               "Restore normal quorum before raising the level."),
    5975: Code("ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED",
               "The cluster functional level has been raised, but not every feature is available yet.",
               "The level WAS raised. Restart the cluster, not a node, to use every new feature: "
               "Stop-Cluster, then Start-Cluster (the whole cluster stops: plan the downtime)."),
    5976: Code("ERROR_CLUSTER_UPGRADE_IN_PROGRESS",
               "The cluster is already being upgraded.",
               "Wait for the upgrade under way to finish."),
    5977: Code("ERROR_CLUSTER_UPGRADE_INCOMPLETE",
               "The cluster upgrade did not complete.",
               "Check the cluster's event log, then run the upgrade again."),
}


def name_of(code: int) -> str | None:
    """The symbolic name of `code`, or None."""
    entry = CODES.get(code)
    return entry.name if entry else None
