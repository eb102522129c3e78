"""One call whose phases nobody watches (the reads of cluster_info(), the
check of preflight()), made on the native worker and waited for, as
upgrade() waits: in short waits (waiting.py), so that `timeout` and Ctrl+C
take effect while the native call is still blocked."""

from __future__ import annotations

import queue

from . import _clusupgrade
from .errors import UpgradeTimeoutError
from .outcome import where
from .phase import END_KIND
from .simulator import Simulator
from .stream import launch, start_error
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
    for, and ClusterUpgradeError when the call's thread cannot start.
    Leaving early (Ctrl+C) only stops listening: later phases are answered
    TRUE."""
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    try:
        spec = None if simulator is None else simulator._spec(
            perform, query=kind == _clusupgrade.KIND_QUERY, deadline=deadline
        )
    except TimeoutError as err:  # an estate's cluster still busy with another call
        raise UpgradeTimeoutError(f"{where(name)} did not answer within {timeout:g} s", cluster=name) from err
    # Owned before it starts, so that whatever leaves below detaches it.
    call = _clusupgrade.Call(items, name, perform, spec, kind=kind)
    try:
        try:
            launch(simulator, call, counted=False)
        except OSError as err:
            raise start_error(err, name) from err
        while True:
            item = next_record(items, call, deadline)
            if item is None:
                raise UpgradeTimeoutError(f"{where(name)} did not answer within {timeout:g} s", cluster=name)
            if type(item) is bytes and item[0] == END_KIND:
                return item
    except BaseException:
        call.detach()
        raise
