"""Phases arrive in order, with the fields the API promises."""

from __future__ import annotations

import threading
import time

import pytest

import clusupgrade
from clusupgrade import Phase, PhaseEvent, Simulator


def test_five_phases_in_order(callback_thread: str) -> None:
    sim = Simulator(callback_thread=callback_thread, name="hv-cluster")
    before = time.time()
    result = clusupgrade.upgrade(sim)
    after = time.time()

    assert [e.phase for e in result.events] == list(Phase)
    assert all(isinstance(e.phase, Phase) for e in result.events)
    assert [e.sequence for e in result.events] == [0, 1, 2, 3, 4]
    assert {e.cluster for e in result.events} == {"hv-cluster"}
    elapsed = [e.elapsed for e in result.events]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0
    assert elapsed[-1] <= result.duration
    assert all(before <= e.timestamp <= after for e in result.events)
    assert result.performed is True
    assert result.status == 0
    assert result.complete is True
    assert result.cluster == "hv-cluster"
    assert sim.answers == [True] * 5


def test_callback_thread_is_reported(callback_thread: str) -> None:
    sim = Simulator(callback_thread=callback_thread)
    result = clusupgrade.upgrade(sim)
    ids = {e.thread_id for e in result.events}
    assert len(ids) == 1
    (tid,) = ids
    # Never the consumer's thread: the blocking call runs on a worker.
    assert tid != threading.get_native_id()
    assert tid > 0


@pytest.mark.parametrize("mode", ["caller", "native"])
def test_callback_thread_is_the_calling_thread_or_another(mode: str) -> None:
    sim = Simulator(phases=(1, 2, 3), callback_thread=mode)
    with clusupgrade.phases(sim, perform=True) as stream:
        events = list(stream)
        caller = stream.caller_thread_id
    assert caller
    assert caller != threading.get_native_id()
    same = {e.thread_id == caller for e in events}
    # "caller": the callback ran on the thread that made the blocking call;
    # "native": on a thread of the simulator's own.
    assert same == ({True} if mode == "caller" else {False})


def test_unknown_phases_arrive_as_ints(callback_thread: str) -> None:
    script = (0, 1, 6, 2**31 - 1, -(2**31), 5, 5)
    result = clusupgrade.upgrade(Simulator(script, callback_thread=callback_thread))
    phases = [e.phase for e in result.events]
    assert phases == list(script)
    assert [type(p) for p in phases] == [int, Phase, int, int, int, Phase, Phase]
    assert result.complete


def test_result_without_complete_phase() -> None:
    result = clusupgrade.upgrade(Simulator((1, 2)))
    assert result.complete is False
    assert len(result.events) == 2


def test_empty_script() -> None:
    result = clusupgrade.upgrade(Simulator(()))
    assert result.events == ()
    assert result.status == 0


def test_failure_status_carries_events(callback_thread: str) -> None:
    sim = Simulator(status=5973, fail_after=2, callback_thread=callback_thread, name="c1")
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        clusupgrade.upgrade(sim)
    err = info.value
    assert isinstance(err, OSError)
    assert err.winerror == 5973
    assert err.cluster == "c1"
    assert [e.phase for e in err.events] == [Phase.INITIALIZE, Phase.VALIDATING_UPGRADE]
    assert "5973" in str(err)
    assert "ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS" in str(err)
    assert "c1" in str(err)


def test_status_after_all_phases_is_an_error() -> None:
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        clusupgrade.upgrade(Simulator(status=5977))
    assert info.value.winerror == 5977
    assert len(info.value.events) == 5


def test_fail_after_without_status_is_incomplete() -> None:
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        clusupgrade.upgrade(Simulator(fail_after=3))
    assert info.value.winerror == 5977
    assert len(info.value.events) == 3


def test_fail_after_zero_reports_nothing() -> None:
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        clusupgrade.upgrade(Simulator(fail_after=0, status=5050))
    assert info.value.winerror == 5050
    assert info.value.events == ()


def test_restart_required_is_success(callback_thread: str) -> None:
    result = clusupgrade.upgrade(Simulator(status=5975, callback_thread=callback_thread))
    assert result.status == 5975
    assert result.restart_required
    assert result.complete


def test_open_failure() -> None:
    sim = Simulator(open_error=1722, name="far-away")
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        clusupgrade.upgrade(sim)
    assert info.value.winerror == 1722
    assert "RPC_S_SERVER_UNAVAILABLE" in str(info.value)
    assert not isinstance(info.value, clusupgrade.ClusapiUnavailableError)


def test_check_plays_check_phases() -> None:
    sim = Simulator(check_phases=(1, 2))
    result = clusupgrade.check(sim)
    assert result.performed is False
    assert [e.phase for e in result.events] == [Phase.INITIALIZE, Phase.VALIDATING_UPGRADE]
    assert result.complete is False


def test_check_not_ready() -> None:
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        clusupgrade.check(Simulator(status=5973))
    assert info.value.winerror == 5973


def test_phases_iterator_yields_then_result(callback_thread: str) -> None:
    stream = clusupgrade.phases(Simulator(callback_thread=callback_thread), perform=True)
    assert stream.result is None
    seen = [event for event in stream]
    assert all(isinstance(e, PhaseEvent) for e in seen)
    assert stream.result is not None
    assert stream.result.events == tuple(seen)
    assert list(stream) == []  # exhausted


def test_phases_iterator_raises_at_end_on_failure() -> None:
    stream = clusupgrade.phases(Simulator(fail_after=2, status=5974), perform=True)
    got = []
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        for event in stream:
            got.append(event.phase)
    assert got == [1, 2]
    assert info.value.winerror == 5974
    assert stream.result is None


def test_call_starts_on_first_next() -> None:
    sim = Simulator()
    stream = clusupgrade.phases(sim, perform=True)
    time.sleep(0.05)
    assert sim.runs == 0
    next(stream)
    stream.close()
    assert sim.wait(10)
    assert sim.runs == 1


def test_elapsed_follows_delay() -> None:
    result = clusupgrade.upgrade(Simulator((1, 2, 3), delay=0.05))
    gaps = [b.elapsed - a.elapsed for a, b in zip(result.events, result.events[1:], strict=False)]
    assert all(gap >= 0.045 for gap in gaps)


def test_events_are_frozen() -> None:
    event = clusupgrade.upgrade(Simulator((1,))).events[0]
    with pytest.raises(AttributeError):
        event.phase = 2  # type: ignore[misc]


def test_phase_labels() -> None:
    assert Phase.VALIDATING_UPGRADE.label == "Validating upgrade"
    assert Phase(5) is Phase.UPGRADE_COMPLETE
