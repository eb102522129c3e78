"""Reference leaks, measured with a debug interpreter's sys.gettotalrefcount().

Every path through the native code runs many times; the interpreter's
total reference count must stay flat.  tools/check-native.sh runs this file
under Debian's python3-dbg; a normal build has no gettotalrefcount and
skips it.
"""

from __future__ import annotations

import gc
import logging
import queue
import sys
from collections.abc import Callable, Iterator

import pytest

import clusupgrade
from clusupgrade import Simulator, _clusupgrade

if not hasattr(sys, "gettotalrefcount"):
    pytest.skip("needs a debug interpreter (tools/check-native.sh)", allow_module_level=True)

@pytest.fixture(autouse=True)
def quiet_logger() -> Iterator[None]:
    # pytest keeps every log record it captures: with the logger on, the
    # error paths would "leak" the records pytest holds, not clusupgrade.
    logger = logging.getLogger("clusupgrade")
    logger.disabled = True
    yield
    logger.disabled = False


ROUNDS = 300
ALLOWED = 30  # noise from caches warmed late (type caches, interned ints)


def growth(action: Callable[[], object], rounds: int = ROUNDS) -> int:
    for _ in range(20):  # warm every cache first
        action()
    gc.collect()
    before = sys.gettotalrefcount()  # type: ignore[attr-defined]
    for _ in range(rounds):
        action()
    gc.collect()
    return sys.gettotalrefcount() - before  # type: ignore[attr-defined]


def expect_error(sim: Simulator, **kwargs: object) -> Callable[[], None]:
    def run() -> None:
        try:
            clusupgrade.upgrade(sim, **kwargs)  # type: ignore[arg-type]
        except (clusupgrade.ClusterUpgradeError, TimeoutError):
            pass
        else:
            raise AssertionError("expected a failure")
        sim.wait()

    return run


def abandon(sim: Simulator, how: str) -> Callable[[], None]:
    def run() -> None:
        stream = clusupgrade.phases(sim, perform=True)
        next(stream)
        if how == "close":
            stream.close()
        elif how == "abort":
            stream.abort()
            try:
                list(stream)
            except clusupgrade.ClusterUpgradeError as err:
                assert err.winerror == 1223
        elif how == "pending":
            stream.close()
            pending = stream.pending
            assert pending is not None and pending.wait() is not None
        del stream  # "gc": only dropping it
        sim.wait()

    return run


def raising_on_phase(sim: Simulator) -> Callable[[], None]:
    def boom(event: clusupgrade.PhaseEvent) -> None:
        raise ValueError(event.sequence)

    def run() -> None:
        with pytest.raises(ValueError):
            clusupgrade.upgrade(sim, on_phase=boom)
        sim.wait()

    return run


def busy(sim: Simulator) -> Callable[[], None]:
    """A second call while one runs on the simulated cluster: it waits for
    the first, then decides (MS-CMRP 3.1.4.3.7.18)."""

    def run() -> None:
        with clusupgrade.phases(sim, perform=True) as stream:
            next(stream)
            assert clusupgrade.check(sim).status == 0
        sim.wait()

    return run


