"""upgrade_many(): several clusters at once."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest

import clusupgrade
from clusupgrade import ClusterUpgradeError, Simulator, UpgradeResult, _clusupgrade
from clusupgrade import fleet as fleet_module
from clusupgrade.phase import END_HEADER, END_KIND

from .conftest import interrupt_main_after, settle
from .forking import in_forked_child, needs_fork


def test_500_clusters_at_once_every_event_delivered() -> None:
    sims = [
        Simulator(
            (1, 2, 3, 4, 5),
            name=f"node{i:03d}",
            delay=0.1,  # alive long enough to be all running at once, even under a sanitizer
            callback_thread="native" if i % 2 else "caller",
            status=5973 if i % 100 == 7 else 0,
        )
        for i in range(500)
    ]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=500)
    seen: dict[str, list[int]] = {}
    running_at_once = 0
    for event in fleet:
        seen.setdefault(event.cluster, []).append(int(event.phase))  # type: ignore[arg-type]
        running_at_once = max(running_at_once, len(fleet._running))
    if sys.platform != "win32":
        # Wine starts threads too slowly for the first calls (0.4 s each) to
        # still run when the last starts; every event is delivered there too.
        assert running_at_once == 500, "all 500 calls ran at the same time"
    assert len(seen) == 500
    assert all(phases == [1, 2, 3, 4, 5] for phases in seen.values())
    outcomes = fleet.outcomes
    assert len(outcomes) == 500 and None not in outcomes
    failed = [o for o in outcomes if isinstance(o, ClusterUpgradeError)]
    assert sorted(e.cluster for e in failed) == [f"node{i:03d}" for i in range(7, 500, 100)]  # type: ignore[type-var]
    assert all(e.winerror == 5973 and len(e.events) == 5 for e in failed)
    assert len(fleet.succeeded) == 495 and len(fleet.failed) == 5
    for sim, outcome in zip(sims, outcomes, strict=True):
        assert outcome is not None and outcome.cluster == sim.name  # type: ignore[union-attr]


def test_events_are_interleaved_and_numbered_per_cluster() -> None:
    sims = [Simulator(name=n, delay=0.05) for n in ("a", "b", "c")]
    events = list(clusupgrade.upgrade_many(sims))
    order = [e.cluster for e in events]
    assert order[:3] != ["a", "a", "a"], "clusters run side by side, not one after another"
    for name in "abc":
        mine = [e for e in events if e.cluster == name]
        assert [e.sequence for e in mine] == [0, 1, 2, 3, 4]


def test_max_parallel_limits_concurrency() -> None:
    sims = [Simulator((1, 2), name=f"s{i}", delay=0.02) for i in range(9)]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=2)
    most = 0
    for _ in fleet:
        most = max(most, len(fleet._running))
    assert most == 2
    assert all(isinstance(o, UpgradeResult) for o in fleet.outcomes)


def test_one_failure_does_not_stop_the_others() -> None:
    sims = [Simulator(name="ok1"), Simulator(name="bad", open_error=1722), Simulator(name="ok2")]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=1)
    list(fleet)
    ok1, bad, ok2 = fleet.outcomes
    assert isinstance(ok1, UpgradeResult) and isinstance(ok2, UpgradeResult)
    assert isinstance(bad, ClusterUpgradeError) and bad.winerror == 1722


def test_per_cluster_timeout() -> None:
    slow, fast = Simulator(name="slow", delay=1.0), Simulator(name="fast")
    fleet = clusupgrade.upgrade_many([slow, fast], timeout=0.3)
    list(fleet)
    late, done = fleet.outcomes
    assert isinstance(late, TimeoutError) and isinstance(late, ClusterUpgradeError)
    assert isinstance(done, UpgradeResult)
    assert isinstance(late, clusupgrade.ListeningStoppedError) and late.pending is not None
    assert settle(slow) == ALL_TRUE


ALL_TRUE = [True] * 5


def test_ctrl_c_stops_listening_to_every_call() -> None:
    sims = [Simulator(name=f"s{i}", delay=0.5) for i in range(3)]
    fleet = clusupgrade.upgrade_many(sims)
    for _ in range(3):
        next(fleet)
    interrupt_main_after(0.1)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as info:
        next(fleet)
    assert time.monotonic() - start < 0.45
    assert any("stopped listening" in n for n in info.value.__notes__)
    outcomes = fleet.outcomes
    assert all(isinstance(o, clusupgrade.ListeningStoppedError) and o.pending is not None for o in outcomes)
    assert [settle(s) for s in sims] == [ALL_TRUE] * 3
    assert list(fleet) == []
    results = [o.pending.wait(10) for o in outcomes]  # type: ignore[union-attr]
    assert all(r is not None and r.raised for r in results)


def test_break_stops_listening_and_starts_no_more() -> None:
    sims = [Simulator(name=f"s{i}", delay=0.05) for i in range(4)]
    with clusupgrade.upgrade_many(sims, max_parallel=2) as fleet:
        for _ in fleet:
            break
    for sim in sims[:2]:
        assert settle(sim) == ALL_TRUE
    assert sims[2].runs == 0 and sims[3].runs == 0
    # In flight: no longer listened to; never started: None.
    assert all(isinstance(o, clusupgrade.ListeningStoppedError) for o in fleet.outcomes[:2])
    assert fleet.outcomes[2:] == [None, None]


def test_close_answers_true_and_starts_no_more() -> None:
    sims = [Simulator(name=f"c{i}", delay=0.05) for i in range(3)]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=2)
    next(fleet)
    fleet.close()
    assert list(fleet) == []
    first, second, third = fleet.outcomes
    assert isinstance(first, clusupgrade.ListeningStoppedError) and first.winerror == 1223
    assert isinstance(second, clusupgrade.ListeningStoppedError)
    assert third is None
    assert settle(sims[0]) == ALL_TRUE and settle(sims[1]) == ALL_TRUE and sims[2].runs == 0


def test_stop_starting_keeps_listening_to_the_running() -> None:
    sims = [Simulator(name=f"t{i}", delay=0.02) for i in range(4)]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=2)
    next(fleet)
    fleet.stop_starting()
    rest = list(fleet)
    assert len(rest) == 9  # the two running calls' other phases
    a, b, c, d = fleet.outcomes
    assert isinstance(a, UpgradeResult) and isinstance(b, UpgradeResult) and a.raised and b.raised
    assert c is None and d is None and sims[2].runs == 0
    assert sims[0].answers == ALL_TRUE


@pytest.mark.parametrize("how", ["name", "NAME", "simulator", "as given"])
def test_abort_one_member(how: str) -> None:
    sims = [Simulator(name=f"m{i}", delay=0.05) for i in range(3)]
    given: list[object] = [sims[0], sims[1], sims[2]]
    fleet = clusupgrade.upgrade_many(given)  # type: ignore[arg-type]
    next(fleet)
    which = {"name": "m1", "NAME": "M1", "simulator": sims[1], "as given": given[1]}[how]
    fleet.abort(which)  # type: ignore[arg-type]
    list(fleet)
    ok0, aborted, ok2 = fleet.outcomes
    assert isinstance(ok0, UpgradeResult) and isinstance(ok2, UpgradeResult)
    assert isinstance(aborted, ClusterUpgradeError) and aborted.winerror == 1223
    assert not isinstance(aborted, clusupgrade.ListeningStoppedError)
    assert settle(sims[1])[-1] is False and settle(sims[0]) == ALL_TRUE and settle(sims[2]) == ALL_TRUE


def test_abort_a_member_by_its_name_as_given() -> None:
    sim = Simulator(name="real", delay=0.05)
    fleet = clusupgrade.upgrade_many([sim, Simulator(name="other", delay=0.05)])
    next(fleet)
    fleet.abort("REAL")
    list(fleet)
    assert isinstance(fleet.outcomes[0], ClusterUpgradeError) and fleet.outcomes[0].winerror == 1223


def test_abort_all_and_a_cluster_not_in_the_fleet() -> None:
    sims = [Simulator(name=f"z{i}", delay=0.05) for i in range(3)]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=2)
    with pytest.raises(ValueError, match="not a cluster of this fleet"):
        fleet.abort("elsewhere")
    with pytest.raises(ValueError):
        fleet.abort(Simulator(name="z0"))
    next(fleet)
    fleet.abort()
    list(fleet)
    first, second, third = fleet.outcomes
    assert all(isinstance(o, ClusterUpgradeError) and o.winerror == 1223 for o in (first, second))
    assert third is None and sims[2].runs == 0, "abort() of all starts no more"
    assert settle(sims[0])[-1] is False and settle(sims[1])[-1] is False


def test_abort_of_a_member_not_started_never_starts_it() -> None:
    sims = [Simulator(name=f"w{i}", delay=0.02) for i in range(3)]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=1)
    next(fleet)
    fleet.abort(sims[2])
    list(fleet)
    a, b, c = fleet.outcomes
    assert isinstance(a, UpgradeResult) and isinstance(b, UpgradeResult) and c is None
    assert sims[2].runs == 0


def test_same_simulator_twice_waits_and_raises_once() -> None:
    # Like a real cluster (MS-CMRP 3.1.4.3.7.18), a simulated one runs one
    # upgrade at a time: the second call waits for the first, then finds
    # nothing more to raise.  The level moves up once; nothing is refused.
    sim = Simulator((1, 2), delay=0.02, functional_level=11)
    fleet = clusupgrade.upgrade_many([sim, sim])
    list(fleet)
    assert sim.runs == 2
    assert all(isinstance(o, UpgradeResult) and o.status == 0 for o in fleet.outcomes)
    assert clusupgrade.cluster_info(sim).functional_level == 12


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"clusters": "abc"}, TypeError),
        ({"clusters": Simulator()}, TypeError),
        ({"clusters": [1]}, TypeError),
        ({"clusters": [""]}, ValueError),
        ({"clusters": [], "max_parallel": 0}, ValueError),
        ({"clusters": [], "max_parallel": 1.5}, TypeError),
        ({"clusters": [], "perform": 1}, TypeError),
        ({"clusters": [], "timeout": -2}, ValueError),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        clusupgrade.upgrade_many(**kwargs)  # type: ignore[arg-type]


def test_empty_fleet() -> None:
    fleet = clusupgrade.upgrade_many([])
    assert list(fleet) == [] and fleet.outcomes == []


def test_fleet_from_another_thread() -> None:
    box: list[int] = []
    sims = [Simulator() for _ in range(3)]
    t = threading.Thread(target=lambda: box.append(sum(1 for _ in clusupgrade.upgrade_many(sims))))
    t.start()
    t.join(30)
    assert box == [15]


def test_a_timeout_does_not_end_the_fleet() -> None:
    slow = Simulator(name="slow", delay=1.0)
    fast = [Simulator(name=f"fast{i}") for i in range(2)]
    fleet = clusupgrade.upgrade_many([slow, *fast], max_parallel=1, timeout=0.5)
    events = list(fleet)
    late, *done = fleet.outcomes
    assert isinstance(late, clusupgrade.UpgradeTimeoutError)
    assert all(isinstance(o, UpgradeResult) for o in done), done
    assert sum(e.cluster != "slow" for e in events) == 10
    assert settle(slow) == ALL_TRUE


def test_a_member_timeout_holds_while_records_keep_arriving() -> None:
    flood = Simulator(tuple(range(1, 3001)), name="flood", delay=0.0005)
    calm = Simulator(name="calm", delay=0.05)
    fleet = clusupgrade.upgrade_many([flood, calm], timeout=0.3)
    start = time.monotonic()
    for _ in fleet:
        time.sleep(0.002)  # a consumer slower than the flood: the queue never empties
        if time.monotonic() - start > 5:
            break
    late, done = fleet.outcomes
    assert isinstance(late, clusupgrade.UpgradeTimeoutError), late
    assert isinstance(done, UpgradeResult)
    # Before the fix, the flood's deadline was only checked on an empty queue.
    assert time.monotonic() - start < 2.0
    assert all(settle(flood))


def test_a_member_whose_thread_cannot_start_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    real_launch = fleet_module.launch

    def starved(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        if simulator is not None and simulator.name == "starved":
            raise OSError(8, "could not start the call's thread")
        return real_launch(simulator, call, **kw)

    monkeypatch.setattr(fleet_module, "launch", starved)
    sims = [Simulator(name="ok1"), Simulator(name="starved"), Simulator(name="ok2")]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=2)
    assert sorted(e.cluster for e in fleet) == ["ok1"] * 5 + ["ok2"] * 5  # type: ignore[type-var]
    ok1, bad, ok2 = fleet.outcomes
    assert isinstance(ok1, UpgradeResult) and isinstance(ok2, UpgradeResult)
    assert isinstance(bad, ClusterUpgradeError) and bad.winerror == 8 and bad.cluster == "starved"
    assert "thread" in str(bad)


class UndeliveredCall:
    """A member's Call whose end record never reaches the queue."""

    def __init__(self, tag: int) -> None:
        self.lost = False
        self.aborted = False
        self.started = True
        self.caller_thread = 1  # its worker has begun
        self._end = END_HEADER.pack(END_KIND, tag, 0, _clusupgrade.STAGE_UPGRADE, -1, 0)

    def end(self) -> bytes:
        return self._end

    def abort(self) -> None:
        pass

    def detach(self) -> None:
        pass


