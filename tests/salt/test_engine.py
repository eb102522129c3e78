"""clusupgrade through a real Salt master and minions (tools/check-salt.sh).

The tests run in order, on one lab (conftest.py): each minion rehearses on
its own simulated cluster, an estate file under its allowed directory, and
the levels they reach stay in the estates' state files between jobs.
"""

from __future__ import annotations

import hashlib
import json
import time
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from .conftest import MINIONS, lab

IDS = [m.id for m in MINIONS]
READY = {"m-a": "site-a", "m-b": "site-b", "m-c": "site-c"}
JOB_SECONDS = 120


def schema_validator() -> Any:
    """The shipped JSON Schema of the command line's records, when this
    clusupgrade has one."""
    jsonschema = pytest.importorskip("jsonschema")
    try:
        text = resources.files("clusupgrade").joinpath("schema/records.schema.json").read_text()
    except (FileNotFoundError, OSError):
        return None
    return jsonschema.Draft202012Validator(json.loads(text))


def validate(record: dict[str, Any]) -> None:
    validator = schema_validator()
    if validator is not None:
        validator.validate(record)


def run(salt_lab: lab.Lab, tgt: str | list[str], fun: str, arg: list[Any] | None = None,
        kwarg: dict[str, Any] | None = None, timeout: float = JOB_SECONDS) -> dict[str, Any]:
    """The minions' full returns ({id: {"ret": ..., "retcode": ...}})."""
    with salt_lab.client() as client:
        found: dict[str, Any] = client.cmd(tgt, fun, arg or [], timeout=timeout, kwarg=kwarg or {},
                                           tgt_type="list" if isinstance(tgt, list) else "glob", full_return=True)
    return found


