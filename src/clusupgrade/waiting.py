"""Waiting for a call's next record, the one loop every consumer uses.

The native side puts each record into the call's queue.SimpleQueue; the
consumer waits at most POLL_SECONDS at a time, so that Ctrl+C (which
Windows does not let interrupt a lock wait) and deadlines take effect while
the native call is still blocked.  The deadline is checked before every
record, not only when the queue is empty, so a flood of phases cannot hold
it off.  A consumer never waits for ever: if the call has finished but its
end record never arrived (it could not be delivered), the record is read
from the Call itself; and a call inherited by a forked child, whose native
thread stayed in the parent, fails instead of being waited for.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable
from typing import Final

from . import _clusupgrade

POLL_SECONDS: Final = 0.2
"""Longest single wait: Windows does not interrupt a lock wait on Ctrl+C."""

fork_generation: Final[Callable[[], int]] = _clusupgrade.fork_generation
"""A number that is different in a forked child: the native module counts
forks in its pthread_atfork child handler (csrc/fork.c), which runs for
forks made from C too."""


def inherited() -> RuntimeError:
    """The error for waiting, in a forked child, on a call the parent started."""
    return RuntimeError(
        f"this call was started before os.fork(), and process {os.getpid()} is the forked "
        "child: the call's native thread runs only in the parent, so its end can never "
        "arrive here; start a new call in this process"
    )


def check_fork(born: int | None) -> None:
    """Raise inherited() when a call started in generation `born` is waited
    for in another one (None: not checked)."""
    if born is not None and fork_generation() != born:
        raise inherited()


def undelivered(items: queue.SimpleQueue[object], call: _clusupgrade.Call) -> object | None:
    """After an idle wait: the next item of a call that has finished, its end
    record read from the Call itself when it never reached the queue; None
    while the call runs.  Every phase record was put before the call
    returned, so any still queued comes first; a late delivered end record
    is ignored by a consumer that has already finished."""
    end = call.end()
    if end is None:
        return None
    try:
        return items.get_nowait()
    except queue.Empty:
        return end


def next_record(
    items: queue.SimpleQueue[object],
    call: _clusupgrade.Call,
    deadline: float | None,
    born: int | None = None,
) -> object | None:
    """The next item of `items`; None once `deadline` (time.monotonic())
    has passed while the call still runs.  `born` is fork_generation() at
    the call's start: waiting in a forked child raises inherited().

    A call that has finished wins over its deadline: its records are all
    queued (or its end is on the Call), so they are delivered.
    """
    while True:
        if deadline is None:
            wait = POLL_SECONDS
        else:
            # One clock read per record: the wait and the deadline check.
            wait = deadline - time.monotonic()
            if wait <= 0.0:
                if call.end() is None:
                    check_fork(born)
                    return None
                wait = 0.0
            elif wait > POLL_SECONDS:
                wait = POLL_SECONDS
        try:
            return items.get(True, wait)
        except queue.Empty:
            pass
        item = undelivered(items, call)
        if item is not None:
            return item
        check_fork(born)
