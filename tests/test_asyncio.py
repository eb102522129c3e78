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
        stream = clusupgrade.aphases(Simulator(delay=0.01))
        got = [int(e.phase) async for e in stream]
        return got, stream.result

    got, result = run(main())
    assert got == [1, 2, 3, 4, 5]
    assert result is not None and result.complete


def test_aphases_raises_at_end_on_failure() -> None:
    async def main() -> list[int]:
        got = []
        async for event in clusupgrade.aphases(Simulator(status=5976, fail_after=2)):
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
        async for event in clusupgrade.aphases(Simulator(delay=0.1)):
            lags.append(event.elapsed)
        task.cancel()
        assert ticks >= 20
        return lags

    assert len(run(main())) == 5


def test_cancelling_the_task_answers_false(callback_thread: str) -> None:
    sim = Simulator(delay=1.0, callback_thread=callback_thread)

    async def main() -> None:
        task = asyncio.create_task(clusupgrade.aupgrade(sim))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert settle(sim) == [True, False]


def test_async_timeout() -> None:
    sim = Simulator(delay=1.0)
    with pytest.raises(TimeoutError) as info:
        run(clusupgrade.aupgrade(sim, timeout=0.2))
    assert info.value.winerror == 1460  # type: ignore[attr-defined]
    assert settle(sim) == [True, False]


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
        stream = clusupgrade.aphases(sim)
        async for _ in stream:
            break
        await stream.aclose()
        assert stream.cancelled

    run(main())
    assert settle(sim) == [True, False]


def test_cancel_from_another_task_wakes_the_consumer() -> None:
    sim = Simulator(delay=1.0)

    async def main() -> list[int]:
        stream = clusupgrade.aphases(sim)
        got = [int((await stream.__anext__()).phase)]
        asyncio.get_running_loop().call_later(0.1, stream.cancel)
        async for event in stream:
            got.append(int(event.phase))
        assert stream.cancelled and stream.result is None
        return got

    assert run(asyncio.wait_for(main(), 0.8)) == [1]
    assert settle(sim) == [True, False]


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
        stream = clusupgrade.aphases(Simulator(delay=0.5, name="left"))
        await stream.__anext__()
        stream.cancel()

    run(main())
    assert relays_back_to(0)


def test_a_dropped_stream_leaves_the_call_and_its_relay_ends() -> None:
    sim = Simulator(delay=0.2, name="dropped")
    assert relays_back_to(0), "relays of earlier tests still run"

    async def main() -> bool:
        stream = clusupgrade.aphases(sim)
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
    assert settle(sim) == [True, False]


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        clusupgrade.aphases(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        run(clusupgrade.aupgrade(Simulator(), on_phase=1))  # type: ignore[arg-type]
