"""Estates: simulated clusters described in TOML files, checked before
anything runs, their state kept beside the file between processes, and
the command line's --simulate FILE, --state, --cluster/--clusters-from
selection (issue 17)."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest

import clusupgrade
from clusupgrade import ClusterUpgradeError, Simulator, cluster_info, preflight
from clusupgrade.estate import EstateError, copy_example, example_path, examples, load_estate
from clusupgrade.simulator import SCENARIOS

from . import procstart
from .conftest import child_env
from .test_cli import CLI, LINUX_COVERS, cli

READY = """\
[[clusters]]
name = "hv-cluster"
functional_level = {level}

[[clusters.nodes]]
name = "HV1"
os_build = 26100

[[clusters.nodes]]
name = "HV2"
os_build = 26100
highest_level = 12
"""

TWO = """\
[[clusters]]
name = "hv-a"
functional_level = 11
nodes = [{ name = "A1" }]

[[clusters]]
name = "hv-b"
functional_level = 11
nodes = [{ name = "B1" }]
"""


def write(tmp_path: Path, text: str, name: str = "estate.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def kept(path: Path) -> dict[str, object]:
    state = path.with_name(path.name + ".state.json")
    return json.loads(state.read_text(encoding="utf-8"))["clusters"]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------
# The shipped examples.


def test_the_examples_are_the_scenarios_four_node_and_twenty_clusters() -> None:
    assert set(examples()) == {*SCENARIOS, "four-node", "twenty-clusters"}
    for name in examples():
        estate = load_estate(example_path(name), state="read-only")
        assert estate.names, name
    twenty = load_estate(example_path("twenty-clusters"), state="read-only")
    assert len(twenty.names) == 20


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_scenario_file_is_the_scenario(scenario: str) -> None:
    from_file = Simulator.from_file(example_path(scenario), state="read-only")
    built = Simulator.scenario(scenario, name="hv-cluster")
    assert cluster_info(from_file) == cluster_info(built)
    assert preflight(from_file) == preflight(built)


def test_four_node_blocks_with_a_remedy_for_each_node() -> None:
    p = preflight(Simulator.from_file(example_path("four-node"), state="read-only"))
    assert not p.ready
    text = "\n".join(p.blockers)
    for remedy in ("Resume-ClusterNode -Name HV1", "Start-ClusterNode -Name HV2", "upgrade HV3 to",
                   "check its Cluster service and updates (Get-ClusterNode -Name HV4"):
        assert remedy in text


@LINUX_COVERS
def test_four_node_run_lists_the_blockers_and_raises_nothing() -> None:
    proc = cli("run", "--simulate", "example:four-node", "--yes", "--delay", "0")
    assert proc.returncode == 3, proc.stderr
    for remedy in ("Resume-ClusterNode -Name HV1 -Cluster hv-cluster", "Start-ClusterNode -Name HV2",
                   "upgrade HV3", "HV4"):
        assert remedy in proc.stdout
    assert "Raising" not in proc.stdout


def test_a_shipped_example_is_not_written_beside() -> None:
    with pytest.raises(EstateError, match=r"shipped with clusupgrade: rehearse from a copy"):
        Simulator.from_file(example_path("ready"))
    proc = cli("run", "--simulate", "example:ready", "--state", "keep", "--yes")
    assert proc.returncode == 2 and "copy it" in proc.stderr
    shipped = example_path("ready").parent
    assert not list(shipped.glob("*.json")) and not list(shipped.glob("*.lock"))


@LINUX_COVERS
def test_an_unknown_example_lists_the_examples() -> None:
    with pytest.raises(EstateError, match="four-node"):
        example_path("nope")
    proc = cli("info", "--simulate", "example:nope")
    assert proc.returncode == 2 and "twenty-clusters" in proc.stderr


def test_copy_example_gives_a_file_that_keeps_state(tmp_path: Path) -> None:
    path = copy_example("ready", tmp_path / "rehearsal")
    assert path.read_bytes() == example_path("ready").read_bytes()
    clusupgrade.upgrade(Simulator.from_file(path))
    assert cluster_info(Simulator.from_file(path)).functional_level == 12


# --------------------------------------------------------------------------
# Checked before anything runs: key path and line.


CASES = [
    ('[[clusters]]\nname = "c"\nfunctional_level = 11\ncolour = "red"\nnodes = [{name = "A"}]\n',
     "estate.toml:4: clusters[0].colour: unknown key"),
    ('[[clusters]]\nname = "c"\nfunctional_level = 11\n\n[[clusters.nodes]]\nname = "A"\nos_bild = 26100\n',
     "estate.toml:7: clusters[0].nodes[0].os_bild: unknown key"),
    ('title = "x"\n', "estate.toml:1: title: unknown key"),
    ('[[clusters]]\nname = "c"\nfunctional_level = 11\nnodes = [{name = "A"}]\n[clusters.upgrade]\nfail_cod = 1\n',
     "estate.toml:6: clusters[0].upgrade.fail_cod: unknown key"),
    ('[[clusters]]\nname = "c"\nfunctional_level = 11\n\n[[clusters.nodes]]\nname = "A"\n\n'
     '[[clusters.nodes]]\nname = "B"\nos_build = 17763\n',
     "estate.toml:10: clusters[0].nodes[1].os_build: node 'B' runs build 17763, which supports level 10 at most"),
    ('[[clusters]]\nname = "c"\nfunctional_level = 11\n\n[[clusters.nodes]]\nname = "A"\nhighest_level = 10\n',
     "estate.toml:3: clusters[0].functional_level: cluster 'c' is at level 11, above what any of its nodes"),
    ('[[clusters]]\nname = "c"\nfunctional_level = 13\nnodes = [{name = "A"}, {name = "B"}]\n',
     "estate.toml:3: clusters[0].functional_level: cluster 'c' is at level 13"),
    ('[[clusters]]\nname = "c"\nfunctional_level = 11\n\n[[clusters.nodes]]\nname = "HV1"\n\n'
     '[[clusters.nodes]]\nname = "hv1"\n',
     "estate.toml:9: clusters[0].nodes[1].name: cluster 'c' has two nodes named 'hv1'"),
    (TWO.replace('"hv-b"', '"HV-A"'), "estate.toml:7: clusters[1].name: cluster 'HV-A' is described twice"),
    ('[[clusters]]\nname = "c"\nfunctional_level = 11\nnodes = [{name = "A", state = "sleeping"}]\n',
     "estate.toml:4: clusters[0].nodes[0].state: 'sleeping' is not a node state"),
    ('[[clusters]]\nname = "c"\nfunctional_level = "11"\nnodes = [{name = "A"}]\n',
     "estate.toml:3: clusters[0].functional_level: must be an integer, not a string"),
    ('[[clusters]]\nname = "c"\nnodes = [{name = "A"}]\n', "estate.toml:1: clusters[0]: cluster 'c' needs its"),
    ('[[clusters]]\nname = "c"\nfunctional_level = 11\n', "estate.toml:1: clusters[0]: cluster 'c' has no nodes"),
    ('[[clusters]]\nname = "a b"\n', "estate.toml:2: clusters[0].name: 'a b' is not a name"),
    ('[[clusters]]\nname = "c"\nfunctional_level = = 11\n', "estate.toml:3: not valid TOML"),
    ("", "estate.toml: clusters: the file describes no cluster"),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_mistakes_are_named_by_key_path_and_line(tmp_path: Path, text: str, message: str, monkeypatch:
                                                 pytest.MonkeyPatch) -> None:
    write(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EstateError) as caught:
        load_estate("estate.toml")
    assert str(caught.value).startswith(message), str(caught.value)
    assert not (tmp_path / "estate.toml.state.json").exists()


@LINUX_COVERS
def test_the_cli_says_the_mistake_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, CASES[1][0])
    proc = cli("check", "--simulate", str(path))
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "clusters[0].nodes[0].os_bild: unknown key" in errors[0]
    assert "Traceback" not in proc.stderr


def test_the_build_rule_binds_files_only() -> None:
    # A Python simulator may describe what a file may not.
    sim = Simulator(functional_level=13)
    assert cluster_info(sim).functional_level == 13


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be-bom"])
def test_a_file_with_a_bom_is_read(tmp_path: Path, encoding: str) -> None:
    text = READY.format(level=11)
    data = codecs.BOM_UTF16_BE + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    path = tmp_path / "estate.toml"
    path.write_bytes(data)
    assert load_estate(path).names == ("hv-cluster",)


def test_an_undecodable_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "estate.toml"
    path.write_bytes(READY.format(level=11).encode("utf-8") + b"# caf\xe9\n")
    with pytest.raises(EstateError, match=r"not UTF-8 text \(line 13, byte 0xe9\)"):
        load_estate(path)


def test_clusters_are_chosen_by_name_ignoring_case(tmp_path: Path) -> None:
    estate = load_estate(write(tmp_path, TWO))
    assert estate.names == ("hv-a", "hv-b")
    assert estate.simulator("HV-B").name == "hv-b"
    with pytest.raises(EstateError, match="no cluster named 'nope'; it has: hv-a, hv-b"):
        estate.simulator("nope")
    with pytest.raises(EstateError, match="describes 2 clusters; name one: hv-a, hv-b"):
        Simulator.from_file(tmp_path / "estate.toml")
    assert [s.name for s in Simulator.estate(tmp_path / "estate.toml")] == ["hv-a", "hv-b"]


def test_the_raise_and_the_check_are_scripted_separately(tmp_path: Path) -> None:
    text = READY.format(level=11) + "\n[clusters.upgrade]\nfail_code = 5977\nfail_after = 3\n"
    path = write(tmp_path, text.replace("[clusters.upgrade]", "[clusters.upgrade]", 1))
    # The table follows the nodes: TOML puts it in the same cluster.
    sim = Simulator.from_file(path)
    assert clusupgrade.check(sim).status == 0
    with pytest.raises(ClusterUpgradeError) as caught:
        clusupgrade.upgrade(sim)
    assert caught.value.winerror == 5977 and len(caught.value.events) == 3
    checked = write(tmp_path, READY.format(level=11) + "\n[clusters.check]\nfail_code = 5973\n", "check.toml")
    with pytest.raises(ClusterUpgradeError) as refused:
        clusupgrade.check(Simulator.from_file(checked))
    assert refused.value.winerror == 5973


def test_a_python_simulator_scripts_its_check_apart_when_asked() -> None:
    with pytest.raises(ClusterUpgradeError):
        clusupgrade.check(Simulator(status=5977))  # the default: the upgrade's script
    assert clusupgrade.check(Simulator(status=5977, check_status=None)).status == 0
    with pytest.raises(ClusterUpgradeError) as caught:
        clusupgrade.check(Simulator(check_status=5973, check_fail_after=1))
    assert caught.value.winerror == 5973 and len(caught.value.events) == 1
    assert clusupgrade.upgrade(Simulator(check_status=5973)).level_after == 12


# --------------------------------------------------------------------------
# State kept between commands.


def test_the_level_is_kept_beside_the_file_which_is_never_rewritten(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    before = path.read_bytes()
    result = clusupgrade.upgrade(Simulator.from_file(path))
    assert (result.level_before, result.level_after) == (11, 12)
    assert cluster_info(Simulator.from_file(path)).functional_level == 12
    assert kept(path) == {"hv-cluster": {"functional_level": 12, "upgrade_in_progress": False,
                                         "file_level": 11, "file_in_progress": False}}
    assert path.read_bytes() == before


def test_the_flag_is_written_before_a_raise_starts_and_cleared_at_its_end(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    sim = Simulator.from_file(path)
    with clusupgrade.phases(sim, perform=True) as stream:
        # The flag is written in the calling thread before the call is made
        # (a raise that runs is seen in test_a_process_killed_mid_raise_...).
        for _ in stream:
            pass
    assert cluster_info(sim).functional_level == 12  # waits for the write-back
    assert kept(path)["hv-cluster"] == {"functional_level": 12, "upgrade_in_progress": False,
                                        "file_level": 11, "file_in_progress": False}
    checked = Simulator.from_file(path)
    clusupgrade.check(checked)  # a check writes no flag
    assert cluster_info(checked).functional_level == 12
    assert kept(path)["hv-cluster"]["upgrade_in_progress"] is False


def test_leaves_in_progress_keeps_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11).replace("functional_level = 11",
                                                            "functional_level = 11\nleaves_in_progress = true"))
    clusupgrade.upgrade(Simulator.from_file(path))
    with pytest.raises(ClusterUpgradeError) as caught:
        clusupgrade.check(Simulator.from_file(path))
    assert caught.value.winerror == 5976
    assert kept(path)["hv-cluster"]["upgrade_in_progress"] is True


def test_reset_starts_from_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    clusupgrade.upgrade(Simulator.from_file(path))
    assert cluster_info(Simulator.from_file(path, state="reset")).functional_level == 11
    assert not path.with_name("estate.toml.state.json").exists()


def test_read_only_reads_the_kept_state_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=10))
    clusupgrade.upgrade(Simulator.from_file(path))  # 10 -> 11, kept
    state = path.with_name("estate.toml.state.json")
    sim = Simulator.from_file(path, state="read-only")  # after the write-back of the raise before
    before = state.read_bytes()
    result = clusupgrade.upgrade(sim)
    assert (result.level_before, result.level_after) == (11, 12)
    assert cluster_info(sim).functional_level == 12  # in this process
    assert state.read_bytes() == before
    assert cluster_info(Simulator.from_file(path)).functional_level == 11


def test_read_only_creates_no_file(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    clusupgrade.upgrade(Simulator.from_file(path, state="read-only"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estate.toml"]


def test_an_edited_file_sets_the_kept_state_aside(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    clusupgrade.upgrade(Simulator.from_file(path))
    write(tmp_path, READY.format(level=10))
    assert cluster_info(Simulator.from_file(path)).functional_level == 10


def test_a_state_that_cannot_be_kept_beside_the_file_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    (tmp_path / "estate.toml.lock").mkdir()  # fails for root too
    with pytest.raises(EstateError, match=r"cannot keep the state of .* --state read-only"):
        Simulator.from_file(path)
    proc = cli("run", "--simulate", str(path), "--yes")
    assert proc.returncode == 2 and "(--state read-only)" in proc.stderr and "Traceback" not in proc.stderr
    assert cli("run", "--simulate", str(path), "--yes", "--state", "read-only", "--delay", "0").returncode == 0


def test_a_broken_state_file_says_how_to_start_over(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    path.with_name("estate.toml.state.json").write_text("{", encoding="utf-8")
    with pytest.raises(EstateError, match="cannot read the kept state .* 'reset'"):
        Simulator.from_file(path)
    assert cluster_info(Simulator.from_file(path, state="reset")).functional_level == 11


# --------------------------------------------------------------------------
# Two processes on one estate.


def results(proc: subprocess.Popen[str]) -> list[dict[str, object]]:
    out, err = proc.communicate(timeout=120)
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [r for r in records if r.get("event") == "result"]


@pytest.mark.parametrize(("level", "outcomes"), [
    (11, {("raised", 11, 12), ("nothing-to-raise", 12, 12)}),
    (10, {("raised", 10, 11), ("raised", 11, 12)}),
])
def test_two_runs_at_once_raise_once_per_allowed_level(tmp_path: Path, level: int, outcomes: set[object]) -> None:
    path = write(tmp_path, READY.format(level=level))
    args = [*CLI, "run", "--simulate", str(path), "--yes", "--json", "--delay", "0.2"]
    procs = [procstart.start(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(),
                              stdin=subprocess.DEVNULL) for _ in range(2)]
    found = [r for proc in procs for r in results(proc)]
    assert {(r["outcome"], r["level_before"], r["level_after"]) for r in found} == outcomes, found
    assert all(proc.returncode == 0 for proc in procs)
    assert kept(path)["hv-cluster"]["functional_level"] == 12


KILLED = """
import sys, clusupgrade
sim = clusupgrade.Simulator.from_file(sys.argv[1], delay=3600)
for event in clusupgrade.phases(sim, perform=True):
    print("phase", flush=True)