def test_a_member_whose_end_record_never_arrives_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    real_call, real_launch = _clusupgrade.Call, fleet_module.launch

    def lossy(items: object, name: str | None, *args: object, **kw: object) -> object:
        if name == "lost":
            return UndeliveredCall(1)
        return real_call(items, name, *args, **kw)  # type: ignore[arg-type]

    def launch(simulator: Simulator | None, call: object, **kw: bool) -> bool:
        return True if isinstance(call, UndeliveredCall) else real_launch(simulator, call, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(fleet_module._clusupgrade, "Call", lossy)
    monkeypatch.setattr(fleet_module, "launch", launch)
    fleet = clusupgrade.upgrade_many([Simulator(name="real"), "lost"])  # no timeout
    assert len(list(fleet)) == 5
    real, lost = fleet.outcomes
    assert isinstance(real, UpgradeResult) and isinstance(lost, UpgradeResult)
    assert lost.cluster == "lost" and lost.events == ()


def traced_lines_per_event(size: int) -> float:
    """Lines of clusupgrade's Python run per delivered event, for a fleet
    of `size` clusters at once (a count of work, not a timing)."""
    package = str(Path(clusupgrade.__file__).parent)
    lines = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., object] | None:
        nonlocal lines
        if not frame.f_code.co_filename.startswith(package):
            return None
        if event == "line":
            lines += 1
        return trace

    sims = [Simulator((1, 2, 3, 4, 5), name=f"w{i}") for i in range(size)]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=size)
    fleet._fill()  # every call started before counting, whatever the size
    sys.settrace(trace)
    try:
        events = sum(1 for _ in fleet)
    finally:
        sys.settrace(None)
    assert events == 5 * size
    return lines / events


