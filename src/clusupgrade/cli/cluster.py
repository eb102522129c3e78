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
from ..estate import Estate
from ..info import ClusterInfo, Report, cluster_info, read
from ..nodes import NodeInfo
from ..preflight import Check, Preflight, judge
from ..simulator import Simulator
from ..target import Target, resolve
from .records import STATE_WORDS
from .render import table

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
