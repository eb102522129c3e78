"""The answer policy (issue 16 §1): FALSE only after an explicit abort().

Every other way out of a call (Ctrl+C, break, close(), leaving ``with``, the
timeout, on_phase raising, a dropped stream) only stops listening: the
consumer gets control back while the native call is still blocked, and every
later phase is answered TRUE, so the simulated cluster completes its raise.
What the cluster was answered is read from ``Simulator.answers``.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

import pytest

import clusupgrade
from clusupgrade import Simulator

from .conftest import interrupt_main_after, settle

SLOW = 1.0  # seconds between phases: long enough that the call is surely still blocked
ALL_TRUE = [True] * 5


def slow_sim(callback_thread: str = "native", delay: float = SLOW) -> Simulator:
    return Simulator(delay=delay, callback_thread=callback_thread)


def raised(sim: Simulator) -> bool:
    """The simulated cluster's level moved from 11 to 12."""
    return clusupgrade.cluster_info(sim).functional_level == 12


def test_ctrl_c_while_iterating_stops_listening_only(callback_thread: str) -> None:
    sim = slow_sim(callback_thread)
    stream = clusupgrade.phases(sim, perform=True)
    assert next(stream).phase == 1
    interrupt_main_after(0.1)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as info:
        next(stream)
    waited = time.monotonic() - start
    assert waited < 0.1 + 0.5, f"KeyboardInterrupt took {waited:.2f} s"
    assert sim.runs == 0, "the native call should still be blocked"
    assert not stream.aborted and not stream.listening
    # The exception says that the call goes on, and carries it.
    assert any("stopped listening" in note and "unknown until read again" in note
               for note in info.value.__notes__)
    pending = clusupgrade.pending_call(info.value)
    assert pending is not None and pending is stream.pending and pending.cluster == "simulated"
    assert not pending.done and pending.wait(0) is None
    assert list(stream) == []
    assert settle(sim) == ALL_TRUE and raised(sim)
    result = pending.wait(10)
    assert result is not None and result.raised and (result.level_before, result.level_after) == (11, 12)


def test_ctrl_c_during_upgrade_stops_listening_only(callback_thread: str) -> None:
    sim = slow_sim(callback_thread)
    seen = []

    def on_phase(event: clusupgrade.PhaseEvent) -> None:
        seen.append(event.phase)
        if len(seen) == 1:
            interrupt_main_after(0.1)

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as info:
        clusupgrade.upgrade(sim, on_phase=on_phase)
    assert time.monotonic() - start < SLOW
    assert seen == [1]
    pending = clusupgrade.pending_call(info.value)
    assert pending is not None
    assert settle(sim) == ALL_TRUE and raised(sim)


def test_break_inside_with_answers_true(callback_thread: str) -> None:
    sim = Simulator(delay=0.05, callback_thread=callback_thread)
    with clusupgrade.phases(sim, perform=True) as stream:
        for event in stream:
            if event.phase == 2:
                break
    assert stream.pending is not None
    assert settle(sim) == ALL_TRUE and raised(sim)


def test_close_answers_true(callback_thread: str) -> None:
    sim = Simulator(delay=0.05, callback_thread=callback_thread)
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    stream.close()
    assert not stream.aborted and not stream.listening
    with pytest.raises(StopIteration):
        next(stream)
    assert settle(sim) == ALL_TRUE and raised(sim)


def test_an_exception_leaving_with_answers_true_and_is_noted() -> None:
    sim = Simulator(delay=0.05)
    with pytest.raises(LookupError) as info:
        with clusupgrade.phases(sim, perform=True) as stream:
            for _ in stream:
                raise LookupError("the caller's own bug")
    assert clusupgrade.pending_call(info.value) is stream.pending is not None
    assert settle(sim) == ALL_TRUE


def test_garbage_collection_answers_true(callback_thread: str) -> None:
    sim = Simulator(delay=0.1, callback_thread=callback_thread)
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    del stream
    gc.collect()
    assert settle(sim) == ALL_TRUE and raised(sim)


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
    # dropping its stream happens in C, and only stops listening.
    sim = Simulator(delay=0.1, callback_thread=callback_thread)
    streams = [clusupgrade.phases(sim, perform=True)]
    next(streams[0])
    assert python_functions_run_by(streams.clear) == []
    assert settle(sim) == ALL_TRUE


