"""What the command says about a cluster once issue 9's facts arrive
(levels before and after, nodes, preflight), tested with stand-ins shaped
like the contract; and the output channels that may fail, in-process."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from clusupgrade import ClusterInfo
from clusupgrade.cli_cluster import (
    info_json,
    info_lines,
    level_text,
    node_table,
    preflight_json,
    preflight_lines,
    preflight_verdict,
    run_verdict,
)
from clusupgrade.cli_output import Channel, Console
from clusupgrade.cli_render import Levels

INFO = ClusterInfo(name="HV", os_version=(10, 0, 26100), highest_version=(11, 0), lowest_version=(10, 0),
                   mixed_mode=False)


@dataclass(frozen=True)
class Node:
    name: str
    state: int
    os_version: tuple[int, int, int] | None
    highest_version: tuple[int, int] | None


@dataclass(frozen=True)
class Preflight:
    info: ClusterInfo
    ready: bool
    nothing_to_do: bool
    target_level: int | None
    blockers: Sequence[str]


def test_level_text() -> None:
    assert level_text(10) == "10 (Windows Server 2019)"
    assert level_text(None) == "unknown"
    assert level_text(99).startswith("99 (")


@pytest.mark.parametrize(
    ("levels", "nothing_to_do", "outcome", "code", "words"),
    [
        (Levels(10, 11), None, "raised", 0,
         "raised cluster 'hv' from level 10 (Windows Server 2019) to 11 (Windows Server 2022)"),
        (Levels(11, 11), True, "nothing-to-raise", 0,
         "nothing to raise: cluster 'hv' is already at level 11 (Windows Server 2022) and no node supports a "
         "higher one"),
        (Levels(10, 10), False, "not-raised", 1, "did not move: before 10 (Windows Server 2019), after 10"),
        (Levels(10, 10), None, "not-raised", 1, "whether its nodes support a higher level is unknown"),
        (Levels(10, None), None, "succeeded", 0, "before and after is unknown"),
        (Levels(None, None), None, "succeeded", 0, "reported success"),
    ],
)
def test_a_raise_is_told_from_the_levels(
    levels: Levels, nothing_to_do: bool | None, outcome: str, code: int, words: str
) -> None:
    verdict = run_verdict("hv", levels, nothing_to_do)
    assert (verdict.outcome, verdict.exit_code) == (outcome, code)
    assert words in verdict.sentence


def test_info_with_nodes() -> None:
    nodes = [Node("hv1", 0, (10, 0, 26100), (11, 0)), Node("hv2", 2, None, None), Node("hv3", 7, None, (10, 0))]
    lines = info_lines(INFO, nodes, upgrade_version=3)
    assert "Upgrade version:   3" in lines
    table = lines[lines.index("Nodes:") + 1 :]
    assert table[0].split() == ["Name", "State", "OS", "Highest", "level"]
    assert table[1].split() == ["hv1", "Up", "10.0.26100", "11"]
    assert table[2].split() == ["hv2", "Paused", "unknown", "unknown"]
    assert table[3].split() == ["hv3", "state", "7", "unknown", "10"]
    data = json.loads(json.dumps(info_json(INFO, nodes, 3)))
    assert data["nodes"][1] == {"name": "hv2", "state": 2, "state_name": "Paused", "os_version": None,
                                "highest_version": None, "highest_level": None}
    assert node_table([])[0].split()[0] == "Name"


def test_info_without_nodes_says_unknown() -> None:
    lines = info_lines(INFO, (), None)
    assert "Nodes:             unknown" in lines and "Upgrade version:   unknown" in lines


def test_preflight_not_ready_lists_each_blocker() -> None:
    blockers = ("node HV3 is paused: Resume-ClusterNode HV3", "node HV2 supports level 10 at most")
    p = Preflight(INFO, ready=False, nothing_to_do=False, target_level=11, blockers=blockers)
    lines = preflight_lines("hv", p)
    assert lines[0].startswith("not ready: cluster 'hv' cannot go from level 10")
    assert lines[1:] == [f"  - {b}" for b in blockers]
    assert preflight_verdict("hv", p).exit_code == 3
    assert preflight_json("hv", p)["blockers"] == list(blockers)


def test_preflight_ready_and_nothing_to_do() -> None:
    ready = preflight_verdict("hv", Preflight(INFO, True, False, 11, ()))
    assert ready.outcome == "ready" and "to 11 (Windows Server 2022)" in ready.sentence
    nothing = preflight_verdict("hv", Preflight(INFO, True, True, None, ()))
    assert nothing.outcome == "nothing-to-raise" and nothing.exit_code == 0


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

    from clusupgrade.cli_args import Options
    from clusupgrade.cli_session import Session
    from clusupgrade.cli_signals import StopSignals

    session = Session(console, Options(command="run", names=("hv",)), StopSignals())
    session.observe("a phase", show)
    assert console.failed and "a phase: ZeroDivisionError: oops" in console.failures()
