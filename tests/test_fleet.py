"""upgrade_many(): several clusters at once."""

from __future__ import annotations

import threading
import time

import pytest

import clusupgrade
from clusupgrade import ClusterUpgradeError, Simulator, UpgradeResult

from .conftest import interrupt_main_after, settle


def test_500_clusters_at_once_every_event_delivered() -> None:
    sims = [
        Simulator(
            (1, 2, 3, 4, 5),
            name=f"node{i:03d}",
            delay=0.02,
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
    assert settle(slow) == [True, False]


def test_ctrl_c_leaves_every_call() -> None:
    sims = [Simulator(name=f"s{i}", delay=1.0) for i in range(3)]
    fleet = clusupgrade.upgrade_many(sims)
    for _ in range(3):
        next(fleet)
    interrupt_main_after(0.1)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        next(fleet)
    assert time.monotonic() - start < 0.9
    assert [settle(s) for s in sims] == [[True, False]] * 3
    assert list(fleet) == []


def test_break_cancels_and_starts_no_more() -> None:
    sims = [Simulator(name=f"s{i}", delay=0.05) for i in range(4)]
    with clusupgrade.upgrade_many(sims, max_parallel=2) as fleet:
        for _ in fleet:
            break
    for sim in sims[:2]:
        assert settle(sim)[-1] is False
    assert sims[2].runs == 0 and sims[3].runs == 0
    assert fleet.outcomes[2:] == [None, None]


def test_same_simulator_twice_is_refused_the_second_time() -> None:
    # Like a real cluster, a simulated one runs one upgrade at a time: the
    # call that arrives while the other holds it gets 5976, and the level
    # moves up once.
    sim = Simulator((1, 2), delay=0.02, functional_level=11)
    fleet = clusupgrade.upgrade_many([sim, sim])
    list(fleet)
    assert sim.runs == 2
    raised = [o for o in fleet.outcomes if isinstance(o, UpgradeResult)]
    refused = [o for o in fleet.outcomes if isinstance(o, clusupgrade.ClusterUpgradeError)]
    assert len(raised) == 1 and raised[0].raised and (raised[0].level_before, raised[0].level_after) == (11, 12)
    assert [e.winerror for e in refused] == [5976] and refused[0].events == ()
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
