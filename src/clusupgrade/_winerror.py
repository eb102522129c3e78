"""Win32 error codes an upgrade can end with: symbolic name and plain words.

The text is used where the system has none (every platform but Windows, or
a Windows whose message table lacks the code); what to do about a code is
remedies.advice().
"""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    name: str
    text: str


SUCCESS = 0
ERROR_CANCELLED = 1223
ERROR_ALL_NODES_NOT_AVAILABLE = 5037
ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS = 5973
ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED = 5975
ERROR_CLUSTER_UPGRADE_IN_PROGRESS = 5976
ERROR_CLUSTER_UPGRADE_INCOMPLETE = 5977
ERROR_NODE_NOT_ACTIVE_CLUSTER_MEMBER = 5980

CODES: dict[int, Code] = {
    1: Code("ERROR_INVALID_FUNCTION", "Incorrect function."),
    5: Code("ERROR_ACCESS_DENIED", "Access is denied."),
    6: Code("ERROR_INVALID_HANDLE", "The handle is invalid."),
    8: Code("ERROR_NOT_ENOUGH_MEMORY", "Not enough memory resources are available to process this command."),
    87: Code("ERROR_INVALID_PARAMETER", "The parameter is incorrect."),
    120: Code("ERROR_CALL_NOT_IMPLEMENTED", "This function is not supported on this system."),
    126: Code("ERROR_MOD_NOT_FOUND", "The specified module could not be found."),
    127: Code("ERROR_PROC_NOT_FOUND", "The specified procedure could not be found."),
    1223: Code("ERROR_CANCELLED", "The operation was canceled by the user."),
    1460: Code("ERROR_TIMEOUT", "This operation returned because the timeout period expired."),
    1722: Code("RPC_S_SERVER_UNAVAILABLE", "The RPC server is unavailable."),
    1726: Code("RPC_S_CALL_FAILED", "The remote procedure call failed."),
    1753: Code("EPT_S_NOT_REGISTERED", "There are no more endpoints available from the endpoint mapper."),
    5037: Code("ERROR_ALL_NODES_NOT_AVAILABLE", "All cluster nodes must be running to perform this operation."),
    5050: Code("ERROR_CLUSTER_NODE_DOWN", "The cluster node is down."),
    5070: Code("ERROR_CLUSTER_NODE_PAUSED", "The cluster node is paused."),
    5072: Code("ERROR_CLUSTER_NODE_NOT_READY", "The cluster node is not ready to perform the requested operation."),
    5073: Code("ERROR_CLUSTER_NODE_SHUTTING_DOWN", "The cluster node is shutting down."),
    5973: Code("ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS",
               "The cluster upgrade could not be performed: not every node supports the new level."),
    5974: Code("ERROR_CLUSTER_UPGRADE_FIX_QUORUM_NOT_SUPPORTED",
               "The cluster functional level cannot be raised while the cluster runs with forced quorum (FixQuorum)."),
    5975: Code("ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED",
               "The cluster functional level has been raised, but not every feature is available yet."),
    5976: Code("ERROR_CLUSTER_UPGRADE_IN_PROGRESS", "The cluster is currently performing a version upgrade."),
    5977: Code("ERROR_CLUSTER_UPGRADE_INCOMPLETE", "The cluster upgrade did not complete."),
    5980: Code("ERROR_NODE_NOT_ACTIVE_CLUSTER_MEMBER",
               "The operation failed because the requested node is not currently part of active cluster membership."),
}


def name_of(code: int) -> str | None:
    """The symbolic name of `code`, or None."""
    entry = CODES.get(code)
    return entry.name if entry else None
