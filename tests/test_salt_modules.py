"""The Salt extension's modules without Salt: what Salt would inject
(``__opts__``, ``__salt__``, ``__context__``) is faked here.  The real
engine is tested by tools/check-salt.sh (tests/salt/)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import clusupgrade
from clusupgrade.saltext import calls, state, target
from clusupgrade.saltext.modules import clusupgrade_mod as exec_mod
from clusupgrade.saltext.states import clusupgrade_mod as state_mod
from clusupgrade.saltext.target import EstatePathError, Resolved

from .conftest import run_python, settle


class Bus:
    """Salt's event.send, recording what was fired."""

    def __init__(self, fail: BaseException | None = None, answer: object = True) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail
        self.answer = answer

    def __call__(self, tag: str, data: dict[str, Any]) -> object:
        self.events.append((tag, data))
        if self.fail is not None:
            raise self.fail
        return self.answer

    def tags(self) -> list[str]:
        return [tag for tag, _ in self.events]


@pytest.fixture
def use_sim(monkeypatch: pytest.MonkeyPatch) -> Callable[[clusupgrade.Simulator], clusupgrade.Simulator]:
    """Make every simulated target of a job this simulator (as an estate
    file would give the same cluster to every call)."""

    def use(sim: clusupgrade.Simulator) -> clusupgrade.Simulator:
        monkeypatch.setattr(Resolved, "target", lambda self, state="keep": sim)
        return sim

    return use


def ctx(bus: Bus | None = None, **opts: Any) -> calls.Context:
    return calls.Context({"id": "minion-1", **opts}, None, bus)


def level(sim: clusupgrade.Simulator) -> int | None:
    return clusupgrade.cluster_info(sim).functional_level


# --------------------------------------------------------------------------
# Estate files named in job arguments.


@pytest.fixture
def estates(tmp_path: Path) -> Path:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "site.toml").write_text("# an estate\n")
    (tmp_path / "outside.toml").write_text("# not allowed\n")
    return tmp_path


def test_an_estate_under_an_allowed_directory_is_taken_resolved(estates: Path) -> None:
    opts = {"clusupgrade.estate_dirs": [str(estates / "allowed")]}
    assert target.allowed_estate(str(estates / "allowed" / "site.toml"), opts) == os.path.realpath(
        estates / "allowed" / "site.toml")
    nested = {"clusupgrade": {"estate_dirs": [str(estates / "allowed")]}}
    assert target.allowed_estate(str(estates / "allowed" / "site.toml"), nested)


@pytest.mark.parametrize("name", ["outside.toml", "allowed/../outside.toml", "allowed/link.toml", "allowed/none.toml"])
def test_an_estate_path_outside_the_allowed_directories_is_refused(estates: Path, name: str) -> None:
    try:
        (estates / "allowed" / "link.toml").symlink_to(estates / "outside.toml")
    except OSError:  # Windows without the privilege to make links
        if name == "allowed/link.toml":
            pytest.skip("symbolic links cannot be made here")
    opts = {"clusupgrade.estate_dirs": [str(estates / "allowed")]}
    with pytest.raises(EstatePathError) as caught:
        target.allowed_estate(str(estates / name), opts)
    assert caught.value.winerror == 5 and isinstance(caught.value, OSError)


def test_a_directory_named_like_an_allowed_one_is_not_inside_it(estates: Path) -> None:
    (estates / "allowed-not").mkdir()
    (estates / "allowed-not" / "x.toml").write_text("")
    opts = {"clusupgrade.estate_dirs": [str(estates / "allowed")]}
    with pytest.raises(EstatePathError):
        target.allowed_estate(str(estates / "allowed-not" / "x.toml"), opts)


def test_without_estate_dirs_no_job_argument_may_name_an_estate(estates: Path) -> None:
    with pytest.raises(EstatePathError, match="allows no estate files"):
        target.allowed_estate(str(estates / "allowed" / "site.toml"), {})
    with pytest.raises(EstatePathError, match="not an absolute path"):
        target.allowed_estate("allowed/site.toml", {"clusupgrade.estate_dirs": [str(estates / "allowed")]})


def test_the_pillar_cannot_allow_estate_directories(estates: Path) -> None:
    pillar = {"clusupgrade": {"estate_dirs": [str(estates)]}}
    with pytest.raises(EstatePathError):
        target.resolve(None, str(estates / "outside.toml"), {}, pillar)


