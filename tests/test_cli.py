"""The clusupgrade command, run as a user runs it: in a subprocess.

The helpers here serve every tests/test_cli_*.py file.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import procstart
from .conftest import child_env, start_python

CLI = (sys.executable, "-m", "clusupgrade")
ALL_TRUE = "its callbacks were answered TRUE, TRUE, TRUE, TRUE, TRUE"
"""What the transcript says of a simulated raise that nobody cancelled."""
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell, signals and terminals")
LINUX_COVERS = pytest.mark.skipif(
    sys.platform == "win32",
    reason="the same Python on every platform, covered by the Linux run: each process start takes seconds under Wine",
)


def cli(
    *args: str, stdin: str | None = None, timeout: float = 60, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the command to its end; stdin is /dev/null unless given, stdout
    and stderr are captured unless given."""
    options: dict[str, object] = {"input": stdin, "text": True, "env": child_env(), "timeout": timeout}
    if stdin is None:
        options["stdin"] = subprocess.DEVNULL
    if "stdout" not in kwargs:
        options["capture_output"] = True
    options.update(kwargs)
    return procstart.run([*CLI, *args], **options)  # type: ignore[call-overload, no-any-return]


def shell_cli(redirect: str, *args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    """Run the command from sh with `redirect` applied (``>&-``, ``<&-``),
    as an operator's script would; `before` runs first (``trap '' HUP;``)."""
    return procstart.run(
        ["sh", "-c", f'{before} exec "$@" {redirect}', "sh", *CLI, *args],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def start_cli(*args: str, stdin: int = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return start_python("-m", "clusupgrade", *args, stdin=stdin)


def read_until(stream: object, marker: str, timeout: float = 30) -> str:
    """Read a child's pipe (raw, no newline needed) until `marker` shows."""
    fd = stream.fileno()  # type: ignore[attr-defined]
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{marker!r} did not show; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            assert chunk, f"the pipe closed before {marker!r}; got {seen!r}"
            seen += chunk
    return seen.decode()


def schema_text() -> str:
    """The JSON Schema the package ships (read from the installed package)."""
    from importlib.resources import files

    return (files("clusupgrade") / "schema" / "records.schema.json").read_text(encoding="utf-8")


def _validator() -> object | None:
    """A validator of the shipped schema; None where jsonschema is not
    importable (Wine, the sanitizer stages): validation is then skipped."""
    try:
        import jsonschema
    except ImportError:
        return None
    schema = json.loads(schema_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


VALIDATOR = _validator()


def record(line: str) -> dict[str, object]:
    """One JSON line the command wrote, checked against the shipped schema."""
    data: dict[str, object] = json.loads(line)
    if VALIDATOR is not None:
        VALIDATOR.validate(data)  # type: ignore[attr-defined]
    return data


def records(stdout: str) -> list[dict[str, object]]:
    """Every stdout line parsed as JSON and validated: nothing else may be
    there."""
    return [record(line) for line in stdout.splitlines()]


def result_of(data: list[dict[str, object]], cluster: str | None = None) -> dict[str, object]:
    """The one `result` record of `cluster` (the only one when None), after
    checking that the last record is the summary."""
    assert data[-1]["event"] == "summary", data[-1]
    found = [r for r in data if r["event"] == "result" and (cluster is None or r["cluster"] == cluster)]
    assert len(found) == 1, found
    return found[0]


def summary(text: str) -> dict[str, str]:
    """The summary table of a fleet: cluster -> outcome."""
    rows = text.split("Summary:\n")[1].splitlines()[1:]
    table = {}
    for row in rows:
        if not row.startswith("  "):
            break
        cells = [cell for cell in row.strip().split("  ") if cell]
        table[cells[0].strip()] = cells[1].strip()
    return table


WS2022 = "Windows Server 2022"
WS2025 = "Windows Server 2025"
FROM_11_TO_12 = f"from level 11 ({WS2022}) to 12 ({WS2025})"


def test_run_simulated_shows_every_step() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0.01")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:3] == [
        "Checking cluster 'simulated' (simulated) before raising it",
        f"ready: cluster 'simulated' can go {FROM_11_TO_12}",
        "Raising the functional level of cluster 'simulated' (simulated)",
    ]
    steps = [line for line in lines if "step " in line]
    assert [s.split("step ")[1] for s in steps] == [
        "1 of 5: Initialize",
        "2 of 5: Validating upgrade",
        "3 of 5: Upgrading components",
        "4 of 5: Installing new components",
        "5 of 5: Upgrade complete",
    ]
    assert lines[-1].startswith("Done in ")
    assert lines[-1].endswith(f": raised cluster 'simulated' {FROM_11_TO_12}.")
    assert proc.stderr == ""


def test_a_raise_is_said_only_when_the_level_moved() -> None:
    data = records(cli("run", "--simulate", "--yes", "--delay", "0", "--json").stdout)
    assert data[0]["event"] == "preflight" and data[0]["ready"] is True and data[0]["target_level"] == 12
    last = result_of(data)
    assert last["outcome"] == "raised" and last["raised"] is True and last["stands"] is None
    assert (last["level_before"], last["level_after"], last["winerror"]) == (11, 12, 0)


def test_nothing_to_raise_is_a_success_that_says_so() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--scenario", "nothing-to-do")
    assert proc.returncode == 0, proc.stderr
    words = f"nothing to raise: cluster 'simulated' is already at level 12 ({WS2025}) and no node supports a higher one"
    assert proc.stdout.splitlines()[1] == words  # the preflight says it, and no raise is sent
    assert proc.stdout.splitlines()[-1] == "Nothing to raise, so no raise was sent."
    assert "raised cluster" not in proc.stdout and "Raising" not in proc.stdout
    again = cli("run", "--simulate", "--yes", "--delay", "0", "--scenario", "nothing-to-do", "--json")
    data = records(again.stdout)
    assert not [r for r in data if r["event"] == "phase"]  # not even a raise that changes nothing
    last = result_of(data)
    assert (last["outcome"], last["raised"], last["level_before"], last["level_after"]) == (
        "nothing-to-raise", False, 12, 12
    )
    assert data[-1]["exit_code"] == 0


def test_a_scripted_raise_no_longer_bypasses_the_preflight() -> None:
    # 0.1: --fail-code 0 on a cluster that is not ready forced a raise.  Now
    # the preflight (which asks the model) gates the scripted raise too.
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--scenario", "not-upgraded", "--fail-code", "0")
    assert proc.returncode == 3, proc.stderr
    assert "  - node HV3 reports NodeHighestVersion 11.4 (level 11 at most)" in proc.stdout
    assert "Raising" not in proc.stdout and "step 1 of 5" not in proc.stdout


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize(
    ("scenario", "code", "blocker", "remedy"),
    [
        ("node-paused", 5070, "node HV3 is paused: resume it (Resume-ClusterNode -Name HV3 -Cluster simulated)",
         "Resume-ClusterNode"),
        ("node-down", 5050, "node HV3 is down: start it (Start-ClusterNode -Name HV3 -Cluster simulated)",
         "Start-ClusterNode"),
        ("not-upgraded", 5973, "node HV3 reports NodeHighestVersion 11.4 (level 11 at most) and runs Windows "
         "10.0.20348; every node must support level 12: upgrade HV3", "upgrade HV3"),
        ("in-progress", 5976, "the cluster refused the check: error 5976 (ERROR_CLUSTER_UPGRADE_IN_PROGRESS)",
         "Get-ClusterLog"),
    ],
)
def test_a_cluster_that_is_not_ready_is_not_raised(
    command: str, scenario: str, code: int, blocker: str, remedy: str
) -> None:
    yes = ["--yes"] if command == "run" else []
    proc = cli(command, "--simulate", *yes, "--delay", "0", "--scenario", scenario)
    assert proc.returncode == 3, proc.stderr
    # The remedy is said once: in the blocker, not again in the error line.
    assert (proc.stdout + proc.stderr).count(remedy) == 1, proc.stdout + proc.stderr
    assert "(the blockers say what to do)" in proc.stderr
    lines = proc.stdout.splitlines()
    verdict = next(i for i, line in enumerate(lines) if "not ready: cluster 'simulated' cannot go" in line)
    assert FROM_11_TO_12 in lines[verdict] and lines[verdict].rstrip(".").endswith(" yet")
    assert lines[verdict + 1].startswith(f"  - {blocker}")
    assert f"error {code} (" in proc.stderr
    assert "Raising" not in proc.stdout and "step 3 of 5" not in proc.stdout
    data = records(cli(command, "--simulate", *yes, "--delay", "0", "--scenario", scenario, "--json").stdout)
    assert not [r for r in data if r["event"] == "phase" and r["performed"] is True]
    last = result_of(data)
    assert last["winerror"] == code and last["outcome"] == "not-ready" and last["raised"] is False
    flight = next(r for r in data if r["event"] == "preflight")
    assert flight["ready"] is False and flight["nothing_to_do"] is False and flight["target_level"] == 12
    assert flight["check_winerror"] == code
    assert any(b.startswith(blocker) for b in flight["blockers"])  # type: ignore[union-attr]
    assert data[-1]["exit_code"] == 3 and data[-1]["counts"] == {"not-ready": 1}


def test_json_is_one_object_per_line_and_nothing_else() -> None:
    proc = cli("run", "--simulate", "--yes", "--json", "--delay", "0", "--cluster", "hv1")
    assert proc.returncode == 0, proc.stderr
    objects = records(proc.stdout)
    assert [o["event"] for o in objects] == ["preflight"] + ["phase"] * 5 + ["result", "summary"]
    assert [o["phase"] for o in objects[1:6]] == [1, 2, 3, 4, 5]
    assert objects[2]["name"] == "VALIDATING_UPGRADE" and objects[1]["cluster"] == "hv1"
    assert all(o["schema_version"] == 1 and o["simulated"] is True for o in objects)
    assert all(o["cluster"] == "hv1" for o in objects[:-1]) and objects[-1]["cluster"] is None
    assert objects[-2]["winerror"] == 0 and objects[-2]["phases"] == [1, 2, 3, 4, 5]
    assert objects[-1]["clusters"] == [  # type: ignore[comparison-overlap]
        {"cluster": "hv1", "outcome": "raised", "winerror": 0, "level_before": 11, "level_after": 12, "raised": True,
         "restart_required": False, "stands": None, "duration": objects[-2]["duration"]}
    ]
    assert (objects[-1]["exit_code"], objects[-1]["interrupted"], objects[-1]["restart_required"]) == (0, False, [])


def test_refuses_to_prompt_without_a_terminal() -> None:
    # Asked once a raise needs it, after the preflight (which changes
    # nothing): the raise itself is never sent.
    proc = cli("run", "--simulate", "--json")
    assert proc.returncode == 2
    assert "stdin is not a terminal; add --yes" in proc.stderr
    assert "usage: clusupgrade run" in proc.stderr
    events = [record["event"] for record in records(proc.stdout)]
    assert events == ["preflight"] and "phase" not in events


@pytest.mark.parametrize(
    ("scenario", "code", "said"), [("nothing-to-do", 0, "nothing to raise"), ("node-paused", 3, "")]
)
def test_no_prompt_is_needed_where_the_preflight_decides(scenario: str, code: int, said: str) -> None:
    # From a script without --yes: nothing to raise is exit 0 and blockers
    # exit 3, as with --yes, not a usage error about confirming.
    proc = cli("run", "--simulate", "--scenario", scenario)
    assert proc.returncode == code, proc.stderr
    assert "add --yes" not in proc.stderr
    assert said in proc.stdout + proc.stderr


def test_failure_exit_1_with_code_on_stderr() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--fail-code", "5977", "--fail-after", "3")
    assert proc.returncode == 1
    assert "error 5977 (ERROR_CLUSTER_UPGRADE_INCOMPLETE)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.count("step ") == 3


def test_failure_in_json_mode() -> None:
    proc = cli("run", "--simulate", "--yes", "--json", "--delay", "0", "--fail-code", "5977", "--fail-after", "1")
    assert proc.returncode == 1
    last = result_of(records(proc.stdout))
    assert last["winerror"] == 5977 and last["phases"] == [1]
    assert last["outcome"] == "failed" and last["raised"] is False and last["stands"] == "unchanged"
    assert "is unchanged (read again: still at level 11" in str(last["message"])


def test_check_ready_and_not_ready() -> None:
    ok = cli("check", "--simulate", "--delay", "0")
    assert ok.returncode == 0, ok.stderr
    assert "step 2 of 5: Validating upgrade" in ok.stdout
    assert f": ready: cluster 'simulated' can go {FROM_11_TO_12}." in ok.stdout.splitlines()[-1]
    data = records(cli("check", "--simulate", "--delay", "0", "--json").stdout)
    last = result_of(data)
    assert (last["outcome"], last["raised"], last["performed"]) == ("check-passed", False, False)
    flight = next(r for r in data if r["event"] == "preflight")
    assert (flight["outcome"], flight["target_level"], flight["blockers"]) == ("ready", 12, [])
    nothing = cli("check", "--simulate", "--delay", "0", "--scenario", "nothing-to-do")
    assert nothing.returncode == 0 and "nothing to raise: cluster 'simulated' is already at level 12" in nothing.stdout
    not_ready = cli("check", "--simulate", "--delay", "0", "--fail-code", "5973")
    assert not_ready.returncode == 3
    assert "not every node supports the new level" in not_ready.stderr
    # A refusal no node explains is a blocker of its own: its remedy is
    # said there, and the error line points to it.
    assert "every node must run the newer Windows Server" in not_ready.stdout
    assert "every node must run the newer Windows Server" not in not_ready.stderr
    assert "(the blockers say what to do)" in not_ready.stderr


def test_restart_required_is_exit_7_with_warning() -> None:
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--fail-code", "5975", "--cluster", "hv1")
    assert proc.returncode == 7, proc.stderr
    assert "warning: cluster 'hv1': The level WAS raised. Restart the cluster" in proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("Restart needed (5975): cluster 'hv1' WAS raised")
    data = records(cli("run", "--simulate", "--yes", "--delay", "0", "--fail-code", "5975", "--json").stdout)
    last = result_of(data)
    assert (last["outcome"], last["winerror"], last["restart_required"]) == ("raised-restart-required", 5975, True)
    assert (data[-1]["exit_code"], data[-1]["restart_required"]) == (7, ["simulated"])
    assert data[-1]["clusters"][0]["restart_required"] is True  # type: ignore[index]


def test_a_check_that_returns_5975_warns_of_no_restart() -> None:
    # A check changes nothing: there is nothing to restart for.
    proc = cli("check", "--simulate", "--delay", "0", "--fail-code", "5975")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr and "Restart" not in proc.stderr
    assert "5975 ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED" in proc.stdout
    data = result_of(records(cli("check", "--simulate", "--delay", "0", "--fail-code", "5975", "--json").stdout))
    assert data["restart_required"] is False and data["name"] == "ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED"


def test_info() -> None:
    proc = cli("info", "--simulate", "--level", "10", "--cluster", "c9", "--delay", "0")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Cluster:           c9"
    assert "Functional level:  10 (Windows Server 2019)" in lines
    assert "Upgrade version:   0" in lines
    data = records(cli("info", "--simulate", "--json").stdout)
    assert [r["event"] for r in data] == ["info", "summary"]
    assert data[1]["exit_code"] == 0 and data[1]["command"] == "info"
    # As documented: the summary lists result records; an info that answered has none.
    assert data[1]["clusters"] == [] and data[1]["counts"] == {}
    assert data[0]["functional_level"] == 11 and data[0]["mixed_mode"] is False
    assert data[0]["functional_level_name"] == f"11 ({WS2022})" and data[0]["upgrade_version"] == 0
    assert data[0]["name"] == "simulated"


def test_info_shows_the_nodes_like_get_clusternode() -> None:
    proc = cli("info", "--simulate", "--scenario", "not-upgraded", "--delay", "0")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    table = [line.split() for line in lines[lines.index("Nodes:") + 1 :]]
    assert table == [
        ["Name", "State", "OS", "Highest", "level"],
        ["HV1", "Up", "10.0.26100", "12"],
        ["HV2", "Up", "10.0.26100", "12"],
        ["HV3", "Up", "10.0.20348", "11"],
    ]
    paused = records(cli("info", "--simulate", "--scenario", "node-paused", "--delay", "0", "--json").stdout)[0]
    nodes = paused["nodes"]
    assert [(n["name"], n["state"], n["state_name"]) for n in nodes] == [  # type: ignore[index, union-attr]
        ("HV1", 0, "Up"), ("HV2", 0, "Up"), ("HV3", 2, "Paused")
    ]
    assert nodes[2] == {"name": "HV3", "state": 2, "state_name": "Paused", "os_version": [10, 0, 26100],  # type: ignore[index]
                        "highest_version": [12, 5], "highest_level": 12, "lowest_version": [11, 4]}


def test_info_timeout_on_a_slow_cluster() -> None:
    # The simulated cluster's delay applies to a read too.
    proc = cli("info", "--simulate", "--delay", "5", "--timeout", "0.2", "--json")
    assert proc.returncode == 1, proc.stderr
    data = records(proc.stdout)
    assert [r["event"] for r in data] == ["result", "summary"]
    assert (data[0]["winerror"], data[0]["name"], data[0]["outcome"]) == (1460, "ERROR_TIMEOUT", "timed-out")
    assert "did not answer within 0.2 s" in str(data[0]["message"])
    assert [c["outcome"] for c in data[1]["clusters"]] == ["timed-out"]  # type: ignore[index, union-attr]


@pytest.mark.skipif(sys.platform == "win32", reason="clusapi.dll may exist on Windows")
def test_real_cluster_off_windows_says_to_simulate() -> None:
    for command in ("info", "check"):
        proc = cli(command, "--cluster", "hv1")
        assert proc.returncode == 4, proc.stderr
        assert "clusupgrade: cluster 'hv1': clusapi.dll exists only on Windows" in proc.stderr
        assert "add --simulate" in proc.stderr and "Simulator()" not in proc.stderr
        assert "Traceback" not in proc.stderr


def test_timeout_error_record_has_its_symbolic_name() -> None:
    proc = cli("check", "--simulate", "--delay", "5", "--timeout", "0.2", "--json")
    assert proc.returncode == 1, proc.stderr
    last = result_of(records(proc.stdout))
    assert last["winerror"] == 1460 and last["raised"] is False  # a check raises nothing
    assert last["name"] == "ERROR_TIMEOUT" and last["outcome"] == "timed-out"


@POSIX
@pytest.mark.parametrize(("answer", "code"), [("yes", 0), ("no", 5), ("", 5)])
def test_confirmation_prompt_on_a_terminal(answer: str, code: int) -> None:
    import pty

    leader, follower = pty.openpty()
    proc = start_cli("run", "--simulate", "--delay", "0", stdin=follower)
    os.close(follower)
    assert proc.stderr is not None
    prompt = read_until(proc.stderr, "Type 'yes' to go on: ")
    os.write(leader, (answer + "\n").encode())
    out, err = proc.communicate(timeout=30)
    os.close(leader)
    assert f"Raise the functional level of cluster 'simulated' (simulated) {FROM_11_TO_12}? This cannot be undone" \
        in prompt
    assert proc.returncode == code
    assert ("step 5 of 5" in out) == (answer == "yes")
    if code == 5:
        assert "Not confirmed; nothing was changed." in err


@POSIX
def test_declining_a_fleet_says_so_once() -> None:
    import pty

    leader, follower = pty.openpty()
    proc = start_cli("run", "--simulate", "--delay", "0", "--cluster", "a", "--cluster", "b", stdin=follower)
    os.close(follower)
    assert proc.stderr is not None
    prompt = read_until(proc.stderr, "Type 'yes' to go on: ")
    os.write(leader, b"no\n")
    out, err = proc.communicate(timeout=30)
    os.close(leader)
    assert "Raise the functional level of these 2 clusters (simulated)?" in prompt
    assert proc.returncode == 5
    # One sentence for the refusal, and each cluster once, in the summary.
    assert err.count("Not confirmed; nothing was changed.") == 1 and "cluster 'a'" not in err, err
    assert [line.split()[0] for line in out.splitlines() if "not confirmed " in line] == ["a", "b"], out
    assert out.splitlines()[-1] == "2 not confirmed."


def test_console_script_is_installed() -> None:
    exe = shutil.which("clusupgrade")
    if exe is None:
        pytest.skip("the console script is installed only with the package (tools/test.sh)")
    proc = procstart.run([exe, "check", "--simulate", "--delay", "0"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_log_file_is_a_transcript_naming_the_cluster(tmp_path: Path) -> None:
    log = tmp_path / "change-4711.log"
    proc = cli("run", "--simulate", "--yes", "--delay", "0", "--cluster", "hv1", "--log-file", str(log))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # the log goes to the file only, without --verbose
    lines = log.read_text().splitlines()
    assert sum("INITIALIZE" in line for line in lines) == 2  # the preflight's check, then the raise
    assert any(f"INFO raised cluster 'hv1' {FROM_11_TO_12}" in line for line in lines)
    assert ALL_TRUE in log.read_text()
    assert all("cluster 'hv1'" in line for line in lines), lines


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_refusal_is_logged_with_its_cluster_not_as_an_error(tmp_path: Path, command: str) -> None:
    log = tmp_path / "t.log"
    yes = ["--yes"] if command == "run" else []
    proc = cli(command, "--simulate", *yes, "--delay", "0", "--scenario", "node-paused", "--cluster", "hv3",
               "--log-file", str(log))
    assert proc.returncode == 3, proc.stderr
    lines = log.read_text().splitlines()
    assert [line for line in lines if " ERROR " in line] == []
    assert any("INFO cluster 'hv3': error 5070 (ERROR_CLUSTER_NODE_PAUSED)" in line for line in lines), lines
    assert any("INFO not ready: cluster 'hv3' cannot go from level 11" in line
               and "Resume-ClusterNode -Name HV3 -Cluster hv3" in line for line in lines), lines
    assert all("cluster 'hv3'" in line for line in lines), lines


def test_verbose_shows_the_log_on_stderr() -> None:
    proc = cli("check", "--simulate", "--delay", "0", "--cluster", "hv2", "--verbose")
    assert proc.returncode == 0
    lines = proc.stderr.splitlines()
    assert any("INFO cluster 'hv2': VALIDATING_UPGRADE" in line for line in lines), lines
    assert all("cluster 'hv2'" in line for line in lines), lines
    assert "VALIDATING" not in proc.stdout.replace("Validating", "")


def test_log_file_that_cannot_be_opened_is_a_usage_error(tmp_path: Path) -> None:
    proc = cli("run", "--simulate", "--yes", "--log-file", str(tmp_path))
    assert proc.returncode == 2
    assert "--log-file: cannot open" in proc.stderr and "usage: clusupgrade run" in proc.stderr
    assert proc.stdout == ""
