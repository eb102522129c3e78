"""The asyncio relay: a native thread, not a threading.Thread (csrc/relay.c)."""

from __future__ import annotations

import asyncio
import gc
import queue
import sys
import threading
import time

import pytest

import clusupgrade
from clusupgrade import Simulator, _clusupgrade

from .conftest import run_python
from .test_asyncio import relays_back_to
from .test_process_shapes import leak_check_off


def test_an_async_stream_starts_no_python_thread(callback_thread: str) -> None:
    before = set(threading.enumerate())

    async def main() -> set[threading.Thread]:
        stream = clusupgrade.aphases(Simulator(delay=0.05, callback_thread=callback_thread), perform=True)
        async with stream:
            await stream.__anext__()
            during = set(threading.enumerate())
            async for _ in stream:
                pass
        return during

    during = asyncio.run(main())
    assert during == before
    assert set(threading.enumerate()) == before


def test_the_relay_ends_with_the_call_while_the_stream_is_kept() -> None:
    # Neither dropped nor cancelled: only the call's end stops the relay.
    assert relays_back_to(0), "relays of earlier tests still run"

    async def main() -> tuple[list[int], bool]:
        stream = clusupgrade.aphases(Simulator(), perform=True)
        got = [int(event.phase) async for event in stream]
        deadline = time.monotonic() + 5
        while _clusupgrade.relays() != 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        ended = _clusupgrade.relays() == 0
        assert stream.result is not None  # kept until here
        return got, ended

    assert asyncio.run(main()) == ([1, 2, 3, 4, 5], True)


def test_a_flood_of_records_arrives_whole(callback_thread: str) -> None:
    phases = tuple(range(1, 20_001))

    async def main() -> list[int]:
        stream = clusupgrade.aphases(Simulator(phases, callback_thread=callback_thread), perform=True)
        return [int(e.phase) async for e in stream]

    assert asyncio.run(main()) == list(phases)


def test_a_step_that_raises_is_reported_and_ends_its_relay(monkeypatch: pytest.MonkeyPatch) -> None:
    reported: list[BaseException | None] = []
    done = threading.Event()

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        reported.append(unraisable.exc_value)
        done.set()

    def step() -> bool:
        raise LookupError("step failed")

    monkeypatch.setattr(sys, "unraisablehook", hook)
    assert relays_back_to(0), "relays of earlier tests still run"
    _clusupgrade.start_relay(step)
    assert done.wait(5)
    assert relays_back_to(0)
    assert len(reported) == 1 and isinstance(reported[0], LookupError)


def test_a_step_is_called_until_it_returns_false() -> None:
    calls = queue.SimpleQueue[int]()
    count = 0

    def step() -> int:
        nonlocal count
        count += 1
        calls.put(count)
        return 3 - count  # truthy twice, then 0

    assert relays_back_to(0), "relays of earlier tests still run"
    _clusupgrade.start_relay(step)
    assert [calls.get(timeout=5) for _ in range(3)] == [1, 2, 3]
    assert relays_back_to(0)
    assert count == 3


def test_start_relay_wants_a_callable() -> None:
    with pytest.raises(TypeError, match="step must be callable"):
        _clusupgrade.start_relay(3)  # type: ignore[arg-type]


def test_no_relay_starts_after_shutdown() -> None:
    code = """
import asyncio, clusupgrade
from clusupgrade import _clusupgrade
_clusupgrade._shutdown()
try:
    _clusupgrade.start_relay(lambda: False)
except RuntimeError as exc:
    print("refused:", exc)
async def main():
    async for _ in clusupgrade.aphases(clusupgrade.Simulator(), perform=True):
        pass
try:
    asyncio.run(main())
except RuntimeError as exc:
    print("refused:", exc)
print(_clusupgrade.relays())
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["refused: clusupgrade is shut down: the interpreter is exiting"] * 2 + ["0"]


EXITS = {
    # asyncio.run() closes the loop; the stream is kept, its call in flight.
    "loop closed": """
async def main():
    global stream
    stream = clusupgrade.aphases(Simulator(delay={delay}, callback_thread={thread!r}), perform=True)
    print(int((await stream.__anext__()).phase), flush=True)
asyncio.run(main())
""",
    # The loop is left open: the relay can still hand it records at exit.
    "loop left open": """
async def main():
    global stream
    stream = clusupgrade.aphases(Simulator(delay={delay}, callback_thread={thread!r}), perform=True)
    print(int((await stream.__anext__()).phase), flush=True)
