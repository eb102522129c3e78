"""Processes of unusual shapes: subinterpreters and forked children.

clusupgrade's native side is process-wide (the shutdown guard, the threads
that call back through PyGILState_Ensure(), which always enters the main
interpreter), so a subinterpreter is refused at import, and a forked child
forgets the threads it did not inherit.  Each test runs in a fresh
interpreter: today's defects shut clusupgrade down, corrupt the heap or hang
the process they happen in.
"""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

from .conftest import run_python

HAS_FORK = hasattr(os, "fork")


def leak_check_off() -> dict[str, str]:
    """The environment for a child that exits with native threads running, or
    inherits a call through fork(): under check-native.sh's LeakSanitizer pass,
    the first cannot be scanned, and the second leaks the inherited call's
    context by design (the reference of its thread, which stayed in the
    parent).  Leaks are checked by the in-process tests."""
    env = dict(os.environ)
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"].replace("detect_leaks=1", "detect_leaks=0")
    return env


def subinterpreter_runners() -> list[str]:
    """The ways this interpreter offers to run code in a subinterpreter."""
    found = []
    for runner, module in (("testcapi", "_testcapi"), ("interpreters", "_interpreters"),
                           ("interpreters", "_xxsubinterpreters")):
        if runner in found:
            continue
        try:
            __import__(module)
        except ImportError:
            continue
        found.append(runner)
    return found


# Run code in a subinterpreter; the subinterpreter writes what its import did
# to a file, the one channel that works alike for every runner.  It imports
# the package, except in an isolated subinterpreter on 3.12, which loads only
# the extension, from its file: CPython 3.12.1 itself corrupts its heap when
# an isolated subinterpreter imports asyncio, as the package does.
SUBINTERPRETER = '''
import os, sys, tempfile, textwrap
import clusupgrade._clusupgrade

LOAD_EXTENSION = (
    "import importlib.util as util\\n"
    "spec = util.spec_from_file_location("
    f"'clusupgrade._clusupgrade', {clusupgrade._clusupgrade.__file__!r})\\n"
    "spec.loader.exec_module(util.module_from_spec(spec))"
)
IMPORTS = {
    "testcapi": "import clusupgrade",
    "interpreters": LOAD_EXTENSION if sys.version_info[:2] == (3, 12) else "import clusupgrade",
    "shared GIL": LOAD_EXTENSION if sys.version_info[:2] == (3, 12) else "import clusupgrade",
}

def run_in_subinterpreter(code):
    if RUNNER == "testcapi":
        import _testcapi
        _testcapi.run_in_subinterp(code)
        return
    if RUNNER == "shared GIL" and sys.version_info < (3, 13):
        import _testcapi
        _testcapi.run_in_subinterp_with_config(
            code, use_main_obmalloc=False, allow_fork=False, allow_exec=False, allow_threads=True,
            allow_daemon_threads=False, check_multi_interp_extensions=True, gil=1)  # 1: shared
        return
    try:
        import _interpreters as interpreters
    except ImportError:
        import _xxsubinterpreters as interpreters
    if RUNNER == "shared GIL":
        interp = interpreters.create(interpreters.new_config("isolated", gil="shared"))
    else:
        interp = interpreters.create()
    try:
        interpreters.run_string(interp, code)
    finally:
        interpreters.destroy(interp)

def import_in_subinterpreter():
    fd, path = tempfile.mkstemp()
    os.close(fd)
    try:
        run_in_subinterpreter(textwrap.dedent(f"""
            try:
                exec({IMPORTS[RUNNER]!r})
            except ImportError as exc:
                outcome = "ImportError: " + str(exc)
            except BaseException as exc:
                outcome = type(exc).__name__ + ": " + str(exc)
            else:
                outcome = "imported"
            with open({path!r}, "w") as out:
                out.write(outcome)
        """))
        with open(path) as out:
            return out.read()
    finally:
        os.unlink(path)
'''


