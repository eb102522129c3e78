"""The GIL is free during the call, and concurrent calls stay apart."""

from __future__ import annotations

import threading

import clusupgrade
from clusupgrade import Simulator

from .conftest import settle


def test_other_python_threads_run_during_the_call(callback_thread: str) -> None:
    # While the native call is blocked between two phases, this thread must
    # be able to run Python code: if the worker held the GIL it could not
    # finish before the call returned.
    sim = Simulator((1, 2), delay=1.0, callback_thread=callback_thread)
    stream = clusupgrade.phases(sim)
    next(stream)
    total = sum(i * i for i in range(200_000))
    assert total > 0
    assert sim.runs == 0, "Python code had to wait for the native call"
    stream.close()
    settle(sim)


def test_many_threads_get_their_own_events() -> None:
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        script = tuple(n * 1000 + k for k in range(40))
        sim = Simulator(script, callback_thread="native" if n % 2 else "caller", name=f"c{n}")
        try:
            result = clusupgrade.upgrade(sim)
            assert {e.cluster for e in result.events} == {f"c{n}"}
            results[n] = [e.phase for e in result.events]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(results) == list(range(24))
    for n, phases in results.items():
        assert phases == [n * 1000 + k for k in range(40)]


def test_one_simulator_runs_one_call_at_a_time() -> None:
    sim = Simulator((1, 2, 3), delay=0.05)
    outcomes: list[clusupgrade.UpgradeResult] = []
    threads = [threading.Thread(target=lambda: outcomes.append(clusupgrade.upgrade(sim))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(outcomes) == 3
    assert sim.runs == 3
    # They ran one after the other: no two calls overlap in time.
    spans = sorted((r.events[0].timestamp, r.events[-1].timestamp) for r in outcomes)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end
