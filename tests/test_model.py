"""The simulated cluster decides like a real one (MS-CMRP), natively.

Every test goes through the public API and the native path: the model in C
decides each call, moves the level when the native call returns, and
describes itself through the same sections a real cluster's answers fill.
"""

from __future__ import annotations

import gc
import os
import queue
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

import clusupgrade
from clusupgrade import ClusterUpgradeError, NodeState, SimNode, Simulator, _clusupgrade
from clusupgrade.simulator import SCENARIOS

from .conftest import interrupt_main_after

SCALE = float(os.environ.get("CLUSUPGRADE_STRESS_SCALE", "1"))


def phases_of(events: tuple[clusupgrade.PhaseEvent, ...]) -> list[int]:
    return [int(e.phase) for e in events]


def refusal(sim: Simulator, *, perform: bool = True) -> ClusterUpgradeError:
    with pytest.raises(ClusterUpgradeError) as caught:
        clusupgrade.upgrade(sim, perform=perform)
    return caught.value


# The rehearsal each scenario is for.


def test_ready_raises_from_11_to_12() -> None:
    sim = Simulator.scenario("ready")
    result = clusupgrade.upgrade(sim)
    assert (result.level_before, result.level_after, result.raised) == (11, 12, True)
    assert phases_of(result.events) == [1, 2, 3, 4, 5] and result.complete and result.status == 0
    assert clusupgrade.cluster_info(sim).functional_level == 12


def test_nothing_to_do_succeeds_without_raising() -> None:
    sim = Simulator.scenario("nothing-to-do")
    result = clusupgrade.upgrade(sim)
    assert result.status == 0 and (result.level_before, result.level_after, result.raised) == (12, 12, False)
    # A raise that succeeded once leaves nothing to do either.
    ready = Simulator.scenario("ready")
    assert clusupgrade.upgrade(ready).raised
    again = clusupgrade.upgrade(ready)
    assert (again.level_before, again.level_after, again.raised) == (12, 12, False)


@pytest.mark.parametrize(
    ("scenario", "code", "reported"),
    [("node-down", 5050, [1, 2]), ("node-paused", 5070, [1, 2]), ("not-upgraded", 5973, [1, 2]),
     ("in-progress", 5976, [])],
)
@pytest.mark.parametrize("perform", [True, False])
def test_refusals(scenario: str, code: int, reported: list[int], perform: bool) -> None:
    # A refusal found at validation reports INITIALIZE and VALIDATING
    # first; 5976 comes at once.  The level never moves.
    sim = Simulator.scenario(scenario)
    error = refusal(sim, perform=perform)
    assert error.winerror == code and phases_of(error.events) == reported
    assert clusupgrade.cluster_info(sim).functional_level == 11


def test_a_check_changes_nothing() -> None:
    sim = Simulator()
    result = clusupgrade.check(sim)
    assert (result.level_before, result.level_after, result.raised) == (11, None, False)
    assert clusupgrade.cluster_info(sim).functional_level == 11


def _start_second(sim: Simulator, call: Callable[[], clusupgrade.UpgradeResult]) -> Future[clusupgrade.UpgradeResult]:
    """`call` on another thread, returned once it has begun natively (the
    model counts it), so it is under way while the first still runs."""
    pool = ThreadPoolExecutor(1)
    future = pool.submit(call)
    pool.shutdown(wait=False)
    deadline = time.monotonic() + 30
    while sim._model.running < 2 and not future.done() and time.monotonic() < deadline:
        time.sleep(0.005)
    return future


@pytest.mark.parametrize("perform", [True, False])
def test_a_second_call_waits_for_the_first_then_decides_on_the_new_state(perform: bool) -> None:
    # MS-CMRP 3.1.4.3.7.18: the server proceeds only after waiting for any
    # upgrade in progress.  Nodes on 2025 support 12 at most: once the first
    # raise is done there is nothing more to do, so the second call succeeds
    # (never 5976) and the level moves only once.
    sim = Simulator(delay=0.05)
    with clusupgrade.phases(sim, perform=True) as stream:
        next(stream)
        second = _start_second(sim, lambda: clusupgrade.upgrade(sim, perform=perform))
        assert not second.done()
        # Reading the cluster is never held up.
        assert clusupgrade.cluster_info(sim).functional_level == 11
        first_events = [next(stream)] + list(stream)
    result = second.result(30)
    assert result.status == 0 and phases_of(result.events) == ([1, 2, 3, 4, 5] if perform else [1, 2])
    # It began only once the first had ended.
    assert min(e.timestamp for e in result.events) >= max(e.timestamp for e in first_events)
    assert stream.result is not None and stream.result.raised
    assert clusupgrade.cluster_info(sim).functional_level == 12


