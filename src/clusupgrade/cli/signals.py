"""Explicit requests to stop: Ctrl+C, SIGTERM, SIGHUP, Ctrl+Break.

Each raises :class:`Interrupted` (a KeyboardInterrupt) in the main thread,
exactly as Ctrl+C does, so a stream or a fleet that is being iterated leaves
its calls the one way the library knows: later phases are answered FALSE.

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
        for signum in self._previous:
            signal.signal(signum, self._note)

    def _raise(self, signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.late.append(signum)
