"""Random simulator scripts against the API's invariants (hypothesis)."""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import clusupgrade  # noqa: E402
from clusupgrade import Simulator  # noqa: E402

INT32 = st.integers(-(2**31), 2**31 - 1)
STATUS = st.one_of(st.sampled_from([0, 5975, 5973, 5976, 5977, 1722, 1223]), st.integers(0, 2**32 - 1))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    phases = draw(st.lists(INT32, max_size=12))
    fail_after = draw(st.none() | st.integers(0, len(phases)))
    reached = len(phases) if fail_after is None else fail_after
    cancel_at = draw(st.none() | st.integers(0, max(0, reached - 1)))
    if cancel_at is not None and cancel_at >= reached:
        cancel_at = None
    return {
        "phases": tuple(phases),
        "delay": draw(st.sampled_from([0.0, 0.0005, 0.002])),
        "status": draw(STATUS),
        "fail_after": fail_after,
        "callback_thread": draw(st.sampled_from(["native", "caller"])),
        "cancel_at": cancel_at,
        "perform": draw(st.booleans()),
    }


@settings(max_examples=120, deadline=None)
@given(scenarios())
def test_api_invariants(case: dict[str, object]) -> None:
    phases: tuple[int, ...] = case["phases"]  # type: ignore[assignment]
    fail_after: int | None = case["fail_after"]  # type: ignore[assignment]
    cancel_at: int | None = case["cancel_at"]  # type: ignore[assignment]
    status: int = case["status"]  # type: ignore[assignment]
    sim = Simulator(
        phases,
        check_phases=phases,
        delay=case["delay"],  # type: ignore[arg-type]
        status=status,
        fail_after=fail_after,
        callback_thread=case["callback_thread"],  # type: ignore[arg-type]
    )
    reached = phases if fail_after is None else phases[:fail_after]

    stream = clusupgrade.phases(sim, perform=case["perform"])  # type: ignore[arg-type]
    got: list[int] = []
    error: clusupgrade.ClusterUpgradeError | None = None
    try:
        with stream:
            if cancel_at == 0:
                stream.close()
            for event in stream:
                got.append(int(event.phase))
                assert event.sequence == len(got) - 1
                if cancel_at is not None and len(got) == cancel_at:
                    stream.close()
    except clusupgrade.ClusterUpgradeError as exc:
        error = exc
    assert sim.wait(30)
    answers = sim.answers

    if cancel_at is not None:
        # Events in order up to the close; then only listening stopped:
        # every phase the cluster reported was answered TRUE.
        assert got == list(reached[:cancel_at])
        assert error is None and stream.result is None and not stream.listening and not stream.aborted
        assert answers == [True] * len(reached)
        return

    assert got == list(reached)
    assert answers == [True] * len(reached)
    # Failing part-way returns `status`, or 5977 when that is 0; 0 and 5975
    # are successes wherever they come from.
    code = (status or 5977) if fail_after is not None else status
    if code in (0, 5975):
        assert error is None and stream.result is not None
        assert stream.result.status == code
        assert [int(e.phase) for e in stream.result.events] == list(reached)
        assert stream.result.complete == (5 in reached)
    else:
        assert error is not None and stream.result is None
        assert error.winerror == code
        assert [int(e.phase) for e in error.events] == list(reached)
