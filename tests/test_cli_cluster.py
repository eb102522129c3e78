"""What the command says about a cluster from issue 9's facts (levels
before and after, nodes, preflight), in-process; and the output channels
that may fail."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest

import clusupgrade
from clusupgrade import ClusterInfo, NodeInfo, NodeState, Preflight, Simulator, UpgradeResult
from clusupgrade.cli.cluster import (
    SimSettings,
    info_lines,
    judged,
    model_of,
    node_table,
    read_report,
    simulated,
    supports_more,
)
from clusupgrade.cli.endings import preflight_lines, preflight_outcome, preflight_sentence, raise_ending
from clusupgrade.cli.output import Channel, Console
from clusupgrade.cli.records import info_record, preflight_record
from clusupgrade.cli.words import level_text
from clusupgrade.simulator import SCENARIOS

from .test_cli import record

INFO = ClusterInfo(name="HV", os_version=(10, 0, 26100), highest_version=(11, 0), lowest_version=(10, 0),
                   mixed_mode=False, functional_level=10)
WS2022 = "Windows Server 2022"
WS2019 = "Windows Server 2019"


def test_level_text_says_what_the_sources_say() -> None:
    assert level_text(9) == "9 (Windows Server 2016)"
    assert level_text(10) == f"10 ({WS2019})"
    assert level_text(11) == f"11 ({WS2022})"
    assert level_text(None) == "unknown"
    assert level_text(99) == "99"


def _raised(before: int | None, after: int | None, status: int = 0) -> UpgradeResult:
    return UpgradeResult("hv", True, (), 0.5, status, level_before=before, level_after=after)


@pytest.mark.parametrize(
    ("levels", "nothing_to_do", "outcome", "code", "words", "raised"),
    [
        ((10, 11), None, "raised", 0, f"raised cluster 'hv' from level 10 ({WS2019}) to 11 ({WS2022})", True),
        ((11, 11), True, "nothing-to-raise", 0,
         f"nothing to raise: cluster 'hv' is already at level 11 ({WS2022}) and no node supports a higher one", False),
        ((10, 10), False, "failed", 1,
         f"did not move: before 10 ({WS2019}), after 10 ({WS2019}) although its nodes support a higher one", False),
        ((10, 10), None, "failed", 1, "whether its nodes support a higher level is unknown", False),
        ((10, None), None, "state-unknown", 8, "before and after is unknown", None),
        ((None, None), None, "state-unknown", 8, "reported success", None),
    ],
)
def test_a_raise_is_told_from_the_levels(
    levels: tuple[int | None, int | None], nothing_to_do: bool | None, outcome: str, code: int, words: str,
    raised: bool | None,
) -> None:
    ending = raise_ending(_raised(*levels), nothing_to_do)
    assert (ending.outcome, ending.exit_code, ending.raised) == (outcome, code, raised)
    assert words in ending.message
    assert ("raised cluster" in ending.message) == (outcome == "raised")


def test_5975_is_raised_restart_required_exit_7() -> None:
    ending = raise_ending(_raised(11, 12, 5975), None)
    assert (ending.outcome, ending.exit_code, ending.restart_required) == ("raised-restart-required", 7, True)
    assert ending.words == "raised, restart needed"


def test_a_5975_that_did_not_move_says_so() -> None:
    ending = raise_ending(_raised(11, 11, 5975), False)
    assert ending.exit_code == 1 and "it returned 5975" in ending.message and not ending.restart_required


def _node(name: str, state: int, os: tuple[int, int, int] | None, highest: tuple[int, int] | None) -> NodeInfo:
    return NodeInfo(name=name, state=state, os_version=os, highest_version=highest, lowest_version=None)


def test_info_with_nodes() -> None:
    nodes = (_node("hv1", NodeState.UP, (10, 0, 26100), (11, 0)), _node("hv2", NodeState.PAUSED, None, None),
             _node("hv3", 7, None, (10, 0)))
    info = replace(INFO, nodes=nodes, upgrade_version=3)
    lines = info_lines(info)
    assert "Upgrade version:   3" in lines and f"Functional level:  10 ({WS2019})" in lines
    table = lines[lines.index("Nodes:") + 1 :]
    assert table[0].split() == ["Name", "State", "OS", "Highest", "level"]
    assert table[1].split() == ["hv1", "Up", "10.0.26100", "11"]
    assert table[2].split() == ["hv2", "Paused", "unknown", "unknown"]
    assert table[3].split() == ["hv3", "state", "7", "unknown", "10"]
    data = record(json.dumps(info_record("hv", info, simulated=False)))  # validated against the schema
    assert data["nodes"][1] == {"name": "hv2", "state": 2, "state_name": "Paused", "os_version": None,
                                "highest_version": None, "highest_level": None, "lowest_version": None}
    assert data["upgrade_version"] == 3 and data["functional_level_name"] == f"10 ({WS2019})"
    assert node_table(())[0].split()[0] == "Name"


def test_info_without_nodes_says_unknown() -> None:
    lines = info_lines(INFO)
    assert "Nodes:             unknown" in lines and "Upgrade version:   unknown" in lines


def test_preflight_not_ready_lists_each_blocker() -> None:
    blockers = ("node HV3 is paused: Resume-ClusterNode HV3", "node HV2 supports level 10 at most")
    p = Preflight(INFO, ready=False, nothing_to_do=False, target_level=11, blockers=blockers)
    lines = preflight_lines("hv", p)
    assert lines[0].startswith("not ready: cluster 'hv' cannot go from level 10")
    assert lines[1:] == [f"  - {b}" for b in blockers]
    assert preflight_outcome(p) == "not-ready"
    assert preflight_record("hv", p, simulated=False)["blockers"] == list(blockers)


def test_preflight_ready_and_nothing_to_do() -> None:
    ready = Preflight(INFO, True, False, 11, ())
    assert preflight_outcome(ready) == "ready" and f"to 11 ({WS2022})" in preflight_sentence("hv", ready)
    nothing = Preflight(INFO, False, True, None, ())
    assert preflight_outcome(nothing) == "nothing-to-raise"


def test_supports_more_is_unknown_when_a_node_does_not_say() -> None:
    up = _node("a", NodeState.UP, None, (12, 0))
    assert supports_more((up,), 11) is True and supports_more((up,), 12) is False
    assert supports_more((up, _node("b", NodeState.UP, None, None)), 11) is None
    assert supports_more((), 11) is None


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_commands_preflight_is_preflight(scenario: str) -> None:
    # check and run judge the cluster with preflight's own judge, from a read
    # and a check they make themselves: the verdict is preflight()'s.
    expected = clusupgrade.preflight(Simulator.scenario(scenario))
    sim = Simulator.scenario(scenario)
    report = read_report(sim, None)
    try:
        clusupgrade.check(sim)
        refused = None
    except clusupgrade.ClusterUpgradeError as err:
        refused = err.winerror
    assert judged(report, refused) == expected


def test_a_simulated_cluster_takes_only_what_the_command_line_gave() -> None:
    default = simulated("hv", SimSettings())
    assert default.status is None and default.delay == 0.4 and default.name == "hv"
    assert clusupgrade.cluster_info(default).functional_level == 11
    scenario = simulated("hv", SimSettings(scenario="nothing-to-do", delay=0))
    assert clusupgrade.cluster_info(scenario).functional_level == 12
    level = simulated("hv", SimSettings(scenario="nothing-to-do", level=9, delay=0))
    assert clusupgrade.cluster_info(level).functional_level == 9
    scripted = SimSettings(scenario="not-upgraded", status=0, fail_after=4, delay=0)
    assert scripted.scripted and not SimSettings(level=3).scripted
    sim = simulated("hv", scripted)
    assert (sim.status, sim.fail_after) == (0, 4)
    model = model_of("hv", scripted)
    assert (model.status, model.fail_after, model.name) == (None, None, "hv")
    assert [n.highest_level for n in model.nodes] == [12, 12, 11]


class Broken(io.StringIO):
    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def flush(self) -> None:
        raise self.error


def test_a_failed_channel_says_so_once_and_never_raises() -> None:
    err = io.StringIO()
    console = Console(Broken(BrokenPipeError(32, "Broken pipe")), err)
    assert console.out.write("one\n") is False
    assert console.out.write("two\n") is False
    assert console.failed and console.failures() == ["stdout: Broken pipe (errno 32)"]
    assert err.getvalue().count("stdout failed (Broken pipe (errno 32))") == 1


def test_a_channel_without_a_stream_is_failed_at_its_first_write() -> None:
    channel = Channel(None, "stdout")
    assert not channel.failed and channel.flush()
    assert channel.write("x") is False and channel.failure == "it is closed"


def test_a_bug_in_showing_is_a_failed_output_not_an_exception() -> None:
    console = Console(io.StringIO(), io.StringIO())

    def show() -> None:
        raise ZeroDivisionError("oops")

    from clusupgrade.cli.args import Options
    from clusupgrade.cli.session import Session
    from clusupgrade.cli.signals import StopSignals

    session = Session(console, Options(command="run", names=("hv",)), StopSignals())
    session.observe("a phase", show)
    assert console.failed and "a phase: ZeroDivisionError: oops" in console.failures()
