"""preflight(): ready, nothing to do, or the blockers, in plain sentences,
never contradicting the native check."""

from __future__ import annotations

import sys

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import clusupgrade  # noqa: E402
from clusupgrade import ClusterInfo, NodeInfo, NodeState, Preflight, SimNode, Simulator, _clusupgrade  # noqa: E402
from clusupgrade.info import Report  # noqa: E402
from clusupgrade.preflight import Check, judge  # noqa: E402


@pytest.mark.parametrize(
    ("scenario", "ready", "nothing", "target", "blockers"),
    [
        ("ready", True, False, 12, []),
        ("nothing-to-do", False, True, None, []),
        ("node-down", False, False, 12,
         ["node HV3 is down: start it (Start-ClusterNode -Name HV3 -Cluster simulated); only if it will not "
          "come back, evict it (Remove-ClusterNode -Name HV3 -Cluster simulated; caution: Remove-ClusterNode "
          "evicts the node from the cluster; it must be added again (Add-ClusterNode) before it serves the "
          "cluster)"]),
        ("node-paused", False, False, 12,
         ["node HV3 is paused: resume it (Resume-ClusterNode -Name HV3 -Cluster simulated)"]),
        ("not-upgraded", False, False, 12,
         ["node HV3 reports NodeHighestVersion 11.4 (level 11 at most) and runs Windows 10.0.20348; every node "
          "must support level 12: upgrade HV3 to a Windows Server that supports level 12 (Windows Server 2025)"]),
        ("in-progress", False, False, 12,
         ["the cluster refused the check: error 5976 (ERROR_CLUSTER_UPGRADE_IN_PROGRESS): The cluster is "
          "currently performing a version upgrade. An upgrade is in progress, or a failed one left the "
          "cluster's persistent in-progress flag set: wait for it; if none is running, read the cluster log "
          "(Get-ClusterLog -Cluster simulated -Destination .) before trying again."]),
    ],
)
def test_scenarios(scenario: str, ready: bool, nothing: bool, target: int | None, blockers: list[str]) -> None:
    sim = Simulator.scenario(scenario)
    found = clusupgrade.preflight(sim)
    assert isinstance(found, Preflight) and found.info == clusupgrade.cluster_info(sim)
    assert (found.ready, found.nothing_to_do, found.target_level, list(found.blockers)) == (
        ready, nothing, target, blockers,
    )
    # Changes nothing, and holds nothing once it has returned.
    assert clusupgrade.cluster_info(sim).functional_level == found.info.functional_level
    assert sim.runs == 0 and sim.wait(1)


NODE_STATES = st.sampled_from([NodeState.UP] * 6 + [NodeState.DOWN, NodeState.PAUSED, NodeState.JOINING, 7])


@st.composite
def clusters(draw: st.DrawFn) -> Simulator:
    level = draw(st.integers(9, 12))
    nodes = [
        SimNode(f"N{i}", state=draw(NODE_STATES), os_version=(10, 0, 1), highest_level=draw(st.integers(level, 13)))
        for i in range(draw(st.integers(1, 4)))
    ]
    return Simulator(nodes=nodes, functional_level=level, upgrade_in_progress=draw(st.booleans()), name="h")


@settings(max_examples=60, deadline=None)
@given(clusters())
def test_never_contradicts_what_the_cluster_then_does(sim: Simulator) -> None:
    try:
        found = clusupgrade.preflight(sim)
    except clusupgrade.ClusterUpgradeError as unreachable:  # every node down
        with pytest.raises(clusupgrade.ClusterUpgradeError) as caught:
            clusupgrade.upgrade(sim)
        assert caught.value.winerror == unreachable.winerror == 1722
        return
    try:
        result = clusupgrade.upgrade(sim)
    except clusupgrade.ClusterUpgradeError as err:
        assert not found.ready and not found.nothing_to_do and found.blockers, err
    else:
        assert found.ready == result.raised and found.nothing_to_do == (not result.raised)
        assert found.target_level == (result.level_after if result.raised else None)


def info(level: int | None = 11, nodes: tuple[NodeInfo, ...] = ()) -> ClusterInfo:
    return ClusterInfo("c", (10, 0, 26100), None, None, False, level, None, nodes)


def node(
    name: str,
    highest: int | None = 12,
    state: NodeState | int = NodeState.UP,
    os: tuple[int, int, int] = (10, 0, 26100),
) -> NodeInfo:
    return NodeInfo(name, state, os, None if highest is None else (highest, 5), None)


PASSED = Check(0, _clusupgrade.STAGE_UPGRADE, -1)


def test_nodes_not_reported_is_a_blocker_not_a_guess() -> None:
    found = judge(Report(info(), 0, 5, ()), PASSED)
    assert not found.ready and not found.nothing_to_do and found.target_level == 12
    assert found.blockers == (
        "the cluster did not report its nodes (error 5, ERROR_ACCESS_DENIED): without them clusupgrade "
        "cannot tell a raise from nothing to do; check them with Get-ClusterNode",
    )
    # With a cluster name, each line names it with the cmdlet's own parameter.
    found = judge(Report(info(None), 1, 5, (), cluster="hv-cluster"), PASSED)
    assert found.blockers == (
        "the cluster did not report its functional level (error 1, ERROR_INVALID_FUNCTION): check it with "
        "Get-Cluster -Name hv-cluster | Format-List -Property ClusterFunctionalLevel",
        "the cluster did not report its nodes (error 5, ERROR_ACCESS_DENIED): without them clusupgrade "
        "cannot tell a raise from nothing to do; check them with Get-ClusterNode -Cluster hv-cluster",
    )


