"""Writing to stdout and stderr so that a failure stops the output only.

A broken pipe (``| head -1``), a closed stdout (``>&-``) or a full disk
(``> /dev/full``) is a failure of the observer: it must never reach the
loop that consumes the cluster's phases, because an exception there would
stop listening to the call and lose its outcome; nor may it change the exit
code, which is the outcome's.  So every write goes through a
:class:`Channel`: the first error marks the channel failed, says so once
(in the log, and on the other channel), and every later write is dropped.
The file descriptor is then pointed at the null device, because Python
flushes sys.stdout once more at exit and would raise there again.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TextIO

log = logging.getLogger("clusupgrade.cli")


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} (errno {exc.errno})" if exc.errno else exc.strerror
    return f"{type(exc).__name__}: {exc}"


def _silence(stream: TextIO | None) -> None:
    """Point `stream`'s descriptor at the null device, so that the flush at
    exit, and anything still buffered, goes nowhere instead of failing."""
    if stream is None:
        return
    try:
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):  # no descriptor, or closed already
        return
    try:
        os.dup2(devnull, fd)
    except OSError:
        pass
    finally:
        os.close(devnull)


class Channel:
    """stdout or stderr.  write() never raises an error of the stream."""

    def __init__(self, stream: TextIO | None, label: str) -> None:
        self._stream = stream
        self.label = label
        self.failure: str | None = None
        """Why the channel failed, None while it works."""
        self.on_failure: Callable[[Channel], None] | None = None
        if stream is not None:
            try:
                # A cluster name the console's code page cannot show is no
                # reason to stop the output.
                stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
            except (AttributeError, ValueError, OSError):
                pass

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def write(self, text: str) -> bool:
        """Write and flush `text`; False when the channel has failed."""
        if self.failure is not None:
            return False
        if self._stream is None:
            self.fail("it is closed")
            return False
        try:
            self._stream.write(text)
            self._stream.flush()
        except Exception as exc:  # OSError mostly; ValueError for a closed file
            self.fail(_why(exc))
            return False
        return True

    def flush(self) -> bool:
        """Flush what others wrote to the stream (argparse's --help); False
        when that fails.  A stream that was never there has nothing to flush."""
        return self._stream is None or self.write("")

    def fail(self, why: str) -> None:
        """Mark the channel failed (once) and stop writing to it."""
        if self.failure is not None:
            return
        self.failure = why
        _silence(self._stream)
        if self.on_failure is not None:
            self.on_failure(self)


class Console:
    """The command's two output channels, and what their failures mean."""

    def __init__(self, stdout: TextIO | None, stderr: TextIO | None) -> None:
        self.out = Channel(stdout, "stdout")
        self.err = Channel(stderr, "stderr")
        self.subject = "clusupgrade"
        """What the call is about ("cluster 'hv1'"), for log lines."""
        self.plain_stdout = True
        """stdout carries text for people (not --json)."""
        self.then = "The call goes on to its end; its outcome follows here and in the log."
        """What a failed stdout leaves to follow: info, which reads and makes
        no call, has nothing more to say."""
        self.other_failures: list[str] = []
        """Failures of other outputs: the log file, our own rendering code."""
        self.out.on_failure = self._failed
        self.err.on_failure = self._failed

    @property
    def failed(self) -> bool:
        return self.out.failed or self.err.failed or bool(self.other_failures)

    def failures(self) -> list[str]:
        found = [f"{c.label}: {c.failure}" for c in (self.out, self.err) if c.failure is not None]
        return found + self.other_failures

    def say(self, text: str) -> None:
        """A line for stdout."""
        self.out.write(text + "\n")

    def tell(self, text: str) -> None:
        """A line for stderr; once stderr has failed, for stdout when it
        carries text for people (`plain_stdout`), so that it is seen."""
        if not self.err.write(text + "\n") and self.plain_stdout:
            self.out.write(text + "\n")

    def output_broke(self, what: str, exc: BaseException) -> None:
        """Our own code failed while showing something: a failed output too,
        never a reason to leave the call."""
        self.other_failures.append(f"{what}: {_why(exc)}")
        log.error("%s: showing %s failed; output stops, the call goes on", self.subject, what, exc_info=exc)
        self.out.fail(f"showing {what} failed")

    def _failed(self, channel: Channel) -> None:
        log.warning(
            "%s: %s failed (%s); no more output there, the call goes on to its end",
            self.subject,
            channel.label,
            channel.failure,
        )
        if channel is self.out:
            then = f" {self.then}" if self.then else ""
            self.err.write(f"clusupgrade: stdout failed ({channel.failure}); no more output there.{then}\n")
