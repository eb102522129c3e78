"""Raise a Windows Server failover cluster's functional level from Python,
and watch it happen phase by phase.

    >>> import clusupgrade
    >>> result = clusupgrade.upgrade(clusupgrade.Simulator())
    >>> [event.phase.name for event in result.events]
    ['INITIALIZE', 'VALIDATING_UPGRADE', 'UPGRADING_COMPONENTS', 'INSTALLING_NEW_COMPONENTS', 'UPGRADE_COMPLETE']
"""

import logging

from .aio import AsyncPhaseStream, aphases, aupgrade
from .api import check, phases, upgrade
from .errors import (
    ClusapiUnavailableError,
    ClusterUpgradeError,
    ListeningStoppedError,
    UpgradeTimeoutError,
)
from .fleet import FleetUpgrade, upgrade_many
from .info import ClusterInfo, cluster_info
from .nodes import NodeInfo, NodeState
from .pending import PendingCall, pending_call
from .phase import Phase, PhaseEvent
from .preflight import Preflight, preflight
from .result import UpgradeResult
from .simulator import SimNode, Simulator
from .stream import PhaseStream

# Silent unless the application configures logging.
logging.getLogger("clusupgrade").addHandler(logging.NullHandler())

__all__ = [
    "AsyncPhaseStream",
    "ClusapiUnavailableError",
    "ClusterInfo",
    "ClusterUpgradeError",
    "FleetUpgrade",
    "ListeningStoppedError",
    "NodeInfo",
    "NodeState",
    "PendingCall",
    "Phase",
    "PhaseEvent",
    "PhaseStream",
    "Preflight",
    "SimNode",
    "Simulator",
    "UpgradeResult",
    "UpgradeTimeoutError",
    "aphases",
    "aupgrade",
    "check",
    "cluster_info",
    "pending_call",
    "phases",
    "preflight",
    "upgrade",
    "upgrade_many",
]

__version__ = "0.2.0"