def test_work_per_event_does_not_grow_with_the_fleet() -> None:
    small, large = traced_lines_per_event(40), traced_lines_per_event(400)
    # Before: every record looked at every running member's deadline.
    assert large < 1.5 * small, (small, large)


def test_close_while_a_member_starts_is_reported_and_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    sims = [Simulator(name=f"r{i}", delay=0.05) for i in range(3)]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=3)
    real_launch = fleet_module.launch

    def close_then_launch(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        if simulator is sims[1]:
            # Its Call exists, nothing is sent yet: close() now, from another thread.
            closer = threading.Thread(target=fleet.close)
            closer.start()
            closer.join(5)
        return real_launch(simulator, call, **kw)

    monkeypatch.setattr(fleet_module, "launch", close_then_launch)
    assert list(fleet) == []
    first, second, third = fleet.outcomes
    assert isinstance(first, clusupgrade.ListeningStoppedError) and first.pending is not None
    assert second is None and third is None, "never started"
    assert settle(sims[0]) == ALL_TRUE
    assert sims[1].runs == 0 and sims[2].runs == 0


def test_abort_while_a_member_starts_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    sims = [Simulator(name=f"q{i}", delay=0.05) for i in range(2)]
    fleet = clusupgrade.upgrade_many(sims, max_parallel=2)
    real_launch = fleet_module.launch

    def launch_then_abort(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        made = real_launch(simulator, call, **kw)
        if simulator is sims[1]:
            fleet.abort("q1")  # as a signal handler would, right after the start
        return made

    monkeypatch.setattr(fleet_module, "launch", launch_then_abort)
    list(fleet)
    ok, aborted = fleet.outcomes
    assert isinstance(ok, UpgradeResult)
    assert isinstance(aborted, ClusterUpgradeError) and aborted.winerror == 1223
    answers = settle(sims[1])
    assert answers[-1] is False and answers.count(True) <= 1, answers


@needs_fork
def test_a_fleet_inherited_by_a_forked_child_fails_clearly() -> None:
    sims = [Simulator(name=f"f{i}", delay=1.0) for i in range(2)]
    fleet = clusupgrade.upgrade_many(sims)
    next(fleet)
    try:
        message = in_forked_child(lambda: list(fleet))  # what was queued, then the next wait
    finally:
        fleet.close()
    assert message.startswith("RuntimeError") and "fork" in message, message
    assert [settle(s) for s in sims] == [ALL_TRUE] * 2


def test_abort_still_reaches_a_member_no_longer_listened_to() -> None:
    sims = [Simulator(name=f"g{i}", delay=0.1) for i in range(2)]
    fleet = clusupgrade.upgrade_many(sims)
    next(fleet)
    fleet.close()
    fleet.abort("g0")
    answers = settle(sims[0])
    assert answers[-1] is False and len(answers) < 5, answers
    assert settle(sims[1]) == ALL_TRUE
