"""Shared helpers for the test suite."""

from __future__ import annotations

import gc
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import clusupgrade

from . import procstart
from .suites import SUITES, suites_of

# tests/salt/ drives a real salt-master (tools/check-salt.sh, Linux, its own
# virtual environment); anywhere Salt is not importable (the main suite,
# Windows under Wine) the directory is not even visited, so its conftest
# (which imports the POSIX-only lab) never runs.
collect_ignore = [] if importlib.util.find_spec("salt") is not None else ["salt"]

ROOT = Path(__file__).resolve().parent.parent
SIGNALS_WORK = hasattr(signal, "pthread_kill") or sys.platform == "win32"


def pytest_configure(config: pytest.Config) -> None:
    for name, what in SUITES.items():
        config.addinivalue_line("markers", f"{name}: {what} (tests/suites.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks each test with its suites from tests/suites.py (``-m native``)."""
    for item in items:
        function = getattr(item, "originalname", item.name)
        for suite in suites_of(item.path.name, function):
            item.add_marker(suite)


LEFTOVER_SECONDS = 30.0
"""The longest the end of a run waits for calls the tests left running."""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Let the simulated calls the tests left running end before the
    process exits.  Stopping listening answers TRUE, so a stream a test
    left goes on to its script's end on a native thread; LeakSanitizer
    stops every thread at exit to scan it, and its tracer crashes on a
    native thread caught exiting (tools/check-native.sh asan).  Bounded:
    a call scripted to outlast the run is left as it is."""
    from clusupgrade import _clusupgrade

    deadline = time.monotonic() + LEFTOVER_SECONDS
    gc.collect()
    while time.monotonic() < deadline:
        sims = [o for o in gc.get_objects() if isinstance(o, clusupgrade.Simulator)]
        for sim in sims:
            sim.wait(min(5.0, max(0.0, deadline - time.monotonic())))
        held = len({id(sim._model) for sim in sims})
        del sims
        gc.collect()
        # A call still running holds its model; a model that only a
        # Simulator holds is not a call.
        if _clusupgrade.SimModel.live() <= held:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # a worker that has set its call finished is still returning


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A process start that Wine failed and procstart started again is
    said at the end even of a green run."""
    if procstart.RETRIES:
        terminalreporter.section("process starts retried (WinError 1359, tests/procstart.py)")
        for line in procstart.RETRIES:
            terminalreporter.write_line(line)


@pytest.fixture(params=["native", "caller"])
def callback_thread(request: pytest.FixtureRequest) -> str:
    """Every test that takes this runs with callbacks on both kinds of thread."""
    return request.param


def settle(sim: clusupgrade.Simulator, timeout: float = 30.0) -> list[bool]:
    """Wait until the simulator's call has returned; its answers."""
    assert sim.wait(timeout), "the simulated call did not return"
    return sim.answers


def interrupt_main_after(seconds: float) -> threading.Timer:
    """Deliver a Ctrl+C to the main thread after `seconds`."""
    if sys.platform == "win32":
        import _thread

        action = _thread.interrupt_main
    else:
        def action() -> None:
            os.kill(os.getpid(), signal.SIGINT)
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.start()
    return timer


def child_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child interpreter that imports this clusupgrade."""
    env = dict(os.environ if base is None else base)
    src = str(Path(clusupgrade.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_python(*args: str, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    """Start a fresh interpreter that imports the same clusupgrade, with
    `args` after the interpreter and its output piped as text."""
    return procstart.start(
        [sys.executable, *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def run_python(
    code: str, timeout: float = 60.0, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter that imports the same clusupgrade."""
    return procstart.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(env),
        stdin=subprocess.DEVNULL,
        **kwargs,  # type: ignore[arg-type]
    )