def test_simulate_defaults_to_the_configuration_then_the_pillar(estates: Path) -> None:
    path = str(estates / "outside.toml")
    assert target.resolve("c", None, {}, {}) == Resolved("c", False)
    assert target.resolve("c", None, {"clusupgrade.simulate": path}, {}).estate == os.path.realpath(path)
    assert target.resolve("c", None, {}, {"clusupgrade": {"simulate": path}}).estate == os.path.realpath(path)
    assert target.resolve(None, None, {}, {"clusupgrade": {"simulate": True}}) == Resolved(None, True)
    assert target.resolve("c", False, {"clusupgrade.simulate": path}, {}) == Resolved("c", False)


def test_a_refused_estate_runs_nothing(estates: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    monkeypatch.setattr(target, "estate_simulator", lambda *a: made.append(a))
    bus = Bus()
    with pytest.raises(EstatePathError):
        calls.raise_level(ctx(bus, **{"clusupgrade.estate_dirs": [str(estates / "allowed")]}), None,
                          str(estates / "outside.toml"))
    assert made == [] and bus.events == []


@pytest.mark.parametrize("bad", [1, b"/x.toml", ["/x.toml"]])
def test_simulate_must_be_a_flag_or_a_path(bad: object) -> None:
    with pytest.raises(TypeError):
        target.resolve(None, bad, {})


# --------------------------------------------------------------------------
# The execution module's calls.


def test_a_raise_fires_each_phase_in_order_then_its_result(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator(name="site-a"))
    bus = Bus()
    record = calls.raise_level(ctx(bus), "site-a", True).record
    assert record["event"] == "result" and record["outcome"] == "raised"
    assert (record["level_before"], record["level_after"], record["raised"]) == (11, 12, True)
    assert record["phases"] == [1, 2, 3, 4, 5] and record["simulated"] is True
    phases = [data for tag, data in bus.events if tag == "clusupgrade/site-a/phase"]
    assert [d["phase"] for d in phases] == [1, 2, 3, 4, 5]
    assert [d["sequence"] for d in phases] == [0, 1, 2, 3, 4]
    assert {d["minion"] for d in phases} == {"minion-1"}
    assert bus.tags()[-1] == "clusupgrade/site-a/result"
    assert bus.events[-1][1]["outcome"] == "raised" and bus.events[-1][1]["minion"] == "minion-1"
    assert level(sim) == 12 and all(settle(sim))


def test_the_tag_carries_the_name_the_cluster_reports(use_sim: Any) -> None:
    use_sim(clusupgrade.Simulator(name="HV-Cluster.example.com"))
    bus = Bus()
    calls.raise_level(ctx(bus), None, True)
    assert set(bus.tags()) == {"clusupgrade/HV-Cluster.example.com/phase", "clusupgrade/HV-Cluster.example.com/result"}


def test_a_slash_in_a_cluster_name_cannot_make_another_tag(use_sim: Any) -> None:
    use_sim(clusupgrade.Simulator(name="a/result"))
    bus = Bus()
    calls.raise_level(ctx(bus), "a/result", True)
    assert set(bus.tags()) == {"clusupgrade/a%2Fresult/phase", "clusupgrade/a%2Fresult/result"}


@pytest.mark.parametrize("bus", [Bus(fail=RuntimeError("master gone")), Bus(answer=False)])
def test_a_failure_to_fire_never_touches_the_call(use_sim: Any, bus: Bus) -> None:
    sim = use_sim(clusupgrade.Simulator(name="site-a"))
    record = calls.raise_level(ctx(bus), "site-a", True).record
    assert record["outcome"] == "raised" and level(sim) == 12
    assert len(bus.events) == 6 and all(settle(sim))


def test_nothing_to_raise_sends_nothing(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator.scenario("nothing-to-do", name="c"))
    bus = Bus()
    record = calls.raise_level(ctx(bus), "c", True).record
    assert record["outcome"] == "nothing-to-raise" and record["phases"] == [] and record["winerror"] is None
    assert sim.runs == 1  # the preflight's check, no raise
    assert bus.tags() == ["clusupgrade/c/result"]


def test_blockers_refuse_the_raise_unless_ignored(use_sim: Any) -> None:
    # The cluster's own check passes (scripted), the preflight finds HV3 paused.
    sim = use_sim(clusupgrade.Simulator.scenario("node-paused", name="c", status=0))
    done = calls.raise_level(ctx(), "c", True)
    record = done.record
    assert record["outcome"] == "blocked" and record["raised"] is False and record["phases"] == []
    assert "ignore_blockers=True" in record["message"]
    assert sim.runs == 1 and done.exit_code == 3
    record = calls.raise_level(ctx(), "c", True, ignore_blockers=True).record
    assert record["outcome"] != "blocked" and record["phases"] == [1, 2, 3, 4, 5]
    assert sim.runs == 3  # a check, then another check and the raise


def test_ignore_blockers_leaves_the_decision_to_the_clusters_check(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator.scenario("node-paused", name="c"))
    record = calls.raise_level(ctx(), "c", True, ignore_blockers=True).record
    assert record["outcome"] == "not-ready" and sim.runs == 1 and level(sim) == 11


def test_5975_is_reported_as_raised_with_a_restart(use_sim: Any) -> None:
    use_sim(clusupgrade.Simulator(name="c", status=5975))
    done = calls.raise_level(ctx(), "c", True)
    record = done.record
    assert record["outcome"] == "raised-restart-required" and record["restart_required"] is True
    assert record["winerror"] == 5975 and done.exit_code == 7


def test_a_failed_raise_is_read_again(use_sim: Any) -> None:
    use_sim(clusupgrade.Simulator(name="c"))  # the preflight's and the read's
    job, failed = calls.Raise.prepare(ctx(), "c", True, None)
    assert failed is None and job.gate(False) is None
    job.target = clusupgrade.Simulator(name="c", fail_after=3)  # the raise fails with 5977
    record = job.perform().record
    assert (record["outcome"], record["winerror"], record["phases"]) == ("failed", 5977, [1, 2, 3])
    assert (record["level_before"], record["level_after"], record["stands"], record["raised"]) == (
        11, 11, "unchanged", False)


def test_a_check_that_fails_sends_no_raise(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator(name="c", status=5977, fail_after=1))
    record = calls.raise_level(ctx(), "c", True).record
    assert record["outcome"] == "failed" and record["raised"] is False and sim.runs == 1


def test_an_unreachable_cluster_is_a_record_not_an_exception(use_sim: Any) -> None:
    use_sim(clusupgrade.Simulator(name="c", open_error=1722))
    bus = Bus()
    record = calls.raise_level(ctx(bus), "c", True).record
    assert record["outcome"] == "unreachable" and record["winerror"] == 1722 and record["raised"] is False
    assert bus.tags() == ["clusupgrade/c/result"]


def test_info_preflight_and_check_change_nothing(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator(name="c"))
    bus = Bus()
    done = calls.info(ctx(bus), "c", True)
    info = done.record
    assert info["event"] == "info" and info["functional_level"] == 11 and len(info["nodes"]) == 3
    assert done.exit_code == 0
    pre = calls.preflight(ctx(bus), "c", True).record
    assert pre["event"] == "preflight" and pre["outcome"] == "ready" and pre["target_level"] == 12
    checked = calls.check(ctx(bus), "c", True).record
    assert checked["event"] == "result" and checked["outcome"] == "check-passed" and checked["phases"] == [1, 2]
    assert level(sim) == 11 and bus.events == []


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has clusapi.dll (under Wine, a test double)")
def test_a_real_cluster_here_has_no_clusapi() -> None:
    done = calls.preflight(ctx(), "hv-cluster1", False)
    assert done.record["outcome"] == "no-clusapi" and done.exit_code == 4


@pytest.mark.parametrize("kwargs", [{"ignore_blockers": "yes"}, {"timeout": 0}, {"timeout": "10"}])
def test_bad_arguments_send_nothing(use_sim: Any, kwargs: dict[str, Any]) -> None:
    sim = use_sim(clusupgrade.Simulator(name="c"))
    with pytest.raises((TypeError, ValueError)):
        calls.raise_level(ctx(), "c", True, **kwargs)
    assert sim.runs == 0


# --------------------------------------------------------------------------
# The state.


def apply(name: str = "c", run: dict[str, Any] | None = None, bus: Bus | None = None, **kwargs: Any) -> dict[str, Any]:
    return state.level_raised(ctx(bus), {} if run is None else run, name, simulate=True, **kwargs)


def test_the_state_raises_once_and_reports_old_and_new(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator(name="c"))
    bus = Bus()
    ret = apply(bus=bus)
    assert ret["result"] is True and ret["changes"] == {"old": 11, "new": 12}
    assert level(sim) == 12 and "clusupgrade/c/result" in bus.tags()
    again = apply()
    assert again["result"] is True and again["changes"] == {}


def test_test_mode_reports_the_preflight_without_raising(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator(name="c"))
    bus = Bus()
    ret = apply(bus=bus, test=True)
    assert ret["result"] is None and ret["changes"] == {"old": 11, "new": 12}
    assert level(sim) == 11 and sim.runs == 1 and bus.events == []


def test_test_mode_reports_the_blockers_with_their_remedies(use_sim: Any) -> None:
    use_sim(clusupgrade.Simulator.scenario("node-paused", name="c"))
    ret = apply(test=True)
    assert ret["result"] is False and ret["changes"] == {}
    assert "Resume-ClusterNode -Name HV3" in ret["comment"]


def test_not_ready_fails_with_the_blocker(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator.scenario("not-upgraded", name="c"))
    ret = apply()
    assert ret["result"] is False and ret["changes"] == {}
    assert "HV3" in ret["comment"] and level(sim) == 11 and sim.runs == 1


def test_at_most_one_raise_per_state_run(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator(name="c", nodes=[clusupgrade.SimNode("N1", highest_level=14)]))
    run: dict[str, Any] = {}
    assert apply(run=run)["changes"] == {"old": 11, "new": 12}
    second = apply(run=run)
    assert second["result"] is False and "once in this state run" in second["comment"]
    assert level(sim) == 12
    assert apply(run={})["changes"] == {"old": 12, "new": 13}


@pytest.mark.parametrize(("want", "result", "moved"), [(11, True, False), (12, True, True), (13, False, False),
                                                      (10, False, False)])
def test_the_level_decides(use_sim: Any, want: int, result: bool, moved: bool) -> None:
    sim = use_sim(clusupgrade.Simulator(name="c"))
    ret = apply(level=want)
    assert ret["result"] is result and bool(ret["changes"]) is moved
    assert level(sim) == (12 if moved else 11) and sim.runs == (2 if moved else 1)


def test_a_level_no_node_supports_fails(use_sim: Any) -> None:
    sim = use_sim(clusupgrade.Simulator.scenario("nothing-to-do", name="c"))
    assert apply(level=13)["result"] is False
    assert apply()["result"] is True and apply()["changes"] == {}
    assert sim.runs == 3


def test_the_state_can_mean_the_minions_own_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    real = target.resolve

    def spy(cluster: object, *args: Any) -> Resolved:
        asked.append(cluster)
        return real(cluster, *args)

    monkeypatch.setattr(calls, "resolve", spy)
    assert state.level_raised(ctx(), {}, "raise-it", local_cluster=True, simulate=True, test=True)["result"] is None
    assert state.level_raised(ctx(), {}, "raise-it", cluster="c", simulate=True, test=True)["result"] is None
    assert state.level_raised(ctx(), {}, "c", simulate=True, test=True)["result"] is None
    assert asked == [None, "c", "c"]
    with pytest.raises(ValueError, match="not both"):
        state.level_raised(ctx(), {}, "x", cluster="c", local_cluster=True, simulate=True)


def test_the_state_surfaces_5975(use_sim: Any) -> None:
    use_sim(clusupgrade.Simulator(name="c", status=5975))
    ret = apply()
    assert ret["result"] is True
    assert ret["changes"] == {"old": 11, "new": 12, "restart_required": True, "winerror": 5975}
    assert "restart" in ret["comment"].lower()


# --------------------------------------------------------------------------
# The loader modules as Salt loads them.


@pytest.fixture
def injected(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Bus, dict[str, Any]]]:
    bus = Bus()
    context: dict[str, Any] = {}
    for mod in (exec_mod, state_mod):
        monkeypatch.setattr(mod, "__opts__", {"id": "m1", "test": False}, raising=False)
        monkeypatch.setattr(mod, "__salt__", {"event.send": bus}, raising=False)
        monkeypatch.setattr(mod, "__pillar__", {}, raising=False)
        monkeypatch.setattr(mod, "__context__", context, raising=False)
    yield bus, context


