"""Every argument is checked before the prompt and before anything is sent;
messages name the option as typed; each kind of outcome has its exit code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import clusupgrade
from clusupgrade import Simulator
from clusupgrade.cli.codes import EXIT_TABLE, NOT_READY

from .test_cli import LINUX_COVERS, cli, records, result_of

ROOT = Path(__file__).resolve().parent.parent


@LINUX_COVERS
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("check", "--cluster="), "argument --cluster: a cluster name must not be empty"),
        (("check", "--cluster", "   "), "argument --cluster: '   ' is only spaces"),
        (("check", "--cluster", "hv 1"), "contains a space"),
        (("check", "--cluster", "x" * 256), "256 characters long"),
        (("run", "--timeout", "-1"), "argument --timeout: must be more than 0 seconds"),
        (("run", "--timeout", "0"), "abandoned the instant it starts"),
        (("run", "--timeout", "-0.0"), "must be more than 0 seconds"),
        (("run", "--timeout", "10**400"), "'10**400' is not a number of seconds"),
        (("run", "--timeout", "1" + "0" * 400), "must be at most 604800 seconds"),
        (("run", "--timeout", "inf"), "must be at most 604800 seconds"),
        (("run", "--timeout", "nan"), "'nan' is not a number of seconds"),
        (("run", "--timeout", "soon"), "'soon' is not a number of seconds"),
        (("run", "--simulate", "--fail-after", "9"), "argument --fail-after: must be from 0 to 5"),
        (("run", "--simulate", "--delay", "-1"), "argument --delay: must be from 0 to 86400"),
        (("run", "--simulate", "--fail-code", "-5"), "argument --fail-code: must be from 0 to 4294967295"),
        (("info", "--simulate", "--level", "0"), "argument --level: must be from 1 to 65535"),
        # The simulated cluster's own rules, said against the option.
        (("check", "--simulate", "--fail-after", "3"), "--fail-after 3: the simulated check of cluster 'simulated' "
         "reports 2 phases; give 0 to 2"),
        (("run", "--max-parallel", "0"), "argument --max-parallel: must be from 1 to"),
        (("run", "--max-failures", "0"), "argument --max-failures: must be from 1 to"),
        (("run", "--delay", "1"), "--delay applies only with --simulate"),
        (("info", "--level", "11"), "--level applies only with --simulate"),
        (("run", "--only-ready"), "--only-ready needs --check-first"),
        (("run", "--cluster", "a", "--cluster", "A"), "cluster 'A' is listed twice"),
        (("info", "--cluster", "a", "--cluster", "b"), "info shows one cluster"),
        (("run", "--simulate", "--fail-code", "zz=5"), "'zz' is not one of the clusters ('simulated')"),
        (("run", "--simulate", "--fail-code", "1", "--fail-code", "2"), "--fail-code is given twice for every cluster"),
        (("run", "--simulate", "--y"), "unrecognized arguments: --y"),  # no abbreviations
        (("run", "--clusters-from", "/nonexistent/list"), "--clusters-from: cannot read '/nonexistent/list'"),
        (("info", "--delay", "1"), "--delay applies only with --simulate"),
        (("info", "--simulate", "--fail-code", "5"), "unrecognized arguments: --fail-code"),
        (("info", "--simulate", "--timeout", "0"), "argument --timeout: must be more than 0 seconds"),
        (("run", "--level", "11"), "--level applies only with --simulate"),
        (("run", "--scenario", "ready"), "--scenario applies only with --simulate"),
        (("run", "--simulate", "--scenario", "bogus"), "'bogus' is not a scenario; choose from ready, nothing-to-do"),
        (("info", "--simulate", "--scenario", "x=ready"), "'x=ready' is not a scenario"),
        (("check", "--simulate", "--cluster", "a", "--scenario", "b=ready"), "'b' is not one of the clusters ('a')"),
        (("check", "--simulate", "--scenario", "ready", "--scenario", "ready"),
         "--scenario is given twice for every cluster"),
    ],
)
def test_bad_arguments_are_refused_before_the_prompt(args: tuple[str, ...], words: str) -> None:
    # No --yes and no terminal: had the check come after the prompt, the
    # message would be about the terminal instead.
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr
    assert f"usage: clusupgrade {args[0]}" in proc.stderr
    assert "Traceback" not in proc.stderr and "None" not in proc.stderr
    assert "stdin is not a terminal" not in proc.stderr
    assert proc.stdout == ""


def test_a_bad_timeout_names_the_option_and_the_subcommand() -> None:
    proc = cli("run", "--simulate", "--timeout", "0")
    assert proc.returncode == 2
    assert "usage: clusupgrade run" in proc.stderr and "argument --timeout: must be more than 0" in proc.stderr


def test_cluster_list_file_lines_are_named(tmp_path: Path) -> None:
    names = tmp_path / "clusters.txt"
    names.write_text("hv-a  # production\n\nhv b\n", encoding="utf-8")
    proc = cli("check", "--clusters-from", str(names))
    assert proc.returncode == 2
    assert f"--clusters-from {str(names)!r}, line 3: 'hv b' contains a space" in proc.stderr


@LINUX_COVERS
def test_usage_error_is_not_not_confirmed() -> None:
    assert cli("frobnicate").returncode == 2
    assert cli().returncode == 2


def test_version() -> None:
    proc = cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"clusupgrade {clusupgrade.__version__} (cluster backend: ")


def test_short_yes() -> None:
    assert cli("run", "--simulate", "-y", "--delay", "0").returncode == 0


@LINUX_COVERS
def test_each_subcommand_lists_only_its_options() -> None:
    info = cli("info", "--help").stdout.split("exit codes:")[0]
    for absent in ("--fail-code", "--fail-after", "--yes", "--max-parallel", "--check-first", "NAME="):
        assert absent not in info
    for present in ("--timeout S", "--delay S", "--scenario SCENARIO", "--level N"):
        assert present in info
    check = cli("check", "--help").stdout.split("exit codes:")[0]
    assert "--timeout" in check and "--yes" not in check and "--check-first" not in check
    run = cli("run", "--help").stdout
    for present in ("-y, --yes", "--check-first", "--only-ready", "--max-failures", "--clusters-from",
                    "--scenario [NAME=]SCENARIO", "--level [NAME=]N", "--fail-code [NAME=]CODE"):
        assert present in run


@LINUX_COVERS
def test_the_exit_codes_are_listed_once_in_the_top_level_help() -> None:
    top = cli("--help").stdout
    for code, meaning in EXIT_TABLE:
        assert len(re.findall(rf"^\s*{re.escape(code)}\s+{re.escape(meaning)}$", top, re.MULTILINE)) == 1, code
    for command in ("info", "check", "run"):
        text = cli(command, "--help").stdout
        assert "exit codes:" not in text and "Exit codes: 'clusupgrade --help'." in text
        assert not any(meaning in text for _, meaning in EXIT_TABLE)


@LINUX_COVERS
@pytest.mark.parametrize("command", ["info", "check", "run"])
def test_each_subcommand_help_is_short_with_examples(command: str) -> None:
    text = cli(command, "--help").stdout
    examples = text.split("examples:\n")[1].split("\n\n")[0].splitlines()
    assert 2 <= len(examples) <= 3 and all(e.startswith(f"  clusupgrade {command} ") for e in examples)
    assert len(text.splitlines()) <= 80, len(text.splitlines())  # 0.1's run --help was 87 lines
    if command == "run":
        assert "This cannot be undone" in " ".join(text.split())
        assert "  clusupgrade run --simulate --yes " in text


def test_the_docs_have_the_exit_code_table() -> None:
    docs = (ROOT / "docs" / "command-line.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_TABLE:
        assert f"| {code} | {meaning} |" in docs


@LINUX_COVERS
def test_force_is_refused_with_the_hint_to_use_yes() -> None:
    proc = cli("run", "--simulate", "--force", "--delay", "0")
    assert proc.returncode == 2
    assert "use --yes" in proc.stderr and "usage: clusupgrade run" in proc.stderr
    assert proc.stdout == ""


@LINUX_COVERS
@pytest.mark.parametrize(
    ("code", "exit_code", "outcome"),
    [(5973, 3, "not-ready"), (5050, 3, "not-ready"), (1722, 4, "unreachable"), (5, 4, "access-denied"),
     (5977, 1, "failed")],
)
@pytest.mark.parametrize("command", ["check", "run"])
def test_exit_code_per_kind_of_outcome(command: str, code: int, exit_code: int, outcome: str) -> None:
    yes = ["--yes"] if command == "run" else []
    proc = cli(command, "--simulate", *yes, "--delay", "0", "--fail-code", str(code), "--fail-after", "1", "--json")
    assert proc.returncode == exit_code, proc.stderr
    assert result_of(records(proc.stdout))["outcome"] == outcome


def test_every_code_that_means_fix_the_cluster_first_is_not_ready() -> None:
    codes = sorted(NOT_READY)
    assert {5973, 5974, 5976, 5050, 5070, 5072, 5073} <= set(codes)
    args = []
    for code in codes:
        args += ["--cluster", f"c{code}", "--fail-code", f"c{code}={code}"]
    proc = cli("check", "--simulate", "--delay", "0", "--fail-after", "1", "--json", *args)
    assert proc.returncode == 3, proc.stderr
    fleet = records(proc.stdout)[-1]
    assert fleet["event"] == "summary"
    assert [c["outcome"] for c in fleet["clusters"]] == ["not-ready"] * len(codes)  # type: ignore[index, union-attr]


def test_the_library_refuses_a_timeout_too_large_to_represent() -> None:
    # The README promises TypeError or ValueError for bad input; float(10**400)
    # raised OverflowError.
    with pytest.raises(ValueError, match="too large"):
        clusupgrade.check(Simulator(), timeout=10**400)