@pytest.mark.parametrize("thread", ["native", "caller"])
@pytest.mark.parametrize(
    "path",
    [
        "success",
        "restart required",
        "error status",
        "fail after",
        "open error",
        "unknown phases",
        "check",
        "timeout",
        "close",
        "abort",
        "pending",
        "gc",
        "on_phase raises",
        "cluster_info",
        "preflight",
        "refusal",
        "busy",
    ],
)
def test_no_leak(path: str, thread: str) -> None:
    kw = {"callback_thread": thread}
    actions: dict[str, Callable[[], object]] = {
        "success": lambda: clusupgrade.upgrade(Simulator(**kw)),  # type: ignore[arg-type]
        "restart required": lambda: clusupgrade.upgrade(Simulator(status=5975, **kw)),  # type: ignore[arg-type]
        "error status": expect_error(Simulator(status=5973, **kw)),  # type: ignore[arg-type]
        "fail after": expect_error(Simulator(fail_after=2, **kw)),  # type: ignore[arg-type]
        "open error": expect_error(Simulator(open_error=1722, **kw)),  # type: ignore[arg-type]
        "unknown phases": lambda: clusupgrade.upgrade(Simulator((0, 6, 2**31 - 1, -7), **kw)),  # type: ignore[arg-type]
        "check": lambda: clusupgrade.check(Simulator(**kw)),  # type: ignore[arg-type]
        "timeout": expect_error(Simulator(delay=0.02, **kw), timeout=0.001),  # type: ignore[arg-type]
        "close": abandon(Simulator(delay=0.001, **kw), "close"),  # type: ignore[arg-type]
        "abort": abandon(Simulator(delay=0.001, **kw), "abort"),  # type: ignore[arg-type]
        "pending": abandon(Simulator(delay=0.001, **kw), "pending"),  # type: ignore[arg-type]
        "gc": abandon(Simulator(delay=0.001, **kw), "gc"),  # type: ignore[arg-type]
        "on_phase raises": raising_on_phase(Simulator(**kw)),  # type: ignore[arg-type]
        "cluster_info": lambda: clusupgrade.cluster_info(Simulator(**kw)),  # type: ignore[arg-type]
        "preflight": lambda: clusupgrade.preflight(Simulator.scenario("node-paused", **kw)),
        "refusal": expect_error(Simulator.scenario("not-upgraded", **kw)),
        # Long enough phases that the check surely meets the raise, which
        # now runs to its end after each round (stopping to listen answers TRUE).
        "busy": busy(Simulator(delay=0.01, **kw)),  # type: ignore[arg-type]
    }
    rounds = 60 if path == "timeout" else ROUNDS
    assert growth(actions[path], rounds) <= ALLOWED


def test_no_leak_in_native_argument_errors() -> None:
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    bad = [
        ((items, 5), TypeError),
        ((items, ""), ValueError),
        ((items, "a\0b"), ValueError),
        ((items, None, True, ((1, "x"), 0, 0, -1, 0, True)), TypeError),
        ((items, None, True, ((1,), 0, 2**40, -1, 0, True)), ValueError),
        ((items, None, True, ((2**40,), 0, 0, -1, 0, True)), ValueError),
        ((items, None, True, ((1,), 0, 0, 9, 0, True)), ValueError),
        (([],), TypeError),
        ((items, None, True, ((), 0, None, -1, 0, True, object())), TypeError),
    ]
    node = (b"a\0", 0, 10, 0, 1, 0, 0)
    models = [
        ((b"x", 11, 0, False, (node,)), ValueError),
        ((b"x\0", 11, 0, False, (node, (b"a\0", 0, 10, 0, 2**16, 0, 0))), ValueError),
        ((b"x\0", 11, 0, False, (node, (b"a",))), TypeError),
    ]

    def run() -> None:
        for args, error in bad:
            try:
                _clusupgrade.Call(*args)
            except error:
                pass
        for args, error in models:
            try:
                _clusupgrade.SimModel(*args)
            except error:
                pass

    assert growth(run) <= ALLOWED


def test_no_leak_when_unavailable() -> None:
    if sys.platform == "win32":
        pytest.skip("clusapi.dll may exist")

    def run() -> None:
        with pytest.raises(clusupgrade.ClusapiUnavailableError):
            clusupgrade.upgrade("c")

    assert growth(run) <= ALLOWED


def test_no_leak_in_answers_and_format_message() -> None:
    def run() -> None:
        call = _clusupgrade.Call(queue.SimpleQueue(), None, True, ((1, 2, 3), 0, 0, -1, 0, False))
        call.run()
        assert call.job.answers() == [True] * 3
        _clusupgrade.format_message(5)

    assert growth(run) <= ALLOWED


def test_the_measurement_can_see_a_leak() -> None:
    # Guards against a growth() that reports zero whatever happens.
    kept: list[object] = []
    assert growth(lambda: kept.append(object()), 200) >= 200