def test_a_raise_that_waited_reads_its_level_before_once_its_turn_came() -> None:
    # The second of two concurrent raises raised nothing: it must not report
    # 11 -> 12 and `raised` (its "before" read is taken after the wait).
    sim = Simulator(delay=0.05)
    with clusupgrade.phases(sim, perform=True) as stream:
        next(stream)
        second = _start_second(sim, lambda: clusupgrade.upgrade(sim))
        list(stream)
    assert stream.result is not None and stream.result.raised
    result = second.result(30)
    assert (result.level_before, result.level_after, result.raised) == (12, 12, False)


def test_a_second_raise_that_waited_raises_again_when_the_nodes_allow() -> None:
    nodes = [SimNode(f"HV{i}", highest_level=13) for i in (1, 2)]
    sim = Simulator(delay=0.05, nodes=nodes)
    with clusupgrade.phases(sim, perform=True) as stream:
        next(stream)
        second = _start_second(sim, lambda: clusupgrade.upgrade(sim))
        list(stream)
    assert second.result(30).status == 0
    assert clusupgrade.cluster_info(sim).functional_level == 13


def test_the_flag_is_set_while_a_raise_runs_and_cleared_after() -> None:
    sim = Simulator(delay=0.05)
    assert clusupgrade.cluster_info(sim).upgrade_in_progress is False
    with clusupgrade.phases(sim, perform=True) as stream:
        next(stream)
        assert clusupgrade.cluster_info(sim).upgrade_in_progress is True
        list(stream)
    assert clusupgrade.cluster_info(sim).upgrade_in_progress is False
    assert clusupgrade.cluster_info(sim).functional_level == 12
    # A check sets nothing.
    check = Simulator(delay=0.05, check_phases=(1, 2, 2))
    with clusupgrade.phases(check, perform=False) as stream:
        next(stream)
        assert clusupgrade.cluster_info(check).upgrade_in_progress is False


@pytest.mark.parametrize("scripted", [{}, {"status": 5977, "fail_after": 3}])
def test_a_raise_that_leaves_the_flag_set_makes_every_later_call_5976(scripted: dict[str, int]) -> None:
    sim = Simulator(leaves_in_progress=True, **scripted)  # type: ignore[arg-type]
    if scripted:
        assert refusal(sim).winerror == 5977
    else:
        assert clusupgrade.upgrade(sim).raised
    info = clusupgrade.cluster_info(sim)
    assert info.upgrade_in_progress is True
    assert info.functional_level == (11 if scripted else 12)
    # (A scripted status overrides the model's 5976: only the model's case
    # asks again.)
    if not scripted:
        for perform in (True, False):
            error = refusal(sim, perform=perform)
            assert error.winerror == 5976 and error.events == ()


def test_5976_comes_only_from_the_flag() -> None:
    assert refusal(Simulator(upgrade_in_progress=True)).winerror == 5976
    with pytest.raises(TypeError, match="leaves_in_progress"):
        Simulator(leaves_in_progress=1)  # type: ignore[arg-type]


# The level moves in C, when the native call returns.


def test_the_level_moves_although_nobody_reads_the_end() -> None:
    sim = Simulator(delay=0.05)
    stream = clusupgrade.phases(sim, perform=True)
    assert phases_of(tuple(next(stream) for _ in range(5))) == [1, 2, 3, 4, 5]
    del stream  # before the end record was read: no Python code concludes
    assert sim.wait(10)
    assert clusupgrade.cluster_info(sim).functional_level == 12


