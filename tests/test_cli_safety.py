"""A failure of the observer never touches the cluster's call nor the exit
code; the command line never answers FALSE, and a stop only stops waiting.  Driven through the real command:
pipes closed early, stdout closed or full, stdin closed, signals at the
prompt and in the middle of a call.

The witness that a call was not cancelled is the --log-file transcript:
for a simulated cluster it records what every callback was answered.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from . import procstart
from .conftest import child_env
from .test_cli import ALL_TRUE, CLI, POSIX, cli, read_until, record, records, result_of, shell_cli, start_cli, summary

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
    while first and record(first)["event"] != "phase":
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
    assert record(first)["phase"] == 1 and record(first)["performed"] is True
    assert proc.returncode == 0  # the outcome's code: a failed output no longer replaces it, err
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
    assert record(first)["event"] == "phase"
    assert proc.returncode == 0, err
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
    assert proc.returncode == 0, proc.stderr
    assert "No space left on device" in proc.stderr
    assert ALL_TRUE in log.read_text()
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


@DEV_FULL
def test_a_log_file_on_a_full_disk_stops_the_log_not_the_call() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--log-file", "/dev/full")
    assert proc.returncode == 0, proc.stderr
    assert "step 5 of 5" in proc.stdout and "raised cluster 'simulated' from level 11" in proc.stdout
    assert "--log-file /dev/full: the log file could not be written" in proc.stderr
    assert "Traceback" not in proc.stderr


@POSIX
def test_stderr_closed_or_full_is_a_failed_output_too() -> None:
    for redirect in ("2>&-", "2>/dev/full") if os.path.exists("/dev/full") else ("2>&-",):
        proc = shell_cli(redirect, "run", "--simulate", "--yes", "--delay", "0", "--fail-code", "5977")
        assert proc.returncode == 1, redirect
        assert "step 5 of 5" in proc.stdout
        assert "error 5977 (ERROR_CLUSTER_UPGRADE_INCOMPLETE)" in proc.stdout  # seen somewhere


@POSIX
def test_a_closed_stdout_stops_the_output_not_the_call(tmp_path: Path) -> None:
    log = tmp_path / "t.log"
    proc = shell_cli(">&-", "run", "--simulate", "--yes", "--json", "--delay", "0", "--log-file", str(log))
    assert proc.returncode == 0, proc.stderr
    assert "stdout failed (it is closed)" in proc.stderr
    assert ALL_TRUE in log.read_text()
    assert "Traceback" not in proc.stderr


@POSIX
def test_a_closed_stdout_under_info_promises_nothing_more() -> None:
    # info makes no call: there is no call to go on, and no outcome to follow.
    proc = shell_cli(">&-", "info", "--simulate", "--delay", "0")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "clusupgrade: stdout failed (it is closed); no more output there.", proc.stderr
    assert "call goes on" not in proc.stderr
    assert "clusupgrade: Functional level:  11 (Windows Server 2022)" in lines  # the info still reaches stderr


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
    proc = start_cli("run", "--simulate", "--json", "--delay", "0", "--cluster", "a", "--cluster", "b",
                     stdin=follower)
    os.close(follower)
    assert proc.stderr is not None
    prompt = read_until(proc.stderr, "Type 'yes' to go on: ")
    assert "these 2 clusters" in prompt
    assert "  a: from level 11 (" in prompt and "  b: from level 11 (" in prompt and ") to 12 (" in prompt
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    os.close(leader)
    assert proc.returncode == code, err
    assert "at the confirmation prompt; nothing was changed." in err
    assert "Traceback" not in err
    final = records(out)
    assert [r["event"] for r in final] == ["preflight", "preflight", "result", "result", "summary"]
    assert [(r["outcome"], r["raised"]) for r in final[2:4]] == [("interrupted", False)] * 2
    assert final[-1]["interrupted"] is True and final[-1]["exit_code"] == code


def _raising(*args: str) -> tuple[subprocess.Popen[str], Path]:
    """``run --json`` on one simulated cluster, read up to its raise's first
    phase; the process and its transcript."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"clusupgrade-{os.getpid()}-{len(args)}-{args[-1]}.log"
    log.unlink(missing_ok=True)
    proc = start_cli("run", "--simulate", "--yes", "--json", "--log-file", str(log), *args)
    assert proc.stdout is not None
    assert record(proc.stdout.readline())["event"] == "preflight"
    assert record(proc.stdout.readline())["phase"] == 1
    return proc, log


@POSIX
def test_a_first_ctrl_c_during_a_raise_keeps_waiting_and_the_raise_completes() -> None:
    proc, log = _raising("--delay", "1", "--cluster", "hv1")
    proc.send_signal(signal.SIGINT)
    assert proc.stderr is not None
    warning = read_until(proc.stderr, "stop waiting (the cluster carries on).")
    assert "a raise of cluster 'hv1' is under way and cannot be undone" in warning
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, warning + err  # reported as usual
    data = records(out)
    assert [r["phase"] for r in data if r["event"] == "phase"] == [2, 3, 4, 5]  # 1 was read before
    assert result_of(data)["outcome"] == "raised" and data[-1]["interrupted"] is False
    assert ALL_TRUE in log.read_text()
    log.unlink()