asyncio.new_event_loop().run_until_complete(main())
""",
    # Records back to back, so that the relay is busy when shutdown begins.
    "records racing shutdown": """
async def main():
    global stream
    stream = clusupgrade.aphases(Simulator(tuple(range(1, 2_000_000)), callback_thread={thread!r}), perform=True)
    print(int((await stream.__anext__()).phase), flush=True)
asyncio.new_event_loop().run_until_complete(main())
""",
    # sys.exit from inside the coroutine.
    "sys.exit(3)": """
async def main():
    stream = clusupgrade.aphases(Simulator(delay={delay}, callback_thread={thread!r}), perform=True)
    print(int((await stream.__anext__()).phase), flush=True)
    sys.exit(3)
asyncio.run(main())
""",
}


@pytest.mark.parametrize("case", sorted(EXITS))
@pytest.mark.parametrize("thread", ["native", "caller"])
def test_the_interpreter_exits_cleanly_with_an_async_stream_in_flight(case: str, thread: str) -> None:
    code = "import asyncio, sys, clusupgrade\nfrom clusupgrade import Simulator\n"
    code += EXITS[case].format(delay=0.5, thread=thread)
    start = time.monotonic()
    proc = run_python(code, timeout=60, env=leak_check_off())
    took = time.monotonic() - start
    assert proc.stdout.strip() == "1", proc.stderr
    assert proc.returncode == (3 if case == "sys.exit(3)" else 0), proc.stderr
    assert "Fatal Python error" not in proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Exception ignored" not in proc.stderr, proc.stderr
    # No waiting for the script's remaining phases (4 x 0.5 s).
    assert took < 30, f"exit took {took:.1f} s"


def test_shutdown_ends_a_relay_that_would_run_forever() -> None:
    code = """
import queue, time
from clusupgrade import _clusupgrade
empty = queue.SimpleQueue()

def step():
    try:
        empty.get(timeout=0.2)
    except queue.Empty:
        pass
    return True

for _ in range(4):
    _clusupgrade.start_relay(step)
time.sleep(0.3)
print(_clusupgrade.relays(), flush=True)
"""
    proc = run_python(code, timeout=30, env=leak_check_off())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "4"
    assert proc.stderr == ""


@pytest.mark.skipif(not hasattr(sys, "gettotalrefcount"), reason="needs a debug interpreter (tools/check-native.sh)")
@pytest.mark.parametrize("path", ["step returns False", "step raises", "async stream", "dropped async stream"])
def test_relays_leak_no_references(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: None)

    def fail() -> bool:
        raise LookupError("step failed")

    async def drop() -> None:
        stream = clusupgrade.aphases(Simulator(delay=0.01), perform=True)
        await stream.__anext__()

    actions = {
        "step returns False": lambda: _clusupgrade.start_relay(lambda: False),
        "step raises": lambda: _clusupgrade.start_relay(fail),
        "async stream": lambda: asyncio.run(clusupgrade.aupgrade(Simulator())),
        "dropped async stream": lambda: asyncio.run(drop()),
    }

    def action() -> None:
        actions[path]()
        assert relays_back_to(0)

    for _ in range(10):  # warm every cache first
        action()
    gc.collect()
    before = sys.gettotalrefcount()  # type: ignore[attr-defined]
    for _ in range(100):
        action()
    gc.collect()
    assert sys.gettotalrefcount() - before < 30  # type: ignore[attr-defined]


def test_an_undelivered_end_record_still_reaches_the_awaiting_task() -> None:
    # Whatever keeps the worker from putting the end record (a failed
    # allocation, a guard refused at start), the relay reads it from the
    # Call once the queue has stayed empty, as blocking streams do.
    from clusupgrade.aio import _Relay
    from clusupgrade.phase import END_HEADER

    end = END_HEADER.pack(ord("E"), 0, 0, 2, -1, 0)

    class FinishedCall:
        def end(self) -> bytes:
            return end

    class Stream:
        _call = FinishedCall()

    async def main() -> list[object]:
        items: queue.SimpleQueue[object] = queue.SimpleQueue()
        records: asyncio.Queue[object] = asyncio.Queue()
        stream = Stream()
        import weakref

        relay = _Relay(items, asyncio.get_running_loop(), records, weakref.ref(stream))  # type: ignore[arg-type]
        assert await asyncio.to_thread(relay) is False, "the relay must end with the call"
        return [await asyncio.wait_for(records.get(), 5)]

    assert asyncio.run(main()) == [end]
