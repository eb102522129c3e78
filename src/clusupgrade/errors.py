"""The exceptions clusupgrade raises."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _winerror, remedies

if TYPE_CHECKING:
    from .phase import PhaseEvent


def describe(code: int, *, cluster: str | None = None) -> str:
    """One line for `code`: number, symbolic name, the system's text, and
    what to do (remedies.advice, naming `cluster` in its commands)."""
    from . import _clusupgrade

    entry = _winerror.CODES.get(code)
    text = _clusupgrade.format_message(code) if 0 <= code <= 0xFFFFFFFF else None
    if not text:
        text = entry.text if entry else "Unknown error."
    head = f"error {code}" + (f" ({entry.name})" if entry else "")
    parts = [f"{head}: {text.rstrip('.')}."]
    advice = remedies.advice(code, cluster=cluster)
    if advice:
        parts.append(advice)
    return " ".join(parts)


class ClusterUpgradeError(OSError):
    """A cluster call failed with the Win32 error code `winerror`.

    `cluster` names the cluster (None for the local one); `events` holds the
    phases that arrived before the failure.
    """

    winerror: int
    cluster: str | None
    events: tuple[PhaseEvent, ...]

    def __init__(
        self,
        winerror: int,
        message: str | None = None,
        *,
        cluster: str | None = None,
        events: tuple[PhaseEvent, ...] = (),
    ) -> None:
        if message is None:
            where = f"cluster {cluster!r}" if cluster else "the local cluster"
            message = f"{where}: {describe(winerror, cluster=cluster)}"
        super().__init__(message)
        self.winerror = winerror
        self.strerror = message
        self.cluster = cluster
        self.events = tuple(events)

    def __str__(self) -> str:
        return str(self.strerror)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.winerror, self.strerror, self.cluster, self.events),
        )


class ClusapiUnavailableError(ClusterUpgradeError):
    """clusapi.dll or its ClusterUpgradeFunctionalLevel export is missing,
    or the platform is not Windows."""


def _rebuild(
    cls: type[ClusterUpgradeError],
    winerror: int,
    message: str,
    cluster: str | None,
    events: tuple[PhaseEvent, ...],
) -> ClusterUpgradeError:
    return cls(winerror, message, cluster=cluster, events=events)


EXPORTS = (
    "OpenCluster",
    "CloseCluster",
    "ClusterUpgradeFunctionalLevel",
    "GetClusterInformation",
    "ClusterControl",
    "ClusterOpenEnum",
    "ClusterEnum",
    "ClusterCloseEnum",
    "OpenClusterNode",
    "GetClusterNodeState",
    "ClusterNodeControl",
    "CloseClusterNode",
)
"""The clusapi.dll exports, in the order of csrc/backend.h's enum cu_export."""


def unavailable(
    code: int, *, cluster: str | None, on_windows: bool, missing: int = -1
) -> ClusapiUnavailableError:
    """The error for a failed load of clusapi.dll; `missing` indexes
    EXPORTS when an export the call needs is absent."""
    name = _winerror.name_of(code)
    code_text = f"error {code}" + (f" {name}" if name else "")
    export = EXPORTS[missing] if 0 <= missing < len(EXPORTS) else "ClusterUpgradeFunctionalLevel"
    if not on_windows:
        why = "clusapi.dll exists only on Windows"
    elif code == 127:
        why = f"clusapi.dll has no {export} export ({code_text})"
    elif code == 126:
        why = f"clusapi.dll was not found in system32 ({code_text})"
    else:
        why = f"clusapi.dll could not be loaded: {describe(code, cluster=cluster)}"
    message = (
        f"{why}. Only the clusapi.dll of Windows Server 2016 and later can raise a cluster's "
        f"functional level (RSAT-Clustering on an older server does not add it): "
        f"{remedies.NEWER_WINDOWS}. To rehearse without a cluster, pass cluster=clusupgrade.Simulator()."
    )
    return ClusapiUnavailableError(code, message, cluster=cluster)

ERROR_TIMEOUT = 1460


class UpgradeTimeoutError(ClusterUpgradeError, TimeoutError):
    """The call did not finish within its timeout (winerror 1460,
    ERROR_TIMEOUT).  Later phases are answered FALSE; the cluster may still
    complete the upgrade."""

    def __init__(
        self,
        message: str,
        *,
        cluster: str | None = None,
        events: tuple[PhaseEvent, ...] = (),
    ) -> None:
        super().__init__(ERROR_TIMEOUT, message, cluster=cluster, events=events)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_timeout, (self.strerror, self.cluster, self.events))


def _rebuild_timeout(message: str, cluster: str | None, events: tuple[PhaseEvent, ...]) -> UpgradeTimeoutError:
    return UpgradeTimeoutError(message, cluster=cluster, events=events)
