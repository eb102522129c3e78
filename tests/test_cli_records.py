"""The command's outcomes and records, in-process: pure functions from what
a cluster reported to Endings and JSON records (Salt builds its records
with them too), the shipped schema that describes them, the exit-code
order, and the patient first Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import replace

import pytest

import clusupgrade
from clusupgrade import ClusterInfo, ClusterUpgradeError, Preflight, UpgradeResult, UpgradeTimeoutError
from clusupgrade.cli import single
from clusupgrade.cli.codes import SEVERITY, worst
from clusupgrade.cli.endings import (
    OUTCOMES,
    Ending,
    gate,
    judge_reread,
    not_started,
    raise_ending,
    restart_line,
    stopped_ending,
)
from clusupgrade.cli.records import SCHEMA_VERSION, preflight_record, result_record, summary_record
from clusupgrade.cli.session import summary_rows
from clusupgrade.cli.signals import Interrupted, StopSignals

from .test_cli import VALIDATOR, records, schema_text

INFO = ClusterInfo(name="HV", os_version=(10, 0, 26100), highest_version=None, lowest_version=None,
                   mixed_mode=False, functional_level=11)
READY = Preflight(INFO, ready=True, nothing_to_do=False, target_level=12, blockers=())
BLOCKED = Preflight(INFO, ready=False, nothing_to_do=False, target_level=12,
                    blockers=("node HV2 did not report the highest level it supports",))
PASSED = UpgradeResult("hv", False, (), 0.1, 0, level_before=11)


def _validate(record: dict[str, object]) -> None:
    if VALIDATOR is not None:
        VALIDATOR.validate(json.loads(json.dumps(record)))  # type: ignore[attr-defined]


def test_the_schema_documents_every_outcome_word() -> None:
    schema = json.loads(schema_text())
    outcome = schema["$defs"]["outcome"]
    assert outcome["enum"] == list(OUTCOMES)
    for word in ("skipped", "not-started", "interrupted", "state-unknown", "blocked", "raised-restart-required"):
        assert f"- {word}: " in outcome["description"]


def test_every_record_kind_carries_the_common_keys() -> None:
    ending = raise_ending(UpgradeResult("hv", True, (), 0.5, 0, level_before=11, level_after=12), False)
    made = [
        preflight_record("hv", READY, simulated=True),
        result_record(ending, simulated=True),
        summary_record([ending], command="run", simulated=True, exit_code=0),
    ]
    for record in made:
        assert record["schema_version"] == SCHEMA_VERSION and record["simulated"] is True and "cluster" in record
        _validate(record)
    assert made[2]["cluster"] is None


def test_the_preflight_gates_the_raise() -> None:
    assert gate("hv", READY, PASSED) is None
    blocked = gate("hv", BLOCKED, PASSED)  # the cluster's own check passed
    assert blocked is not None and (blocked.outcome, blocked.exit_code, blocked.raised) == ("blocked", 3, False)
    assert "--ignore-blockers" in blocked.message
    assert gate("hv", BLOCKED, PASSED, ignore_blockers=True) is None
    refused = ClusterUpgradeError(5973, cluster="hv")
    stop = gate("hv", BLOCKED, refused, ignore_blockers=True)  # the cluster's check still decides
    assert stop is not None and (stop.outcome, stop.winerror) == ("not-ready", 5973)
    nothing = gate("hv", Preflight(INFO, False, True, None, ()), PASSED)
    assert nothing is not None and (nothing.outcome, nothing.exit_code) == ("nothing-to-raise", 0)
    _validate(result_record(blocked, simulated=False))


@pytest.mark.parametrize(
    ("level", "in_progress", "running", "stands"),
    [(12, None, True, "raised"), (11, None, False, "unchanged"), (11, None, True, "unknown"),
     (11, True, False, "unknown"), (None, None, False, "unknown")],
)
def test_where_a_cluster_stands_after_a_reread(level: int | None, in_progress: bool | None, running: bool,
                                               stands: str) -> None:
    assert judge_reread(11, level, in_progress=in_progress, still_running=running).stands == stands


def test_a_stopped_raise_keeps_its_signal_and_says_where_it_stands() -> None:
    unknown = judge_reread(11, 11, in_progress=None, still_running=True)
    ending = stopped_ending("hv", performed=True, before=11, reread=unknown, signum=int(signal.SIGTERM))
    assert (ending.outcome, ending.exit_code, ending.raised, ending.stands) == ("interrupted", 143, None, "unknown")
    # The table's "level after" does not show a level read while the raise went on.
    assert summary_rows([ending])[1][2:4] == ("11", "unknown")
    raised = judge_reread(11, 12, in_progress=None, still_running=False)
    ending = stopped_ending("hv", performed=True, before=11, reread=raised, signum=int(signal.SIGINT))
    assert (ending.exit_code, ending.raised, ending.level_after) == (130, True, 12)
    assert summary_rows([ending])[1][2:4] == ("11", "12")
    assert "WAS raised" in ending.message
    _validate(result_record(ending, simulated=False))


def test_a_reread_that_shows_the_raise_after_a_failure_is_a_raise() -> None:
    raised = judge_reread(11, 12, in_progress=None, still_running=False)
    timeout = UpgradeTimeoutError("did not finish", cluster="hv")
    ending = stopped_ending("hv", performed=True, before=11, reread=raised, signum=None, error=timeout)
    assert (ending.outcome, ending.exit_code, ending.raised, ending.winerror) == ("raised", 0, True, 1460)
    restart = stopped_ending("hv", performed=True, before=11, reread=raised, signum=None,
                             error=ClusterUpgradeError(5975, cluster="hv"))
    assert (restart.outcome, restart.exit_code, restart.restart_required) == ("raised-restart-required", 7, True)
    unknown = judge_reread(11, None, in_progress=None, still_running=True, failure="no answer")
    ending = stopped_ending("hv", performed=True, before=11, reread=unknown, signum=None, error=timeout)
    assert (ending.outcome, ending.exit_code, ending.raised) == ("state-unknown", 8, None)
    unchanged = judge_reread(11, 11, in_progress=None, still_running=False)
    ending = stopped_ending("hv", performed=True, before=11, reread=unchanged, signum=None,
                            error=ClusterUpgradeError(5977, cluster="hv"))
    assert (ending.outcome, ending.exit_code, ending.raised, ending.stands) == ("failed", 1, False, "unchanged")


def test_the_worst_outcome_wins_in_the_documented_order() -> None:
    assert SEVERITY[:4] == (1, 8, 4, 3) and SEVERITY[-2:] == (7, 0)
    assert worst([0, 7, 3]) == 3 and worst([0, 7]) == 7 and worst([4, 8]) == 8 and worst([8, 1]) == 1
    assert 6 not in SEVERITY


def test_restart_is_carried_into_the_summary_and_a_closing_line() -> None:
    a = raise_ending(UpgradeResult("a", True, (), 0.5, 5975, level_before=11, level_after=12), False)
    b = not_started("b", "Ctrl+C stopped new starts", performed=True)
    summary = summary_record([a, b], command="run", simulated=True, exit_code=7)
    assert summary["restart_required"] == ["a"]
    assert summary["clusters"][0]["restart_required"] is True  # type: ignore[index]
    assert summary["clusters"][1]["raised"] is False  # type: ignore[index]
    assert a.words == "raised, restart needed"
    line = restart_line([a, b])
    assert line is not None and "cluster 'a'" in line and "cluster 'b'" not in line
    _validate(summary)


def test_raised_is_null_where_unknown_never_false() -> None:
    ending = raise_ending(UpgradeResult("hv", True, (), 0.5, 0), None)
    assert (ending.outcome, ending.raised) == ("state-unknown", None)
    failed = Ending("hv", "failed", 1, "x", True)
    assert failed.raised is None  # the default: unknown


@pytest.mark.skipif(sys.platform == "win32", reason="os.kill delivers SIGINT to the own process on POSIX only")
def test_the_first_ctrl_c_while_patient_only_warns() -> None:
    warned = []
    with StopSignals() as signals:
        signals.patient(lambda: warned.append(True))
        os.kill(os.getpid(), signal.SIGINT)
        assert warned == [True] and signals.warned
        with pytest.raises(Interrupted) as second:
            os.kill(os.getpid(), signal.SIGINT)
        assert second.value.signum == signal.SIGINT
        signals.patient(lambda: warned.append(True))
        with pytest.raises(Interrupted) as term:  # SIGTERM stops waiting at once
            os.kill(os.getpid(), signal.SIGTERM)
        assert term.value.signum == signal.SIGTERM and warned == [True]


def test_blockers_refuse_the_raise_even_when_the_check_passed(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # A cluster whose own check passes, with a blocker the preflight found
    # (the simulator's scenarios refuse in their check, so the judge is
    # given one more blocker here): no raise is sent.
    judged = single.judged

    def with_a_blocker(report: object, refused: int | None) -> Preflight:
        p = judged(report, refused)  # type: ignore[arg-type]
        return replace(p, ready=False, blockers=(*p.blockers, "node HV2 did not report its highest level"))

    monkeypatch.setattr(single, "judged", with_a_blocker)
    code = clusupgrade.cli.main(["run", "--simulate", "--yes", "--delay", "0", "--json"])
    data = records(capsys.readouterr().out)
    assert code == 3
    assert not [r for r in data if r["event"] == "phase" and r["performed"] is True]
    assert [r["outcome"] for r in data if r["event"] == "result"] == ["blocked"]
    code = clusupgrade.cli.main(["run", "--simulate", "--yes", "--delay", "0", "--json", "--ignore-blockers"])
    data = records(capsys.readouterr().out)
    assert code == 0 and [r["outcome"] for r in data if r["event"] == "result"] == ["raised"]


def test_a_stop_right_after_the_raise_returned_still_reports_it(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # SIGTERM lands after the call has returned, before its outcome is
    # shown (here: as the stream's `with` is left).  0.1 lost the result
    # record and said "its outcome is above"; the outcome is reported.
    real = single.api.phases

    class Late:
        def __init__(self, stream: clusupgrade.PhaseStream) -> None:
            self.stream = stream

        def __getattr__(self, name: str) -> object:
            return getattr(self.stream, name)

        def __iter__(self) -> clusupgrade.PhaseStream:
            return self.stream

        def __enter__(self) -> Late:
            self.stream.__enter__()
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.__exit__(None, None, None)
            if self.stream.result is not None and self.stream.result.performed:
                raise Interrupted(int(signal.SIGTERM))

    def phases(target: object, *, perform: bool, timeout: float | None = None) -> object:
        return Late(real(target, perform=perform, timeout=timeout))  # type: ignore[arg-type]

    monkeypatch.setattr(single.api, "phases", phases)
    code = clusupgrade.cli.main(["run", "--simulate", "--yes", "--delay", "0", "--json"])
    data = records(capsys.readouterr().out)
    assert code == 0
    assert [(r["outcome"], r["raised"]) for r in data if r["event"] == "result"] == [("raised", True)]
    assert data[-1]["event"] == "summary"


def test_the_schema_rejects_a_record_it_does_not_describe() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    assert VALIDATOR is not None
    good = result_record(Ending("hv", "raised", 0, "raised", True, winerror=0, raised=True), simulated=False)
    VALIDATOR.validate(good)  # type: ignore[attr-defined]
    for bad in ({**good, "outcome": "succeeded"}, {**good, "raised": "yes"}, {**good, "extra": 1},
                {k: v for k, v in good.items() if k != "schema_version"}):
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR.validate(bad)  # type: ignore[attr-defined]
