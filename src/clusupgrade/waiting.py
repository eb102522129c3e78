"""Waiting for a call's next record, the one loop every consumer uses.

The native side puts each record into the call's queue.SimpleQueue; the
consumer waits at most POLL_SECONDS at a time, so that Ctrl+C (which
Windows does not let interrupt a lock wait) and deadlines take effect while
the native call is still blocked.  A consumer never waits for ever: if the
call has finished but its end record never arrived (it could not be
delivered), the record is read from the Call itself.
"""

from __future__ import annotations

import queue
import time
from typing import Final

from . import _clusupgrade

POLL_SECONDS: Final = 0.2
"""Longest single wait: Windows does not interrupt a lock wait on Ctrl+C."""


def next_record(
    items: queue.SimpleQueue[object], call: _clusupgrade.Call, deadline: float | None
) -> object | None:
    """The next item of `items`; None once `deadline` (time.monotonic())
    has passed with nothing to take."""
    while True:
        wait = POLL_SECONDS
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - time.monotonic()))
        try:
            return items.get(timeout=wait)
        except queue.Empty:
            pass
        end = call.end()
        if end is not None:
            # Every phase record was put before the call returned; take any
            # still queued first.  A late delivered end record is ignored by
            # a consumer that has already finished.
            try:
                return items.get_nowait()
            except queue.Empty:
                return end
        if deadline is not None and time.monotonic() >= deadline:
            return None
