"""Starting a process in a test: the one place that does it.

Under Wine, CreateProcess now and then fails with ERROR_INTERNAL_ERROR
(WinError 1359) when the machine is loaded: the new Wine process ended
before it finished its start-up, and nothing of the test had run in it yet
(docs/windows-under-wine.md, "WinError 1359").  start() and run() try such
a START again, a bounded number of times, and say so; anything else,
including any failure of a process that did start and every assertion,
goes to the test unchanged.

Plain Python with no pytest and no clusupgrade: tools/wine/launcher_checks.py
imports it by path too.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

RETRIED_WINERROR = 1359
"""ERROR_INTERNAL_ERROR: Wine's answer when the child died during start-up."""

ATTEMPTS = 4
"""At most this many starts of one process (so three retries)."""

BACKOFF = (0.5, 1.0, 2.0)
"""Seconds to wait before each retry: let the load that starved it pass."""

RETRIES: list[str] = []
"""One line per retry made in this process; conftest.py prints them at the
end of the run, so a green run still shows that Wine failed a start."""


def retried_failure(exc: BaseException) -> bool:
    """Whether `exc`, raised while STARTING a process, is the Wine failure
    that start() retries: an OSError carrying winerror 1359, nothing else."""
    return isinstance(exc, OSError) and getattr(exc, "winerror", None) == RETRIED_WINERROR


def start(
    args: Sequence[str],
    *,
    popen: Callable[..., subprocess.Popen[Any]] = subprocess.Popen,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> subprocess.Popen[Any]:
    """subprocess.Popen(args, **kwargs), started again (up to ATTEMPTS
    times) when the start fails with WinError 1359.  `popen` and `sleep`
    are for the helper's own test."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return popen(args, **kwargs)
        except OSError as exc:
            if not retried_failure(exc) or attempt == ATTEMPTS:
                raise
            line = (f"procstart: start {attempt} of {list(args)[:3]} failed with WinError "
                    f"{RETRIED_WINERROR} ({exc.strerror}); starting it again")
            RETRIES.append(line)
            print(line, file=sys.stderr, flush=True)
            sleep(BACKOFF[min(attempt, len(BACKOFF)) - 1])
    raise AssertionError("unreachable")  # the loop returns or raises


def run(
    args: Sequence[str],
    *,
    input: str | bytes | None = None,
    timeout: float | None = None,
    check: bool = False,
    capture_output: bool = False,
    popen: Callable[..., subprocess.Popen[Any]] = subprocess.Popen,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> subprocess.CompletedProcess[Any]:
    """subprocess.run(), with its start made by start().  Only the start
    is ever repeated: once the process exists, its outcome (a timeout, an
    exit code, any error) is the test's."""
    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    if capture_output:
        if "stdout" in kwargs or "stderr" in kwargs:
            raise ValueError("stdout and stderr arguments may not be used with capture_output.")
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    with start(args, popen=popen, sleep=sleep, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            # As subprocess.run: on Windows, collect what was written so far.
            if sys.platform == "win32":
                exc.stdout, exc.stderr = process.communicate()
            else:
                process.wait()
            raise
        except BaseException:
            process.kill()
            raise
        code = process.poll()
        assert code is not None
        if check and code:
            raise subprocess.CalledProcessError(code, process.args, output=stdout, stderr=stderr)
    return subprocess.CompletedProcess(process.args, code, stdout, stderr)
