"""Bad input gets a TypeError or ValueError that says what was wrong."""

from __future__ import annotations

import functools
import queue

import pytest

import clusupgrade
from clusupgrade import Simulator, _clusupgrade
from clusupgrade.phase import END_HEADER, PHASE_RECORD


@pytest.mark.parametrize(
    ("cluster", "error", "words"),
    [
        (42, TypeError, "cluster must be None, a str or a Simulator, not int"),
        (b"name", TypeError, "not bytes"),
        ("", ValueError, "must not be empty"),
        ("bad\0name", ValueError, "NUL"),
        ("x" * 256, ValueError, "256 characters long"),
        ("half\ud800", ValueError, "lone surrogate"),
    ],
)
def test_bad_cluster(cluster: object, error: type[Exception], words: str) -> None:
    for call in (clusupgrade.upgrade, clusupgrade.check, functools.partial(clusupgrade.phases, perform=True)):
        with pytest.raises(error, match=words):
            call(cluster)  # type: ignore[operator]


def test_longest_name_is_accepted_and_reaches_the_backend() -> None:
    # 255 characters pass validation; without clusapi.dll the call then fails
    # at the load step, not with a ValueError.
    import sys

    if sys.platform == "win32":
        pytest.skip("on Windows this would contact a cluster")
    with pytest.raises(clusupgrade.ClusapiUnavailableError):
        clusupgrade.upgrade("x" * 255)


@pytest.mark.parametrize(
    ("timeout", "error", "words"),
    [
        (-1, ValueError, "must not be negative"),
        (float("nan"), ValueError, "NaN"),
        ("5", TypeError, "not str"),
        (True, TypeError, "not bool"),
        (0, ValueError, "more than 0 seconds"),
        (-0.0, ValueError, "more than 0 seconds"),
        (0.0, ValueError, "more than 0 seconds"),
        (10**400, ValueError, "too large"),
    ],
)
def test_bad_timeout(timeout: object, error: type[Exception], words: str) -> None:
    sim = Simulator()
    calls = [
        lambda: clusupgrade.upgrade(sim, timeout=timeout),
        lambda: clusupgrade.check(sim, timeout=timeout),
        lambda: clusupgrade.phases(sim, timeout=timeout, perform=True),
        lambda: clusupgrade.cluster_info(sim, timeout=timeout),
        lambda: clusupgrade.preflight(sim, timeout=timeout),
        lambda: clusupgrade.upgrade_many([sim], timeout=timeout),
        lambda: clusupgrade.aphases(sim, timeout=timeout, perform=True),
    ]
    for call in calls:
        with pytest.raises(error, match=words):
            call()
    assert sim.runs == 0, "nothing may be sent for a bad timeout"


def test_simulator_wait_takes_zero_as_a_poll() -> None:
    assert Simulator().wait(0) is True


def test_infinite_timeout_means_none() -> None:
    assert clusupgrade.upgrade(Simulator(), timeout=float("inf")).status == 0


def test_perform_must_be_bool() -> None:
    with pytest.raises(TypeError, match="perform must be True or False"):
        clusupgrade.upgrade(Simulator(), perform="no")  # type: ignore[arg-type]