@pytest.mark.parametrize("runner", ["testcapi", "interpreters"])
@pytest.mark.parametrize("thread", ["native", "caller"])
def test_subinterpreter_is_refused_and_the_main_one_goes_on(runner: str, thread: str) -> None:
    if runner not in subinterpreter_runners():
        pytest.skip(f"this interpreter has no {'_testcapi' if runner == 'testcapi' else '_interpreters'} module")
    code = SUBINTERPRETER + textwrap.dedent(f"""
        RUNNER = {runner!r}
        import clusupgrade
        from clusupgrade import Simulator

        # A call in flight while the subinterpreter comes and goes.
        stream = clusupgrade.phases(Simulator(delay=0.3, callback_thread={thread!r}), timeout=10, perform=True)
        got = [int(next(stream).phase)]
        print(import_in_subinterpreter())
        got += [int(event.phase) for event in stream]
        assert got == [1, 2, 3, 4, 5], got
        assert stream.result is not None and stream.result.complete, stream.result
        assert not clusupgrade._clusupgrade.closed()
        # And a new call after it.
        result = clusupgrade.upgrade(Simulator(callback_thread={thread!r}), timeout=10)
        assert [int(e.phase) for e in result.events] == [1, 2, 3, 4, 5]
        print("main interpreter ok")
    """)
    proc = run_python(code)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outcome, ok = proc.stdout.splitlines()
    assert outcome.startswith("ImportError: "), outcome
    # The legacy subinterpreters of _testcapi are refused by the module itself,
    # isolated ones on 3.12+ by the import system (Py_mod_multiple_interpreters).
    assert "clusupgrade._clusupgrade" in outcome, outcome
    assert ok == "main interpreter ok"
    assert "Fatal Python error" not in proc.stderr, proc.stderr


def test_the_refusal_says_why() -> None:
    if "testcapi" not in subinterpreter_runners():
        pytest.skip("this interpreter has no _testcapi module")
    proc = run_python(SUBINTERPRETER + 'RUNNER = "testcapi"\nprint(import_in_subinterpreter())')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith(
        "ImportError: clusupgrade._clusupgrade can only be imported in the main interpreter: "
    ), proc.stdout


def test_multiple_interpreters_slot_is_declared_on_3_12_and_later() -> None:
    # An isolated subinterpreter that shares the main GIL checks the slot
    # before the module runs any code (one with a GIL of its own refuses any
    # module without "per-interpreter GIL supported"); 3.11 has no such slot
    # and must not be given one.
    if sys.version_info < (3, 12):
        pytest.skip("Py_mod_multiple_interpreters exists from 3.12 on")
    try:
        if sys.version_info >= (3, 13):
            import _interpreters  # noqa: F401
        else:
            from _testcapi import run_in_subinterp_with_config  # noqa: F401
    except ImportError:
        pytest.skip("no way to make an isolated subinterpreter with a shared GIL here")
    proc = run_python(SUBINTERPRETER + 'RUNNER = "shared GIL"\nprint(import_in_subinterpreter())')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "ImportError: module clusupgrade._clusupgrade does not support loading in subinterpreters"
    ), proc.stdout


# Every script that forks waits for its child with this: a child that hangs
# is killed, so that it never outlives its test.
REAP = """
import os, time

def reap(pid, seconds=5):
    \"\"\"The child's exit code, or None once it was killed for hanging.\"\"\"
    deadline = time.monotonic() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.01)
"""

# Forks, again and again, each while a fresh stream's phases come back to back,
# so that a callback is often waiting for the GIL at the moment of the fork.
FORK_LOOP = REAP + """
import os, sys, time, warnings
import clusupgrade
from clusupgrade import Simulator

warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
FORKS = {forks}

def child():
    {child}

hung = 0
for _ in range(FORKS):
    stream = clusupgrade.phases(Simulator(tuple(range(1, 1_000_000)), callback_thread={thread!r}), perform=True)
    for _ in range(50):
        next(stream)
    # Hold the GIL a while, so that the callback is waiting for it.
    sum(range(100_000))
    pid = os.fork()
    if pid == 0:
        child()
        sys.exit(0)  # a normal exit: atexit hooks, clusupgrade's included
    stream.close()
    code = reap(pid)
    assert code in (0, None), code
    hung += code is None
print("hung", hung, "of", FORKS)
"""

# CPython before 3.11.10 (gh-112275) can deadlock a forked child in
# PyOS_AfterFork_Child() when another thread was creating a thread state at
# the moment of the fork, as a foreign callback thread does for each
# callback; the worker's own thread keeps one thread state for the call.
HEAD_LOCK_FIXED = sys.version_info >= (3, 11, 10)


@pytest.mark.skipif(not HAS_FORK, reason="no os.fork() on this platform")
@pytest.mark.parametrize("thread", ["caller", "native"])
def test_forked_children_exit_while_callbacks_wait_for_the_gil(thread: str) -> None:
    if thread == "native" and not HEAD_LOCK_FIXED:
        pytest.skip("CPython < 3.11.10 may deadlock the child itself (gh-112275)")
    proc = run_python(FORK_LOOP.format(forks=30, child="pass", thread=thread), timeout=300, env=leak_check_off())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "hung 0 of 30", proc.stdout + proc.stderr


