"""The GIL is free during the call, and concurrent calls stay apart."""

from __future__ import annotations

import re
import signal
import sys
import threading
from pathlib import Path

import pytest

import clusupgrade
from clusupgrade import Simulator

from .conftest import settle


def test_other_python_threads_run_during_the_call(callback_thread: str) -> None:
    # While the native call is blocked between two phases, this thread must
    # be able to run Python code: if the worker held the GIL it could not
    # finish before the call returned.
    sim = Simulator((1, 2), delay=1.0, callback_thread=callback_thread)
    stream = clusupgrade.phases(sim, perform=True)
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
    # While one upgrade runs on a simulated cluster, calls from other
    # threads wait for it (MS-CMRP 3.1.4.3.7.18), then each decides on the
    # state the one before left: nothing more to raise.  None is refused.
    sim = Simulator((1, 2, 3), delay=0.05)
    errors: list[int] = []
    spans: list[tuple[float, float]] = []

    def second() -> None:
        try:
            result = clusupgrade.upgrade(sim)
        except clusupgrade.ClusterUpgradeError as err:
            errors.append(err.winerror)
        else:
            assert not result.raised or result.level_before == 11
            spans.append((result.events[0].timestamp, result.events[-1].timestamp))

    with clusupgrade.phases(sim, perform=True) as stream:
        next(stream)
        threads = [threading.Thread(target=second) for _ in range(3)]
        for t in threads:
            t.start()
        rest = list(stream)
        assert [e.phase for e in rest] == [2, 3]
        for t in threads:
            t.join(30)
    assert errors == []
    assert stream.result is not None and stream.result.raised
    # One at a time: no two calls' phases overlap, and all came after the first's.
    spans.sort()
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert spans[0][0] >= rest[-1].timestamp
    assert sim.runs == 4
    assert clusupgrade.cluster_info(sim).functional_level == 12
    assert clusupgrade.check(sim).status == 0


def blocked_signals(native_thread_id: int) -> int:
    """The mask of signals the thread blocks (Linux)."""
    status = Path(f"/proc/self/task/{native_thread_id}/status").read_text()
    match = re.search(r"^SigBlk:\s*([0-9a-f]+)$", status, re.MULTILINE)
    assert match is not None, status
    return int(match.group(1), 16)


def bit(sig: signal.Signals) -> int:
    return 1 << (sig - 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/task/<tid>/status")
def test_native_threads_leave_signals_to_python(callback_thread: str) -> None:
    # The kernel gives a signal sent to the process to any thread that does
    # not block it.  The threads the extension starts block them all, so
    # Ctrl+C always lands on a Python thread, and wakes the consumer's wait
    # at once; faults stay with the thread that caused them.
    sim = Simulator(delay=0.5, callback_thread=callback_thread)
    with clusupgrade.phases(sim, perform=True) as stream:
        event = next(stream)
        assert event.thread_id != threading.get_native_id()
        mask = blocked_signals(event.thread_id)
    assert mask & bit(signal.SIGINT) and mask & bit(signal.SIGTERM) and mask & bit(signal.SIGCHLD)
    assert not mask & (bit(signal.SIGSEGV) | bit(signal.SIGBUS) | bit(signal.SIGFPE))
    assert not blocked_signals(threading.get_native_id()) & bit(signal.SIGINT)
    settle(sim)
