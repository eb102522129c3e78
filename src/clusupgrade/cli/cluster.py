"""What the command says about a cluster itself: how it names its level,
its nodes, its readiness, and how a raise came out, each from what the
cluster reported (issue 9's ClusterInfo, Preflight, UpgradeResult levels);
and the simulated clusters it rehearses with.  Where the cluster reported
nothing, the command says "unknown", never a guess.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from .. import _clusupgrade, _winerror
from ..info import ClusterInfo, Report, cluster_info, read
from ..levels import level_words
from ..nodes import NodeInfo
from ..preflight import Check, Preflight, judge
from ..result import UpgradeResult
from ..estate import Estate
from ..simulator import Simulator
from ..target import Target, resolve
from .codes import EXIT_FAILED, EXIT_NOT_READY, EXIT_OK, Verdict
from .render import Levels, Record, table, where

DEFAULT_DELAY = 0.4
"""Seconds between simulated phases (and before a simulated read answers),
slow enough to watch."""

# --------------------------------------------------------------------------
# Simulated clusters.


@dataclass(frozen=True)
class SimSettings:
    """What the command line says about one simulated cluster; None where
    it says nothing (the scenario, or the simulator's model, decides)."""

    delay: float | None = None
    status: int | None = None
    fail_after: int | None = None
    level: int | None = None
    scenario: str | None = None

    @property
    def scripted(self) -> bool:
        """--fail-code or --fail-after decide the command's own call, not
        the model."""
        return self.status is not None or self.fail_after is not None


def simulated(name: str, settings: SimSettings, estate: Estate[Simulator] | None = None, *,
              command: str = "run") -> Simulator:
    """The Simulator that stands for cluster `name`: the estate file's
    cluster, or the scenario (or the simulator's default cluster, ready at
    level 11), with only what the command line gave overriding it."""
    if estate is not None:
        return estate.simulator(name, **estate_overrides(estate, name, settings, command))
    given: dict[str, Any] = {"delay": DEFAULT_DELAY if settings.delay is None else settings.delay}
    if settings.status is not None:
        given["status"] = settings.status
    if settings.fail_after is not None:
        given["fail_after"] = settings.fail_after
    if settings.level is not None:
        given["functional_level"] = settings.level
    if settings.scenario is None:
        return Simulator(name=name, **given)
    return Simulator.scenario(settings.scenario, name=name, **given)


def estate_overrides(estate: Estate[Simulator], name: str, settings: SimSettings, command: str) -> dict[str, Any]:
    """What the command line changes in an estate file's cluster: --delay
    (the file's, else DEFAULT_DELAY), --level, and --fail-code and
    --fail-after for check's check or run's raise."""
    given: dict[str, Any] = {}
    if settings.delay is not None:
        given["delay"] = settings.delay
    elif "delay" not in estate.described(name):
        given["delay"] = DEFAULT_DELAY
    if settings.level is not None:
        given["functional_level"] = settings.level
    prefix = "check_" if command == "check" else ""
    if settings.status is not None:
        given[f"{prefix}status"] = settings.status
    if settings.fail_after is not None:
        given[f"{prefix}fail_after"] = settings.fail_after
    return given


def file_scripts_raise(estate: Estate[Simulator] | None, name: str) -> bool:
    """The estate file scripts this cluster's raise ([clusters.upgrade]
    fail_code or fail_after)."""
    if estate is None:
        return False
    described = estate.described(name)
    return described.get("status") is not None or described.get("fail_after") is not None


def model_of(name: str, settings: SimSettings, estate: Estate[Simulator] | None = None) -> Simulator:
    """The same simulated cluster without the script: what its model
    answers.  run's preflight asks it when the raise is scripted, because
    --fail-code and --fail-after (and an estate file's [clusters.upgrade]
    fault) are for the raise, not for the check before it."""
    if estate is not None:
        unscripted = {"status": None, "fail_after": None, "check_status": None, "check_fail_after": None}
        return estate.simulator(name, **{**estate_overrides(estate, name, settings, "run"), **unscripted})
    return simulated(name, replace(settings, status=None, fail_after=None))


# --------------------------------------------------------------------------
# Reading the cluster.


def levels_of(result: UpgradeResult) -> Levels:
    """The level the cluster reported before and after the call."""
    return Levels(result.level_before, result.level_after)


def read_info(target: Target, timeout: float | None) -> ClusterInfo:
    """What `target` says about itself."""
    return cluster_info(target, timeout=timeout)


def read_report(target: Target, timeout: float | None) -> Report:
    """What preflight() reads: the cluster's facts and why any are missing."""
    name, simulator = resolve(target)
    deadline = None if timeout is None else time.monotonic() + timeout
    return read(name, simulator, deadline=deadline, timeout=timeout)


def judged(report: Report, refused: int | None) -> Preflight:
    """preflight()'s verdict on `report` and the check that went with it:
    `refused` is the code the check was refused with, None when it
    succeeded.  A check that returned 5975 succeeded, as check() says: a
    check raises nothing, so the code only echoes a script."""
    status = _winerror.SUCCESS if refused is None else refused
    return judge(report, Check(status, _clusupgrade.STAGE_UPGRADE, -1))


def supports_more(nodes: tuple[NodeInfo, ...], level: int) -> bool | None:
    """Whether some node supports a level above `level`; None when the
    nodes, or the highest level of one of them, are unknown."""
    highest = [node.highest_level for node in nodes]
    if not highest or None in highest:
        return None
    return any(h is not None and h > level for h in highest)


# --------------------------------------------------------------------------
# What is said.


def level_text(level: int | None, hci: bool = False) -> str:
    """``11 (Windows Server 2022)``, ``13``, or "unknown" (levels.level_words)."""
    return level_words(level, hci=hci)


def check_verdict(name: str | None, result: UpgradeResult) -> Verdict:
    """A check that succeeded, without a preflight (a fleet's).  Status 0
    also answers a cluster with nothing to raise, so this does not say
    "can be raised"."""
    return Verdict(
        "ready",
        EXIT_OK,
        f"{where(name)} reports nothing that stops a raise (a cluster with nothing to raise passes too)",
    )


def run_verdict(
    name: str | None, levels: Levels, nothing_to_do: bool | None = None, status: int = _winerror.SUCCESS
) -> Verdict:
    """A raise that succeeded, told from the levels the cluster reported.

    `nothing_to_do` is what the cluster said before (or after) the raise
    about its nodes (None: unknown).  Never "raised" without seeing the
    level move."""
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
    if status == _winerror.ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED:
        why += " (it returned 5975, ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED, which says the level was raised)"
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


def node_table(nodes: tuple[NodeInfo, ...]) -> list[str]:
    """Get-ClusterNode's view: name, state, OS build, highest level."""
    rows = [("Name", "State", "OS", "Highest level")]
    for node in nodes:
        highest = "unknown" if node.highest_level is None else str(node.highest_level)
        state = STATE_WORDS.get(int(node.state), f"state {int(node.state)}")
        rows.append((node.name, state, _version(node.os_version), highest))
    return table(rows)


def node_json(node: NodeInfo) -> Record:
    state = int(node.state)
    return {
        "name": node.name,
        "state": state,
        "state_name": STATE_WORDS.get(state),
        "os_version": node.os_version,
        "highest_version": node.highest_version,
        "highest_level": node.highest_level,
        "lowest_version": node.lowest_version,
    }


def info_lines(info: ClusterInfo) -> list[str]:
    mixed = "yes: nodes run different versions" if info.mixed_mode else "no"
    upgrade = "unknown" if info.upgrade_version is None else str(info.upgrade_version)
    lines = [
        f"Cluster:           {info.name}",
        f"Functional level:  {info.functional_level_name}",
        f"Upgrade version:   {upgrade}",
        f"Cluster versions:  lowest {_version(info.lowest_version)}, highest {_version(info.highest_version)}"
        " (major.upgrade, of the node that answered)",
        f"Mixed mode:        {mixed}",
        f"Node OS:           {_version(info.os_version)} (the node that answered)",
    ]
    if info.nodes:
        lines += ["Nodes:", *node_table(info.nodes)]
    else:
        lines.append("Nodes:             unknown")
    return lines


def info_json(info: ClusterInfo) -> Record:
    return {
        "event": "info",
        "name": info.name,
        "functional_level": info.functional_level,
        "functional_level_name": info.functional_level_name,
        "upgrade_version": info.upgrade_version,
        "os_version": info.os_version,
        "highest_version": info.highest_version,
        "lowest_version": info.lowest_version,
        "mixed_mode": info.mixed_mode,
        "nodes": [node_json(node) for node in info.nodes],
    }


def preflight_verdict(name: str | None, p: Preflight) -> Verdict:
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


def preflight_lines(name: str | None, p: Preflight) -> list[str]:
    """The verdict, then each blocker on its own line."""
    return [preflight_verdict(name, p).sentence, *(f"  - {blocker}" for blocker in p.blockers)]


def preflight_fields(p: Preflight) -> Record:
    return {
        "ready": p.ready,
        "nothing_to_do": p.nothing_to_do,
        "functional_level": p.info.functional_level,
        "target_level": p.target_level,
        "blockers": list(p.blockers),
    }


def preflight_json(name: str | None, p: Preflight) -> Record:
    return {
        "event": "preflight",
        "cluster": name,
        "outcome": preflight_verdict(name, p).outcome,
        **preflight_fields(p),
    }
