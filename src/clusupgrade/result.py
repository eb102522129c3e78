"""What a finished call returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._winerror import ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
from .phase import Phase, PhaseEvent


@dataclass(frozen=True)
class UpgradeResult:
    """The outcome of a call that succeeded."""

    cluster: str | None
    """The cluster's name; None for the local cluster."""
    performed: bool
    """True for an upgrade, False for a check (perform=False)."""
    events: tuple[PhaseEvent, ...]
    """Every phase the cluster reported, in order."""
    duration: float
    """Seconds the call took."""
    status: int
    """0, or 5975 (ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED): the level was
    raised, and the cluster must be restarted (Stop-Cluster, then
    Start-Cluster) for every new feature."""
    level_before: int | None = None
    """ClusterFunctionalLevel read just before the call; None when the
    cluster did not report it."""
    level_after: int | None = None
    """ClusterFunctionalLevel read just after an upgrade; None for a check
    or when the cluster did not report it."""

    complete: bool = field(init=False)
    """True when the cluster reported UPGRADE_COMPLETE."""
    raised: bool = field(init=False)
    """True when both levels are known and the level moved up while the
    call ran.  A status of 0 alone does not tell a raise from "nothing to
    raise".  On a real cluster, a raise made while another raise of the same
    cluster runs elsewhere reads its level before the server makes it wait,
    so it can report the other's raise as its own (docs/sources.md)."""

    def __post_init__(self) -> None:
        seen = any(event.phase == Phase.UPGRADE_COMPLETE for event in self.events)
        before, after = self.level_before, self.level_after
        # A frozen dataclass sets its derived fields this way.
        object.__setattr__(self, "complete", seen)
        object.__setattr__(self, "raised", before is not None and after is not None and after > before)

    @property
    def restart_required(self) -> bool:
        """True for status 5975."""
        return self.status == ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
