"""Streams under stress: deadlines during a flood, abort() and close()
racing the start, an end record that never arrives, fork, and what `break`
does."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time

import pytest

import clusupgrade
from clusupgrade import Simulator, _clusupgrade, stream, waiting
from clusupgrade.phase import END_HEADER, END_KIND, PHASE_KIND, PHASE_RECORD

from .conftest import settle
from .forking import in_forked_child, needs_fork

FLOOD = tuple(range(1, 3001))
"""Phases a flood plays: far more than a slow consumer takes in the test's time."""


def flood_sim() -> Simulator:
    # A phase every ~0.5 ms for about 1.5 s: faster than a consumer that
    # spends 2 ms per event, so its queue is never empty.
    return Simulator(FLOOD, delay=0.0005, callback_thread="native")


def slow_consumer(event: clusupgrade.PhaseEvent) -> None:
    time.sleep(0.002)


# Defect 6: a deadline is checked on every record, not only when the queue is empty.


def test_timeout_holds_while_records_keep_arriving() -> None:
    sim = flood_sim()
    start = time.monotonic()
    with pytest.raises(clusupgrade.UpgradeTimeoutError) as info:
        clusupgrade.upgrade(sim, timeout=0.2, on_phase=slow_consumer)
    # Before the fix the call ran to its end, some 6 s of queued events.
    assert time.monotonic() - start < 1.5
    assert 0 < len(info.value.events) < len(FLOOD)
    assert all(settle(sim)), "a timeout only stops listening"


def test_async_timeout_holds_while_records_keep_arriving() -> None:
    sim = flood_sim()

    async def main() -> None:
        # Blocking on purpose: the loop is as busy as the consumer above.
        await clusupgrade.aupgrade(sim, timeout=0.2, on_phase=slow_consumer)

    start = time.monotonic()
    with pytest.raises(clusupgrade.UpgradeTimeoutError):
        asyncio.run(main())
    assert time.monotonic() - start < 1.5
    assert all(settle(sim)), "a timeout only stops listening"


def test_a_finished_call_wins_over_its_deadline() -> None:
    # Every record is queued before the consumer looks: the call has ended,
    # so its result is known, and a deadline that passed meanwhile does not
    # turn it into a timeout.
    sim = Simulator(callback_thread="caller")
    result = clusupgrade.upgrade(sim, timeout=0.05, on_phase=lambda e: time.sleep(0.03))
    assert len(result.events) == 5


# Defect 7, and issue 16 §5: the stream owns its Call before it starts, so
# an abort() or a stop that lands in between is never lost.


