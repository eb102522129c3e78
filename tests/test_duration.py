"""A call's duration is measured on the clock of its events' elapsed.

On Windows before CPython 3.13, time.monotonic() ticks every 15.6 ms (1 ms
under Wine) while the events' elapsed comes from QueryPerformanceCounter:
a short call measured with monotonic() lasted less than its own events.
tools/wine/test.sh runs this on Windows CPython 3.11 and 3.12.
"""

from __future__ import annotations

import clusupgrade
from clusupgrade import Simulator


def test_duration_covers_every_event(callback_thread: str) -> None:
    for _ in range(50):
        result = clusupgrade.upgrade(Simulator(delay=0, callback_thread=callback_thread))
        assert result.events[-1].elapsed <= result.duration


def test_fleet_duration_covers_every_event() -> None:
    # One at a time, callbacks on the worker: each call lasts about a
    # millisecond, the end record follows the last phase at once.
    sims = [Simulator(delay=0, callback_thread="caller") for _ in range(100)]
    with clusupgrade.upgrade_many(sims, max_parallel=1) as fleet:
        for _ in fleet:
            pass
    for outcome in fleet.outcomes:
        assert isinstance(outcome, clusupgrade.UpgradeResult)
        assert outcome.events[-1].elapsed <= outcome.duration
