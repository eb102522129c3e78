"""--verbose and --log-file: the clusupgrade logger on stderr, in a file.

A handler that fails (stderr gone, the log file's disk full) marks the
output failed, like stdout; it never raises into the code that logged,
which may be the loop that consumes the cluster's phases.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .output import Channel, Console

FORMAT = "%(asctime)s %(levelname)s %(message)s"
LOGGER = "clusupgrade"


class ChannelHandler(logging.Handler):
    """Log records to a :class:`Channel` (stderr)."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(logging.INFO)
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:
            text = f"{record.levelname} {record.msg!r} (could not format: {record.args!r})"
        self._channel.write(text + "\n")


class TranscriptHandler(logging.FileHandler):
    """--log-file: a transcript to attach to a change ticket."""

    def __init__(self, path: Path, console: Console) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.setLevel(logging.INFO)
        self._console = console
        self.failure: str | None = None

    def handleError(self, record: logging.LogRecord | None) -> None:
        if self.failure is None:
            self.failure = "the log file could not be written"
            self._console.other_failures.append(f"--log-file {self.baseFilename}: {self.failure}")
            self._console.tell(f"clusupgrade: --log-file {self.baseFilename}: {self.failure}; the call goes on")

    def close(self) -> None:
        try:
            super().close()
        except (OSError, ValueError):  # the last flush
            self.handleError(None)


class Logging:
    """The handlers the command adds to the clusupgrade logger, for one run."""

    def __init__(self, console: Console, *, verbose: bool, log_file: Path | None) -> None:
        """Raises OSError when the log file cannot be opened."""
        self._logger = logging.getLogger(LOGGER)
        self._handlers: list[logging.Handler] = []
        self._level = self._logger.level
        if log_file is not None:
            self._handlers.append(TranscriptHandler(log_file, console))
        if verbose:
            self._handlers.append(ChannelHandler(console.err))
        formatter = logging.Formatter(FORMAT)
        for handler in self._handlers:
            handler.setFormatter(formatter)
            self._logger.addHandler(handler)
        if self._handlers:
            self._logger.setLevel(logging.INFO)

    def close(self) -> None:
        for handler in self._handlers:
            self._logger.removeHandler(handler)
            handler.close()
        self._logger.setLevel(self._level)