@POSIX
@pytest.mark.parametrize(("signals", "code"), [((signal.SIGINT, signal.SIGINT), 130), ((signal.SIGTERM,), 143)]
                         + ([((signal.SIGHUP,), 129)] if sys.platform != "win32" else []))
def test_stopping_the_wait_during_a_raise_reads_where_it_stands(signals: tuple[int, ...], code: int) -> None:
    # A second Ctrl+C, SIGTERM or SIGHUP stops waiting at once; the call goes
    # on (never answered FALSE), and the cluster is read again: the raise is
    # still under way, so where it stands is unknown, and raised is null.
    proc, log = _raising("--delay", "2", "--cluster", "hv1")
    assert proc.stderr is not None
    for i, signum in enumerate(signals):
        proc.send_signal(signum)
        if i + 1 < len(signals):
            read_until(proc.stderr, "Press Ctrl+C again")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "stopped waiting for cluster 'hv1'; the raise goes on by itself" in err
    assert "Traceback" not in err and "FALSE" not in log.read_text()
    last = result_of(records(out))
    assert (last["outcome"], last["stands"], last["raised"]) == ("interrupted", "unknown", None)
    assert "the raise was still under way" in str(last["message"])
    assert last["phases"][:1] == [1]  # type: ignore[index]  # the phases it reported before the stop
    assert records(out)[-1]["interrupted"] is True and records(out)[-1]["exit_code"] == code
    log.unlink()


@POSIX
def test_a_raise_that_outlasts_its_timeout_but_ends_during_the_short_wait_is_raised() -> None:
    proc = cli("run", "--simulate", "--yes", "--json", "--delay", "0.4", "--timeout", "0.9")
    assert proc.returncode == 0, proc.stderr
    last = result_of(records(proc.stdout))
    assert (last["outcome"], last["raised"], last["level_after"]) == ("raised", True, 12)
    assert "did not finish within 0.9 s" in str(last["message"]) or "0.9" in str(last["message"])


@POSIX
def test_a_raise_still_running_after_its_timeout_is_state_unknown() -> None:
    # The raise ends after 4 delays (12 s); the wait stops at 5 s, waits 2 s more, reads for 3 s.
    proc = cli("run", "--simulate", "--yes", "--json", "--delay", "3", "--timeout", "5")
    assert proc.returncode == 8, proc.stderr
    last = result_of(records(proc.stdout))
    assert (last["outcome"], last["raised"], last["stands"], last["winerror"]) == (
        "state-unknown", None, "unknown", 1460)
    assert "where cluster 'simulated' stands is unknown" in proc.stderr
    # At a terminal: the deadline and that the cluster carries on, not the
    # library's sentence for Python callers.
    assert "did not finish within 5 s; stopped waiting (the cluster carries on)" in proc.stderr
    assert "answers TRUE" not in proc.stderr


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


FLEET = ("run", "--simulate", "--yes", "--cluster", "a", "--cluster", "b", "--cluster", "c", "--max-parallel", "2")


def _fleet_raising(*args: str) -> subprocess.Popen[str]:
    """The fleet, read up to the first phase of a raise."""
    proc = start_cli(*FLEET, *args)
    assert proc.stdout is not None
    read_until(proc.stdout, '"performed": true' if "--json" in args else "Raising the functional level of 3")
    return proc


@POSIX
def test_a_first_ctrl_c_in_a_fleet_starts_no_more_and_waits_for_the_running() -> None:
    proc = _fleet_raising("--delay", "1")
    assert proc.stdout is not None and proc.stderr is not None
    read_until(proc.stdout, "step 2 of 5")  # a second later: both a and b have reported
    proc.send_signal(signal.SIGINT)
    warning = read_until(proc.stderr, "Press Ctrl+C again")
    assert "a raise of clusters 'a', 'b' is under way and cannot be undone; no more clusters will be started" \
        in warning
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err  # c was kept from starting
    assert summary(out) == {"a": "raised", "b": "raised", "c": "not started"}
    assert "  c  [" not in out


@POSIX
@pytest.mark.parametrize("json_mode", [False, True])
def test_sigterm_in_a_fleet_reads_the_running_members_again(json_mode: bool) -> None:
    proc = _fleet_raising("--delay", "2", *(["--json"] if json_mode else []))
    assert proc.stdout is not None
    if not json_mode:
        read_until(proc.stdout, "step 1 of 5")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "stopped waiting for clusters 'a', 'b'" in err
    if not json_mode:
        assert summary(out) == {"a": "interrupted (state unknown)", "b": "interrupted (state unknown)",
                                "c": "not started"}
        return
    rows = {r["cluster"]: r for r in records(out)[-1]["clusters"]}  # type: ignore[union-attr]
    # A phase was read before the signal: its member's result lists it.
    assert any(r["phases"][:1] == [1] for r in records(out)  # type: ignore[index]
               if r["event"] == "result" and r["outcome"] == "interrupted")
    assert [(rows[n]["outcome"], rows[n]["raised"], rows[n]["stands"]) for n in "abc"] == [
        ("interrupted", None, "unknown"), ("interrupted", None, "unknown"), ("not-started", False, None)]


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