def test_dropping_a_running_fleet_runs_no_python_code() -> None:
    sims = [Simulator(name=f"s{i}", delay=0.1) for i in range(3)]
    fleets = [clusupgrade.upgrade_many(sims)]
    for _ in range(3):
        next(fleets[0])
    assert python_functions_run_by(fleets.clear) == []
    assert [settle(s) for s in sims] == [ALL_TRUE] * 3


def test_close_from_another_thread_wakes_consumer() -> None:
    sim = slow_sim()
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    threading.Timer(0.1, stream.close).start()
    start = time.monotonic()
    assert list(stream) == []
    assert time.monotonic() - start < SLOW
    assert stream.result is None
    assert settle(sim) == ALL_TRUE


def test_close_before_start_runs_nothing() -> None:
    sim = Simulator()
    stream = clusupgrade.phases(sim, perform=True)
    stream.close()
    assert list(stream) == [] and stream.pending is None
    assert sim.runs == 0


def test_timeout_stops_listening_only(callback_thread: str) -> None:
    sim = slow_sim(callback_thread, delay=0.5)
    # The deadline is compared as the library compares it (start + timeout on
    # time.monotonic()): `end - start` may round below 0.3 on a coarse clock
    # (it did under Wine, CPython 3.12: 12374.08 - 12373.78).
    deadline = time.monotonic() + 0.3
    with pytest.raises(TimeoutError) as info:
        clusupgrade.upgrade(sim, timeout=0.3)
    assert deadline <= time.monotonic() < deadline + 0.5
    err = info.value
    assert isinstance(err, clusupgrade.UpgradeTimeoutError)
    assert isinstance(err, clusupgrade.ListeningStoppedError)
    assert isinstance(err, clusupgrade.ClusterUpgradeError)
    assert err.winerror == 1460
    assert "TRUE" in str(err) and "unknown until read again" in str(err)
    assert [e.phase for e in err.events] == [1]
    assert err.pending is not None and clusupgrade.pending_call(err) is err.pending
    result = err.pending.wait(30)
    assert result is not None and result.raised
    assert settle(sim) == ALL_TRUE


def test_timeout_zero_still_delivers_what_is_ready() -> None:
    # The events are there before the deadline check: a finished call wins.
    result = clusupgrade.upgrade(Simulator(callback_thread="caller"), timeout=5)
    assert len(result.events) == 5


def test_timeout_on_iterator() -> None:
    sim = slow_sim(delay=0.3)
    stream = clusupgrade.phases(sim, perform=True, timeout=0.2)
    next(stream)
    with pytest.raises(TimeoutError):
        next(stream)
    assert not stream.listening and not stream.aborted
    assert settle(sim) == ALL_TRUE


class Boom(Exception):
    pass


def test_on_phase_exception_waits_for_the_end_then_raises(callback_thread: str) -> None:
    sim = Simulator(delay=0.05, callback_thread=callback_thread)
    calls = []

    def on_phase(event: clusupgrade.PhaseEvent) -> None:
        calls.append(event.phase)
        if event.phase == 3:
            raise Boom("stop here")

    with pytest.raises(Boom) as info:
        clusupgrade.upgrade(sim, on_phase=on_phase)
    assert calls == [1, 2, 3], "on_phase is not called again once it raised"
    # The call ran to its end before the exception was raised.
    assert sim.runs == 1 and sim.answers == ALL_TRUE and raised(sim)
    notes = info.value.__notes__
    assert any("cluster 'simulated'" in n and "raised the functional level from 11 to 12" in n for n in notes), notes


def test_on_phase_exception_with_a_failed_call_names_the_failure() -> None:
    sim = Simulator.scenario("node-down", delay=0.01)

    def on_phase(event: clusupgrade.PhaseEvent) -> None:
        raise Boom("first phase")

    with pytest.raises(Boom) as info:
        clusupgrade.upgrade(sim, on_phase=on_phase)
    assert isinstance(info.value.__cause__, clusupgrade.ClusterUpgradeError)
    assert info.value.__cause__.winerror == 5050
    assert any("failed" in n and "5050" in n for n in info.value.__notes__)


