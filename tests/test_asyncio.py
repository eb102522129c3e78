"""aphases() and aupgrade()."""

from __future__ import annotations

import asyncio
import time

import pytest

import clusupgrade
from clusupgrade import Phase, Simulator, _clusupgrade

from .conftest import settle


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_aupgrade(callback_thread: str) -> None:
    result = run(clusupgrade.aupgrade(Simulator(callback_thread=callback_thread)))
    assert [e.phase for e in result.events] == list(Phase)
    assert result.status == 0


def test_aphases_yields_then_result() -> None:
    async def main() -> tuple[list[int], clusupgrade.UpgradeResult | None]:
        stream = clusupgrade.aphases(Simulator(delay=0.01), perform=True)
        got = [int(e.phase) async for e in stream]
        return got, stream.result

    got, result = run(main())
    assert got == [1, 2, 3, 4, 5]
    assert result is not None and result.complete


def test_aphases_raises_at_end_on_failure() -> None:
    async def main() -> list[int]:
        got = []
        async for event in clusupgrade.aphases(Simulator(status=5976, fail_after=2), perform=True):
            got.append(int(event.phase))
        return got

    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        run(main())
    assert info.value.winerror == 5976
    assert [int(e.phase) for e in info.value.events] == [1, 2]


def test_events_arrive_while_the_loop_does_other_work() -> None:
    # The loop is woken by each event, not by polling: other tasks keep running
    # and each event is seen before the next phase is even reported.
    async def main() -> list[float]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        lags = []
        async for event in clusupgrade.aphases(Simulator(delay=0.1), perform=True):
            lags.append(event.elapsed)
        task.cancel()
        assert ticks >= 20
        return lags

    assert len(run(main())) == 5


def test_cancelling_the_task_stops_listening_only(callback_thread: str) -> None:
    sim = Simulator(delay=0.3, callback_thread=callback_thread)

    async def main() -> BaseException:
        task = asyncio.create_task(clusupgrade.aupgrade(sim))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as info:
            await task
        return info.value

    cancelled = run(main())
    assert sim.runs == 0, "the call still ran when the task was cancelled"
    pending = clusupgrade.pending_call(cancelled)
    assert pending is not None and any("stopped listening" in n for n in cancelled.__notes__)
    assert settle(sim) == [True] * 5
    result = pending.wait(10)
    assert result is not None and result.raised


def test_async_timeout_stops_listening_only() -> None:
    sim = Simulator(delay=0.3)
    with pytest.raises(TimeoutError) as info:
        run(clusupgrade.aupgrade(sim, timeout=0.2))
    assert isinstance(info.value, clusupgrade.ListeningStoppedError)
    assert info.value.winerror == 1460
    assert info.value.pending is not None
    assert settle(sim) == [True] * 5


def test_a_finished_call_wins_over_its_async_deadline() -> None:
    # Issue 16 §5: every record is queued before the deadline passes, but
    # the task gets to them only after it (a busy loop): the call has
    # returned, so its result is reported, not a timeout.
    sim = Simulator(callback_thread="caller")

    async def main() -> clusupgrade.UpgradeResult:
        return await clusupgrade.aupgrade(sim, timeout=0.05, on_phase=lambda e: time.sleep(0.03))

    result = run(main())
    assert len(result.events) == 5 and result.raised


def test_abort_answers_false_and_the_call_ends_cancelled() -> None:
    sim = Simulator(delay=0.05)

    async def main() -> None:
        stream = clusupgrade.aphases(sim, perform=True)
        async for _ in stream:
            stream.abort()
        raise AssertionError("the aborted call ended without an error")

    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        run(main())
    assert info.value.winerror == 1223
    assert settle(sim) == [True, False]


def test_async_on_phase_exception_waits_for_the_end() -> None:
    sim = Simulator(delay=0.02)
    calls: list[int] = []

    async def on_phase(event: clusupgrade.PhaseEvent) -> None:
        calls.append(int(event.phase))
        raise KeyError("on_phase")

    with pytest.raises(KeyError) as info:
        run(clusupgrade.aupgrade(sim, on_phase=on_phase))
    assert calls == [1]
    assert sim.runs == 1 and sim.answers == [True] * 5
    assert any("raised the functional level" in n for n in info.value.__notes__)


def test_a_relay_that_cannot_start_is_a_cluster_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_thread(step: object) -> None:
        raise OSError(8, "could not start the relay's thread")

    monkeypatch.setattr(_clusupgrade, "start_relay", no_thread)
    sim = Simulator(name="starved")
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        run(clusupgrade.aupgrade(sim))
    assert info.value.winerror == 8 and info.value.cluster == "starved"
    assert sim.runs == 0


def test_async_on_phase_may_be_a_coroutine() -> None:
    seen: list[int] = []

    async def on_phase(event: clusupgrade.PhaseEvent) -> None:
        await asyncio.sleep(0)
        seen.append(int(event.phase))

    run(clusupgrade.aupgrade(Simulator(), on_phase=on_phase))
    assert seen == [1, 2, 3, 4, 5]


def test_break_and_aclose() -> None:
    sim = Simulator(delay=0.05)

    async def main() -> None:
        stream = clusupgrade.aphases(sim, perform=True)
        async for _ in stream:
            break
        await stream.aclose()
        assert not stream.listening and not stream.aborted

    run(main())
    assert settle(sim) == [True] * 5


def test_close_from_another_task_wakes_the_consumer() -> None:
    sim = Simulator(delay=0.5)

    async def main() -> list[int]:
        stream = clusupgrade.aphases(sim, perform=True)
        got = [int((await stream.__anext__()).phase)]
        asyncio.get_running_loop().call_later(0.1, stream.close)
        async for event in stream:
            got.append(int(event.phase))
        assert not stream.listening and stream.result is None
        return got

    assert run(asyncio.wait_for(main(), 0.4)) == [1]
    assert settle(sim) == [True] * 5


def relays_back_to(count: int, timeout: float = 5.0) -> bool:
    """Wait until as many relays run as `count`."""
    deadline = time.monotonic() + timeout
    while _clusupgrade.relays() != count and time.monotonic() < deadline:
        time.sleep(0.01)
    return _clusupgrade.relays() == count


def test_relays_end() -> None:
    assert relays_back_to(0), "relays of earlier tests still run"

    async def main() -> None:
        await asyncio.gather(*(clusupgrade.aupgrade(Simulator(name=f"a{i}")) for i in range(20)))
        stream = clusupgrade.aphases(Simulator(delay=0.5, name="left"), perform=True)
        await stream.__anext__()
        stream.close()

    run(main())
    assert relays_back_to(0)


def test_a_dropped_stream_leaves_the_call_and_its_relay_ends() -> None:
    sim = Simulator(delay=0.2, name="dropped")
    assert relays_back_to(0), "relays of earlier tests still run"

    async def main() -> bool:
        stream = clusupgrade.aphases(sim, perform=True)
        async for _ in stream:
            break  # neither aclose() nor async with: the stream is only dropped
        assert _clusupgrade.relays() == 1
        del stream
        # While the loop still runs: the relay ends because its stream went,
        # not because the loop closed.
        deadline = time.monotonic() + 5
        while _clusupgrade.relays() != 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return _clusupgrade.relays() == 0

    assert run(main())
    assert settle(sim) == [True] * 5


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        clusupgrade.aphases(3, perform=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        run(clusupgrade.aupgrade(Simulator(), on_phase=1))  # type: ignore[arg-type]
