"""Raise a Windows Server failover cluster's functional level from Python,
and watch it happen phase by phase.

    >>> import clusupgrade
    >>> result = clusupgrade.upgrade(clusupgrade.Simulator())
    >>> [event.phase.name for event in result.events]
    ['INITIALIZE', 'VALIDATING_UPGRADE', 'UPGRADING_COMPONENTS', 'INSTALLING_NEW_COMPONENTS', 'UPGRADE_COMPLETE']
"""

from .api import check, phases, upgrade
from .errors import ClusapiUnavailableError, ClusterUpgradeError, UpgradeTimeoutError
from .phase import Phase, PhaseEvent
from .result import UpgradeResult
from .simulator import Simulator
from .stream import PhaseStream

__all__ = [
    "ClusapiUnavailableError",
    "ClusterUpgradeError",
    "Phase",
    "PhaseEvent",
    "PhaseStream",
    "Simulator",
    "UpgradeResult",
    "UpgradeTimeoutError",
    "check",
    "phases",
    "upgrade",
]

__version__ = "0.1.0"
