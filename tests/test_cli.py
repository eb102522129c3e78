"""The clusupgrade command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from .conftest import child_env, start_python


def cli(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = child_env()
    return subprocess.run(
        [sys.executable, "-m", "clusupgrade", *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_run_simulated_shows_every_step() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0.01")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Raising the functional level of cluster 'simulated' (simulated)"
    steps = [line for line in lines if "step " in line]
    assert [s.split("step ")[1] for s in steps] == [
        "1 of 5: Initialize",
        "2 of 5: Validating upgrade",
        "3 of 5: Upgrading components",
        "4 of 5: Installing new components",
        "5 of 5: Upgrade complete",
    ]
    assert lines[-1].startswith("Done in ")
    assert proc.stderr == ""


def test_json_is_one_object_per_line_and_nothing_else() -> None:
    proc = cli("run", "--simulate", "--yes", "--json", "--delay", "0", "--cluster", "hv1")
    assert proc.returncode == 0, proc.stderr
    objects = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["event"] for o in objects] == ["phase"] * 5 + ["result"]
    assert [o["phase"] for o in objects[:5]] == [1, 2, 3, 4, 5]
    assert objects[1]["name"] == "VALIDATING_UPGRADE" and objects[0]["cluster"] == "hv1"
    assert objects[-1]["status"] == 0 and objects[-1]["complete"] is True


def test_refuses_to_prompt_without_a_terminal() -> None:
    proc = cli("run", "--simulate")
    assert proc.returncode == 2
    assert "stdin is not a terminal; add --yes" in proc.stderr
    assert proc.stdout == ""


def test_failure_exit_1_with_code_on_stderr() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--fail-code", "5977", "--fail-after", "3")
    assert proc.returncode == 1
    assert "error 5977 (ERROR_CLUSTER_UPGRADE_INCOMPLETE)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.count("step ") == 3


def test_failure_in_json_mode() -> None:
    proc = cli("run", "--simulate", "--yes", "--json", "--delay", "0", "--fail-code", "5050", "--fail-after", "1")
    assert proc.returncode == 1
    last = json.loads(proc.stdout.splitlines()[-1])
    assert last["event"] == "error" and last["winerror"] == 5050 and last["phases"] == [1]


def test_check_ready_and_not_ready() -> None:
    ok = cli("check", "--simulate", "--delay", "0")
    assert ok.returncode == 0, ok.stderr
    assert "Ready:" in ok.stdout
    not_ready = cli("check", "--simulate", "--delay", "0", "--fail-code", "5973")
    assert not_ready.returncode == 3
    assert "not every node supports the new level" in not_ready.stderr
    assert "every node must run the new Windows Server version" in not_ready.stderr


def test_restart_required_is_success_with_warning() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--fail-code", "5975")
    assert proc.returncode == 0
    assert "warning: The level WAS raised. Restart the cluster" in proc.stderr


def test_info() -> None:
    proc = cli("info", "--simulate", "--level", "11", "--cluster", "c9")
    assert proc.returncode == 0, proc.stderr
    assert "Functional level:  11 (Windows Server 2022" in proc.stdout
    data = json.loads(cli("info", "--simulate", "--json").stdout)
    assert data["functional_level"] == 10 and data["mixed_mode"] is False
    assert data["name"] == "simulated"


@pytest.mark.skipif(sys.platform == "win32", reason="clusapi.dll may exist on Windows")
def test_real_cluster_off_windows_says_to_simulate() -> None:
    for command in ("info", "check"):
        proc = cli(command)
        assert proc.returncode == 1
        assert "clusapi.dll exists only on Windows" in proc.stderr
        assert "add --simulate" in proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--timeout", "soon"),
        ("frobnicate",),
        (),
        ("run", "--simulate", "--yes", "--delay", "-1"),
        ("run", "--simulate", "--yes", "--fail-after", "9"),
        ("check", "--cluster", ""),
        ("run", "--simulate", "--yes", "--timeout", "-3"),
    ],
)
def test_usage_errors_exit_2_without_traceback(args: tuple[str, ...]) -> None:
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "usage:" in proc.stderr


def test_help_reads_well() -> None:
    proc = cli("--help")
    assert proc.returncode == 0
    for word in ("info", "check", "run", "--simulate"):
        assert word in proc.stdout
    run_help = cli("run", "--help").stdout
    assert "cannot be undone" in cli("--help").stdout + run_help
    assert "--yes" in run_help and "--fail-code" in run_help


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_130() -> None:
    proc = start_python("-m", "clusupgrade", "run", "--simulate", "--yes", "--delay", "5")
    assert proc.stdout is not None
    assert "Raising" in proc.stdout.readline()
    assert "step 1 of 5" in proc.stdout.readline()
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert time.monotonic() - start < 3
    assert "interrupted" in err and "Traceback" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize(("answer", "code"), [("yes", 0), ("no", 2)])
def test_confirmation_prompt_on_a_terminal(answer: str, code: int) -> None:
    import pty

    leader, follower = pty.openpty()
    proc = start_python("-m", "clusupgrade", "run", "--simulate", "--delay", "0", stdin=follower)
    os.close(follower)
    os.write(leader, (answer + "\n").encode())
    out, err = proc.communicate(timeout=30)
    os.close(leader)
    assert "cannot be undone" in err
    assert proc.returncode == code
    assert ("step 5 of 5" in out) == (answer == "yes")


def test_console_script_is_installed() -> None:
    exe = shutil.which("clusupgrade")
    if exe is None:
        pytest.skip("the console script is installed only with the package (tools/test.sh)")
    proc = subprocess.run([exe, "check", "--simulate", "--delay", "0"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
