"""Many callers at once, signals at random moments, exits at random moments.

CLUSUPGRADE_STRESS_SCALE (default 1) scales the counts down for slow
runners such as valgrind.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import clusupgrade
from clusupgrade import Simulator

from .conftest import run_python, start_python

SCALE = float(os.environ.get("CLUSUPGRADE_STRESS_SCALE", "1"))


def scaled(n: int) -> int:
    return max(1, round(n * SCALE))


def test_64_threads_each_running_100_upgrades() -> None:
    threads_n, calls_n = 64, scaled(100)
    failures: list[str] = []
    done = [0] * threads_n

    def worker(n: int) -> None:
        mode = "native" if n % 2 else "caller"
        for call in range(calls_n):
            script = tuple(n * 1_000_000 + call * 10 + k for k in range(5))
            try:
                result = clusupgrade.upgrade(Simulator(script, callback_thread=mode, name=f"c{n}"))
            except BaseException as exc:  # collected and reported below
                failures.append(f"thread {n} call {call}: {exc!r}")
                return
            phases = [e.phase for e in result.events]
            if phases != list(script) or {e.cluster for e in result.events} != {f"c{n}"}:
                failures.append(f"thread {n} call {call}: got {phases}")
                return
            if [e.sequence for e in result.events] != list(range(5)):
                failures.append(f"thread {n} call {call}: sequences out of order")
                return
            done[n] += 1

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads_n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 600
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "deadlock: some callers never finished"
    assert not failures, failures[:5]
    assert done == [calls_n] * threads_n


SIGINT_CHILD = """
import sys, clusupgrade
mode = sys.argv[1]
print("ready", flush=True)
try:
    while True:
        clusupgrade.upgrade(clusupgrade.Simulator(delay=0.002, callback_thread=mode),
                            on_phase=lambda e: None)
        stream = clusupgrade.phases(clusupgrade.Simulator(delay=0.003, callback_thread=mode), perform=True)
        for event in stream:
            if event.sequence == 2:
                break
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
"""


def _sigint_once(seed: int) -> tuple[int, str, str]:
    rng = random.Random(seed)
    mode = "native" if seed % 2 else "caller"
    proc = start_python("-c", SIGINT_CHILD, mode)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0.0, 0.3))
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return -999, out, err
    return proc.returncode, out, err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals; Windows Ctrl+C is tested in-process")
def test_sigint_at_random_moments() -> None:
    runs = scaled(50)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(_sigint_once, range(runs)))
    for code, out, err in outcomes:
        assert code != -999, f"the child hung after SIGINT: {out[-500:]!r} {err[-2000:]}"
        assert "Fatal Python error" not in err and "Segmentation" not in err, err
        assert code == 0, (code, out, err)
        assert out.strip().endswith("KeyboardInterrupt"), (out, err)


EXIT_CHILD = """
import sys, random, time, threading, clusupgrade
rng = random.Random(int(sys.argv[1]))
mode = "native" if rng.random() < 0.5 else "caller"
sims = [clusupgrade.Simulator(tuple(range(1, 20_000)), callback_thread=mode) for _ in range(3)]
streams = [clusupgrade.phases(s, perform=True) for s in sims]
for s in streams:
    next(s)
slow = clusupgrade.Simulator(delay=0.05, callback_thread=mode)
def upgrade_slowly():
    try:
        clusupgrade.upgrade(slow)
    except RuntimeError as exc:
        # Starting a call once shutdown has begun is refused, by design.
        assert "interpreter is exiting" in str(exc)
    except clusupgrade.ClusterUpgradeError as exc:
        # A call whose worker begins once shutdown has begun is not made.
        assert exc.winerror == 1223 and "interpreter is exiting" in str(exc), exc
threading.Thread(target=upgrade_slowly, daemon=True).start()
time.sleep(rng.uniform(0, 0.05))
print("exiting", flush=True)
"""


def test_exit_at_random_moments_with_calls_in_flight() -> None:
    runs = scaled(50)

    def once(seed: int) -> subprocess.CompletedProcess[str]:
        return run_python(EXIT_CHILD.replace("sys.argv[1]", str(seed)), timeout=60)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(once, range(runs)))
    for proc in outcomes:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "exiting"
        assert "Fatal Python error" not in proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