def test_the_execution_module_sets_the_retcode(use_sim: Any, injected: tuple[Bus, dict[str, Any]]) -> None:
    bus, context = injected
    use_sim(clusupgrade.Simulator.scenario("node-paused", name="c"))
    assert exec_mod.raise_level("c", simulate=True)["outcome"] == "not-ready"
    assert context["retcode"] == 3
    use_sim(clusupgrade.Simulator(name="c"))
    assert exec_mod.raise_level("c", simulate=True)["outcome"] == "raised" and context["retcode"] == 0
    assert bus.tags()[-1] == "clusupgrade/c/result"


def test_the_execution_module_refuses_an_estate_outside(tmp_path: Path, injected: Any) -> None:
    (tmp_path / "x.toml").write_text("")
    with pytest.raises(PermissionError, match="refused"):
        exec_mod.preflight("c", simulate=str(tmp_path / "x.toml"))


def test_the_state_module_reads_test_from_opts(use_sim: Any, injected: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = use_sim(clusupgrade.Simulator(name="c"))
    monkeypatch.setattr(state_mod, "__opts__", {"id": "m1", "test": True}, raising=False)
    assert state_mod.level_raised("c", simulate=True)["result"] is None and level(sim) == 11
    bad = state_mod.level_raised("c", level="12", simulate=True)
    assert bad["result"] is False and "nothing was sent" in bad["comment"]


def test_salt_finds_the_modules_through_the_entry_point() -> None:
    (point,) = [ep for ep in importlib.metadata.entry_points(group="salt.loader") if ep.value == "clusupgrade.saltext"]
    package = point.load()
    for kind in ("modules", "states"):
        found = [Path(p, kind) for p in package.__path__ if Path(p, kind, "clusupgrade_mod.py").is_file()]
        assert found, kind


def test_nothing_imports_salt() -> None:
    code = (
        "import sys, clusupgrade.saltext.calls, clusupgrade.saltext.state, "
        "clusupgrade.saltext.modules.clusupgrade_mod, clusupgrade.saltext.states.clusupgrade_mod\n"
        "print(sorted(m for m in sys.modules if m == 'salt' or m.startswith('salt.')))"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------
# The answer policy and the records' schema.


def test_a_job_that_stops_waiting_leaves_the_raise_running(use_sim: Any) -> None:
    """timeout= only stops the job listening: every phase is answered TRUE,
    and the record says where the cluster stands."""
    # Each call may take 1.8 s: the read (0.5 s) and the check (1.0 s) end
    # in time, the raise (2.5 s) does not.
    sim = use_sim(clusupgrade.Simulator(name="c", delay=0.5))
    bus = Bus()
    done = calls.raise_level(ctx(bus), "c", True, timeout=1.8)
    assert done.record["outcome"] in ("raised", "state-unknown"), done.record
    assert "1.8 s" in done.record["message"], done.record
    assert settle(sim) == [True] * 5 and level(sim) == 12
    assert bus.tags()[-1] == "clusupgrade/c/result"


def _validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(resources.files("clusupgrade").joinpath("schema/records.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("scenario", ["ready", "nothing-to-do", "node-paused", "not-upgraded", "in-progress"])
def test_every_record_a_job_returns_is_one_the_schema_describes(use_sim: Any, scenario: str) -> None:
    validator = _validator()
    use_sim(clusupgrade.Simulator.scenario(scenario, name="c"))
    bus = Bus()
    for call in (calls.info, calls.preflight, calls.check, calls.raise_level):
        validator.validate(call(ctx(bus), "c", True).record)
    use_sim(clusupgrade.Simulator(name="c", open_error=5))
    validator.validate(calls.raise_level(ctx(bus), "c", True).record)
    use_sim(clusupgrade.Simulator(name="c", status=5975))
    validator.validate(calls.raise_level(ctx(bus), "c", True).record)
    for _, data in bus.events:
        validator.validate({k: v for k, v in data.items() if k != "minion"})
