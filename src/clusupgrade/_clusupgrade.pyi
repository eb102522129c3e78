"""Native core of clusupgrade (csrc/)."""

import queue
from typing import Final, final

STAGE_LOAD: Final[int]
STAGE_OPEN: Final[int]
STAGE_UPGRADE: Final[int]
KIND_UPGRADE: Final[int]
KIND_QUERY: Final[int]
CLUSAPI: Final[str]
""""clusapi.dll" where the real backend is compiled in, "none" elsewhere."""

SimulatorSpec = tuple[tuple[int, ...], int, int, int, int, bool]
"""(phases, delay_ns, status, fail_after or -1, open_error, native_thread)"""

@final
class Job:
    """One call as its cluster sees it; outlives the Call (Call.job)."""

    def wait(self, timeout: float | None = None) -> bool: ...
    def answers(self) -> list[bool]: ...
    @property
    def finished(self) -> bool: ...

@final
class Call:
    def __new__(
        cls,
        queue: queue.SimpleQueue[object],
        cluster: str | None = None,
        perform: bool = True,
        simulator: SimulatorSpec | None = None,
        after: Job | None = None,
        tag: int = 0,
        measure: bool = False,
        kind: int = ...,
    ) -> Call: ...
    def run(self) -> bytes: ...
    def start(self) -> None: ...
    def end(self) -> bytes | None: ...
    @property
    def job(self) -> Job: ...
    @property
    def caller_thread(self) -> int: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def lost(self) -> bool: ...
    @property
    def gil_held_ns(self) -> int: ...

def format_message(code: int, /) -> str | None: ...
def closed() -> bool: ...
def _shutdown() -> None: ...
def stdin_is_terminal() -> bool: ...
