"""Streams under stress: deadlines during a flood, cancel() racing the
start, an end record that never arrives, fork, and what `break` does."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable

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
    assert settle(sim)[-1] is False


def test_async_timeout_holds_while_records_keep_arriving() -> None:
    sim = flood_sim()

    async def main() -> None:
        # Blocking on purpose: the loop is as busy as the consumer above.
        await clusupgrade.aupgrade(sim, timeout=0.2, on_phase=slow_consumer)

    start = time.monotonic()
    with pytest.raises(clusupgrade.UpgradeTimeoutError):
        asyncio.run(main())
    assert time.monotonic() - start < 1.5
    assert settle(sim)[-1] is False


def test_a_finished_call_wins_over_its_deadline() -> None:
    # Every record is queued before the consumer looks: the call has ended,
    # so its result is known, and a deadline that passed meanwhile does not
    # turn it into a timeout.
    sim = Simulator(callback_thread="caller")
    result = clusupgrade.upgrade(sim, timeout=0.05, on_phase=lambda e: time.sleep(0.03))
    assert len(result.events) == 5


# Defect 7: cancel() from another thread while the call starts.


def test_cancel_while_the_call_starts_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator(delay=0.05, callback_thread="native")
    phases = clusupgrade.phases(sim)
    real_launch = stream.launch
    cancelled = threading.Event()

    def launch_then_cancel(simulator: Simulator | None, make: Callable[..., _clusupgrade.Call]) -> _clusupgrade.Call:
        call = real_launch(simulator, make)
        # The native call runs; the stream has not stored it yet.  cancel()
        # now, from another thread.
        canceller = threading.Thread(target=lambda: (phases.cancel(), cancelled.set()))
        canceller.start()
        canceller.join(0.5)  # a locking fix may make it wait for the start
        return call

    monkeypatch.setattr(stream, "launch", launch_then_cancel)
    assert list(phases) == []
    assert cancelled.wait(5)
    assert phases.cancelled
    answers = settle(sim)
    # At most the first phase, reported as the call began, was answered
    # TRUE; everything after cancel() returned is FALSE.
    assert answers[-1] is False and answers.count(True) <= 1, answers


def test_cancel_from_a_signal_handler_during_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same moment, on the same thread (a handler runs between two
    # bytecodes of the consumer): no lock may deadlock, nothing is lost.
    sim = Simulator(delay=0.05, callback_thread="native")
    phases = clusupgrade.phases(sim)
    real_launch = stream.launch

    def launch_then_cancel(simulator: Simulator | None, make: Callable[..., _clusupgrade.Call]) -> _clusupgrade.Call:
        call = real_launch(simulator, make)
        phases.cancel()
        return call

    monkeypatch.setattr(stream, "launch", launch_then_cancel)
    assert list(phases) == []
    answers = settle(sim)
    assert answers[-1] is False and answers.count(True) <= 1, answers


def test_a_start_that_fails_is_a_cluster_error_and_final(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_thread(simulator: Simulator | None, make: Callable[..., _clusupgrade.Call]) -> _clusupgrade.Call:
        raise OSError(8, "could not start the call's thread")

    monkeypatch.setattr(stream, "launch", no_thread)
    phases = clusupgrade.phases(Simulator(name="starved"))
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
        self.cancelled = False

    def end(self) -> bytes | None:
        return self._end

    def cancel(self) -> None:
        self.cancelled = True


def end_record(tag: int = 0, status: int = 0) -> bytes:
    return END_HEADER.pack(END_KIND, tag, status, _clusupgrade.STAGE_UPGRADE, -1)


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
    def undelivered(simulator: Simulator | None, make: Callable[..., _clusupgrade.Call]) -> StandInCall:
        return StandInCall(end_record())

    monkeypatch.setattr(stream, "launch", undelivered)
    result = clusupgrade.upgrade("lost-end")  # no timeout: must not wait for ever
    assert result.cluster == "lost-end" and result.events == ()


# Streams after fork.


@needs_fork
def test_a_stream_inherited_by_a_forked_child_fails_clearly() -> None:
    sim = Simulator(delay=1.0, callback_thread="native")
    phases = clusupgrade.phases(sim)
    next(phases)
    try:
        message = in_forked_child(lambda: next(phases))
    finally:
        phases.close()
    # Before: the child waited for ever for a thread that stayed in the parent.
    assert message.startswith("RuntimeError") and "fork" in message, message
    assert settle(sim) == [True, False]


# What `break` does.


def test_break_inside_with_answers_false() -> None:
    sim = Simulator(tuple(range(1, 100)), delay=0.02)
    with clusupgrade.phases(sim) as phases:
        for _ in phases:
            break
    assert settle(sim) == [True, False]


def wait_for_queued(phases: clusupgrade.PhaseStream, count: int) -> None:
    deadline = time.monotonic() + 10
    while phases._items.qsize() < count:
        assert time.monotonic() < deadline, "the call stopped forwarding phases"
        time.sleep(0.01)


@pytest.mark.parametrize("leave", ["close", "drop"])
def test_a_bare_break_keeps_listening_until_closed_or_dropped(leave: str) -> None:
    sim = Simulator(tuple(range(1, 100)), delay=0.02)
    phases = clusupgrade.phases(sim)
    for _ in phases:
        break  # nothing tells the stream
    wait_for_queued(phases, 3)  # three more phases, each answered TRUE
    if leave == "close":
        phases.close()
    else:
        del phases
    answers = settle(sim)
    assert answers[:4] == [True] * 4 and answers[-1] is False and len(answers) < 99


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
