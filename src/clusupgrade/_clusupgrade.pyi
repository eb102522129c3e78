"""Native core of clusupgrade (csrc/)."""

import queue
from collections.abc import Callable
from typing import Final, final

STAGE_LOAD: Final[int]
STAGE_OPEN: Final[int]
STAGE_UPGRADE: Final[int]
KIND_UPGRADE: Final[int]
KIND_QUERY: Final[int]
CLUSAPI: Final[str]
""""clusapi.dll" where the real backend is compiled in, "none" elsewhere."""

SimulatorSpec = (
    tuple[tuple[int, ...], int, int | None, int, int, bool]
    | tuple[tuple[int, ...], int, int | None, int, int, bool, SimModel | None]
)
"""(phases, delay_ns, status or None, fail_after or -1, open_error,
native_thread[, model]): without a status the model decides."""

NodeSpec = tuple[bytes, int, int, int, int, int, int]
"""(name UTF-16-LE, state, major, minor, build, highest, lowest)"""

@final
class SimModel:
    """A simulated cluster's state, decided on natively (csrc/sim_model.c)."""

    def __new__(
        cls,
        name: bytes,
        level: int,
        upgrade_version: int,
        in_progress: bool,
        nodes: tuple[NodeSpec, ...],
        leaves_in_progress: bool = False,
    ) -> SimModel: ...
    def check(self) -> None: ...
    @staticmethod
    def live() -> int: ...
    @property
    def running(self) -> int: ...
    @property
    def refs(self) -> int: ...

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
    @property
    def started(self) -> bool: ...

@final
class Call:
    def __new__(
        cls,
        queue: queue.SimpleQueue[object],
        cluster: str | None = None,
        perform: bool = True,
        simulator: SimulatorSpec | None = None,
        tag: int = 0,
        measure: bool = False,
        kind: int = ...,
    ) -> Call: ...
    def run(self) -> bytes: ...
    def start(self) -> bool:
        """Start the call on a native thread; False, and nothing sent,
        for a Call detached or aborted before it started."""
    def end(self) -> bytes | None: ...
    @property
    def job(self) -> Job: ...
    @property
    def caller_thread(self) -> int: ...
    def abort(self) -> None:
        """Answer FALSE to every later callback: asks the cluster to stop
        at its next phase; what it does then is not documented."""
    def detach(self) -> None:
        """Forward nothing more and answer TRUE to every later callback."""
    @property
    def aborted(self) -> bool: ...
    @property
    def detached(self) -> bool: ...
    @property
    def started(self) -> bool: ...
    @property
    def lost(self) -> bool: ...
    @property
    def gil_held_ns(self) -> int: ...

def format_message(code: int, /) -> str | None: ...
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