def test_the_level_moves_although_the_stream_is_dropped_at_start() -> None:
    # A cluster that reports no phases needs no answer: dropping the stream
    # right after the start cannot stop it.
    sim = Simulator((), delay=0.2)
    with clusupgrade.phases(sim, perform=True):
        pass
    assert sim.wait(10) and sim.runs == 1
    assert clusupgrade.cluster_info(sim).functional_level == 12


def test_an_aborted_call_does_not_raise() -> None:
    sim = Simulator(delay=0.05)
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    stream.abort()
    del stream
    assert sim.wait(10) and sim.answers == [True, False]
    assert clusupgrade.cluster_info(sim).functional_level == 11


def test_a_dropped_stream_still_raises() -> None:
    sim = Simulator(delay=0.05)
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    del stream
    assert sim.wait(10) and sim.answers == [True] * 5
    assert clusupgrade.cluster_info(sim).functional_level == 12


# The script overrides the model, for rehearsing faults.


def test_an_explicit_status_wins() -> None:
    down = Simulator.scenario("node-down", status=0)
    result = clusupgrade.upgrade(down)
    assert phases_of(result.events) == [1, 2, 3, 4, 5] and not result.raised
    # Succeeded, though the nodes support more: the level did not move.
    behind = Simulator.scenario("not-upgraded", status=0)
    assert (clusupgrade.upgrade(behind).level_after, behind.nodes[0].highest_level) == (11, 12)
    # 5975 is a success that raised the level.
    restart = clusupgrade.upgrade(Simulator(status=5975))
    assert restart.restart_required and restart.raised
    # A failure never raises it.
    failing = Simulator(status=5977, fail_after=3)
    assert refusal(failing).winerror == 5977 and phases_of(refusal(failing).events) == [1, 2, 3]
    assert clusupgrade.cluster_info(failing).functional_level == 11
    assert refusal(Simulator.scenario("ready", fail_after=1)).winerror == 5977


def test_open_error_fails_every_kind_of_call() -> None:
    sim = Simulator(open_error=1722)
    for call in (clusupgrade.cluster_info, clusupgrade.preflight, clusupgrade.check, clusupgrade.upgrade):
        with pytest.raises(ClusterUpgradeError) as caught:
            call(sim)
        assert caught.value.winerror == 1722


@pytest.mark.parametrize(
    ("states", "code"),
    [((NodeState.UP, NodeState.JOINING), 5072), ((NodeState.UP, NodeState.UNKNOWN), 5072),
     ((NodeState.UP, 7), 5072), ((NodeState.PAUSED, NodeState.DOWN), 5050),
     ((NodeState.DOWN, NodeState.DOWN), 1722)],
)
def test_node_states(states: tuple[int, ...], code: int) -> None:
    # With no node up or paused there is nobody to answer: the cluster
    # cannot be reached.
    sim = Simulator(nodes=[SimNode(f"N{i}", state=s) for i, s in enumerate(states)])
    assert refusal(sim).winerror == code


# What the cluster reports about itself.


def test_the_cluster_describes_itself() -> None:
    nodes = [
        SimNode("HV1", state=NodeState.DOWN),
        SimNode("HV2", os_version=(10, 0, 20348)),
        SimNode("HV3", state=NodeState.PAUSED, os_version=(10, 0, 9999), highest_level=13, lowest_level=9),
    ]
    info = clusupgrade.cluster_info(Simulator(name="lab", nodes=nodes, functional_level=11, upgrade_version=4))
    assert (info.name, info.functional_level, info.upgrade_version) == ("lab", 11, 4)
    # The first node that is up (or paused) answers.  Versions are (major,
    # upgrade version); a build the table does not know reports upgrade 0.
    assert info.os_version == (10, 0, 20348) and info.highest_version == (11, 4)
    assert info.lowest_version == (10, 3) and info.mixed_mode
    assert [(n.name, n.state, n.os_version, n.highest_version, n.lowest_version, n.highest_level)
            for n in info.nodes] == [
        ("HV1", NodeState.DOWN, (10, 0, 26100), (12, 5), (11, 4), 12),
        ("HV2", NodeState.UP, (10, 0, 20348), (11, 4), (10, 3), 11),
        ("HV3", NodeState.PAUSED, (10, 0, 9999), (13, 0), (9, 3), 13),
    ]
    assert not clusupgrade.cluster_info(Simulator()).mixed_mode


