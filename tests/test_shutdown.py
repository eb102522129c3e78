"""The interpreter exits cleanly while a call is still in flight."""

from __future__ import annotations

import time

import pytest

from .conftest import run_python

SCRIPTS = {
    # The main thread stops listening and exits between two phases.
    "abandoned iterator": """
import clusupgrade
sim = clusupgrade.Simulator(delay={delay}, callback_thread={thread!r})
stream = clusupgrade.phases(sim, perform=True)
print(next(stream).phase, flush=True)
""",
    # A daemon thread is inside upgrade() when the main thread returns.
    "daemon thread in upgrade": """
import threading, clusupgrade
sim = clusupgrade.Simulator(delay={delay}, callback_thread={thread!r})
started = threading.Event()
def run():
    clusupgrade.upgrade(sim, on_phase=lambda e: started.set())
threading.Thread(target=run, daemon=True).start()
started.wait()
print(1, flush=True)
""",
    # Callbacks arrive back to back, so some land during finalization.
    "callbacks racing finalization": """
import clusupgrade
sim = clusupgrade.Simulator(tuple(range(1, 2_000_000)), callback_thread={thread!r})
stream = clusupgrade.phases(sim, perform=True)
print(next(stream).phase, flush=True)
""",
    # sys.exit with a non-zero code from the consumer.
    "sys.exit(3)": """
import sys, clusupgrade
stream = clusupgrade.phases(clusupgrade.Simulator(delay={delay}, callback_thread={thread!r}), perform=True)
print(next(stream).phase, flush=True)
sys.exit(3)
""",
}


@pytest.mark.parametrize("case", sorted(SCRIPTS))
@pytest.mark.parametrize("thread", ["native", "caller"])
def test_exit_with_call_in_flight(case: str, thread: str) -> None:
    delay = 0.5
    code = SCRIPTS[case].format(delay=delay, thread=thread)
    start = time.monotonic()
    proc = run_python(code, timeout=60)
    took = time.monotonic() - start
    assert proc.stdout.strip() == "1", proc.stderr
    assert proc.returncode == (3 if case == "sys.exit(3)" else 0), proc.stderr
    assert "Fatal Python error" not in proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    # No waiting for the script's remaining four phases (4 x delay).
    assert took < 30, f"exit took {took:.1f} s"


def test_calls_refused_after_shutdown_hook() -> None:
    code = """
import clusupgrade
from clusupgrade import _clusupgrade
_clusupgrade._shutdown()
assert _clusupgrade.closed()
try:
    clusupgrade.upgrade(clusupgrade.Simulator())
except RuntimeError as exc:
    print("refused:", exc)
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert "refused: clusupgrade is shut down" in proc.stdout


def test_module_closed_flag_starts_clear() -> None:
    from clusupgrade import _clusupgrade

    assert _clusupgrade.closed() is False


@pytest.mark.parametrize("thread", ["native", "caller"])
def test_a_call_in_flight_at_shutdown_is_answered_true(thread: str) -> None:
    # The shutdown guard closes (atexit) while a raise is under way: nobody
    # can listen any more, which is no reason to disturb the cluster.
    # Before: every later phase was answered FALSE.
    code = f"""
import clusupgrade
from clusupgrade import _clusupgrade
sim = clusupgrade.Simulator(delay=0.1, callback_thread={thread!r})
stream = clusupgrade.phases(sim, perform=True)
next(stream)
_clusupgrade._shutdown()
assert sim.wait(30)
print(sim.answers)
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str([True] * 5)
