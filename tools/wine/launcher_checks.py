"""launcher_checks.py: runs the console script pip installed,
Scripts\\clusupgrade.exe of the interpreter that runs this file, as an
administrator would, and checks every exit code.

Each run has its standard input from NUL (never a console, so `run`
without --yes must refuse) and its output in pipes.  CHECKS is the whole
contract: one row per command line.  "{version}" in an expected text is
the installed distribution's version.

Last, CTRL_C: a Ctrl+C sent through the console (GenerateConsoleCtrlEvent)
while the command runs, as pressing Ctrl+C in cmd.exe sends it to every
process of the console: the launcher, which ignores it and waits, and the
Python it started, which must stop and exit 130.
"""

from __future__ import annotations

import ctypes
import json
import signal
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

# Process starts go through the suite's one helper, which starts a process
# again when Wine fails its start-up with WinError 1359 (tests/procstart.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
import procstart  # noqa: E402

# (arguments, expected exit code, text that must appear in stdout+stderr).
# Every run also fails on a traceback; with --json and exit 0, stdout must
# be one JSON object per line, at least one.
CHECKS: list[tuple[list[str], int, str]] = [
    (["--help"], 0, "usage"),
    (["--version"], 0, "{version}"),
    (["info", "--simulate", "--json"], 0, ""),
    (["check", "--simulate", "--delay", "0"], 0, ""),
    # Not ready: the model's own refusals (a paused node: 5070, not every
    # node on the new version: 5973), exit 3.
    (["check", "--simulate", "--delay", "0", "--scenario", "node-paused"], 3, "Resume-ClusterNode"),
    (["check", "--simulate", "--delay", "0", "--scenario", "not-upgraded"], 3, "5973"),
    (["run", "--simulate", "--yes", "--delay", "0"], 0, ""),
    # Without --yes and with stdin from NUL: refuses, changes nothing.
    (["run", "--simulate", "--delay", "0"], 2, "confirm"),
]

# Started with --yes and --json; Ctrl+C once the first phase is reported.
CTRL_C: tuple[list[str], int, str] = (["run", "--simulate", "--yes", "--json", "--delay", "1"], 130, "interrupted")

CTRL_C_EVENT = 0
SCRIPT = Path(sysconfig.get_path("scripts")) / "clusupgrade.exe"


def run_one(args: list[str], expected: int, text: str) -> str | None:
    """None when the command behaves, else what went wrong."""
    proc = procstart.run(
        [str(SCRIPT), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )
    out = proc.stdout + proc.stderr
    text = text.replace("{version}", version("clusupgrade"))
    if proc.returncode != expected:
        return f"exit code {proc.returncode}, expected {expected}\n{out}"
    if text not in out:
        return f"{text!r} not in the output\n{out}"
    if "--json" in args and expected == 0:
        try:
            objects = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        except ValueError as exc:
            return f"stdout is not one JSON object per line ({exc})\n{proc.stdout}"
        if not objects or not all(isinstance(o, dict) for o in objects):
            return f"stdout is not one JSON object per line\n{proc.stdout}"
    if "Traceback" in out:
        return f"printed a traceback\n{out}"
    return None


def ctrl_c(args: list[str], expected: int, text: str) -> str | None:
    """None when a console Ctrl+C stops the command as expected."""
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    # Under Wine a process whose handles are pipes has no console of its
    # own to share: make one that the child inherits.
    kernel32.FreeConsole()
    if not kernel32.AllocConsole():
        return f"AllocConsole failed ({ctypes.get_last_error()})"
    # The event reaches this process too: let it pass here.
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    proc = procstart.start(
        [str(SCRIPT), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    seen = ""
    while True:  # until the first phase is out, or the command has ended
        line = proc.stdout.readline()
        seen += line
        if not line or (line.strip() and json.loads(line).get("event") == "phase"):
            break
    sent = kernel32.GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)
    error = ctypes.get_last_error()
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    out = seen + out
    if not sent:
        return f"GenerateConsoleCtrlEvent failed ({error})"
    if proc.returncode != expected:
        return f"exit code {proc.returncode}, expected {expected}\n{out}{err}"
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    if any(e.get("event") == "result" or (e.get("event") == "phase" and e.get("phase") == 5) for e in events):
        return f"the call went on after Ctrl+C\n{out}"
    if text not in err or "Traceback" in err:
        return f"expected {text!r} and no traceback on stderr\n{err}"
    return None


def report(args: list[str], expected: int, problem: str | None) -> int:
    shown = " ".join(["clusupgrade", *args])
    if problem:
        print(f"launcher_checks: FAILED {shown}: {problem}", file=sys.stderr)
        return 1
    print(f"launcher_checks: ok {shown} -> {expected}")
    return 0


def main() -> int:
    if not SCRIPT.is_file():
        print(f"launcher_checks: {SCRIPT} does not exist", file=sys.stderr)
        return 1
    print(f"launcher_checks: {SCRIPT}")
    failed = sum(report(args, code, run_one(args, code, text)) for args, code, text in CHECKS)
    args, code, text = CTRL_C
    failed += report([*args, "+ Ctrl+C"], code, ctrl_c(args, code, text))
    print(f"launcher_checks: {len(CHECKS) + 1 - failed} passed, {failed} failed")
    for line in procstart.RETRIES:
        print(f"launcher_checks: retried: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
