"""tests/procstart.py: a process START that Wine fails with WinError 1359 is
made again, a bounded number of times; nothing else ever is."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from . import procstart
from .conftest import ROOT


def wine_failure(winerror: int = 1359) -> OSError:
    exc = OSError(22, "An internal error occurred")
    exc.winerror = winerror  # type: ignore[attr-defined]  # set by CreateProcess on Windows only
    return exc


class Starts:
    """A stand-in for subprocess.Popen: raises the given exceptions at the
    first starts, then starts the real process."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return subprocess.Popen(args, **kwargs)


@pytest.fixture(autouse=True)
def no_retries_recorded() -> Iterator[None]:
    saved = list(procstart.RETRIES)
    procstart.RETRIES.clear()
    yield
    procstart.RETRIES[:] = saved


def never_sleep(seconds: float) -> None:
    pass


ECHO = [sys.executable, "-c", "print('started')"]


def test_a_start_failed_with_1359_is_made_again_and_said() -> None:
    starts = Starts(wine_failure(), wine_failure())
    proc = procstart.run(ECHO, capture_output=True, text=True, timeout=60, popen=starts, sleep=never_sleep)
    assert proc.returncode == 0 and proc.stdout == "started\n"
    assert starts.calls == 3
    assert len(procstart.RETRIES) == 2 and all("1359" in line for line in procstart.RETRIES)


def test_start_returns_the_process_of_the_start_that_worked() -> None:
    starts = Starts(wine_failure())
    with procstart.start(ECHO, stdout=subprocess.PIPE, text=True, popen=starts, sleep=never_sleep) as proc:
        assert proc.communicate(timeout=60)[0] == "started\n"
    assert starts.calls == 2


def test_the_retries_are_bounded() -> None:
    starts = Starts(*(wine_failure() for _ in range(procstart.ATTEMPTS + 1)))
    with pytest.raises(OSError) as raised:
        procstart.run(ECHO, timeout=60, popen=starts, sleep=never_sleep)
    assert getattr(raised.value, "winerror", None) == 1359
    assert starts.calls == procstart.ATTEMPTS
    assert len(procstart.RETRIES) == procstart.ATTEMPTS - 1


@pytest.mark.parametrize(
    "failure",
    [
        wine_failure(5),  # ERROR_ACCESS_DENIED: a real answer, not Wine's hiccup
        wine_failure(2),
        FileNotFoundError(2, "No such file"),
        OSError(12, "Cannot allocate memory"),
        ValueError("bad argument"),
        AssertionError("a test's assertion"),
    ],
    ids=["winerror-5", "winerror-2", "ENOENT", "ENOMEM", "ValueError", "AssertionError"],
)
def test_any_other_start_failure_is_never_retried(failure: BaseException) -> None:
    starts = Starts(failure)
    with pytest.raises(type(failure)) as raised:
        procstart.run(ECHO, timeout=60, popen=starts, sleep=never_sleep)
    assert raised.value is failure
    assert starts.calls == 1 and procstart.RETRIES == []


def test_a_process_that_started_is_never_started_again() -> None:
    # Its outcome is the test's: here a failing exit with check=True.
    starts = Starts()
    with pytest.raises(subprocess.CalledProcessError) as raised:
        procstart.run([sys.executable, "-c", "raise SystemExit(3)"], check=True, timeout=60,
                      popen=starts, sleep=never_sleep)
    assert raised.value.returncode == 3
    assert starts.calls == 1


def test_a_1359_after_the_start_is_not_a_start_failure() -> None:
    # The same error raised while talking to a process that started (here
    # from communicate()) is not retried: the process has run.
    class Raising(subprocess.Popen[Any]):
        def communicate(self, *args: Any, **kwargs: Any) -> Any:
            raise wine_failure()

    calls = []

    def popen(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        calls.append(args)
        return Raising(args, **kwargs)

    with pytest.raises(OSError):
        procstart.run(ECHO, timeout=60, popen=popen, sleep=never_sleep)
    assert len(calls) == 1 and procstart.RETRIES == []


DIRECT_START = re.compile(r"\bsubprocess\.(run|Popen|call|check_call|check_output)\(")


def test_every_test_starts_its_processes_through_procstart() -> None:
    # One helper for every process a test starts, or a start that Wine
    # fails would fail that test (docs/windows-under-wine.md).
    sources = [*(ROOT / "tests").glob("*.py"), *(ROOT / "tools" / "wine").glob("*.py")]
    assert len(sources) > 10
    direct = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        if path.name not in ("procstart.py", "test_retry.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DIRECT_START.search(line)
    ]
    assert direct == [], "start processes with tests/procstart.py: start() or run()"