def test_on_phase_exception_then_timeout() -> None:
    sim = slow_sim(delay=0.4)

    def on_phase(event: clusupgrade.PhaseEvent) -> None:
        raise Boom("first phase")

    start = time.monotonic()
    with pytest.raises(Boom) as info:
        clusupgrade.upgrade(sim, on_phase=on_phase, timeout=0.3)
    assert time.monotonic() - start < 0.4 * 4, "the timeout still applies to the wait"
    assert isinstance(info.value.__cause__, clusupgrade.UpgradeTimeoutError)
    assert clusupgrade.pending_call(info.value) is not None
    assert settle(sim) == ALL_TRUE


def test_on_phase_base_exception_stops_listening_at_once(callback_thread: str) -> None:
    sim = slow_sim(callback_thread, delay=0.3)

    def on_phase(event: clusupgrade.PhaseEvent) -> None:
        raise SystemExit(4)

    start = time.monotonic()
    with pytest.raises(SystemExit) as info:
        clusupgrade.upgrade(sim, on_phase=on_phase)
    assert time.monotonic() - start < 0.3, "no waiting for the call"
    assert clusupgrade.pending_call(info.value) is not None
    assert sim.runs == 0
    assert settle(sim) == ALL_TRUE


def test_on_phase_runs_on_calling_thread() -> None:
    threads = set()
    clusupgrade.upgrade(Simulator(), on_phase=lambda e: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}


# abort(): the only FALSE.


def test_abort_answers_false_and_the_script_stops(callback_thread: str) -> None:
    sim = Simulator(delay=0.05, callback_thread=callback_thread)
    stream = clusupgrade.phases(sim, perform=True)
    assert next(stream).phase == 1
    stream.abort()
    assert stream.aborted
    # The stream keeps listening: the call's own outcome ends it.
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        list(stream)
    assert info.value.winerror == 1223 and "abort()" in str(info.value)
    assert settle(sim) == [True, False]
    assert not raised(sim)


def test_abort_from_another_thread() -> None:
    sim = slow_sim(delay=0.3)
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    threading.Timer(0.05, stream.abort).start()
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        list(stream)
    assert info.value.winerror == 1223
    assert settle(sim) == [True, False]


def test_abort_before_start_makes_no_call() -> None:
    sim = Simulator()
    stream = clusupgrade.phases(sim, perform=True)
    stream.abort()
    assert list(stream) == [] and stream.aborted and stream.result is None
    assert sim.runs == 0 and not raised(sim)


def test_abort_then_close_still_answers_false() -> None:
    # An abort is a request that stays: dropping the stream after it does
    # not turn later answers back to TRUE.
    sim = Simulator(delay=0.05)
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    stream.abort()
    stream.close()
    del stream
    assert settle(sim) == [True, False]


def test_answers_after_abort_are_false_and_final() -> None:
    # Race abort() against a native thread that calls back as fast as it can.
    for _ in range(50):
        sim = Simulator(tuple(range(1, 200)), callback_thread="native")
        stream = clusupgrade.phases(sim, perform=True)
        got = 0
        try:
            for _event in stream:
                got += 1
                if got == 3:
                    stream.abort()
        except clusupgrade.ClusterUpgradeError as err:
            assert err.winerror == 1223
        assert got >= 3
        answers = settle(sim)
        trues = answers.count(True)
        assert trues >= 3
        # TRUE up to the abort, then one FALSE that stops the script.
        assert answers == [True] * trues + ([False] if trues < 199 else [])


def test_closing_after_abort_before_the_first_phase_keeps_false() -> None:
    sim = Simulator(delay=0.05)
    with clusupgrade.phases(sim, perform=True) as stream:
        stream.abort()
    assert settle(sim) == [False]


def test_perform_is_required() -> None:
    with pytest.raises(TypeError, match="perform"):
        clusupgrade.phases(Simulator())  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="perform"):
        clusupgrade.aphases(Simulator())  # type: ignore[call-arg]
