"""A simulated cluster, for tests and rehearsals without Windows.

The cluster itself is a model in C (csrc/sim_model.c): nodes with states
and versions, a functional level, the persistent "upgrade in progress"
flag, and one upgrade or check at a time.  Every call to it, upgrade,
check or query, goes through the same native trampoline and payload as a
call to clusapi.dll, and the model decides it natively; the script of
phases and faults given here overrides it for rehearsing failures.

What comes from MS-CMRP and what is the simulator's own choice (where
Microsoft documents nothing) is listed in docs/sources.md:

- MS-CMRP: a second upgrade or check waits for the one under way and then
  decides on the new state (3.1.4.3.7.18); 5973 when only some nodes
  support the next level; success with nothing to do when none does; a
  raise moves the level by exactly one; the persistent in-progress flag
  (3.1.1.12) is set while a raise runs.
- The simulator's choices: 5976 only from that flag; 5050 / 5070 / 5072
  for a down / paused / joining node (a real cluster's code for them is
  documented nowhere); the upgrade version each Windows Server build
  reports (UPGRADE_VERSION_OF_BUILD); ClusterUpgradeVersion reported in
  the read-write common properties.
"""

from __future__ import annotations

import math
import numbers
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

from . import _clusupgrade, _validate, estatefile, estatetie
from .nodes import NodeState, to_state

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
MAX_DELAY = 86400.0
"""A day per phase; anything longer is a mistake."""
MAX_NODES: Final = 64
"""The most nodes a failover cluster can have."""
MAX_LEVEL: Final = 0xFFFF
"""A level is the major word of a version DWORD."""

LEVEL_OF_BUILD: Final = {14393: 9, 17763: 10, 20348: 11, 26100: 12}
"""The highest functional level each Windows Server build supports: 2016,
2019, 2022, 2025 (Microsoft's Cluster OS Rolling Upgrade article, 2025
revision)."""

UPGRADE_VERSION_OF_BUILD: Final = {14393: 3, 17763: 3, 20348: 4, 26100: 5}
"""The upgrade version (the low word of NodeHighestVersion) a node of each
build reports: THE SIMULATOR'S CHOICE, since the sources disagree.

- 14393 (2016) -> 9.3: MS-CMRP 2.2.3.3's first example of the new scheme,
  0x00090003.
- 17763 (2019) -> 10.3: the SDK's RS5_UPGRADE_VERSION = 3 (RS5 is 17763).
- 20348 (2022) -> 11.4: the SDK's FE_UPGRADE_VERSION = 4 (Fe is 20348).
- 26100 (2025) -> 12.5: the SDK's GA_UPGRADE_VERSION = 5.  MS-CMRP
  2.2.3.3's examples end at 0x000c0004 (12.4), and 12.6 (0x000c0006) is
  reported too: the sources disagree, and a real node may show another.

Microsoft's CLUSTER_GET_UPGRADE_VERSION page: since Windows Server 2016
the low word is the upgrade version ("Minor version has been renamed to
upgrade version"), never the OS build."""
DEFAULT_OS: Final = (10, 0, 26100)
"""Windows Server 2025."""
DEFAULT_LEVEL: Final = 11
"""With nodes on Windows Server 2025 (highest level 12): ready to raise."""

SCENARIOS: Final = ("ready", "nothing-to-do", "node-down", "node-paused", "not-upgraded", "in-progress")
"""The named clusters Simulator.scenario() builds."""

CallbackThread = Literal["native", "caller"]


def _phases(value: object, what: str) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be an iterable of ints, not {type(value).__name__}")
    return tuple(_validate.integer(p, f"every value in {what}", INT32_MIN, INT32_MAX) for p in value)


