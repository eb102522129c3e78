"""What the command says about a cluster itself: how it names it, its
functional level before and after a raise, its nodes, its readiness; and the
simulated clusters it rehearses with.

Issue 9 adds these facts to the library (``ClusterInfo.nodes`` and
``.upgrade_version``, ``UpgradeResult.level_before`` / ``.level_after``,
``preflight()``, ``Simulator.scenario()``).  Every read of them is one of the
adapters in the first half of this file, each marked ``ISSUE 9`` with the
code that replaces its body; until then each answers "unknown" (None, or
nothing) and the command says "unknown", never a guess.  The renderers in the
second half are written against the contract and tested with stand-ins
(tests/test_cli_cluster.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .cli_codes import EXIT_FAILED, EXIT_NOT_READY, EXIT_OK, Verdict
from .cli_render import Levels, table, where
from .info import LEVEL_NAMES, ClusterInfo, cluster_info
from .result import UpgradeResult
from .simulator import Simulator
from .stream import Target

DEFAULT_DELAY = 0.4
"""Seconds between simulated phases, slow enough to watch."""

# --------------------------------------------------------------------------
# Adapters: the only places that read what issue 9 adds.


SCENARIOS: tuple[str, ...] = ()
"""Named simulated clusters for --scenario; the option exists only when this
is not empty.  ISSUE 9: ``from .simulator import SCENARIOS``."""


@dataclass(frozen=True)
class SimSettings:
    """What the command line says about one simulated cluster; None where
    it says nothing (the scenario, or the simulator's default, decides)."""

    delay: float | None = None
    status: int | None = None
    fail_after: int | None = None
    level: int | None = None
    scenario: str | None = None


def simulated(name: str, settings: SimSettings) -> Simulator:
    """The Simulator that stands for cluster `name`.

    ISSUE 9: when ``settings.scenario`` is set, return
    ``Simulator.scenario(settings.scenario, name=name, **given)`` where
    `given` holds the keyword arguments below whose setting is not None
    (scripted faults override the model).  This needs the scenario's own
    name to be positional-only in ``Simulator.scenario(name, /, **overrides)``,
    or ``name=`` cannot name the cluster.
    """
    return Simulator(
        name=name,
        delay=DEFAULT_DELAY if settings.delay is None else settings.delay,
        status=settings.status or 0,
        fail_after=settings.fail_after,
        functional_level=10 if settings.level is None else settings.level,
    )


def levels_of(result: UpgradeResult) -> Levels:
    """ISSUE 9: ``return Levels(result.level_before, result.level_after)``."""
    return Levels(None, None)


def read_info(target: Target, timeout: float | None) -> ClusterInfo:
    """What `target` says about itself.

    ISSUE 9: ``return cluster_info(target, timeout=timeout)``, and give
    ``info`` its ``--timeout`` option (cli_args.py: ``timeout_option(info)``).
    """
    return cluster_info(target)


class NodeView(Protocol):
    """What the command shows of a node (issue 9's NodeInfo)."""

    @property
    def name(self) -> str: ...
    @property
    def state(self) -> int: ...
    @property
    def os_version(self) -> tuple[int, int, int] | None: ...
    @property
    def highest_version(self) -> tuple[int, int] | None: ...


def nodes_of(info: ClusterInfo) -> Sequence[NodeView]:
    """ISSUE 9: ``return info.nodes``."""
    return ()


def upgrade_version_of(info: ClusterInfo) -> int | None:
    """ISSUE 9: ``return info.upgrade_version``."""
    return None


class PreflightView(Protocol):
    """What the command shows of issue 9's Preflight."""

    @property
    def info(self) -> ClusterInfo: ...
    @property
    def ready(self) -> bool: ...
    @property
    def nothing_to_do(self) -> bool: ...
    @property
    def target_level(self) -> int | None: ...
    @property
    def blockers(self) -> Sequence[str]: ...


# --------------------------------------------------------------------------
# Renderers, written against issue 9's contract.


def level_text(level: int | None) -> str:
    """``10 (Windows Server 2019)``, or "unknown"."""
    if level is None:
        return "unknown"
    return f"{level} ({LEVEL_NAMES.get(level, 'a level clusupgrade has no name for')})"


def check_verdict(name: str | None, result: UpgradeResult) -> Verdict:
    """A check that succeeded.  Status 0 also answers a cluster with nothing
    to raise, so this does not say "can be raised"."""
    return Verdict(
        "ready",
        EXIT_OK,
        f"{where(name)} reports nothing that stops a raise (a cluster with nothing to raise passes too)",
    )


def run_verdict(name: str | None, levels: Levels, nothing_to_do: bool | None = None) -> Verdict:
    """A raise that succeeded, told from the levels the cluster reported.

    `nothing_to_do` is what a preflight said before the raise (None: no
    preflight).  Never "raised" without seeing the level move."""
    before, after = levels
    subject = where(name)
    if before is None or after is None:
        return Verdict(
            "succeeded",
            EXIT_OK,
            f"{subject} reported success; its level before and after is unknown "
            "(Get-Cluster | Select ClusterFunctionalLevel shows it)",
        )
    if after > before:
        return Verdict("raised", EXIT_OK, f"raised {subject} from level {level_text(before)} to {level_text(after)}")
    if after == before and nothing_to_do:
        return Verdict(
            "nothing-to-raise",
            EXIT_OK,
            f"nothing to raise: {subject} is already at level {level_text(after)} and no node supports a higher one",
        )
    if nothing_to_do is None:
        why = "; whether its nodes support a higher level is unknown"
    else:
        why = " although its nodes support a higher one"
    return Verdict(
        "not-raised",
        EXIT_FAILED,
        f"{subject} reported success but its level did not move: before {level_text(before)}, "
        f"after {level_text(after)}{why}",
    )


STATE_WORDS = {-1: "Unknown", 0: "Up", 1: "Down", 2: "Paused", 3: "Joining"}
"""CLUSTER_NODE_STATE as Get-ClusterNode words it."""


def _version(version: tuple[int, ...] | None) -> str:
    return "unknown" if version is None else ".".join(map(str, version))


def node_table(nodes: Sequence[NodeView]) -> list[str]:
    """Get-ClusterNode's view: name, state, OS build, highest level."""
    rows = [("Name", "State", "OS", "Highest level")]
    for node in nodes:
        highest = "unknown" if node.highest_version is None else str(node.highest_version[0])
        state = STATE_WORDS.get(int(node.state), f"state {int(node.state)}")
        rows.append((node.name, state, _version(node.os_version), highest))
    return table(rows)


def node_json(node: NodeView) -> dict[str, object]:
    state = int(node.state)
    return {
        "name": node.name,
        "state": state,
        "state_name": STATE_WORDS.get(state),
        "os_version": node.os_version,
        "highest_version": node.highest_version,
        "highest_level": None if node.highest_version is None else node.highest_version[0],
    }


def info_lines(info: ClusterInfo, nodes: Sequence[NodeView], upgrade_version: int | None) -> list[str]:
    mixed = "yes: nodes run different versions" if info.mixed_mode else "no"
    lines = [
        f"Cluster:           {info.name}",
        f"Functional level:  {level_text(info.functional_level)}",
        f"Upgrade version:   {'unknown' if upgrade_version is None else upgrade_version}",
        f"Cluster versions:  lowest {_version(info.lowest_version)}, highest {_version(info.highest_version)}",
        f"Mixed mode:        {mixed}",
        f"Node OS:           {_version(info.os_version)} (the node that answered)",
    ]
    if nodes:
        lines += ["Nodes:", *node_table(nodes)]
    else:
        lines.append("Nodes:             unknown")
    return lines


def info_json(info: ClusterInfo, nodes: Sequence[NodeView], upgrade_version: int | None) -> dict[str, object]:
    return {
        "event": "info",
        "name": info.name,
        "functional_level": info.functional_level,
        "functional_level_name": info.functional_level_name,
        "upgrade_version": upgrade_version,
        "os_version": info.os_version,
        "highest_version": info.highest_version,
        "lowest_version": info.lowest_version,
        "mixed_mode": info.mixed_mode,
        "nodes": [node_json(node) for node in nodes],
    }


def preflight_verdict(name: str | None, p: PreflightView) -> Verdict:
    subject = where(name)
    level = p.info.functional_level
    if p.nothing_to_do:
        return Verdict(
            "nothing-to-raise",
            EXIT_OK,
            f"nothing to raise: {subject} is already at level {level_text(level)} and no node supports a higher one",
        )
    if p.ready:
        return Verdict(
            "ready", EXIT_OK, f"ready: {subject} can go from level {level_text(level)} to {level_text(p.target_level)}"
        )
    return Verdict(
        "not-ready",
        EXIT_NOT_READY,
        f"not ready: {subject} cannot go from level {level_text(level)} to {level_text(p.target_level)} yet",
    )


def preflight_lines(name: str | None, p: PreflightView) -> list[str]:
    """The verdict, then each blocker on its own line."""
    return [preflight_verdict(name, p).sentence, *(f"  - {blocker}" for blocker in p.blockers)]


def preflight_json(name: str | None, p: PreflightView) -> dict[str, object]:
    verdict = preflight_verdict(name, p)
    return {
        "event": "preflight",
        "cluster": name,
        "outcome": verdict.outcome,
        "ready": p.ready,
        "nothing_to_do": p.nothing_to_do,
        "functional_level": p.info.functional_level,
        "target_level": p.target_level,
        "blockers": list(p.blockers),
    }
