"""Native core of clusupgrade (csrc/)."""

import queue
from collections.abc import Callable
from typing import Final, final

STAGE_LOAD: Final[int]
STAGE_OPEN: Final[int]
STAGE_UPGRADE: Final[int]
CLUSAPI: Final[str]
""""clusapi.dll" where the real backend is compiled in, "none" elsewhere."""

SimulatorSpec = tuple[tuple[int, ...], int, int, int, int, bool]
"""(phases, delay_ns, status, fail_after or -1, open_error, native_thread)"""

@final
class Job:
    """One call as its cluster sees it; outlives the Call (Call.job)."""

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the native call has returned; False on timeout.
        Ctrl+C interrupts it.  In a forked child, a call that had not
        returned when the parent forked raises RuntimeError."""
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
        tag: object = ...,
        measure: bool = False,
    ) -> Call: ...
    def run(self) -> tuple[int, int]: ...
    def start(self) -> None: ...
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
def cluster_info(
    cluster: str | None, /
) -> tuple[int, int, tuple[str, int, int, int, int, int, int] | None]: ...
def closed() -> bool: ...
def _shutdown() -> None: ...
def stdin_is_terminal() -> bool: ...
def fork_generation() -> int:
    """0 in a process that fork() did not make, one more in each forked
    child than in its parent.

    A stream records it when it starts its call; reading another value later
    means the stream was inherited through fork() and the thread serving its
    call stayed in the parent, so no record or end will ever arrive.
    """

def start_relay(step: Callable[[], object], /) -> None:
    """Start a native thread that calls step() with the GIL until it returns
    a false value or raises (reported as unraisable), or the interpreter
    begins to exit.  step() must return within a fraction of a second:
    shutdown waits for it."""

def relays() -> int:
    """How many relays started in this process have not ended."""
