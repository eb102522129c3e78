"""Job.wait(): the wait for a native call, as its cluster sees it."""

from __future__ import annotations

import queue
import time

import pytest

from clusupgrade import _clusupgrade

from .conftest import interrupt_main_after

SLOW = 2.5  # seconds between the two phases: the call surely runs on meanwhile


def slow_call() -> _clusupgrade.Call:
    call = _clusupgrade.Call(queue.SimpleQueue(), None, True, ((1, 2), round(SLOW * 1e9), 0, -1, 0, True))
    call.start()
    return call


@pytest.mark.parametrize("timeout", [None, 60.0])
def test_ctrl_c_interrupts_the_wait(timeout: float | None) -> None:
    call = slow_call()
    job = call.job
    interrupt_main_after(0.2)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        job.wait(timeout)
    waited = time.monotonic() - start
    assert not job.finished, "the native call should still be blocked"
    call.abort()
    assert job.wait(10)
    assert job.answers() == [True, False]
    assert waited < 0.2 + 0.5, f"KeyboardInterrupt took {waited:.2f} s"


def test_the_wait_still_times_out_and_finishes() -> None:
    call = slow_call()
    job = call.job
    # perf_counter(): monotonic() ticks every 15.6 ms on Windows before 3.13.
    start = time.perf_counter()
    assert job.wait(0.3) is False
    assert 0.3 - 0.002 <= time.perf_counter() - start < SLOW
    assert job.wait(0) is False
    call.abort()
    assert job.wait(None) is True
    assert job.wait(0) is True


@pytest.mark.parametrize("timeout", [-1, float("nan"), "1"])
def test_bad_timeouts(timeout: object) -> None:
    call = _clusupgrade.Call(queue.SimpleQueue(), None, True, ((1,), 0, 0, -1, 0, False))
    with pytest.raises((ValueError, TypeError)):
        call.job.wait(timeout)  # type: ignore[arg-type]
