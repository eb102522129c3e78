"""Issue 16 §5, found by a hostile review of the orchestration: each test
fails on the code before the fix.  (The call owned before it starts is in
test_stream_hardening.py, test_fleet.py and test_asyncio.py; a finished
call winning over its asyncio deadline in test_asyncio.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

import clusupgrade
from clusupgrade import Simulator, _clusupgrade, blocking

from .conftest import run_python


@pytest.mark.parametrize("read", ["cluster_info", "preflight"])
def test_a_read_whose_thread_cannot_start_is_a_cluster_error(read: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: a bare OSError (errno holding a Win32 code), and a traceback
    # from `clusupgrade info`.
    def no_thread(simulator: Simulator | None, call: _clusupgrade.Call, **kw: bool) -> bool:
        raise OSError(8, "could not start the call's thread")

    monkeypatch.setattr(blocking, "launch", no_thread)
    sim = Simulator(name="starved")
    with pytest.raises(clusupgrade.ClusterUpgradeError) as info:
        getattr(clusupgrade, read)(sim)
    assert info.value.winerror == 8 and info.value.cluster == "starved"
    assert "could not start the call's thread" in str(info.value)
    assert sim.wait(1)


def test_duration_is_measured_where_the_call_ends(callback_thread: str) -> None:
    # The call returns within milliseconds; its consumer takes a second.
    # Before: duration counted until the consumer read the end (about 1 s).
    result = clusupgrade.upgrade(
        Simulator(delay=0, callback_thread=callback_thread), on_phase=lambda event: time.sleep(0.2)
    )
    assert result.events[-1].elapsed <= result.duration < 0.2, result.duration


def test_fleet_duration_is_measured_where_each_call_ends() -> None:
    sims = [Simulator(name=f"d{i}", delay=0, callback_thread="native") for i in range(2)]
    with clusupgrade.upgrade_many(sims) as fleet:
        for _ in fleet:
            time.sleep(0.1)
    for outcome in fleet.outcomes:
        assert isinstance(outcome, clusupgrade.UpgradeResult)
        assert outcome.duration < 0.2, outcome.duration


def test_a_pending_calls_duration_is_the_calls_own() -> None:
    sim = Simulator(delay=0.01)
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    stream.close()
    assert sim.wait(10)
    time.sleep(0.3)  # the outcome is read long after the call ended
    pending = stream.pending
    assert pending is not None and pending.done
    result = pending.wait()
    assert result is not None and result.duration < 0.3 and result.raised


def test_reimporting_the_native_module_keeps_nothing_alive() -> None:
    # Before: each new module object registered its bound _shutdown with
    # atexit, which kept it and its three heap types alive until exit.
    code = """
import atexit, gc, importlib.machinery, importlib.util, weakref
from clusupgrade import _clusupgrade as first
before = atexit._ncallbacks()
refs = []
for _ in range(3):
    spec = importlib.util.spec_from_file_location(first.__name__, first.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module is not first and module.Call is not first.Call
    refs += [weakref.ref(module), weakref.ref(module.Call), weakref.ref(module.Job), weakref.ref(module.SimModel)]
    del module, spec
gc.collect()
print(atexit._ncallbacks() - before, sum(ref() is not None for ref in refs))
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "0"], proc.stdout


def test_the_shutdown_hook_is_still_registered_once() -> None:
    code = """
import clusupgrade
from clusupgrade import _clusupgrade
import atexit
atexit._run_exitfuncs()
print(_clusupgrade.closed())
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True"]


@pytest.mark.parametrize("delay", [10**400, -(10**400)])
def test_a_huge_delay_is_a_value_error(delay: int) -> None:
    # Before: OverflowError from float().
    with pytest.raises(ValueError, match="delay must be from 0 to"):
        Simulator(delay=delay)


# Found by the second hostile review: abort() or close() landing (a signal
# handler, another thread) after _start() had checked the flags but before
# it stored the Call was lost: the Call was made, started and answered TRUE,
# and the level moved although abort() says "before the call starts, it is
# never made".  _spec() runs in exactly that window.
def _landing_in_start(sim: Simulator, stop: Callable[[], None], monkeypatch: pytest.MonkeyPatch) -> None:
    made = sim._spec

    def spec(perform: bool, **kw: bool) -> object:
        stop()
        return made(perform, **kw)

    monkeypatch.setattr(sim, "_spec", spec)


@pytest.mark.parametrize("how", ["abort", "close"])
def test_a_stop_as_the_call_is_made_is_never_lost(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator(delay=0.01)
    stream = clusupgrade.phases(sim, perform=True)
    _landing_in_start(sim, getattr(stream, how), monkeypatch)
    assert list(stream) == []
    assert stream.pending is None
    assert sim.wait(10) and sim.runs == 0
    assert clusupgrade.cluster_info(sim).functional_level == 11


@pytest.mark.parametrize("how", ["abort", "close"])
def test_an_async_stop_as_the_call_is_made_is_never_lost(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = Simulator(delay=0.01)

    async def go() -> list[object]:
        stream = clusupgrade.aphases(sim, perform=True)
        _landing_in_start(sim, getattr(stream, how), monkeypatch)
        return [event async for event in stream]

    assert asyncio.run(go()) == []
    assert sim.wait(10) and sim.runs == 0
    assert clusupgrade.cluster_info(sim).functional_level == 11


def test_a_fleet_starts_nothing_once_stop_starting_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    # stop_starting() (the command line's first Ctrl+C) landing while the
    # fleet makes a member's call: before, that member was started anyway.
    sims = [Simulator(name=f"hv{i}", delay=0.01) for i in range(2)]
    fleet = clusupgrade.FleetUpgrade(sims, max_parallel=1)
    _landing_in_start(sims[1], fleet.stop_starting, monkeypatch)
    list(fleet)
    assert isinstance(fleet.outcomes[0], clusupgrade.UpgradeResult) and fleet.outcomes[1] is None
    assert sims[1].wait(10) and sims[1].runs == 0


CTRL_C_IN_ASYNCIO_RUN = r"""
import asyncio, signal, clusupgrade
sim = clusupgrade.Simulator(delay=0.05)
try:
    asyncio.run(clusupgrade.aupgrade(sim, on_phase=lambda event: signal.raise_signal(signal.SIGINT)))
except KeyboardInterrupt as exc:
    pending = clusupgrade.pending_call(exc)
    print(pending is not None and pending.wait(30).raised)
"""


def test_pending_call_finds_the_call_behind_asyncio_runs_keyboard_interrupt() -> None:
    # asyncio.run() turns Ctrl+C into a cancellation of its task (which
    # clusupgrade marks) and then raises a KeyboardInterrupt of its own,
    # whose __context__ is that CancelledError.  Before: pending_call(exc)
    # on the KeyboardInterrupt the caller catches was None.
    proc = run_python(CTRL_C_IN_ASYNCIO_RUN)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True"]