def snapshot(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def estates(salt_lab: lab.Lab) -> dict[str, dict[str, str]]:
    return {m.id: snapshot(salt_lab.estate_dir(m)) for m in MINIONS}


def levels(salt_lab: lab.Lab) -> dict[str, int]:
    found = run(salt_lab, IDS, "clusupgrade.info")
    assert {found[mid]["retcode"] for mid in IDS} == {0}, found
    return {mid: found[mid]["ret"]["functional_level"] for mid in IDS}


def state_returns(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each minion's one state return."""
    out = {}
    for mid, full in found.items():
        ret = full["ret"]
        assert isinstance(ret, dict), (mid, ret)
        (only,) = ret.values()
        out[mid] = only
    return out


def state_returns_all(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each minion's state returns, by state id."""
    out = {}
    for mid, full in found.items():
        assert isinstance(full["ret"], dict), (mid, full)
        out[mid] = full["ret"]
    return out


class Events:
    """What arrives on the master's event bus under clusupgrade/."""

    def __init__(self, salt_lab: lab.Lab) -> None:
        self.bus = salt_lab.event_bus()
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def collect(self, results: set[str], timeout: float = 60) -> None:
        """Until a result has come for each cluster in `results`."""
        deadline = time.monotonic() + timeout
        while not results <= self.results() and time.monotonic() < deadline:
            event = self.bus.get_event(wait=1, tag="clusupgrade/", match_type="startswith", full=True)
            if event is not None:
                data = event["data"]
                self.seen.append((event["tag"], data.get("data", data)))

    def results(self) -> set[str]:
        return {tag.split("/")[1] for tag, _ in self.seen if tag.endswith("/result")}

    def of(self, cluster: str) -> list[tuple[str, dict[str, Any]]]:
        return [(tag, data) for tag, data in self.seen if tag.split("/")[1] == cluster]

    def close(self) -> None:
        self.bus.destroy()


def test_preflight_on_every_minion(salt_lab: lab.Lab) -> None:
    found = run(salt_lab, "*", "clusupgrade.preflight")
    assert set(found) == set(IDS)
    for mid in READY:
        ret = found[mid]["ret"]
        validate(ret)
        assert found[mid]["retcode"] == 0, ret
        assert (ret["event"], ret["outcome"], ret["functional_level"], ret["target_level"]) == (
            "preflight", "ready", 11, 12)
        assert ret["simulated"] is True and ret["blockers"] == []
    ret = found["m-d"]["ret"]
    validate(ret)
    assert ret["outcome"] == "not-ready" and found["m-d"]["retcode"] == 3
    assert any("HV3" in b and "Resume-ClusterNode -Name HV3" in b for b in ret["blockers"]), ret


def test_an_estate_named_in_a_job_must_lie_under_an_allowed_directory(salt_lab: lab.Lab) -> None:
    a = MINIONS[0]
    inside = run(salt_lab, a.id, "clusupgrade.preflight", kwarg={"simulate": str(salt_lab.estate_file(a))})
    assert inside[a.id]["ret"]["outcome"] == "ready", inside
    outside_dir = salt_lab.root / "outside"
    link = salt_lab.estate_dir(a) / "link.toml"
    link.symlink_to(outside_dir / "outside.toml")
    before = snapshot(outside_dir)
    for path in (outside_dir / "outside.toml", salt_lab.estate_dir(a) / ".." / ".." / "outside" / "outside.toml",
                 link):
        found = run(salt_lab, a.id, "clusupgrade.raise_level", kwarg={"simulate": str(path)})
        ret = found[a.id]
        assert ret["retcode"] != 0 and isinstance(ret["ret"], str), ret
        assert "refused" in ret["ret"] and "clusupgrade.estate_dirs" in ret["ret"], ret
    link.unlink()
    assert snapshot(outside_dir) == before  # nothing read into a state, nothing written


def test_the_state_in_test_mode_changes_nothing(salt_lab: lab.Lab) -> None:
    before = estates(salt_lab)
    found = state_returns(run(salt_lab, "*", "state.apply", ["clusupgrade"], kwarg={"test": True}))
    for mid in READY:
        assert found[mid]["result"] is None, found[mid]
        assert found[mid]["changes"] == {"old": 11, "new": 12}
    assert found["m-d"]["result"] is False
    assert "Resume-ClusterNode -Name HV3" in found["m-d"]["comment"]
    assert estates(salt_lab) == before
    assert levels(salt_lab) == {"m-a": 11, "m-b": 11, "m-c": 11, "m-d": 11}


def test_the_state_raises_and_every_phase_reaches_the_master(salt_lab: lab.Lab) -> None:
    events = Events(salt_lab)
    try:
        found = state_returns(run(salt_lab, "*", "state.apply", ["clusupgrade"]))
        events.collect(set(READY.values()))
    finally:
        events.close()
    for mid in ("m-a", "m-b"):
        assert found[mid]["result"] is True and found[mid]["changes"] == {"old": 11, "new": 12}, found[mid]
    c = found["m-c"]
    assert c["result"] is True, c
    assert c["changes"] == {"old": 11, "new": 12, "restart_required": True, "winerror": 5975}
    assert "restart" in c["comment"].lower() and "Stop-Cluster" in c["comment"]
    d = found["m-d"]
    assert d["result"] is False and d["changes"] == {} and "Resume-ClusterNode -Name HV3" in d["comment"]
    for mid, cluster in READY.items():
        seen = events.of(cluster)
        phases = [data for tag, data in seen if tag == f"clusupgrade/{cluster}/phase"]
        assert [p["phase"] for p in phases] == [1, 2, 3, 4, 5], seen
        assert [p["sequence"] for p in phases] == [0, 1, 2, 3, 4]
        assert {p["minion"] for p in phases} == {mid}
        assert seen[-1][0] == f"clusupgrade/{cluster}/result"
        result = seen[-1][1]
        assert result["outcome"] == ("raised-restart-required" if mid == "m-c" else "raised"), result
        assert result["minion"] == mid and result["phases"] == [1, 2, 3, 4, 5]
    assert events.of("site-d") == []  # not ready: nothing sent, nothing fired
    assert levels(salt_lab) == {"m-a": 12, "m-b": 12, "m-c": 12, "m-d": 11}


def test_the_state_again_changes_nothing(salt_lab: lab.Lab) -> None:
    found = state_returns(run(salt_lab, "*", "state.apply", ["clusupgrade"]))
    for mid in READY:
        assert found[mid]["result"] is True and found[mid]["changes"] == {}, found[mid]
    assert found["m-d"]["result"] is False
    assert levels(salt_lab) == {"m-a": 12, "m-b": 12, "m-c": 12, "m-d": 11}


def test_at_most_one_raise_per_state_run(salt_lab: lab.Lab) -> None:
    a = MINIONS[0]
    for old in (11, 12):
        found = state_returns_all(run(salt_lab, a.id, "state.apply", ["twice"]))[a.id]
        first, second = (found[k] for k in sorted(found, key=lambda k: found[k]["__run_num__"]))
        assert first["result"] is True and first["changes"] == {"old": old, "new": old + 1}, first
        assert second["result"] is False and second["changes"] == {}, second
        assert "once in this state run" in second["comment"]


def test_nothing_to_raise_sends_nothing(salt_lab: lab.Lab) -> None:
    found = run(salt_lab, "m-b", "clusupgrade.raise_level")
    ret = found["m-b"]["ret"]
    validate(ret)
    assert ret["outcome"] == "nothing-to-raise" and ret["phases"] == [] and found["m-b"]["retcode"] == 0


def test_a_job_the_master_stops_waiting_for_stops_nothing_on_the_cluster(salt_lab: lab.Lab) -> None:
    a = MINIONS[0]
    slow = salt_lab.estate_dir(a) / "slow.toml"
    events = Events(salt_lab)
    try:
        with salt_lab.client() as client:
            # The master does not wait at all: the job is published and left.
            jid = client.cmd_async(a.id, "clusupgrade.raise_level", kwarg={"simulate": str(slow)})
            assert jid
            running = client.cmd(a.id, "saltutil.find_job", [jid], timeout=30)
        assert running[a.id].get("jid") == jid, running  # still running on the minion
        events.collect({"site-a-slow"}, timeout=90)
    finally:
        events.close()
    seen = events.of("site-a-slow")
    assert [d["phase"] for t, d in seen if t.endswith("/phase")] == [1, 2, 3, 4, 5]
    assert seen[-1][1]["outcome"] == "raised"
    info = run(salt_lab, a.id, "clusupgrade.info", kwarg={"simulate": str(slow)})
    assert info[a.id]["ret"]["functional_level"] == 12