"""


def test_a_process_killed_mid_raise_leaves_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    child = procstart.start([sys.executable, "-c", KILLED, str(path)], stdout=subprocess.PIPE, text=True,
                             env=child_env(), stdin=subprocess.DEVNULL)
    try:
        assert child.stdout is not None and child.stdout.readline() == "phase\n"
        # The raise runs (for an hour): its flag is kept already.
        assert kept(path)["hv-cluster"] == {"functional_level": 11, "upgrade_in_progress": True,
                                            "file_level": 11, "file_in_progress": False}
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    with pytest.raises(ClusterUpgradeError) as caught:
        clusupgrade.check(Simulator.from_file(path))
    assert caught.value.winerror == 5976
    assert cluster_info(Simulator.from_file(path)).upgrade_in_progress is True
    proc = cli("run", "--simulate", str(path), "--yes", "--delay", "0")
    assert proc.returncode == 3 and "5976" in proc.stdout + proc.stderr
    proc = cli("run", "--simulate", str(path), "--yes", "--delay", "0", "--state", "reset")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert kept(path)["hv-cluster"]["functional_level"] == 12


@LINUX_COVERS
def test_the_cli_keeps_state_between_commands(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    assert cli("run", "--simulate", str(path), "--yes", "--delay", "0").returncode == 0
    info = cli("info", "--simulate", str(path), "--delay", "0", "--json")
    assert json.loads(info.stdout.splitlines()[0])["functional_level"] == 12
    read_only = cli("info", "--simulate", str(path), "--delay", "0", "--state", "reset", "--json")
    assert json.loads(read_only.stdout.splitlines()[0])["functional_level"] == 11


# --------------------------------------------------------------------------
# Choosing clusters from an estate on the command line.


def parse(*argv: str) -> object:
    from clusupgrade.cli.args import parse as parse_args

    return parse_args(list(argv), None)[0]


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as caught:
        parse(*argv)
    assert caught.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


def test_selection_from_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    two = str(write(tmp_path, TWO))
    one = str(write(tmp_path, READY.format(level=11), "one.toml"))
    assert parse("info", "--simulate", one).names == ("hv-cluster",)  # type: ignore[attr-defined]
    assert parse("run", "--simulate", two, "--cluster", "HV-B").names == ("hv-b",)  # type: ignore[attr-defined]
    assert parse("run", "--simulate", two, "--all-clusters").names == ("hv-a", "hv-b")  # type: ignore[attr-defined]
    assert "describes 2 clusters; choose with --cluster NAME, --clusters-from FILE or --all-clusters: hv-a, hv-b" \
        in usage_error(capsys, "run", "--simulate", two)
    assert "--cluster: " in usage_error(capsys, "check", "--simulate", two, "--cluster", "nope")
    assert "has no cluster named 'nope'; it has: hv-a, hv-b" in usage_error(
        capsys, "check", "--simulate", two, "--cluster", "nope")
    assert "--scenario describes a built-in simulated cluster" in usage_error(
        capsys, "run", "--simulate", one, "--scenario", "ready")
    assert "--state applies only with --simulate FILE" in usage_error(capsys, "run", "--simulate", "--state", "reset")
    assert "--all-clusters needs --simulate FILE" in usage_error(capsys, "run", "--simulate", "--all-clusters")


@LINUX_COVERS
def test_command_line_settings_override_the_file(tmp_path: Path) -> None:
    path = str(write(tmp_path, READY.format(level=11) + "\n[clusters.upgrade]\nphases = [1, 2, 3]\n"))
    info = cli("info", "--simulate", path, "--level", "10", "--json", "--delay", "0")
    assert json.loads(info.stdout.splitlines()[0])["functional_level"] == 10
    failed = cli("run", "--simulate", path, "--yes", "--fail-code", "5977", "--delay", "0", "--state", "read-only")
    assert failed.returncode == 1 and "5977" in failed.stdout + failed.stderr
    too_many = cli("run", "--simulate", path, "--yes", "--fail-after", "4")
    # Said against the option, not the file's key or Simulator()'s argument.
    assert too_many.returncode == 2, too_many.stderr
    said = "--fail-after 4: the simulated raise of cluster 'hv-cluster' reports 3 phases; give 0 to 3"
    assert said in too_many.stderr
    assert "fail_after" not in too_many.stderr
    # The build rule binds files only: an option may give a level no node supports.
    above = cli("info", "--simulate", path, "--level", "13", "--json", "--delay", "0", "--state", "read-only")
    assert above.returncode == 0 and json.loads(above.stdout.splitlines()[0])["functional_level"] == 13


@LINUX_COVERS
def test_a_file_scripted_raise_leaves_runs_preflight_to_the_model(tmp_path: Path) -> None:
    path = str(write(tmp_path, READY.format(level=11) + "\n[clusters.upgrade]\nfail_code = 5977\n"))
    proc = cli("run", "--simulate", path, "--yes", "--delay", "0")
    assert proc.returncode == 1
    assert "ready: cluster 'hv-cluster' can go from level 11" in proc.stdout
    checked = cli("check", "--simulate", path, "--delay", "0")
    assert checked.returncode == 0, checked.stdout


@LINUX_COVERS
def test_twenty_clusters_rehearse_as_a_fleet() -> None:
    proc = cli("run", "--simulate", "example:twenty-clusters", "--all-clusters", "--yes", "--delay", "0")
    assert proc.returncode not in (0, 2), proc.stderr
    for name in load_estate(example_path("twenty-clusters"), state="read-only").names:
        assert name in proc.stdout


# --------------------------------------------------------------------------
# --clusters-from done right.


def names(tmp_path: Path, capsys: pytest.CaptureFixture[str], *files: bytes) -> tuple[str, ...]:
    argv = ["check", "--simulate"]
    for i, data in enumerate(files):
        path = tmp_path / f"list{i}.txt"
        path.write_bytes(data)
        argv += ["--clusters-from", str(path)]
    return parse(*argv).names  # type: ignore[attr-defined, no-any-return]


def test_clusters_from_twice_counts_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert names(tmp_path, capsys, b"hv1\nhv2\n", b"hv3\n") == ("hv1", "hv2", "hv3")


@pytest.mark.parametrize("data", [
    codecs.BOM_UTF8 + "hv1\nhvé\n".encode(),
    "hv1\r\nhvé\r\n".encode("utf-16"),  # a BOM, then UTF-16: Windows PowerShell 5.1's >
    codecs.BOM_UTF16_BE + "hv1\nhvé\n".encode("utf-16-be"),
])
def test_clusters_from_reads_boms(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> None:
    assert names(tmp_path, capsys, data) == ("hv1", "hvé")


@LINUX_COVERS
def test_clusters_from_an_undecodable_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"hv1\nhv\xe9\n")
    proc = cli("check", "--simulate", "--clusters-from", str(path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith(
        f"--clusters-from {str(path)!r}: not UTF-8 text (line 2, byte 0xe9): save it as UTF-8, or UTF-16 with a BOM")


@pytest.mark.parametrize(("data", "words"), [
    (b"hv1\nhv2,hv3\n", "line 2: 'hv2,hv3' contains a comma"),
    (b"hv1\n\nhv 2\n", "line 3: 'hv 2' contains a space"),
    (b"hv1\nHV1\n", "cluster 'HV1' is listed twice"),
    (b"hv1\nhv1.contoso.com\n", "are most likely the same cluster (a short name and its FQDN)"),
])
def test_clusters_from_mistakes_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes,
                                              words: str) -> None:
    path = tmp_path / "list0.txt"
    path.write_bytes(data)
    message = usage_error(capsys, "check", "--simulate", "--clusters-from", str(path))
    assert words in message
    assert f"--clusters-from {str(path)!r}, line" in message


def test_a_comma_in_cluster_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "contains a comma" in usage_error(capsys, "check", "--cluster", "a,b")


# --------------------------------------------------------------------------
# A call asked for but never made gives its cluster back.


def test_a_call_never_made_gives_the_lock_back_and_clears_the_flag(tmp_path: Path) -> None:
    import queue

    from clusupgrade import _clusupgrade

    path = write(tmp_path, READY.format(level=11))
    sim = Simulator.from_file(path)
    spec = sim._spec(True)  # the lock taken, the flag written: a raise would start
    assert kept(path)["hv-cluster"]["upgrade_in_progress"] is True
    call = _clusupgrade.Call(queue.SimpleQueue(), sim.name, True, spec)
    job = call.job  # one Job object: call.job makes a new one each time
    sim._track(job)  # handed over, but never started
    assert sim._estate_tie is not None
    sim._estate_tie.abandoned(job)
    result = clusupgrade.upgrade(Simulator.from_file(path))  # would wait for ever on the lock
    assert (result.level_before, result.level_after) == (11, 12)
    assert cluster_info(Simulator.from_file(path)).upgrade_in_progress is False  # after the write-back
    assert kept(path)["hv-cluster"]["upgrade_in_progress"] is False


def test_a_call_stopped_before_it_started_gives_the_lock_back(tmp_path: Path) -> None:
    # A stop (Ctrl+C, close()) that lands after the spec took the lock but
    # before start(): start() sends nothing, and launch() must hand the
    # cluster back, or the next call waits for ever.
    import queue

    from clusupgrade import _clusupgrade
    from clusupgrade.stream import launch

    path = write(tmp_path, READY.format(level=11))
    sim = Simulator.from_file(path)
    call = _clusupgrade.Call(queue.SimpleQueue(), sim.name, True, sim._spec(True))
    call.detach()
    assert launch(sim, call) is False
    assert clusupgrade.upgrade(Simulator.from_file(path), timeout=60).level_after == 12


def test_a_thread_that_asks_again_gives_back_what_it_never_started(tmp_path: Path) -> None:
    path = write(tmp_path, READY.format(level=11))
    sim = Simulator.from_file(path)
    sim._spec(True)  # as when Call() or start() raised: _track() never comes
    assert clusupgrade.upgrade(sim).level_after == 12


# --------------------------------------------------------------------------
# docs/rehearsal.md runs as written (tests/test_docs.py compares the
# output too, where the docs helper's runner is merged).


DOC = Path(__file__).resolve().parent.parent / "docs" / "rehearsal.md"


def doc_blocks(kind: str) -> list[str]:
    import re

    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.skipif(not DOC.exists(), reason="run from a source tree")
def test_the_docs_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (block,) = doc_blocks("python")
    exec(compile(block, str(DOC), "exec"), {"__name__": "__doc_example__"})


@pytest.mark.skipif(not DOC.exists(), reason="run from a source tree")
def test_the_docs_transcripts_exit_as_shown(tmp_path: Path) -> None:
    import shlex
    import shutil

    for estate in example_path("ready").parent.glob("*.toml"):
        shutil.copy(estate, tmp_path)
    for block in doc_blocks("console"):
        lines = block.splitlines()
        last = None
        for i, line in enumerate(lines):
            if line.startswith("$ clusupgrade "):
                argv = shlex.split(line[2:])[1:]
                last = procstart.run([*CLI, *argv], cwd=tmp_path, env=child_env(), capture_output=True, text=True,
                                      stdin=subprocess.DEVNULL, timeout=120)
            elif line == "$ echo $?":
                assert last is not None and str(last.returncode) == lines[i + 1], (line, last)


def test_a_read_with_a_timeout_does_not_wait_past_it_for_a_raise_under_way(tmp_path: Path) -> None:
    # The command line reads the level again "at most 5 s" after it stopped
    # waiting for a raise; on an estate's cluster that read waited for the
    # cluster's lock, that is for the whole raise, however long.
    import time

    path = write(tmp_path, READY.format(level=11))
    with clusupgrade.phases(Simulator.from_file(path, delay=1.0), perform=True) as stream:
        next(iter(stream))  # the raise holds the cluster's lock for about 4 s more
        started = time.monotonic()
        with pytest.raises(clusupgrade.UpgradeTimeoutError):
            cluster_info(Simulator.from_file(path), timeout=0.5)
        assert time.monotonic() - started < 2.5
        stream.close()
    assert stream.pending is not None and stream.pending.wait(timeout=30) is not None
    assert cluster_info(Simulator.from_file(path), timeout=30).functional_level == 12  # the lock was given back


def test_5976_in_a_rehearsal_names_the_reset_that_clears_it(tmp_path: Path) -> None:
    # The flag a stopped rehearsal left lives in the state file: the cluster
    # log of the real advice does not exist there, --state reset clears it.
    path = write(tmp_path, READY.format(level=11).replace("functional_level = 11",
                                                          "functional_level = 11\nleaves_in_progress = true"))
    assert cli("run", "--simulate", str(path), "--yes").returncode == 0  # raised, and left the flag set
    proc = cli("run", "--simulate", str(path), "--yes")
    assert proc.returncode == 3, proc.stderr
    hint = f"clusupgrade run --simulate {path} --state reset"
    assert hint in proc.stderr
    assert cli("run", "--simulate", str(path), "--yes", "--state", "reset").returncode == 0
