"""One call whose phases nobody watches (the reads of cluster_info(), the
check of preflight()), made on the native worker and waited for, as
upgrade() waits: in short waits (waiting.py), so that `timeout` and Ctrl+C
take effect while the native call is still blocked."""

from __future__ import annotations

import queue

from . import _clusupgrade
from .errors import UpgradeTimeoutError
from .phase import END_KIND
from .simulator import Simulator
from .waiting import next_record


def end_record(
    name: str | None,
    simulator: Simulator | None,
    *,
    kind: int,
    perform: bool,
    deadline: float | None,
    timeout: float | None,
) -> bytes:
    """The end record of a call of `kind` to cluster `name` (or
    `simulator`); raises UpgradeTimeoutError once `deadline`
    (time.monotonic()) has passed, `timeout` being what the caller asked
    for.  Leaving early (Ctrl+C) answers FALSE to any later phase."""
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    spec = None if simulator is None else simulator._spec(perform, query=kind == _clusupgrade.KIND_QUERY)
    call = _clusupgrade.Call(items, name, perform, spec, kind=kind)
    call.start()
    if simulator is not None:
        simulator._track(call.job, counted=False)
    try:
        while True:
            item = next_record(items, call, deadline)
            if item is None:
                where = f"cluster {name!r}" if name else "the local cluster"
                raise UpgradeTimeoutError(f"{where} did not answer within {timeout:g} s", cluster=name)
            if type(item) is bytes and item[0] == END_KIND:
                return item
    except BaseException:
        call.cancel()
        raise
