"""A simulated cluster, for tests and rehearsals without Windows."""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from . import _clusupgrade, _validate

if TYPE_CHECKING:
    from .info import ClusterInfo

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
MAX_DELAY = 86400.0
"""A day per phase; anything longer is a mistake."""

CallbackThread = Literal["native", "caller"]


def _phases(value: object, what: str) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be an iterable of ints, not {type(value).__name__}")
    return tuple(_validate.integer(p, f"every value in {what}", INT32_MIN, INT32_MAX) for p in value)


def _delay(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"delay must be a number of seconds, not {type(value).__name__}")
    seconds = float(value)
    if math.isnan(seconds) or not 0 <= seconds <= MAX_DELAY:
        raise ValueError(f"delay must be from 0 to {MAX_DELAY:g} seconds, got {value!r}")
    return seconds


class Simulator:
    """A cluster that plays a script of phases through the native trampoline.

    Pass it as ``cluster`` to :func:`clusupgrade.upgrade`,
    :func:`clusupgrade.phases` or :func:`clusupgrade.check`.

    - ``phases``: what an upgrade (perform=True) reports, in order; any
      32-bit signed values, unknown ones included.
    - ``check_phases``: what a check (perform=False) reports.
    - ``delay``: seconds between two phases.
    - ``status``: the Win32 code the call returns at the end (0 success,
      5975 success that needs a restart, anything else a failure).
    - ``fail_after``: stop after this many phases and return ``status``, or
      5977 (ERROR_CLUSTER_UPGRADE_INCOMPLETE) when ``status`` is 0.
    - ``open_error``: opening the cluster fails with this code (1722: the
      cluster cannot be reached, 5: access denied).
    - ``callback_thread``: ``"native"`` calls back on a thread of the
      simulator's own, as a cluster service thread would; ``"caller"`` on
      the thread that made the call.
    - ``name``: what events and errors call the cluster.
    - ``functional_level``, ``os_version``, ``mixed_mode``: what
      :func:`cluster_info` reports.  The defaults describe a cluster in the
      middle of a rolling upgrade to Windows Server 2025: level 10 (2019),
      nodes of two versions.  A simulated upgrade that succeeds while
      watched raises the level by one and ends mixed mode.

    Like a real cluster, a simulator runs one upgrade at a time: a second
    call waits until the first has returned.  A FALSE answer stops the
    script with ERROR_CANCELLED (1223).
    """

    def __init__(
        self,
        phases: Iterable[int] = (1, 2, 3, 4, 5),
        *,
        delay: float = 0.0,
        status: int = 0,
        fail_after: int | None = None,
        callback_thread: CallbackThread = "native",
        name: str = "simulated",
        check_phases: Iterable[int] = (1, 2),
        open_error: int = 0,
        functional_level: int = 10,
        os_version: tuple[int, int, int] = (10, 0, 26100),
        mixed_mode: bool = True,
    ) -> None:
        self.phases = _phases(phases, "phases")
        self.check_phases = _phases(check_phases, "check_phases")
        self.delay = _delay(delay)
        self.status = _validate.win32_code(status, "status")
        self.open_error = _validate.win32_code(open_error, "open_error")
        if fail_after is not None:
            fail_after = _validate.integer(fail_after, "fail_after", 0, len(self.phases))
        self.fail_after = fail_after
        if callback_thread not in ("native", "caller"):
            raise ValueError(f"callback_thread must be 'native' or 'caller', not {callback_thread!r}")
        self.callback_thread: CallbackThread = callback_thread
        self.name = _validate.cluster_name(name, "simulator name")
        self.functional_level = _validate.integer(functional_level, "functional_level", 1, 0xFFFF)
        if not (isinstance(os_version, tuple) and len(os_version) == 3):
            raise TypeError("os_version must be a (major, minor, build) tuple")
        self.os_version = tuple(_validate.integer(v, "os_version parts", 0, 0xFFFF) for v in os_version)
        self.mixed_mode = _validate.flag(mixed_mode, "mixed_mode")
        self._lock = threading.Lock()
        # The jobs of the calls started on this simulator, oldest first: the
        # newest finished one and every one not finished yet.  Each waits
        # natively for the one before it, so they finish in this order.
        # Jobs, not Calls: a caller that drops its Call leaves the call.
        self._jobs: list[_clusupgrade.Job] = []
        self._forgotten = 0

    def __repr__(self) -> str:
        return (
            f"Simulator(phases={self.phases!r}, delay={self.delay!r}, status={self.status!r}, "
            f"fail_after={self.fail_after!r}, callback_thread={self.callback_thread!r}, "
            f"name={self.name!r})"
        )

    @property
    def answers(self) -> list[bool]:
        """What the trampoline answered each callback of the last finished call."""
        with self._lock:
            for job in reversed(self._jobs):
                if job.finished:
                    return job.answers()
        return []

    @property
    def runs(self) -> int:
        """How many calls have finished on this simulator."""
        with self._lock:
            return self._forgotten + sum(1 for job in self._jobs if job.finished)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no call runs on this simulator; False on timeout.

        A cancelled or abandoned call goes on natively until its script ends,
        as it would on a cluster: this is how to wait for that.
        """
        seconds = _validate.timeout(timeout)
        with self._lock:
            last = self._jobs[-1] if self._jobs else None
        if last is None:
            return True
        deadline = None if seconds is None else time.monotonic() + seconds
        # In short waits, so that Ctrl+C gets through on Windows too.
        while True:
            step = 0.2 if deadline is None else min(0.2, max(0.0, deadline - time.monotonic()))
            if last.wait(step):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def info(self) -> ClusterInfo:
        """What cluster_info() reports for this simulated cluster."""
        from .info import ClusterInfo

        level = self.functional_level
        return ClusterInfo(
            name=self.name,
            os_version=self.os_version,  # type: ignore[arg-type]
            highest_version=(level + 1 if self.mixed_mode else level, 0),
            lowest_version=(level, 0),
            mixed_mode=self.mixed_mode,
        )

    def _upgraded(self) -> None:
        """A watched upgrade succeeded: the cluster moved up one level."""
        with self._lock:
            self.functional_level += 1
            self.mixed_mode = False

    def _spec(self, perform: bool) -> tuple[tuple[int, ...], int, int, int, int, bool]:
        """The script the native Call takes for one call."""
        phases = self.phases if perform else self.check_phases
        fail_after = -1 if self.fail_after is None else min(self.fail_after, len(phases))
        return (
            phases,
            round(self.delay * 1e9),
            self.status,
            fail_after,
            self.open_error,
            self.callback_thread == "native",
        )

    def _start(self, make: Callable[[_clusupgrade.Job | None], _clusupgrade.Call]) -> _clusupgrade.Call:
        """Make and start a call that runs after every earlier one."""
        with self._lock:
            call = make(self._jobs[-1] if self._jobs else None)
            call.start()
            self._jobs.append(call.job)
            finished = 0
            while finished < len(self._jobs) and self._jobs[finished].finished:
                finished += 1
            if finished > 1:
                self._forgotten += finished - 1
                del self._jobs[: finished - 1]
        return call
