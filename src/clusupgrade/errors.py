"""The exceptions clusupgrade raises."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Protocol

from . import _winerror, remedies

if TYPE_CHECKING:
    from .phase import PhaseEvent
    from .result import UpgradeResult


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
ERROR_CANCELLED = 1223

STATE_UNKNOWN: Final = "the call goes on; the cluster's state is unknown until read again"
"""What every way of stopping to listen says (a note, or part of a message)."""


class Pending(Protocol):
    """What errors know of a pending call (pending.PendingCall), without
    importing it: it concludes calls, and so imports this module."""

    @property
    def cluster(self) -> str | None: ...
    @property
    def done(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> UpgradeResult | None: ...


class ListeningStoppedError(ClusterUpgradeError):
    """clusupgrade stopped listening to a call that was still running
    (winerror 1223, ERROR_CANCELLED): Ctrl+C, leaving a fleet early, a
    timeout.  Every later phase is answered TRUE: the call goes on, and the
    cluster's state is unknown until read again.  :attr:`pending` is the
    call still running in this process (a :class:`PendingCall`), to wait
    for its outcome (None where there is none to wait for, e.g. after
    pickling)."""

    pending: Pending | None

    def __init__(
        self,
        message: str,
        *,
        cluster: str | None = None,
        events: tuple[PhaseEvent, ...] = (),
        pending: Pending | None = None,
        winerror: int = ERROR_CANCELLED,
    ) -> None:
        super().__init__(winerror, message, cluster=cluster, events=events)
        self.pending = pending

    def __reduce__(self) -> tuple[Any, ...]:
        # A pending call belongs to this process: it does not travel.
        return (_rebuild_stopped, (type(self), self.strerror, self.cluster, self.events))


class UpgradeTimeoutError(ListeningStoppedError, TimeoutError):
    """The call did not finish within its timeout (winerror 1460,
    ERROR_TIMEOUT).  clusupgrade stopped listening; later phases are
    answered TRUE, the call goes on, and the cluster's state is unknown
    until read again (:attr:`pending` waits for it)."""

    def __init__(
        self,
        message: str,
        *,
        cluster: str | None = None,
        events: tuple[PhaseEvent, ...] = (),
        pending: Pending | None = None,
    ) -> None:
        super().__init__(message, cluster=cluster, events=events, pending=pending, winerror=ERROR_TIMEOUT)


def _rebuild_stopped(
    cls: type[ListeningStoppedError], message: str, cluster: str | None, events: tuple[PhaseEvent, ...]
) -> ListeningStoppedError:
    return cls(message, cluster=cluster, events=events)
