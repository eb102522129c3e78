"""Preflight: can the functional level be raised, and if not, why?

preflight() reads the cluster (cluster_info()'s query) and asks it the
native check (ClusterUpgradeFunctionalLevel with perform=False), then puts
both into plain sentences.  The check has the last word: the verdict is
never "ready" when it failed, and "nothing to do" only when it passed.
The nodes explain a refusal and tell "ready" from "nothing to raise",
which the check alone cannot (both return 0).  Where the cluster reported
nothing, a blocker says so instead of guessing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from . import _clusupgrade, _validate, _winerror
from .blocking import end_record
from .errors import EXPORTS, describe
from .info import ClusterInfo, Report, read
from .nodes import NodeInfo, NodeState
from .phase import END_HEADER
from .target import Target, resolve


@dataclass(frozen=True)
class Preflight:
    """What preflight() found."""

    info: ClusterInfo
    """What the cluster reported about itself and its nodes."""
    ready: bool
    """A raise would succeed and move the level to `target_level`."""
    nothing_to_do: bool
    """The cluster is at the highest level every node supports: a raise
    would succeed and change nothing."""
    target_level: int | None
    """The level a raise would reach; None when there is nothing to raise
    or the level is unknown."""
    blockers: tuple[str, ...]
    """What stands in the way, one plain sentence each, naming the node and
    the remedy."""


@dataclass(frozen=True)
class Check:
    """How the native check ended."""

    status: int
    stage: int
    missing: int
    """The CU_EXPORT_* index of an export clusapi.dll lacks, or -1."""

    @property
    def passed(self) -> bool:
        return self.stage != _clusupgrade.STAGE_LOAD and self.status == _winerror.SUCCESS


def preflight(cluster: Target = None, *, timeout: float | None = None) -> Preflight:
    """Whether `cluster` (None: the local one, a name, or a Simulator) can
    raise its functional level, and what stands in the way.  Changes
    nothing.  Blocks like upgrade(); `timeout` covers the whole preflight.
    Raises like cluster_info() when the cluster cannot be read."""
    name, simulator = resolve(cluster)
    seconds = _validate.timeout(timeout)
    deadline = None if seconds is None else time.monotonic() + seconds
    report = read(name, simulator, deadline=deadline, timeout=seconds)
    end = end_record(
        name, simulator, kind=_clusupgrade.KIND_UPGRADE, perform=False, deadline=deadline, timeout=seconds
    )
    _, _, status, stage, missing, _ = END_HEADER.unpack_from(end)
    return judge(report, Check(status, stage, missing))


def judge(report: Report, check: Check) -> Preflight:
    """The verdict on what the cluster reported and how the check ended."""
    info = report.info
    level = info.functional_level
    target = None if level is None else level + 1
    found = list(_unknowns(report)) + list(_states(info.nodes))
    nothing = check.passed and _nothing_to_do(report, target)
    if target is not None and not nothing:
        found += _behind(info.nodes, target)
    explained = {code for code, _ in found}
    blockers = [text for _, text in found]
    if not check.passed and check.status not in explained:
        blockers.append(_refusal(check))
    return Preflight(
        info=info,
        ready=check.passed and not nothing and not blockers,
        nothing_to_do=nothing,
        target_level=None if nothing else target,
        blockers=tuple(blockers),
    )


Finding = tuple[int, str]
"""(the code of the check's refusal it explains, or 0; the sentence)"""


def _short(code: int) -> str:
    name = _winerror.name_of(code)
    return f"error {code}" + (f", {name}" if name else "")


def _unknowns(report: Report) -> Iterator[Finding]:
    """What the cluster did not report."""
    if report.info.functional_level is None:
        why = _short(report.props_status) if report.props_status else "no ClusterFunctionalLevel property"
        yield 0, (
            f"the cluster did not report its functional level ({why}): "
            "check it with Get-Cluster | Format-List ClusterFunctionalLevel"
        )
    if not report.info.nodes:
        yield 0, (
            f"the cluster did not report its nodes ({_short(report.nodes_status)}): without them "
            "clusupgrade cannot tell a raise from nothing to do; check them with Get-ClusterNode"
        )
    for node, status in zip(report.info.nodes, report.node_props_status, strict=True):
        if node.highest_version is None:
            why = _short(status) if status else "no NodeHighestVersion property"
            yield 0, (
                f"node {node.name} did not report the highest level it supports ({why}): "
                f"check it with Get-ClusterNode {node.name} | Format-List *"
            )


def _states(nodes: tuple[NodeInfo, ...]) -> Iterator[Finding]:
    """Every node that is not an active member, with its remedy."""
    for node in nodes:
        n = node.name
        if node.state == NodeState.UP:
            continue
        if node.state == NodeState.DOWN:
            yield 5050, f"node {n} is down: start it (Start-ClusterNode {n}) or evict it (Remove-ClusterNode {n})"
        elif node.state == NodeState.PAUSED:
            yield 5070, f"node {n} is paused: Resume-ClusterNode {n}"
        elif node.state == NodeState.JOINING:
            yield 5072, f"node {n} is still joining the cluster: wait until Get-ClusterNode {n} shows it Up"
        else:
            yield 5072, f"the state of node {n} is unknown ({int(node.state)}): check it with Get-ClusterNode {n}"


def _behind(nodes: tuple[NodeInfo, ...], target: int) -> list[Finding]:
    """The nodes that do not support `target`, when some others do (when
    none does, there is nothing to raise, not a blocker)."""
    known = [node for node in nodes if node.highest_level is not None]
    behind = [node for node in known if node.highest_level is not None and node.highest_level < target]
    if len(behind) == len(known):
        return []
    return [
        (
            5973,
            f"node {node.name} supports level {node.highest_level} at most; every node must support "
            f"{target}: upgrade {node.name} to the newer Windows Server first",
        )
        for node in behind
    ]


def _nothing_to_do(report: Report, target: int | None) -> bool:
    """Every node reported, and none supports `target`."""
    nodes = report.info.nodes
    if target is None or not nodes:
        return False
    levels = [node.highest_level for node in nodes]
    return all(level is not None and level < target for level in levels)


def _refusal(check: Check) -> str:
    """The blocker for a check that failed, where no node explains it."""
    if check.stage == _clusupgrade.STAGE_LOAD:
        if 0 <= check.missing < len(EXPORTS):
            return (
                f"clusapi.dll on this machine has no {EXPORTS[check.missing]} export, so it cannot ask "
                "the cluster to raise its level: run clusupgrade on Windows Server 2016 or later, or "
                "install the RSAT-Clustering tools (Install-WindowsFeature RSAT-Clustering)"
            )
        return f"clusapi.dll cannot make the check: {describe(check.status)}"
    return f"the cluster refused the check: {describe(check.status)}"
