"""Shared helpers for the test suite."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
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