def test_level_not_reported() -> None:
    found = judge(Report(info(None, (node("A"),)), 1, 0, (0,)), PASSED)
    assert not found.ready and found.target_level is None
    assert found.blockers == (
        "the cluster did not report its functional level (error 1, ERROR_INVALID_FUNCTION): "
        "check it with Get-Cluster | Format-List -Property ClusterFunctionalLevel",
    )


def test_node_versions_not_reported() -> None:
    found = judge(Report(info(11, (node("A"), node("B", None))), 0, 0, (0, 5)), PASSED)
    assert not found.ready and not found.nothing_to_do
    assert found.blockers == (
        "node B did not report the highest level it supports (error 5, ERROR_ACCESS_DENIED): "
        "check it with Get-ClusterNode -Name B | Format-List -Property *",
    )


def test_missing_upgrade_export() -> None:
    # clusapi.dll without ClusterUpgradeFunctionalLevel (servers older than
    # 2016, RSAT there included): the cluster was read, the check could not
    # be made.  The remedy is a newer machine, never "install RSAT".
    found = judge(Report(info(11, (node("A"),)), 0, 0, (0,)), Check(127, _clusupgrade.STAGE_LOAD, 2))
    assert not found.ready and not found.nothing_to_do
    assert found.blockers == (
        "clusapi.dll on this machine has no ClusterUpgradeFunctionalLevel export, so it cannot ask the cluster "
        "to raise its level: only Windows Server 2016 and later have it; run clusupgrade on Windows Server "
        "2016 or later (a cluster node, or a server with RSAT-Clustering)",
    )


def test_a_refusal_no_node_explains() -> None:
    found = judge(Report(info(11, (node("A"),)), 0, 0, (0,)), Check(5973, _clusupgrade.STAGE_UPGRADE, -1))
    assert not found.ready and found.blockers == (
        "the cluster refused the check: error 5973 (ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS): The cluster "
        "upgrade could not be performed: not every node supports the new level. Finish the rolling upgrade: "
        "every node must run the newer Windows Server; Get-ClusterNode shows them.",
    )


def test_node_states_have_remedies() -> None:
    nodes = (node("A", state=NodeState.JOINING), node("B", state=NodeState.UNKNOWN), node("C", state=9))
    found = judge(Report(info(11, nodes), 0, 0, (0, 0, 0)), Check(5072, _clusupgrade.STAGE_UPGRADE, -1))
    assert found.blockers == (
        "node A is still joining the cluster: wait until Get-ClusterNode -Name A shows it Up",
        "the state of node B is unknown (-1): check it with Get-ClusterNode -Name B",
        "the state of node C is unknown (9): check it with Get-ClusterNode -Name C",
    )


@pytest.mark.parametrize("code", [5050, 5070, 5072, 5073, 5980, 5037])
def test_a_node_state_explains_every_membership_refusal_once(code: int) -> None:
    # Which code a real cluster gives for a down or paused node is
    # documented nowhere: any of them is explained by the node, and the
    # problem is said once.
    nodes = (node("A"), node("B", state=NodeState.DOWN))
    found = judge(Report(info(11, nodes), 0, 0, (0, 0), cluster="c"), Check(code, _clusupgrade.STAGE_UPGRADE, -1))
    assert len(found.blockers) == 1 and found.blockers[0].startswith("node B is down: start it (Start-ClusterNode")
    # So a caller printing the refusal too can leave its remedy out.
    assert code in found.explained and 5973 not in found.explained


def test_each_blocker_is_said_once() -> None:
    nodes = (node("A"), node("B", None), node("B", None))
    found = judge(Report(info(11, nodes), 0, 0, (5, 5, 5)), PASSED)
    assert found.blockers == (
        "node B did not report the highest level it supports (error 5, ERROR_ACCESS_DENIED): "
        "check it with Get-ClusterNode -Name B | Format-List -Property *",
    )


def test_a_node_on_the_newest_build_is_not_told_to_upgrade_windows() -> None:
    nodes = (node("A", 12), node("B", 11), node("C", 11, os=(10, 0, 20348)))
    found = judge(Report(info(11, nodes), 0, 0, (0, 0, 0), cluster="hv"), Check(5973, _clusupgrade.STAGE_UPGRADE, -1))
    b, c = found.blockers
    assert "upgrade" not in b.replace("NodeHighestVersion", "") and "runs Windows 10.0.26100 like the nodes" in b
    assert b.startswith("node B reports NodeHighestVersion 11.5 (level 11 at most)")
    assert b.endswith("(Get-ClusterNode -Name B -Cluster hv | Format-List -Property *)")
    assert c.endswith("upgrade C to a Windows Server that supports level 12 (Windows Server 2025)")


def test_nothing_to_do_only_when_the_check_passed() -> None:
    nodes = (node("A", 11), node("B", 11, NodeState.PAUSED))
    refused = judge(Report(info(11, nodes), 0, 0, (0, 0)), Check(5070, _clusupgrade.STAGE_UPGRADE, -1))
    assert not refused.nothing_to_do
    assert refused.blockers == ("node B is paused: resume it (Resume-ClusterNode -Name B)",)
    passed = judge(Report(info(11, nodes[:1]), 0, 0, (0,)), PASSED)
    assert passed.nothing_to_do and not passed.ready and passed.target_level is None


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        clusupgrade.preflight(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        clusupgrade.preflight(Simulator(), timeout=float("nan"))


@pytest.mark.skipif(sys.platform == "win32", reason="clusapi.dll may exist on Windows")
def test_real_cluster_off_windows() -> None:
    with pytest.raises(clusupgrade.ClusapiUnavailableError):
        clusupgrade.preflight("prod")