def _delay(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"delay must be a number of seconds, not {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:  # an int beyond any float: far more than a day
        raise ValueError(f"delay must be from 0 to {MAX_DELAY:g} seconds, got {value!r}") from None
    if math.isnan(seconds) or not 0 <= seconds <= MAX_DELAY:
        raise ValueError(f"delay must be from 0 to {MAX_DELAY:g} seconds, got {value!r}")
    return seconds


def _os_version(value: object, what: str) -> tuple[int, int, int]:
    if not (isinstance(value, tuple) and len(value) == 3):
        raise TypeError(f"{what} must be a (major, minor, build) tuple")
    major, minor, build = (_validate.integer(v, f"{what} parts", 0, 0xFFFF) for v in value)
    return (major, minor, build)


def _state(value: object, what: str) -> NodeState | int:
    return to_state(_validate.integer(value, what, INT32_MIN, INT32_MAX))


def _upgrade_of_level(level: int) -> int:
    """The upgrade version the release that introduced `level` reports, or 0."""
    builds = [build for build, at in LEVEL_OF_BUILD.items() if at == level]
    return UPGRADE_VERSION_OF_BUILD[builds[0]] if builds else 0


@dataclass(frozen=True)
class SimNode:
    """One node of a simulated cluster.

    `os_version` is the Windows it runs (MajorVersion, MinorVersion,
    BuildNumber).  `highest_level` is the highest functional level the node
    supports; by default the one its Windows Server build is known for
    (LEVEL_OF_BUILD).  `lowest_level` defaults to one below it: a node joins
    a cluster one level down during a rolling upgrade.  `upgrade_version` is
    the low word of its NodeHighestVersion, by default the simulator's
    choice for its build (UPGRADE_VERSION_OF_BUILD, else 0); set
    HCI_UPGRADE_BIT (0x8000) in it to rehearse an Azure Stack HCI node.
    NodeHighestVersion is (highest_level << 16) | upgrade_version;
    NodeLowestVersion is (lowest_level << 16) | the upgrade version of the
    release that introduced lowest_level.
    """

    name: str
    state: NodeState | int = NodeState.UP
    os_version: tuple[int, int, int] = DEFAULT_OS
    highest_level: int | None = None
    lowest_level: int | None = None
    upgrade_version: int | None = None

    def __post_init__(self) -> None:
        # A frozen dataclass sets its checked fields this way.
        set_ = object.__setattr__
        set_(self, "name", _validate.cluster_name(self.name, "node name"))
        set_(self, "state", _state(self.state, f"state of node {self.name}"))
        set_(self, "os_version", _os_version(self.os_version, f"os_version of node {self.name}"))
        highest = self.highest_level
        if highest is None:
            highest = LEVEL_OF_BUILD.get(self.os_version[2])
            if highest is None:
                raise ValueError(
                    f"node {self.name} runs build {self.os_version[2]}, whose functional level is not "
                    f"known here ({sorted(LEVEL_OF_BUILD)}): give its highest_level"
                )
        highest = _validate.integer(highest, f"highest_level of node {self.name}", 1, MAX_LEVEL)
        lowest = highest - 1 if self.lowest_level is None else self.lowest_level
        lowest = _validate.integer(lowest, f"lowest_level of node {self.name}", 0, highest)
        set_(self, "highest_level", highest)
        set_(self, "lowest_level", lowest)
        upgrade = self.upgrade_version
        if upgrade is None:
            upgrade = UPGRADE_VERSION_OF_BUILD.get(self.os_version[2], 0)
        set_(self, "upgrade_version", _validate.integer(upgrade, f"upgrade_version of node {self.name}", 0, 0xFFFF))

    def _native(self) -> tuple[bytes, int, int, int, int, int, int]:
        """What SimModel takes for this node."""
        assert self.highest_level is not None and self.lowest_level is not None
        assert self.upgrade_version is not None
        major, minor, build = self.os_version
        return (
            self.name.encode("utf-16-le"),
            int(self.state),
            major,
            minor,
            build,
            (self.highest_level << 16) | self.upgrade_version,
            (self.lowest_level << 16) | _upgrade_of_level(self.lowest_level),
        )


def _default_nodes(os_version: tuple[int, int, int]) -> tuple[SimNode, ...]:
    return tuple(SimNode(f"HV{i}", os_version=os_version) for i in (1, 2, 3))


def _nodes(value: object) -> tuple[SimNode, ...]:
    if isinstance(value, (str, bytes, SimNode)) or not isinstance(value, Iterable):
        raise TypeError(f"nodes must be an iterable of SimNode, not {type(value).__name__}")
    nodes = tuple(value)
    for node in nodes:
        if not isinstance(node, SimNode):
            raise TypeError(f"every node must be a SimNode, not {type(node).__name__}")
    if not 1 <= len(nodes) <= MAX_NODES:
        raise ValueError(f"a cluster has 1 to {MAX_NODES} nodes, got {len(nodes)}")
    names = [node.name.casefold() for node in nodes]
    if len(set(names)) != len(names):
        raise ValueError("node names must be distinct (Windows ignores case)")
    return nodes


class Simulator:
    """A simulated cluster, passed as ``cluster`` to any clusupgrade call.

    The cluster:

    - ``name``: what events, errors and cluster_info() call it.
    - ``functional_level``: its level (11 by default: Windows Server 2022).
    - ``nodes``: its nodes, :class:`SimNode` objects; by default HV1, HV2
      and HV3, up, on Windows Server 2025 (``os_version``), so that a raise
      to 12 is ready.  ``os_version`` sets the default nodes' Windows.
    - ``upgrade_version``: the ClusterUpgradeVersion it reports, in its
      read-write common properties (the simulator's choice; Microsoft
      documents the property as read/write); the simulator does not model
      how a raise changes it.
    - ``upgrade_in_progress``: the persistent "upgrade in progress" flag
      (MS-CMRP 3.1.1.12), set from the start: every upgrade and check
      fails with 5976 (the simulator's choice of code).
    - ``leaves_in_progress``: a raise leaves that flag set when it ends, as
      a failed upgrade may on a real cluster: every later upgrade and check
      fails with 5976.  Without it a raise sets the flag while it runs and
      clears it at its end.

    It decides each upgrade or check in this order (docs/sources.md says
    which rule comes from MS-CMRP and which is the simulator's choice):
    a call made while another upgrade or check runs on the same simulator
    waits for it, then decides on the state it left (MS-CMRP
    3.1.4.3.7.18); 5976 when the flag is set; 5050 for a down node, 5070
    for a paused one, 5072 for one joining or in an unknown state (the
    simulator's choices: Microsoft documents no code); 5973 when only some
    nodes support the next level; success with nothing to do when none
    does; and a raise by one level, made when the native call returns,
    when all do.  ``cluster_info(sim).upgrade_in_progress`` shows the flag.

    The script, which overrides the model for rehearsing faults:

    - ``phases``: what an upgrade (perform=True) reports, in order; any
      32-bit signed values, unknown ones included.  A refusal reports them
      up to VALIDATING_UPGRADE (2); 5976 none.
    - ``check_phases``: what a check (perform=False) reports.
    - ``delay``: seconds between two phases, and before a query answers.
    - ``status``: None lets the model decide; a Win32 code makes every
      upgrade and check play its phases and return that code (0 success,
      5975 success that needs a restart, anything else a failure).
    - ``fail_after``: stop after this many phases and return ``status``, or
      5977 (ERROR_CLUSTER_UPGRADE_INCOMPLETE) when it is None or 0.
    - ``check_status``, ``check_fail_after``: the same for a check alone;
      ``"same"`` (the default) takes the upgrade's, None lets the model
      decide the check while the upgrade is scripted.
    - ``open_error``: opening the cluster fails with this code (1722: the
      cluster cannot be reached, 5: access denied), for queries too.
    - ``callback_thread``: ``"native"`` calls back on a thread of the
      simulator's own, as a cluster service thread would; ``"caller"`` on
      the thread that made the call.

    :attr:`answers` shows what the trampoline answered: TRUE, unless the
    call was aborted.  A FALSE answer stops the script with ERROR_CANCELLED
    (1223).
    """

    def __init__(
        self,
        phases: Iterable[int] = (1, 2, 3, 4, 5),
        *,
        delay: float = 0.0,
        status: int | None = None,
        fail_after: int | None = None,
        callback_thread: CallbackThread = "native",
        name: str = "simulated",
        check_phases: Iterable[int] = (1, 2),
        open_error: int = 0,
        functional_level: int = DEFAULT_LEVEL,
        nodes: Iterable[SimNode] | None = None,
        os_version: tuple[int, int, int] | None = None,
        upgrade_version: int = 0,
        upgrade_in_progress: bool = False,
        leaves_in_progress: bool = False,
        check_status: int | None | Literal["same"] = "same",
        check_fail_after: int | None | Literal["same"] = "same",
    ) -> None:
        self.phases = _phases(phases, "phases")
        self.check_phases = _phases(check_phases, "check_phases")
        self.delay = _delay(delay)
        self.status = None if status is None else _validate.win32_code(status, "status")
        self.open_error = _validate.win32_code(open_error, "open_error")
        if fail_after is not None:
            fail_after = _validate.integer(fail_after, "fail_after", 0, len(self.phases))
        self.fail_after = fail_after
        if check_status is not None and check_status != "same":
            check_status = _validate.win32_code(check_status, "check_status")
        self.check_status = check_status
        if check_fail_after not in (None, "same"):
            check_fail_after = _validate.integer(check_fail_after, "check_fail_after", 0, len(self.check_phases))
        self.check_fail_after = check_fail_after
        if callback_thread not in ("native", "caller"):
            raise ValueError(f"callback_thread must be 'native' or 'caller', not {callback_thread!r}")
        self.callback_thread: CallbackThread = callback_thread
        self.name = _validate.cluster_name(name, "simulator name")
        level = _validate.integer(functional_level, "functional_level", 1, MAX_LEVEL)
        if nodes is not None and os_version is not None:
            raise TypeError("give nodes or os_version, not both: os_version sets the default nodes' Windows")
        self.nodes = _nodes(nodes) if nodes is not None else _default_nodes(
            DEFAULT_OS if os_version is None else _os_version(os_version, "os_version")
        )
        """The nodes as configured (their states and levels do not change)."""
        self._model = _clusupgrade.SimModel(
            self.name.encode("utf-16-le"),
            level,
            _validate.win32_code(upgrade_version, "upgrade_version"),
            _validate.flag(upgrade_in_progress, "upgrade_in_progress"),
            tuple(node._native() for node in self.nodes),
            _validate.flag(leaves_in_progress, "leaves_in_progress"),
        )
        self._lock = threading.Lock()
        # The jobs of the calls started on this simulator, each with whether
        # it counts in `runs` and `answers` (upgrades and checks do, the
        # reads of cluster_info() and preflight() do not): every one not
        # finished yet and the newest finished one that counts.  Jobs, not
        # Calls: a caller that drops its Call leaves the call.
        self._jobs: list[tuple[_clusupgrade.Job, bool]] = []
        self._forgotten = 0
        self._estate_tie: estatetie.Tie | None = None
        """Set by estatefile.load() for a cluster of an estate file."""

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], cluster: str | None = None, *, state: str = "keep", **overrides: Any
    ) -> Simulator:
        """The simulated cluster `cluster` (None: the file's only one) of the
        estate file at `path` (docs/rehearsal.md), its level and flag kept
        between processes as `state` says: "keep" (beside the file),
        "reset" (start from the file again) or "read-only" (read what is
        kept, write nothing).  `overrides` are Simulator() arguments that
        replace the file's (``delay=0``).  Raises
        clusupgrade.estate.EstateError."""
        return estatefile.load(path, state=state, make_sim=cls, make_node=SimNode).simulator(cluster, **overrides)

    @classmethod
    def estate(cls, path: str | os.PathLike[str], *, state: str = "keep", **overrides: Any) -> list[Simulator]:
        """Every simulated cluster of the estate file at `path`, in its
        order; see from_file()."""
        return estatefile.load(path, state=state, make_sim=cls, make_node=SimNode).simulators(**overrides)

    @classmethod
    def scenario(cls, name: str, /, **overrides: Any) -> Simulator:
        """A simulator of the named cluster (one of SCENARIOS), with any
        argument of Simulator() overridden:

        - ``ready``: level 11, three nodes up on Windows Server 2025.
        - ``nothing-to-do``: the same at level 12: no node supports more.
        - ``node-down``, ``node-paused``: ready, but HV3 is down or paused.
        - ``not-upgraded``: HV3 still runs Windows Server 2022 (level 11 at most).
        - ``in-progress``: ready, but an upgrade is in progress (5976).
        """
        if not isinstance(name, str):
            raise TypeError(f"scenario must be a str, not {type(name).__name__}")
        build = _SCENARIOS.get(name)
        if build is None:
            raise ValueError(f"unknown scenario {name!r}; choose one of: {', '.join(SCENARIOS)}")
        return cls(**{**build(), **overrides})

    def __repr__(self) -> str:
        return (
            f"Simulator(name={self.name!r}, nodes={self.nodes!r}, phases={self.phases!r}, "
            f"delay={self.delay!r}, status={self.status!r}, fail_after={self.fail_after!r}, "
            f"callback_thread={self.callback_thread!r})"
        )

    @property
    def answers(self) -> list[bool]:
        """What the trampoline answered each callback of the last finished
        upgrade or check."""
        self._model.check()
        with self._lock:
            for job, counted in reversed(self._jobs):
                if counted and job.finished:
                    return job.answers()
        return []

    @property
    def runs(self) -> int:
        """How many upgrades and checks have finished on this simulator."""
        self._model.check()
        with self._lock:
            return self._forgotten + sum(1 for job, counted in self._jobs if counted and job.finished)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no call runs on this simulator; False on timeout.

        A call nobody listens to any more goes on natively until its script
        ends, as it would on a cluster (every later phase answered TRUE):
        this is how to wait for that.  Raises
        RuntimeError in a child process forked while a call was running.
        """
        seconds = _validate.timeout(timeout, zero=True)
        self._model.check()
        with self._lock:
            # A call stored before it starts may never be started: nothing runs.
            pending = [job for job, _ in self._jobs if job.started and not job.finished]
        deadline = None if seconds is None else time.monotonic() + seconds
        return all(_wait(job, deadline) for job in pending)

    def _spec(self, perform: bool, *, query: bool = False, deadline: float | None = None) -> _clusupgrade.SimulatorSpec:
        """The simulated call the native Call takes: a query reports no
        phases and ignores the status.  TimeoutError when an estate's lock
        is not had by `deadline` (time.monotonic())."""
        if self._estate_tie is not None:
            self._estate_tie.before(self, perform, query, deadline)
        phases = () if query else self.phases if perform else self.check_phases
        status = self.status if perform or self.check_status == "same" else self.check_status
        script_after = self.fail_after if perform or self.check_fail_after == "same" else self.check_fail_after
        fail_after = -1 if query or script_after is None else min(script_after, len(phases))
        return (
            phases,
            round(self.delay * 1e9),
            None if query else status,
            fail_after,
            self.open_error,
            self.callback_thread == "native",
            self._model,
        )

    def _track(self, job: _clusupgrade.Job, *, counted: bool = True) -> None:
        """Remember a call started on this simulator, for wait(), runs and answers."""
        with self._lock:
            self._jobs.append((job, counted))
            # Read each job's state once: a call may finish meanwhile.
            states = [(j, c, j.finished) for j, c in self._jobs]
            counted_done = [i for i, (_, c, done) in enumerate(states) if c and done]
            newest = counted_done[-1] if counted_done else -1
            self._forgotten += max(0, len(counted_done) - 1)
            self._jobs = [(j, c) for i, (j, c, done) in enumerate(states) if i == newest or not done]
        if self._estate_tie is not None:
            self._estate_tie.started(job)

    def _untrack(self, job: _clusupgrade.Job) -> None:
        """Forget a call that was never made (stopped before it started, or
        its thread could not start); an estate's cluster gets its lock back."""
        with self._lock:
            self._jobs = [(j, c) for j, c in self._jobs if j is not job]
        if self._estate_tie is not None:
            self._estate_tie.abandoned(job)


def _wait(job: _clusupgrade.Job, deadline: float | None) -> bool:
    """Wait for `job` until `deadline`, in short waits so that Ctrl+C gets
    through on Windows too."""
    while True:
        step = 0.2 if deadline is None else min(0.2, max(0.0, deadline - time.monotonic()))
        if job.wait(step):
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False


def _scenario_nodes(**changes: SimNode) -> dict[str, Any]:
    """The default nodes with some replaced by name."""
    return {"nodes": tuple(changes.get(node.name, node) for node in _default_nodes(DEFAULT_OS))}


_SCENARIOS: Final[dict[str, Callable[[], dict[str, Any]]]] = {
    "ready": dict,
    "nothing-to-do": lambda: {"functional_level": 12},
    "node-down": lambda: _scenario_nodes(HV3=SimNode("HV3", state=NodeState.DOWN)),
    "node-paused": lambda: _scenario_nodes(HV3=SimNode("HV3", state=NodeState.PAUSED)),
    "not-upgraded": lambda: _scenario_nodes(HV3=SimNode("HV3", os_version=(10, 0, 20348))),
    "in-progress": lambda: {"upgrade_in_progress": True},
}