def test_on_phase_must_be_callable() -> None:
    with pytest.raises(TypeError, match="on_phase must be callable"):
        clusupgrade.upgrade(Simulator(), on_phase=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"phases": "12345"}, TypeError, "phases must be an iterable of ints"),
        ({"phases": 5}, TypeError, "phases must be an iterable of ints"),
        ({"phases": (1, 2.5)}, TypeError, "every value in phases must be an int"),
        ({"phases": (1, True)}, TypeError, "every value in phases must be an int"),
        ({"phases": (2**31,)}, ValueError, "from -2147483648 to 2147483647"),
        ({"phases": (-(2**31) - 1,)}, ValueError, "from -2147483648"),
        ({"check_phases": None}, TypeError, "check_phases must be an iterable"),
        ({"delay": -0.1}, ValueError, "delay must be from 0"),
        ({"delay": float("nan")}, ValueError, "delay must be from 0"),
        ({"delay": 1e12}, ValueError, "delay must be from 0"),
        ({"delay": "1"}, TypeError, "delay must be a number"),
        ({"status": -1}, ValueError, "status must be from 0 to 4294967295"),
        ({"status": 2**32}, ValueError, "status must be from 0"),
        ({"status": 1.0}, TypeError, "status must be an int"),
        ({"open_error": -5}, ValueError, "open_error must be from 0"),
        ({"fail_after": 6}, ValueError, "fail_after must be from 0 to 5"),
        ({"fail_after": -1}, ValueError, "fail_after must be from 0 to 5"),
        ({"fail_after": "2"}, TypeError, "fail_after must be an int"),
        ({"callback_thread": "other"}, ValueError, "callback_thread must be 'native' or 'caller'"),
        ({"name": ""}, ValueError, "simulator name must not be empty"),
        ({"name": None}, TypeError, "simulator name must be a str"),
    ],
)
def test_bad_simulator(kwargs: dict[str, object], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        Simulator(**kwargs)  # type: ignore[arg-type]


def test_simulator_accepts_phase_enum_and_generators() -> None:
    sim = Simulator(p for p in clusupgrade.Phase)
    assert sim.phases == (1, 2, 3, 4, 5)
    assert "phases=(1, 2, 3, 4, 5)" in repr(sim)


class TestNativeCall:
    """The C module checks its own arguments too: it is importable."""

    def test_queue_must_be_simple_queue(self) -> None:
        with pytest.raises(TypeError, match="queue.SimpleQueue"):
            _clusupgrade.Call(queue.Queue())
        with pytest.raises(TypeError, match="queue.SimpleQueue"):
            _clusupgrade.Call([])

    def test_subclass_of_simple_queue_is_refused(self) -> None:
        class Sneaky(queue.SimpleQueue):  # type: ignore[type-arg]
            def put(self, item: object, block: bool = True, timeout: float | None = None) -> None:
                raise AssertionError("user code must never run in the trampoline")

        with pytest.raises(TypeError):
            _clusupgrade.Call(Sneaky())

    @pytest.mark.parametrize(
        ("cluster", "error"),
        [(1, TypeError), ("", ValueError), ("a\0b", ValueError), ("x" * 256, ValueError)],
    )
    def test_cluster(self, cluster: object, error: type[Exception]) -> None:
        with pytest.raises(error):
            _clusupgrade.Call(queue.SimpleQueue(), cluster)

    @pytest.mark.parametrize(
        ("spec", "error"),
        [
            ([(1,), 0, 0, -1, 0, True], TypeError),
            (((1,), 0, 0, -1, 0), TypeError),
            (([1],), TypeError),
            (((1,), -1, 0, -1, 0, True), ValueError),
            ((("1",), 0, 0, -1, 0, True), TypeError),
            (((2**31,), 0, 0, -1, 0, True), ValueError),
            (((1,), 0, -1, -1, 0, True), ValueError),
            (((1,), 0, 2**32, -1, 0, True), ValueError),
            (((1,), 0, 0, 2, 0, True), ValueError),
            (((1,), 0, 0, -2, 0, True), ValueError),
            (((1,), 0, 0, -1, 2**64, True), ValueError),
            (((1,), 2**63, 0, -1, 0, True), OverflowError),
        ],
    )
    def test_simulator_spec(self, spec: object, error: type[Exception]) -> None:
        with pytest.raises(error):
            _clusupgrade.Call(queue.SimpleQueue(), None, True, spec)

    def test_runs_once(self) -> None:
        items: queue.SimpleQueue[object] = queue.SimpleQueue()
        call = _clusupgrade.Call(items, None, True, ((1, 2), 0, 0, -1, 0, False))
        end = call.run()
        assert END_HEADER.unpack_from(end)[:5] == (ord("E"), 0, 0, _clusupgrade.STAGE_UPGRADE, -1)
        assert call.end() == end
        assert call.job.answers() == [True, True]
        record = items.get_nowait()
        assert isinstance(record, bytes) and len(record) == PHASE_RECORD.size == 33
        assert PHASE_RECORD.unpack(record)[:3] == (ord("P"), 0, 1)
        with pytest.raises(RuntimeError, match="only once"):
            call.run()

    def test_aborted_before_run(self) -> None:
        items: queue.SimpleQueue[object] = queue.SimpleQueue()
        call = _clusupgrade.Call(items, None, True, ((1, 2), 0, 0, -1, 0, True))
        call.abort()
        assert call.aborted
        assert END_HEADER.unpack_from(call.run())[2:4] == (1223, _clusupgrade.STAGE_UPGRADE)
        assert call.job.answers() == [False]
        assert items.empty()

    @pytest.mark.parametrize("how", ["detach", "abort"])
    def test_start_refuses_a_call_left_before_it_started(self, how: str) -> None:
        call = _clusupgrade.Call(queue.SimpleQueue(), None, True, ((1, 2), 0, 0, -1, 0, True))
        getattr(call, how)()
        assert call.start() is False
        assert not call.started and not call.job.started and call.end() is None

    def test_detach_forwards_nothing_and_answers_true(self) -> None:
        items: queue.SimpleQueue[object] = queue.SimpleQueue()
        call = _clusupgrade.Call(items, None, True, ((1, 2, 3), 300_000_000, 0, -1, 0, True))
        assert call.start() is True
        first = items.get(timeout=10)
        call.detach()
        assert call.detached and not call.aborted
        job = call.job
        assert job.wait(10)
        assert job.answers() == [True, True, True]
        assert PHASE_RECORD.unpack(first)[2] == 1
        later = [items.get_nowait() for _ in range(items.qsize())]
        assert all(r[0] == ord("P") for r in later), "no end record after detach()"  # type: ignore[index]
        end = call.end()
        assert end is not None and END_HEADER.unpack_from(end)[2] == 0
        assert END_HEADER.unpack_from(end)[5] >= 600_000_000  # duration_ns: two delays at least

    def test_start_delivers_outcome_last(self) -> None:
        items: queue.SimpleQueue[object] = queue.SimpleQueue()
        call = _clusupgrade.Call(items, None, True, ((7, 8), 0, 5973, -1, 0, True), tag=2**32 - 1)
        assert not call.job.finished and call.caller_thread == 0 and call.end() is None
        call.start()
        assert call.job.wait(10) is True
        assert call.job.finished
        records = [items.get(timeout=10) for _ in range(3)]
        assert [PHASE_RECORD.unpack(r)[:3] for r in records[:2]] == [(ord("P"), 2**32 - 1, 7), (ord("P"), 2**32 - 1, 8)]
        assert END_HEADER.unpack_from(records[2])[:4] == (ord("E"), 2**32 - 1, 5973, _clusupgrade.STAGE_UPGRADE)
        assert records[2] == call.end()
        with pytest.raises(RuntimeError, match="only once"):
            call.start()
        with pytest.raises(RuntimeError, match="only once"):
            call.run()

    def test_wait_times_out_and_checks_its_argument(self) -> None:
        call = _clusupgrade.Call(queue.SimpleQueue(), None, True, ((1, 2), 300_000_000, 0, -1, 0, True))
        call.start()
        job = call.job
        assert job.wait(0.01) is False
        for bad in (-1, float("nan")):
            with pytest.raises(ValueError):
                job.wait(bad)
        with pytest.raises(TypeError):
            job.wait("1")  # type: ignore[arg-type]
        assert job.wait() is True

    def test_calls_do_not_queue_behind_each_other(self) -> None:
        # There is no `after` chain any more (issue 10: each call held the
        # previous one's context for ever): a call starts when started.
        items: queue.SimpleQueue[object] = queue.SimpleQueue()
        slow = _clusupgrade.Call(items, None, True, ((1, 2), 500_000_000, 0, -1, 0, True))
        quick = _clusupgrade.Call(items, None, True, ((2,), 0, 0, -1, 0, True))
        slow.start()
        quick.start()
        assert quick.job.wait(10) and not slow.job.finished
        with pytest.raises(TypeError, match="after"):
            _clusupgrade.Call(items, None, True, None, after=quick.job)  # type: ignore[call-arg]
        slow.abort()
        assert slow.job.wait(10)

    def test_measure_adds_up_gil_time(self) -> None:
        plain = _clusupgrade.Call(queue.SimpleQueue(), None, True, ((1,) * 100, 0, 0, -1, 0, False))
        plain.run()
        assert plain.gil_held_ns == 0
        measured = _clusupgrade.Call(
            queue.SimpleQueue(), None, True, ((1,) * 100, 0, 0, -1, 0, False), measure=True
        )
        measured.run()
        assert measured.gil_held_ns > 0

    @pytest.mark.parametrize(("field", "value", "error"), [
        ("tag", -1, ValueError), ("tag", 2**32, ValueError), ("tag", "1", TypeError),
        ("kind", 2, ValueError), ("kind", "query", TypeError),
    ])
    def test_tag_and_kind(self, field: str, value: object, error: type[Exception]) -> None:
        with pytest.raises(error):
            _clusupgrade.Call(queue.SimpleQueue(), **{field: value})

    def test_answers_only_for_simulated_calls(self) -> None:
        with pytest.raises(TypeError, match="only a simulated call"):
            _clusupgrade.Call(queue.SimpleQueue()).job.answers()

    def test_format_message(self) -> None:
        import sys

        with pytest.raises(OverflowError):
            _clusupgrade.format_message(2**40)
        with pytest.raises(OverflowError):
            _clusupgrade.format_message(-1)
        with pytest.raises(TypeError):
            _clusupgrade.format_message("5")  # type: ignore[arg-type]
        if sys.platform != "win32":
            assert _clusupgrade.format_message(5) is None
