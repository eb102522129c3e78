"""Running a piece of a test in a child of os.fork()."""

from __future__ import annotations

import os
import select
import signal
import warnings
from collections.abc import Callable

import pytest

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def in_forked_child(action: Callable[[], object], timeout: float = 10.0) -> str:
    """Run `action()` in a forked child; what it raised ("Type: message"),
    "no error", or "the child hung" after `timeout` seconds (then killed)."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        # 3.12+ warns about forking a process with threads: done on purpose.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        try:
            action()
            message = "no error"
        except BaseException as exc:  # everything is reported to the parent
            message = f"{type(exc).__name__}: {exc}"
        os.write(write, message.encode())
        os._exit(0)  # no atexit hooks, no pytest teardown in the child
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], timeout)
        return os.read(read, 4096).decode() if ready else "the child hung"
    finally:
        os.close(read)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
