"""Leaving a call early: Ctrl+C, break, close, GC, cancel, timeout, on_phase raising.

In every case the consumer gets control back while the native call is still
blocked, and the cluster is answered FALSE at its next callback.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from types import FrameType

import pytest

import clusupgrade
from clusupgrade import Simulator

from .conftest import interrupt_main_after, settle

SLOW = 1.0  # seconds between phases: long enough that the call is surely still blocked


def slow_sim(callback_thread: str = "native") -> Simulator:
    return Simulator(delay=SLOW, callback_thread=callback_thread)


def test_ctrl_c_while_iterating(callback_thread: str) -> None:
    sim = slow_sim(callback_thread)
    stream = clusupgrade.phases(sim)
    assert next(stream).phase == 1
    interrupt_main_after(0.1)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        next(stream)
    waited = time.monotonic() - start
    assert waited < 0.1 + 0.5, f"KeyboardInterrupt took {waited:.2f} s"
    assert sim.runs == 0, "the native call should still be blocked"
    assert stream.cancelled
    assert list(stream) == []
    assert settle(sim) == [True, False]


def test_ctrl_c_during_upgrade(callback_thread: str) -> None:
    sim = slow_sim(callback_thread)
    seen = []

    def on_phase(event: clusupgrade.PhaseEvent) -> None:
        seen.append(event.phase)
        if len(seen) == 1:
            interrupt_main_after(0.1)

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        clusupgrade.upgrade(sim, on_phase=on_phase)
    assert time.monotonic() - start < SLOW
    assert seen == [1]
    assert settle(sim) == [True, False]


def test_break_answers_false(callback_thread: str) -> None:
    sim = Simulator(delay=0.05, callback_thread=callback_thread)
    with clusupgrade.phases(sim) as stream:
        for event in stream:
            if event.phase == 2:
                break
    assert settle(sim) == [True, True, False]


def test_close(callback_thread: str) -> None:
    sim = Simulator(delay=0.05, callback_thread=callback_thread)
    stream = clusupgrade.phases(sim)
    next(stream)
    stream.close()
    assert stream.cancelled
    with pytest.raises(StopIteration):
        next(stream)
    assert settle(sim) == [True, False]


def test_garbage_collection(callback_thread: str) -> None:
    sim = Simulator(delay=0.1, callback_thread=callback_thread)
    stream = clusupgrade.phases(sim)
    next(stream)
    del stream
    gc.collect()
    assert settle(sim) == [True, False]


def python_functions_run_by(action: Callable[[], object]) -> list[str]:
    """The Python functions that run while `action()` runs."""
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            seen.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return seen


def test_dropping_a_running_stream_runs_no_python_code(callback_thread: str) -> None:
    # CPython raises a pending Ctrl+C in the next Python code that runs; in
    # a finalizer, the KeyboardInterrupt is printed and lost, and the
    # program goes on as if nobody had pressed Ctrl+C.  So leaving a call by
    # dropping its stream happens in C, and is still a cancel.
    sim = Simulator(delay=0.1, callback_thread=callback_thread)
    streams = [clusupgrade.phases(sim)]
    next(streams[0])
    assert python_functions_run_by(streams.clear) == []
    assert settle(sim) == [True, False]


def test_dropping_a_running_fleet_runs_no_python_code() -> None:
    sims = [Simulator(name=f"s{i}", delay=0.1) for i in range(3)]
    fleets = [clusupgrade.upgrade_many(sims)]
    for _ in range(3):
        next(fleets[0])
    assert python_functions_run_by(fleets.clear) == []
    assert [settle(s) for s in sims] == [[True, False]] * 3


def test_cancel_from_another_thread_wakes_consumer() -> None:
    import threading

    sim = slow_sim()
    stream = clusupgrade.phases(sim)
    next(stream)
    threading.Timer(0.1, stream.cancel).start()
    start = time.monotonic()
    assert list(stream) == []
    assert time.monotonic() - start < SLOW
    assert stream.result is None
    assert settle(sim) == [True, False]


def test_cancel_before_start_runs_nothing() -> None:
    sim = Simulator()
    stream = clusupgrade.phases(sim)
    stream.cancel()
    assert list(stream) == []
    assert sim.runs == 0


def test_timeout(callback_thread: str) -> None:
    sim = slow_sim(callback_thread)
    start = time.monotonic()
    with pytest.raises(TimeoutError) as info:
        clusupgrade.upgrade(sim, timeout=0.3)
    assert 0.3 <= time.monotonic() - start < SLOW
    err = info.value
    assert isinstance(err, clusupgrade.ClusterUpgradeError)
    assert isinstance(err, clusupgrade.UpgradeTimeoutError)
    assert err.winerror == 1460
    assert [e.phase for e in err.events] == [1]
    assert settle(sim) == [True, False]


def test_timeout_zero_still_delivers_what_is_ready() -> None:
    # The events are there before the deadline check: a finished call wins.
    result = clusupgrade.upgrade(Simulator(callback_thread="caller"), timeout=5)
    assert len(result.events) == 5


def test_timeout_on_iterator() -> None:
    sim = slow_sim()
    stream = clusupgrade.phases(sim, timeout=0.2)
    next(stream)
    with pytest.raises(TimeoutError):
        next(stream)
    assert stream.cancelled
    assert settle(sim) == [True, False]


def test_on_phase_exception_propagates_and_cancels(callback_thread: str) -> None:
    sim = Simulator(delay=0.05, callback_thread=callback_thread)

    class Boom(Exception):
        pass

    def on_phase(event: clusupgrade.PhaseEvent) -> None:
        if event.phase == 3:
            raise Boom("stop here")

    with pytest.raises(Boom):
        clusupgrade.upgrade(sim, on_phase=on_phase)
    assert settle(sim) == [True, True, True, False]


def test_on_phase_runs_on_calling_thread() -> None:
    import threading

    threads = set()
    clusupgrade.upgrade(Simulator(), on_phase=lambda e: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}


def test_answers_after_cancel_are_false_and_final() -> None:
    # Race cancel() against a native thread that calls back as fast as it can.
    for _ in range(50):
        sim = Simulator(tuple(range(1, 200)), callback_thread="native")
        stream = clusupgrade.phases(sim)
        got = 0
        for _event in stream:
            got += 1
            if got == 3:
                stream.cancel()
        assert got == 3
        answers = settle(sim)
        trues = answers.count(True)
        assert trues >= 3
        # TRUE up to the cancel, then one FALSE that stops the script.
        assert answers == [True] * trues + ([False] if trues < 199 else [])