def test_abort_while_the_call_starts_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator(delay=0.05, callback_thread="native")
    phases = clusupgrade.phases(sim, perform=True)
    real_launch = stream.launch
    aborted = threading.Event()

    def abort_then_launch(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        # The Call exists, nothing is sent yet: abort() now, from another thread.
        aborter = threading.Thread(target=lambda: (phases.abort(), aborted.set()))
        aborter.start()
        aborter.join(5)
        return real_launch(simulator, call, **kw)

    monkeypatch.setattr(stream, "launch", abort_then_launch)
    assert list(phases) == []
    assert aborted.wait(5) and phases.aborted
    # Never made: nothing reached the cluster.
    assert sim.wait(5) and sim.runs == 0


def test_abort_right_after_the_start_answers_false(monkeypatch: pytest.MonkeyPatch) -> None:
    # A signal handler runs between two bytecodes of the consumer, here just
    # after Call.start() returned: the stream already owns the call.
    sim = Simulator(delay=0.05, callback_thread="native")
    phases = clusupgrade.phases(sim, perform=True)
    real_launch = stream.launch

    def launch_then_abort(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        made = real_launch(simulator, call, **kw)
        phases.abort()
        return made

    monkeypatch.setattr(stream, "launch", launch_then_abort)
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        list(phases)
    assert info.value.winerror == 1223
    answers = settle(sim)
    assert answers[-1] is False and answers.count(True) <= 1, answers


def test_ctrl_c_right_after_the_start_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: the stream stored its Call only after launch() returned, so a
    # KeyboardInterrupt in between found nothing to stop or report.
    sim = Simulator(delay=0.05, callback_thread="native")
    phases = clusupgrade.phases(sim, perform=True)
    real_launch = stream.launch

    def launch_then_interrupt(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        real_launch(simulator, call, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(stream, "launch", launch_then_interrupt)
    with pytest.raises(KeyboardInterrupt) as info:
        next(phases)
    pending = clusupgrade.pending_call(info.value)
    assert pending is not None and pending is phases.pending
    assert any("stopped listening" in note for note in info.value.__notes__)
    assert settle(sim) == [True] * 5
    result = pending.wait(10)
    assert result is not None and result.raised


def test_close_while_the_call_starts_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator(delay=0.05, callback_thread="native")
    phases = clusupgrade.phases(sim, perform=True)
    real_launch = stream.launch

    def close_then_launch(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        phases.close()  # as a signal handler would, on this thread
        return real_launch(simulator, call, **kw)

    monkeypatch.setattr(stream, "launch", close_then_launch)
    assert list(phases) == [] and phases.pending is None
    assert sim.wait(5) and sim.runs == 0


def test_a_start_that_fails_is_a_cluster_error_and_final(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_thread(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        raise OSError(8, "could not start the call's thread")

    monkeypatch.setattr(stream, "launch", no_thread)
    phases = clusupgrade.phases(Simulator(name="starved"), perform=True)
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        next(phases)
    assert info.value.winerror == 8 and info.value.cluster == "starved"
    assert list(phases) == []  # never started twice


# A consumer without a timeout never waits for ever.


class StandInCall:
    """A Call whose end record was never delivered: only end() knows it."""

    def __init__(self, end: bytes | None) -> None:
        self._end = end
        self.lost = False
        self.aborted = False
        self.detached = False
        self.started = True
        self.caller_thread = 1

    def end(self) -> bytes | None:
        return self._end

    def abort(self) -> None:
        self.aborted = True

    def detach(self) -> None:
        self.detached = True


def end_record(tag: int = 0, status: int = 0) -> bytes:
    return END_HEADER.pack(END_KIND, tag, status, _clusupgrade.STAGE_UPGRADE, -1, 0)


def test_next_record_falls_back_to_the_calls_end() -> None:
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    phase = PHASE_RECORD.pack(PHASE_KIND, 0, 1, 0, 0, 0)
    items.put(phase)
    call = StandInCall(end_record())
    # Queued records first, then the end the queue never got.
    assert waiting.next_record(items, call, None) == phase  # type: ignore[arg-type]
    assert waiting.next_record(items, call, None) == end_record()  # type: ignore[arg-type]


def test_next_record_still_times_out_while_the_call_runs() -> None:
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    assert waiting.next_record(items, StandInCall(None), time.monotonic() + 0.05) is None  # type: ignore[arg-type]


def test_a_stream_whose_end_record_never_arrives_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream._clusupgrade, "Call", lambda *args, **kw: StandInCall(end_record()))
    monkeypatch.setattr(stream, "launch", lambda simulator, call, **kw: True)
    result = clusupgrade.upgrade("lost-end")  # no timeout: must not wait for ever
    assert result.cluster == "lost-end" and result.events == ()


# Streams after fork.


@needs_fork
def test_a_stream_inherited_by_a_forked_child_fails_clearly() -> None:
    sim = Simulator(delay=1.0, callback_thread="native")
    phases = clusupgrade.phases(sim, perform=True)
    next(phases)
    try:
        message = in_forked_child(lambda: next(phases))
    finally:
        phases.close()
    # Before: the child waited for ever for a thread that stayed in the parent.
    assert message.startswith("RuntimeError") and "fork" in message, message
    assert settle(sim) == [True] * 5


# What `break` does.


def test_break_inside_with_answers_true() -> None:
    sim = Simulator(tuple(range(1, 100)), delay=0.01)
    with clusupgrade.phases(sim, perform=True) as phases:
        for _ in phases:
            break
    assert settle(sim) == [True] * 99


def wait_for_queued(phases: clusupgrade.PhaseStream, count: int) -> None:
    deadline = time.monotonic() + 10
    while phases._items.qsize() < count:
        assert time.monotonic() < deadline, "the call stopped forwarding phases"
        time.sleep(0.01)


@pytest.mark.parametrize("leave", ["close", "drop"])
def test_a_bare_break_keeps_listening_until_closed_or_dropped(leave: str) -> None:
    sim = Simulator(tuple(range(1, 100)), delay=0.01)
    phases = clusupgrade.phases(sim, perform=True)
    for _ in phases:
        break  # nothing tells the stream
    wait_for_queued(phases, 3)  # three more phases, each answered TRUE
    if leave == "close":
        phases.close()
    else:
        del phases
    assert settle(sim) == [True] * 99  # stopping to listen never disturbs the call


# Logging costs nothing while INFO is off.


def test_no_log_work_per_event_when_info_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(stream, "log_event", calls.append)
    logger = logging.getLogger("clusupgrade")
    monkeypatch.setattr(logger, "level", logging.WARNING)
    logger.manager._clear_cache()  # type: ignore[attr-defined]
    try:
        clusupgrade.upgrade(Simulator())
    finally:
        logger.manager._clear_cache()  # type: ignore[attr-defined]
    assert calls == []


def test_events_stay_frozen_comparable_and_picklable() -> None:
    import dataclasses
    import pickle
    import weakref

    event = clusupgrade.upgrade(Simulator((2, 77), name="p")).events[0]
    assert event.phase is clusupgrade.Phase.VALIDATING_UPGRADE
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.sequence = 5  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(event)) == event
    assert dataclasses.replace(event) == event and hash(dataclasses.replace(event)) == hash(event)
    assert dataclasses.asdict(event)["cluster"] == "p"
    assert weakref.ref(event)() is event
