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
from typing import Final

from . import _clusupgrade, _validate, _winerror, remedies
from .blocking import end_record
from .errors import EXPORTS, describe
from .info import ClusterInfo, Report, read
from .levels import level_name
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
    the remedy; each problem once."""
    explained: frozenset[int] = frozenset()
    """The Win32 codes of a refusal that `blockers` already explain (a node
    down explains 5050, 5070, 5072, 5073, 5980 and 5037; a refusal no node
    explains is a blocker of its own, with its remedy): a caller that
    prints both the refusal and the blockers says the problem once by
    leaving the refusal's remedy out for these."""


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
    cluster = report.cluster
    found = list(_unknowns(report)) + list(_states(info.nodes, cluster))
    nothing = check.passed and _nothing_to_do(report, target)
    if target is not None and not nothing:
        found += _behind(info.nodes, target, cluster)
    explained = {code for codes, _ in found for code in codes}
    blockers = [text for _, text in found]
    if not check.passed and check.status not in explained:
        blockers.append(_refusal(check, cluster))
        # That blocker states the refusal and its remedy: a caller that
        # prints the refusal too leaves the remedy out (said once).
        explained.add(check.status)
    # Each problem once, in the order found.
    unique = tuple(dict.fromkeys(blockers))
    return Preflight(
        info=info,
        ready=check.passed and not nothing and not unique,
        nothing_to_do=nothing,
        target_level=None if nothing else target,
        blockers=unique,
        explained=frozenset(explained),
    )


Finding = tuple[frozenset[int], str]
"""(the codes of the check's refusal it explains, maybe none; the sentence)"""

MEMBERSHIP: Final = frozenset({5050, 5070, 5072, 5073, 5980, 5037})
"""The codes a cluster may give for a node that is not an active member:
which one it gives for a down or a paused node is documented nowhere."""
NOTHING: Final[frozenset[int]] = frozenset()


def _short(code: int) -> str:
    name = _winerror.name_of(code)
    return f"error {code}" + (f", {name}" if name else "")


def _unknowns(report: Report) -> Iterator[Finding]:
    """What the cluster did not report."""
    cluster = report.cluster
    if report.info.functional_level is None:
        why = _short(report.props_status) if report.props_status else "no ClusterFunctionalLevel property"
        yield NOTHING, (
            f"the cluster did not report its functional level ({why}): "
            f"check it with {remedies.get_level(cluster)}"
        )
    if not report.info.nodes:
        yield NOTHING, (
            f"the cluster did not report its nodes ({_short(report.nodes_status)}): without them "
            f"clusupgrade cannot tell a raise from nothing to do; check them with {remedies.get_nodes(cluster)}"
        )
    for node, status in zip(report.info.nodes, report.node_props_status, strict=True):
        if node.highest_version is None:
            why = _short(status) if status else "no NodeHighestVersion property"
            yield NOTHING, (
                f"node {node.name} did not report the highest level it supports ({why}): "
                f"check it with {remedies.get_node(node.name, cluster)}"
            )


def _states(nodes: tuple[NodeInfo, ...], cluster: str | None) -> Iterator[Finding]:
    """Every node that is not an active member, with its remedy."""
    for node in nodes:
        n = node.name
        if node.state == NodeState.UP:
            continue
        if node.state == NodeState.DOWN:
            yield MEMBERSHIP, (
                f"node {n} is down: start it ({remedies.start_node(n, cluster)}); only if it will not "
                f"come back, evict it ({remedies.remove_node(n, cluster)}; {remedies.EVICT_CAUTION})"
            )
        elif node.state == NodeState.PAUSED:
            yield MEMBERSHIP, f"node {n} is paused: resume it ({remedies.resume_node(n, cluster)})"
        elif node.state == NodeState.JOINING:
            yield MEMBERSHIP, (
                f"node {n} is still joining the cluster: wait until {remedies.get_node_state(n, cluster)} "
                "shows it Up"
            )
        else:
            yield MEMBERSHIP, (
                f"the state of node {n} is unknown ({int(node.state)}): "
                f"check it with {remedies.get_node_state(n, cluster)}"
            )


def _version_words(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def _behind(nodes: tuple[NodeInfo, ...], target: int, cluster: str | None) -> list[Finding]:
    """The nodes that do not support `target`, when some others do (when
    none does, there is nothing to raise, not a blocker).  A node whose
    Windows is as new as that of a node that supports `target` is not told
    to upgrade Windows: what it reports is said instead."""
    known = [node for node in nodes if node.highest_level is not None]
    behind = [node for node in known if node.highest_level is not None and node.highest_level < target]
    if len(behind) == len(known):
        return []
    ahead = [node.os_version for node in known if node not in behind and node.os_version is not None]
    newest = max(ahead) if ahead else None
    found: list[Finding] = []
    for node in behind:
        assert node.highest_version is not None
        reports = f"node {node.name} reports NodeHighestVersion {_version_words(node.highest_version)}"
        if node.os_version is not None and newest is not None and node.os_version >= newest:
            text = (
                f"{reports} (level {node.highest_level} at most), although it runs Windows "
                f"{_version_words(node.os_version)} like the nodes that support level {target}: check its "
                f"Cluster service and updates ({remedies.get_node(node.name, cluster)})"
            )
        else:
            os_words = "" if node.os_version is None else f" and runs Windows {_version_words(node.os_version)}"
            name = level_name(target)
            release = f"a Windows Server that supports level {target}" + (f" ({name})" if name else "")
            text = (
                f"{reports} (level {node.highest_level} at most){os_words}; every node must support "
                f"level {target}: upgrade {node.name} to {release}"
            )
        found.append((frozenset({5973}), text))
    return found


def _nothing_to_do(report: Report, target: int | None) -> bool:
    """Every node reported, and none supports `target`."""
    nodes = report.info.nodes
    if target is None or not nodes:
        return False
    levels = [node.highest_level for node in nodes]
    return all(level is not None and level < target for level in levels)


def _refusal(check: Check, cluster: str | None) -> str:
    """The blocker for a check that failed, where no node explains it."""
    if check.stage == _clusupgrade.STAGE_LOAD:
        if 0 <= check.missing < len(EXPORTS):
            return (
                f"clusapi.dll on this machine has no {EXPORTS[check.missing]} export, so it cannot ask "
                f"the cluster to raise its level: only Windows Server 2016 and later have it; "
                f"{remedies.NEWER_WINDOWS}"
            )
        return f"clusapi.dll cannot make the check: {describe(check.status, cluster=cluster)}"
    return f"the cluster refused the check: {describe(check.status, cluster=cluster)}"
