"""A failure of the observer never touches the cluster's call; only an
explicit request to stop answers FALSE.  Driven through the real command:
pipes closed early, stdout closed or full, stdin closed, signals at the
prompt and in the middle of a call.

The witness that a call was not cancelled is the --log-file transcript:
for a simulated cluster it records what every callback was answered.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from . import procstart
from .conftest import child_env
from .test_cli import ALL_TRUE, CLI, POSIX, cli, read_until, records, shell_cli, start_cli, summary

OUTPUT_FAILED = 6
DEV_FULL = pytest.mark.skipif(sys.platform == "win32" or not os.path.exists("/dev/full"), reason="needs /dev/full")


def _close_after_first_phase(*args: str) -> tuple[str, subprocess.Popen[str], str]:
    """``clusupgrade ARGS --json | head``: read up to the first phase of a
    raise, close the pipe; that line."""
    proc = procstart.start(
        [*CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=child_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    while first and json.loads(first)["event"] != "phase":
        first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    proc.wait(timeout=60)
    return first, proc, err


def test_a_pipe_closed_early_stops_the_output_not_the_call(tmp_path: Path) -> None:
    # The reader goes away after the first phase; the next phase arrives
    # 0.3 s later and its write fails with EPIPE.  Today's bug: that
    # BrokenPipeError left the call and the cluster was answered FALSE.
    log = tmp_path / "t.log"
    first, proc, err = _close_after_first_phase(
        "run", "--simulate", "--yes", "--json", "--delay", "0.3", "--log-file", str(log)
    )
    assert json.loads(first)["phase"] == 1 and json.loads(first)["performed"] is True
    assert proc.returncode == OUTPUT_FAILED, err
    transcript = log.read_text()
    assert ALL_TRUE in transcript
    assert "cluster 'simulated': raised the functional level from 11 to 12" in transcript
    assert "stdout failed (" in err  # Broken pipe; Windows says Invalid argument
    assert "raised cluster 'simulated' from level 11" in err  # the outcome, where it can still be seen
    assert "Traceback" not in err and "Exception ignored" not in err


def test_a_fleet_whose_pipe_closes_early_runs_every_call_to_its_end(tmp_path: Path) -> None:
    log = tmp_path / "t.log"
    first, proc, err = _close_after_first_phase(
        "run", "--simulate", "--yes", "--json", "--delay", "0.3", "--log-file", str(log),
        "--cluster", "a", "--cluster", "b",
    )
    assert json.loads(first)["event"] == "phase"
    assert proc.returncode == OUTPUT_FAILED, err
    transcript = log.read_text()
    for name in ("a", "b"):
        assert f"cluster {name!r} (simulated): {ALL_TRUE}" in transcript
    assert "Summary:" in err  # the summary went to stderr instead


@DEV_FULL
@pytest.mark.parametrize("json_mode", [False, True])
def test_a_full_disk_stops_the_output_not_the_call(tmp_path: Path, json_mode: bool) -> None:
    log = tmp_path / "t.log"
    with open("/dev/full", "w") as full:
        proc = cli("run", "--simulate", "--yes", "--delay", "0", "--log-file", str(log),
                   *(["--json"] if json_mode else []), stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == OUTPUT_FAILED, proc.stderr
    assert "No space left on device" in proc.stderr
    assert ALL_TRUE in log.read_text()
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


@DEV_FULL
def test_a_log_file_on_a_full_disk_stops_the_log_not_the_call() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--log-file", "/dev/full")
    assert proc.returncode == OUTPUT_FAILED, proc.stderr
    assert "step 5 of 5" in proc.stdout and "raised cluster 'simulated' from level 11" in proc.stdout
    assert "--log-file /dev/full: the log file could not be written" in proc.stderr
    assert "Traceback" not in proc.stderr


@POSIX
def test_stderr_closed_or_full_is_a_failed_output_too() -> None:
    for redirect in ("2>&-", "2>/dev/full") if os.path.exists("/dev/full") else ("2>&-",):
        proc = shell_cli(redirect, "run", "--simulate", "--yes", "--delay", "0", "--fail-code", "5977")
        assert proc.returncode == OUTPUT_FAILED, redirect
        assert "step 5 of 5" in proc.stdout
        assert "error 5977 (ERROR_CLUSTER_UPGRADE_INCOMPLETE)" in proc.stdout  # seen somewhere


@POSIX
def test_a_closed_stdout_stops_the_output_not_the_call(tmp_path: Path) -> None:
    log = tmp_path / "t.log"
    proc = shell_cli(">&-", "run", "--simulate", "--yes", "--json", "--delay", "0", "--log-file", str(log))
    assert proc.returncode == OUTPUT_FAILED, proc.stderr
    assert "stdout failed (it is closed)" in proc.stderr
    assert ALL_TRUE in log.read_text()
    assert "Traceback" not in proc.stderr


@POSIX
def test_no_stdin_at_all_is_not_a_terminal() -> None:
    proc = shell_cli("<&-", "run", "--simulate")
    assert proc.returncode == 2, proc.stderr
    assert "stdin is not a terminal; add --yes" in proc.stderr
    assert "AttributeError" not in proc.stderr and "Traceback" not in proc.stderr
    # With --yes nothing needs stdin.
    assert shell_cli("<&-", "run", "--simulate", "--yes", "--delay", "0").returncode == 0
    names = shell_cli("<&-", "check", "--simulate", "--clusters-from", "-")
    assert names.returncode == 2 and "there is no stdin" in names.stderr


@POSIX
def test_help_into_a_closed_pipe_exits_quietly() -> None:
    # The pipe's reader is gone before the help is written (`--help | true`
    # when `true` wins the race): argparse before 3.11.7 raised there.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        proc = procstart.run(
            [sys.executable, "-m", "clusupgrade", "--help"], stdout=writer, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, text=True, timeout=60, env=child_env(),
        )
    finally:
        os.close(writer)
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert proc.returncode == 0


# Signals ------------------------------------------------------------------

STOPS = [(signal.SIGINT, 130), (signal.SIGTERM, 143)]
if sys.platform != "win32":
    STOPS.append((signal.SIGHUP, 129))


@POSIX
@pytest.mark.parametrize(("signum", "code"), STOPS)
def test_a_stop_signal_at_the_prompt_changes_nothing(signum: int, code: int) -> None:
    import pty

    leader, follower = pty.openpty()
    proc = start_cli("run", "--simulate", "--json", "--cluster", "a", "--cluster", "b", stdin=follower)
    os.close(follower)
    assert proc.stderr is not None
    prompt = read_until(proc.stderr, "Type 'yes' to go on: ")
    assert "these 2 clusters" in prompt and "  a\n  b\n" in prompt
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    os.close(leader)
    assert proc.returncode == code, err
    assert "at the confirmation prompt; nothing was changed." in err
    assert "Traceback" not in err
    final = records(out)
    assert [r["event"] for r in final[-2:]] == ["interrupted", "fleet"]
    assert final[-2]["changed"] is False and final[-2]["stage"] == "prompt"
    assert final[-2]["exit_code"] == code


@POSIX
@pytest.mark.parametrize(("signum", "code"), STOPS)
def test_a_stop_signal_during_a_raise_answers_false(signum: int, code: int) -> None:
    # The preflight takes two delays (its read, its check's second phase),
    # then the raise reports its first phase at once and the next after 2 s.
    proc = start_cli("run", "--simulate", "--yes", "--json", "--delay", "2", "--cluster", "hv1")
    assert proc.stdout is not None
    assert json.loads(proc.stdout.readline())["event"] == "preflight"
    assert json.loads(proc.stdout.readline())["phase"] == 1
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "later phases are answered FALSE, but the cluster may still finish the upgrade" in err
    assert "Traceback" not in err
    last = records(out)[-1]
    assert last["event"] == "interrupted" and last["changed"] is None and last["stage"] == "raise"
    assert last["clusters"] == ["hv1"]


@POSIX
def test_ctrl_c_during_a_check_changed_nothing() -> None:
    proc = start_cli("check", "--simulate", "--delay", "2")
    assert proc.stdout is not None
    assert "Checking" in proc.stdout.readline()
    assert "step 1 of 5" in proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted by Ctrl+C during the check; nothing was changed." in err


@POSIX
def test_ctrl_c_during_the_preflight_of_a_raise_changed_nothing() -> None:
    proc = start_cli("run", "--simulate", "--yes", "--delay", "2")
    assert proc.stdout is not None
    assert proc.stdout.readline() == "Checking cluster 'simulated' (simulated) before raising it\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted by Ctrl+C during the check; nothing was changed." in err
    assert "Raising" not in out and "Traceback" not in err


@POSIX
def test_a_stop_signal_during_a_fleet_names_the_running_clusters() -> None:
    proc = start_cli("run", "--simulate", "--yes", "--delay", "5", "--cluster", "a", "--cluster", "b",
                     "--cluster", "c", "--max-parallel", "2", "--max-failures", "1")
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3)]  # the header, then a and b start
    assert sum("step 1 of 5" in line for line in lines) == 2
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert "clusters 'a', 'b': later phases are answered FALSE" in err
    assert summary(out) == {"a": "interrupted", "b": "interrupted", "c": "not started"}


@POSIX
def test_sighup_ignored_by_nohup_stays_ignored() -> None:
    # nohup (or `trap '' HUP`) must not let a hang-up stop an upgrade.
    proc = procstart.start(
        ["sh", "-c", 'trap "" HUP; exec "$@"', "sh", *CLI, "run", "--simulate", "--yes", "--delay", "0.1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
    )
    assert proc.stdout is not None
    assert "step 1 of 5" in "".join(proc.stdout.readline() for _ in range(4))
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "step 5 of 5" in out
