"""What a user passes as `cluster`: None (the local cluster), a name, or a
Simulator."""

from __future__ import annotations

from . import _validate
from .simulator import Simulator

Target = str | Simulator | None


def resolve(cluster: object) -> tuple[str | None, Simulator | None]:
    """(name, simulator) for what a user passed as `cluster`."""
    if cluster is None:
        return None, None
    if isinstance(cluster, Simulator):
        return cluster.name, cluster
    if not isinstance(cluster, str):
        raise TypeError(f"cluster must be None, a str or a Simulator, not {type(cluster).__name__}")
    return _validate.cluster_name(cluster), None
