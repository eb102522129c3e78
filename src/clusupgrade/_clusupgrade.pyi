"""Native core of clusupgrade (csrc/)."""

import queue
from typing import Final

STAGE_LOAD: Final[int]
STAGE_OPEN: Final[int]
STAGE_UPGRADE: Final[int]
CLUSAPI: Final[str]
""""clusapi.dll" where the real backend is compiled in, "none" elsewhere."""

SimulatorSpec = tuple[tuple[int, ...], int, int, int, int, bool]
"""(phases, delay_ns, status, fail_after or -1, open_error, native_thread)"""

class Call:
    def __new__(
        cls,
        queue: queue.SimpleQueue[object],
        cluster: str | None = None,
        perform: bool = True,
        simulator: SimulatorSpec | None = None,
    ) -> Call: ...
    def run(self) -> tuple[int, int]: ...
    def cancel(self) -> None: ...
    def answers(self) -> list[bool]: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def lost(self) -> bool: ...

def format_message(code: int, /) -> str | None: ...
def closed() -> bool: ...
def _shutdown() -> None: ...