@pytest.mark.skipif(not HAS_FORK, reason="no os.fork() on this platform")
def test_a_child_counts_its_generation_and_none_of_its_parents_relays() -> None:
    code = REAP + """
import os, queue
from clusupgrade import _clusupgrade
stop = queue.SimpleQueue()

def step():
    try:
        stop.get(timeout=0.05)
    except queue.Empty:
        return True
    return False

_clusupgrade.start_relay(step)
seen = _clusupgrade.fork_generation(), _clusupgrade.relays()
pid = os.fork()
if pid == 0:
    os._exit(0 if (_clusupgrade.fork_generation(), _clusupgrade.relays()) == (seen[0] + 1, 0) else 1)
code = reap(pid)
stop.put(None)
print(*seen, code, _clusupgrade.fork_generation())
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "1", "0", "0"]


@pytest.mark.skipif(not HAS_FORK, reason="no os.fork() on this platform")
def test_a_child_makes_calls_of_its_own() -> None:
    code = REAP + """
import asyncio, os, sys
import clusupgrade
from clusupgrade import Simulator
stream = clusupgrade.phases(Simulator(delay=0.2), perform=True)
next(stream)  # in flight at the fork
pid = os.fork()
if pid == 0:
    result = clusupgrade.upgrade(Simulator(), timeout=10)
    assert len(result.events) == 5
    result = asyncio.run(clusupgrade.aupgrade(Simulator(), timeout=10))
    assert len(result.events) == 5
    sys.exit(0)
print(reap(pid, 30), len(list(stream)))
"""
    proc = run_python(code, timeout=60, env=leak_check_off())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "4"]


@pytest.mark.skipif(not HAS_FORK, reason="no os.fork() on this platform")
def test_a_job_inherited_unfinished_raises_instead_of_waiting() -> None:
    code = REAP + """
import os, queue
from clusupgrade import _clusupgrade
call = _clusupgrade.Call(queue.SimpleQueue(), None, True, ((1, 2), 300_000_000, 0, -1, 0, True))
call.start()
job = call.job
pid = os.fork()
if pid == 0:
    try:
        job.wait(None)
    except RuntimeError as exc:
        print("child:", exc, flush=True)
        os._exit(0)
    os._exit(1)
print("child exit", reap(pid))
print("parent waited", job.wait(10))
"""
    proc = run_python(code, timeout=30)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("child: ") and "fork" in lines[0], lines
    assert lines[1:] == ["child exit 0", "parent waited True"]


@pytest.mark.skipif(not HAS_FORK, reason="no os.fork() on this platform")
def test_an_inherited_stream_fails_clearly_in_the_child() -> None:
    child = """
    try:
        for _ in stream:
            pass
    except RuntimeError as exc:
        print("child:", exc, flush=True)
        os._exit(0 if "fork" in str(exc) else 1)
    os._exit(1)
"""
    child = textwrap.indent(textwrap.dedent(child), "    ").strip()
    code = FORK_LOOP.format(forks=3, child=child, thread="caller")
    proc = run_python(code, timeout=120, env=leak_check_off())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "hung 0 of 3", proc.stdout + proc.stderr


# A simulator busy in the parent at fork time: its call runs on only there.
BUSY_SIMULATOR = REAP + """
import os, sys, time
import clusupgrade
from clusupgrade import Simulator
sim = Simulator(delay=0.3)
stream = clusupgrade.phases(sim, perform=True)
next(stream)
pid = os.fork()
if pid == 0:
    try:
        {child}
    except RuntimeError as exc:
        print("child:", exc, flush=True)
        os._exit(0 if "fork" in str(exc) else 1)
    os._exit(1)
print("child exit", reap(pid))
print("parent got", len(list(stream)) + 1)
"""


@pytest.mark.skipif(not HAS_FORK, reason="no os.fork() on this platform")
def test_waiting_for_a_simulator_busy_at_fork_time_raises_in_the_child() -> None:
    proc = run_python(BUSY_SIMULATOR.format(child="sim.wait()"), timeout=60, env=leak_check_off())
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("child: ") and "fork" in lines[0], lines
    assert lines[1:] == ["child exit 0", "parent got 5"]


@pytest.mark.skipif(not HAS_FORK, reason="no os.fork() on this platform")
def test_a_new_call_on_a_simulator_busy_at_fork_time_raises_in_the_child() -> None:
    proc = run_python(BUSY_SIMULATOR.format(child="clusupgrade.upgrade(sim)"), timeout=60, env=leak_check_off())
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("child: "), lines
    assert lines[1:] == ["child exit 0", "parent got 5"]
