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
         ["node HV3 is down: start it (Start-ClusterNode HV3) or evict it (Remove-ClusterNode HV3)"]),
        ("node-paused", False, False, 12, ["node HV3 is paused: Resume-ClusterNode HV3"]),
        ("not-upgraded", False, False, 12,
         ["node HV3 supports level 11 at most; every node must support 12: "
          "upgrade HV3 to the newer Windows Server first"]),
        ("in-progress", False, False, 12,
         ["the cluster refused the check: error 5976 (ERROR_CLUSTER_UPGRADE_IN_PROGRESS): The cluster is "
          "already being upgraded. Wait for the upgrade under way to finish."]),
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


def node(name: str, highest: int | None = 12, state: NodeState | int = NodeState.UP) -> NodeInfo:
    return NodeInfo(name, state, (10, 0, 26100), None if highest is None else (highest, 26100), None)


PASSED = Check(0, _clusupgrade.STAGE_UPGRADE, -1)


def test_nodes_not_reported_is_a_blocker_not_a_guess() -> None:
    found = judge(Report(info(), 0, 5, ()), PASSED)
    assert not found.ready and not found.nothing_to_do and found.target_level == 12
    assert found.blockers == (
        "the cluster did not report its nodes (error 5, ERROR_ACCESS_DENIED): without them clusupgrade "
        "cannot tell a raise from nothing to do; check them with Get-ClusterNode",
    )


def test_level_not_reported() -> None:
    found = judge(Report(info(None, (node("A"),)), 1, 0, (0,)), PASSED)
    assert not found.ready and found.target_level is None
    assert found.blockers == (
        "the cluster did not report its functional level (error 1, ERROR_INVALID_FUNCTION): "
        "check it with Get-Cluster | Format-List ClusterFunctionalLevel",
    )


def test_node_versions_not_reported() -> None:
    found = judge(Report(info(11, (node("A"), node("B", None))), 0, 0, (0, 5)), PASSED)
    assert not found.ready and not found.nothing_to_do
    assert found.blockers == (
        "node B did not report the highest level it supports (error 5, ERROR_ACCESS_DENIED): "
        "check it with Get-ClusterNode B | Format-List *",
    )


def test_missing_upgrade_export() -> None:
    # clusapi.dll without ClusterUpgradeFunctionalLevel (older servers, some
    # RSAT installs): the cluster was read, the check could not be made.
    found = judge(Report(info(11, (node("A"),)), 0, 0, (0,)), Check(127, _clusupgrade.STAGE_LOAD, 2))
    assert not found.ready and not found.nothing_to_do
    assert len(found.blockers) == 1 and "has no ClusterUpgradeFunctionalLevel export" in found.blockers[0]


def test_a_refusal_no_node_explains() -> None:
    found = judge(Report(info(11, (node("A"),)), 0, 0, (0,)), Check(5973, _clusupgrade.STAGE_UPGRADE, -1))
    assert not found.ready and found.blockers == (
        "the cluster refused the check: error 5973 (ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS): The cluster "
        "upgrade could not be performed: not every node supports the new level. Finish the rolling upgrade: "
        "every node must run the new Windows Server version.",
    )


def test_node_states_have_remedies() -> None:
    nodes = (node("A", state=NodeState.JOINING), node("B", state=NodeState.UNKNOWN), node("C", state=9))
    found = judge(Report(info(11, nodes), 0, 0, (0, 0, 0)), Check(5072, _clusupgrade.STAGE_UPGRADE, -1))
    assert found.blockers == (
        "node A is still joining the cluster: wait until Get-ClusterNode A shows it Up",
        "the state of node B is unknown (-1): check it with Get-ClusterNode B",
        "the state of node C is unknown (9): check it with Get-ClusterNode C",
    )


def test_nothing_to_do_only_when_the_check_passed() -> None:
    nodes = (node("A", 11), node("B", 11, NodeState.PAUSED))
    refused = judge(Report(info(11, nodes), 0, 0, (0, 0)), Check(5070, _clusupgrade.STAGE_UPGRADE, -1))
    assert not refused.nothing_to_do and refused.blockers == ("node B is paused: Resume-ClusterNode B",)
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
