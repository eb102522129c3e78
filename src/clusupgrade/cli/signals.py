"""Explicit requests to stop: Ctrl+C, SIGTERM, SIGHUP, Ctrl+Break.

Each raises :class:`Interrupted` (a KeyboardInterrupt) in the main thread,
exactly as Ctrl+C does, so a stream or a fleet that is being iterated stops
listening to its calls: the library answers every later phase TRUE, and the
call goes on.  The command line never aborts a raise.

While a raise runs the command is *patient*: the first Ctrl+C only says
that a raise is under way and cannot be undone, and that a second Ctrl+C
stops waiting; SIGTERM, SIGHUP and Ctrl+Break stop waiting at once.

A signal that was ignored when the command started stays ignored: under
``nohup`` SIGHUP must not stop an upgrade, and a background job's SIGINT is
ignored by its shell on purpose.

Windows: Ctrl+C arrives as SIGINT and Ctrl+Break as SIGBREAK.  The C
runtime turns every other console event (closing the window, logoff,
shutdown) into SIGBREAK as well, but Windows ends the process as soon as
the runtime's handler returns, so for those nothing can be promised: the
cluster's call goes on without anyone listening.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def signal_of(exc: KeyboardInterrupt) -> int:
    """The signal behind `exc`: a plain KeyboardInterrupt is Ctrl+C."""
    return exc.signum if isinstance(exc, Interrupted) else int(signal.SIGINT)


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class StopSignals:
    """While entered, every stop signal raises :class:`Interrupted`; on
    exit the previous handlers come back.  Outside the main thread (an
    embedding application calling main()) nothing is installed."""

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self.late: list[int] = []
        """Signals that arrived after quiet()."""
        self._patient: Callable[[], None] | None = None
        self.warned = False
        """A first Ctrl+C arrived while patient."""

    def __enter__(self) -> StopSignals:
        for signum in STOP_SIGNALS:
            try:
                previous = signal.getsignal(signum)
                if previous == signal.SIG_IGN:
                    continue
                signal.signal(signum, self._raise)
            except (ValueError, OSError):
                continue  # not the main thread, or a signal this platform refuses
            self._previous[signum] = previous
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()

    def quiet(self) -> None:
        """From now on a stop signal is only noted: the command is already
        stopping and must finish saying what happened."""
        self._patient = None
        for signum in self._previous:
            signal.signal(signum, self._note)

    def loud(self) -> None:
        """Stop signals stop again (after quiet())."""
        for signum in self._previous:
            signal.signal(signum, self._raise)

    def patient(self, first_ctrl_c: Callable[[], None]) -> None:
        """From now on (a raise is under way) the first Ctrl+C calls
        `first_ctrl_c` instead of stopping; the next one stops."""
        self.loud()
        self._patient = first_ctrl_c
        self.warned = False

    def impatient(self) -> None:
        """Every stop signal stops at once again."""
        self._patient = None

    def _raise(self, signum: int, frame: FrameType | None) -> None:
        patient = self._patient
        if patient is not None and signum == signal.SIGINT and not self.warned:
            self.warned = True
            patient()
            return
        raise Interrupted(signum)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.late.append(signum)