def test_old_arguments() -> None:
    info = clusupgrade.cluster_info(Simulator(functional_level=10, os_version=(10, 0, 20348)))
    assert info.functional_level == 10 and {n.os_version for n in info.nodes} == {(10, 0, 20348)}
    assert clusupgrade.upgrade(Simulator(functional_level=10, os_version=(10, 0, 20348))).raised


def test_scenarios() -> None:
    assert SCENARIOS == ("ready", "nothing-to-do", "node-down", "node-paused", "not-upgraded", "in-progress")
    for name in SCENARIOS:
        assert isinstance(Simulator.scenario(name), Simulator)
    sim = Simulator.scenario("node-paused", name="lab", delay=0.01)
    assert sim.name == "lab" and sim.nodes[2].state == NodeState.PAUSED
    with pytest.raises(ValueError, match="unknown scenario 'nope'; choose one of: ready, nothing-to-do"):
        Simulator.scenario("nope")
    with pytest.raises(TypeError):
        Simulator.scenario(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Simulator.scenario("ready", colour="red")


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"nodes": []}, ValueError, "1 to 64 nodes"),
        ({"nodes": [SimNode(f"N{i}") for i in range(65)]}, ValueError, "1 to 64 nodes"),
        ({"nodes": [SimNode("a"), SimNode("A")]}, ValueError, "distinct"),
        ({"nodes": ["HV1"]}, TypeError, "every node must be a SimNode"),
        ({"nodes": SimNode("a")}, TypeError, "iterable of SimNode"),
        ({"nodes": [SimNode("a")], "os_version": (10, 0, 1)}, TypeError, "nodes or os_version"),
        ({"functional_level": 0}, ValueError, "functional_level"),
        ({"os_version": (10, 0)}, TypeError, "os_version"),
        ({"upgrade_version": -1}, ValueError, "upgrade_version"),
        ({"upgrade_in_progress": 1}, TypeError, "upgrade_in_progress"),
        ({"status": "0"}, TypeError, "status"),
    ],
)
def test_bad_simulator(kwargs: dict[str, object], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        Simulator(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"name": ""}, ValueError, "node name"),
        ({"name": "a", "state": "up"}, TypeError, "state of node a"),
        ({"name": "a", "state": 2**31}, ValueError, "state of node a"),
        ({"name": "a", "os_version": (10, 0, 12345)}, ValueError, "give its highest_level"),
        ({"name": "a", "os_version": (10, 0, 70000)}, ValueError, "os_version of node a"),
        ({"name": "a", "highest_level": 0}, ValueError, "highest_level"),
        ({"name": "a", "lowest_level": 13}, ValueError, "lowest_level"),
    ],
)
def test_bad_node(kwargs: dict[str, object], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        SimNode(**kwargs)  # type: ignore[arg-type]


def test_native_model_checks_its_arguments() -> None:
    node = ("a".encode("utf-16-le"), 0, 10, 0, 26100, 12 << 16, 11 << 16)
    _clusupgrade.SimModel(b"x\0", 11, 0, False, (node,))
    for args, error in [
        ((b"x", 11, 0, False, (node,)), ValueError),  # odd UTF-16
        ((b"x\0", 2**16, 0, False, (node,)), ValueError),
        ((b"x\0", 11, 0, False, ()), ValueError),
        ((b"x\0", 11, 0, False, ((b"a\0", 0),)), TypeError),
        ((b"x\0", 11, 0, False, ((b"a\0", 0, 10, 0, 2**16, 0, 0),)), ValueError),
        # A C long is 32 bits on Windows: there 2**31 overflows first.
        ((b"x\0", 11, 0, False, ((b"a\0", 2**31, 10, 0, 1, 0, 0),)), (ValueError, OverflowError)),
        (("x", 11, 0, False, (node,)), TypeError),
    ]:
        with pytest.raises(error):
            _clusupgrade.SimModel(*args)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SimModel"):
        _clusupgrade.Call(queue.SimpleQueue(), None, True, ((), 0, None, -1, 0, False, object()))  # type: ignore[arg-type]


# Slow clusters: queries block like upgrade() does.


@pytest.mark.parametrize("ask", [clusupgrade.cluster_info, clusupgrade.preflight])
def test_ctrl_c_during_a_query(ask: object) -> None:
    sim = Simulator(delay=1.0)
    interrupt_main_after(0.1)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ask(sim)  # type: ignore[operator]
    assert time.monotonic() - start < 0.1 + 0.5
    assert sim.wait(10)


@pytest.mark.parametrize("ask", [clusupgrade.cluster_info, clusupgrade.preflight])
def test_timeout_during_a_query(ask: object) -> None:
    sim = Simulator(delay=1.0)
    # On the library's clock and in its form (start + timeout), see
    # test_cancel.test_timeout_stops_listening_only.
    deadline = time.monotonic() + 0.2
    with pytest.raises(clusupgrade.UpgradeTimeoutError) as caught:
        ask(sim, timeout=0.2)  # type: ignore[operator]
    assert deadline <= time.monotonic() < deadline + 0.5
    assert caught.value.winerror == 1460 and "did not answer within 0.2 s" in str(caught.value)
    assert sim.wait(10)


# Lifetimes: no chain of calls, no leak, no crash.


def test_elapsed_counts_from_the_start_of_the_call() -> None:
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    call = _clusupgrade.Call(items, None, True, Simulator((1,))._spec(True))
    time.sleep(0.3)
    call.run()
    record = items.get_nowait()
    assert isinstance(record, bytes)
    _, _, _, elapsed_ns, _, _ = clusupgrade.phase.PHASE_RECORD.unpack(record)
    assert elapsed_ns < 0.3e9


def rss_kib() -> int:
    import resource  # POSIX only; the one test that needs it runs on Linux

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_many_checks_on_one_simulator_hold_nothing() -> None:
    # Issue 10: each call to a simulator kept the previous call's context
    # alive (~400 bytes a call, and a recursive free).  The model's
    # reference count is 1 (the Simulator's) plus one per live context.
    sim = Simulator(callback_thread="caller")
    for _ in range(max(1, round(2000 * SCALE))):
        clusupgrade.check(sim)
    # The Simulator's, the newest job's (kept for `answers`), and perhaps
    # the last worker's, on its way out.
    assert sim._model.refs <= 3 and len(sim._jobs) <= 2
    spec = sim._spec(False)
    before = rss_kib()
    for _ in range(max(1, round(40_000 * SCALE))):
        _clusupgrade.Call(queue.SimpleQueue(), None, False, spec).run()
    gc.collect()
    assert sim._model.refs <= 3
    # AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.
    if "asan" not in os.environ.get("LD_PRELOAD", ""):
        assert rss_kib() - before < 8 * 1024, "40,000 checks grew memory by more than 8 MiB"


def test_dropping_the_simulator_and_a_running_stream() -> None:
    sim = Simulator(delay=0.05, callback_thread="native")
    model = sim._model  # only to watch its count; the Simulator and the stream go
    stream = clusupgrade.phases(sim, perform=True)
    next(stream)
    assert model.refs > 1
    del sim, stream
    gc.collect()
    # The call still runs, holding the model; its references go on the
    # call's own thread when it returns, leaving only ours.  (A count of
    # all live models would also move with other tests' calls.)
    deadline = time.monotonic() + 10
    while model.refs > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert model.refs == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_fork_while_a_call_runs() -> None:
    busy = Simulator(delay=0.5)
    idle = Simulator()
    stream = clusupgrade.phases(busy, perform=True)
    next(stream)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads running
        pid = os.fork()
    if pid == 0:  # the child: exit with a code that says what went wrong
        code = 0
        try:
            for use in (lambda: clusupgrade.check(busy), lambda: busy.wait(1), lambda: clusupgrade.cluster_info(busy)):
                try:
                    use()
                    code |= 1
                except RuntimeError as err:
                    code |= 0 if "forked" in str(err) else 2
            code |= 0 if clusupgrade.upgrade(idle).raised else 4
        except BaseException:
            code |= 8
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    stream.close()
    assert busy.wait(10)
    # The parent's simulators are untouched by what the child did.
    assert clusupgrade.cluster_info(idle).functional_level == 11
