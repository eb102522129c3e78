"""run and check on several clusters from the command line (upgrade_many)."""

from __future__ import annotations

from pathlib import Path

from .test_cli import ALL_TRUE, LINUX_COVERS, cli, records, result_of, summary

FAST = ("--simulate", "--delay", "0")


def levels(text: str) -> dict[str, tuple[str, str]]:
    """The summary table of a fleet: cluster -> (level before, level after)."""
    rows = text.split("Summary:\n")[1].splitlines()
    head = rows[0]
    before, after = head.index("level before"), head.index("level after")
    return {
        row.split()[0]: (row[before:after].strip(), row[after:].split("  ")[0].strip())
        for row in rows[1:]
        if row.startswith("  ")
    }


def test_a_fleet_run_shows_each_cluster_and_a_summary(tmp_path: Path) -> None:
    log = tmp_path / "t.log"
    proc = cli("run", *FAST, "--yes", "--cluster", "hv-a", "--cluster", "hv-b", "--log-file", str(log))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Checking 2 simulated clusters before raising any, at most 8 at a time:"
    assert lines[1].startswith("  hv-a  ready: cluster 'hv-a' can go from level 11")
    assert lines[3] == "Raising the functional level of 2 simulated clusters, at most 8 at a time:"
    for name in ("hv-a", "hv-b"):
        assert sum(line.startswith(f"  {name}  [") for line in lines) == 5
        assert f"  {name}  raised in " in proc.stdout
        assert f"cluster {name!r} (simulated): {ALL_TRUE}" in log.read_text()
    assert summary(proc.stdout) == {"hv-a": "raised", "hv-b": "raised"}
    assert levels(proc.stdout) == {"hv-a": ("11", "12"), "hv-b": ("11", "12")}
    assert lines[-1] == "2 raised."
    assert "hv-a: INITIALIZE" not in log.read_text()  # each preflight check is logged with its cluster
    assert "INFO cluster 'hv-a': VALIDATING_UPGRADE" in log.read_text()


def test_a_fleet_in_json(tmp_path: Path) -> None:
    proc = cli("run", *FAST, "--yes", "--json", "--cluster", "a", "--cluster", "b", "--fail-code", "b=5977",
               "--fail-after", "b=2")
    assert proc.returncode == 1, proc.stderr
    objects = records(proc.stdout)
    assert [o["cluster"] for o in objects if o["event"] == "preflight"] == ["a", "b"]
    phases = [o for o in objects if o["event"] == "phase"]
    assert sorted((o["cluster"], o["phase"]) for o in phases) == [("a", p) for p in range(1, 6)] + [("b", 1), ("b", 2)]
    assert all(o["performed"] is True for o in phases)
    assert result_of(objects, "a")["outcome"] == "raised" and result_of(objects, "b")["winerror"] == 5977
    fleet = objects[-1]
    assert fleet["event"] == "summary" and fleet["interrupted"] is False and fleet["exit_code"] == 1
    rows = fleet["clusters"]
    # b's raise failed; read again, its level is still 11: unchanged, not unknown.
    assert [(r["cluster"], r["outcome"], r["level_before"], r["level_after"], r["raised"], r["stands"])  # type: ignore[index]
            for r in rows] == [("a", "raised", 11, 12, True, None), ("b", "failed", 11, 11, False, "unchanged")]  # type: ignore[union-attr]
    assert fleet["counts"] == {"raised": 1, "failed": 1}


@LINUX_COVERS
def test_clusters_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    listing = tmp_path / "clusters.txt"
    listing.write_text("\ufeff# production\nhv-a\n  hv-b   # the big one\n\n", encoding="utf-8")
    from_file = cli("check", *FAST, "--clusters-from", str(listing), "--cluster", "hv-c")
    assert from_file.returncode == 0, from_file.stderr
    assert summary(from_file.stdout) == {"hv-c": "check passed", "hv-a": "check passed", "hv-b": "check passed"}
    from_stdin = cli("run", *FAST, "--yes", "--clusters-from", "-", stdin="x1\nx2\n")
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert summary(from_stdin.stdout) == {"x1": "raised", "x2": "raised"}
    unconfirmed = cli("run", *FAST, "--clusters-from", "-", stdin="x1\nx2\n")
    assert unconfirmed.returncode == 2
    assert "the cluster names were read from stdin, so it cannot confirm; add --yes" in unconfirmed.stderr


@LINUX_COVERS
def test_check_first_raises_none_unless_all_are_ready() -> None:
    proc = cli("run", *FAST, "--yes", "--json", "--check-first", "--cluster", "a", "--cluster", "b",
               "--scenario", "b=node-down")
    assert proc.returncode == 3, proc.stderr
    objects = records(proc.stdout)
    assert not [o for o in objects if o["event"] == "phase"]
    assert [(r["cluster"], r["outcome"]) for r in objects[-1]["clusters"]] == [  # type: ignore[union-attr]
        ("a", "skipped"), ("b", "not-ready")
    ]


@LINUX_COVERS
def test_check_first_only_ready_raises_the_ready_ones() -> None:
    proc = cli("run", *FAST, "--yes", "--check-first", "--only-ready", "--cluster", "a", "--cluster", "b",
               "--cluster", "c", "--scenario", "b=not-upgraded")
    assert proc.returncode == 3, proc.stderr
    checking, raising = proc.stdout.split("Raising the functional level of 2 simulated clusters")
    assert "Checking 3 simulated clusters before raising any" in checking
    assert "  b  [" not in raising
    assert summary(proc.stdout) == {"a": "raised", "b": "not ready (5973)", "c": "raised"}


def test_max_failures_starts_no_more_clusters_and_says_why(tmp_path: Path) -> None:
    log = tmp_path / "t.log"
    proc = cli("run", *FAST, "--yes", "--max-parallel", "1", "--max-failures", "1", "--log-file", str(log),
               "--cluster", "a", "--cluster", "b", "--cluster", "c", "--fail-code", "a=5977", "--fail-after", "a=2")
    assert proc.returncode == 1, proc.stderr
    assert summary(proc.stdout) == {"a": "failed (5977)", "b": "not started", "c": "not started"}
    assert "clusupgrade: 1 cluster failed (--max-failures 1): starting no more clusters; 2 not started." \
        in proc.stderr
    raises = log.read_text().split("raise started")[1]
    assert "cluster 'b': INITIALIZE" not in raises and "cluster 'c': INITIALIZE" not in raises


def test_a_cluster_that_is_not_ready_is_no_failure_for_max_failures() -> None:
    proc = cli("run", *FAST, "--yes", "--max-parallel", "1", "--max-failures", "1", "--json",
               "--cluster", "a", "--cluster", "b", "--cluster", "c", "--scenario", "a=node-paused")
    assert proc.returncode == 3, proc.stderr
    rows = {r["cluster"]: r["outcome"] for r in records(proc.stdout)[-1]["clusters"]}  # type: ignore[union-attr]
    assert rows == {"a": "not-ready", "b": "raised", "c": "raised"}


@LINUX_COVERS
def test_max_parallel_one_runs_one_cluster_at_a_time() -> None:
    proc = cli("check", *FAST, "--json", "--max-parallel", "1", "--cluster", "a", "--cluster", "b")
    assert proc.returncode == 0, proc.stderr
    objects = records(proc.stdout)
    # b starts only once a has ended.  The fleet tells nobody that a member
    # ended, so a's result shows at b's first phase at the earliest.
    phases = [o for o in objects if o["event"] == "phase"]
    assert [o["cluster"] for o in phases] == ["a", "a", "b", "b"]
    assert [o["cluster"] for o in objects if o["event"] == "result"] == ["a", "b"]
    a_done = phases[1]["timestamp"]
    assert all(o["timestamp"] >= a_done for o in phases if o["cluster"] == "b")  # type: ignore[operator]


@LINUX_COVERS
def test_the_worst_outcome_sets_the_exit_code() -> None:
    proc = cli("check", *FAST, "--cluster", "a", "--cluster", "b", "--cluster", "c",
               "--fail-code", "a=5973", "--fail-code", "b=1722", "--fail-after", "a=1", "--fail-after", "b=1")
    assert proc.returncode == 4, proc.stderr  # unreachable is worse than not ready
    assert summary(proc.stdout) == {"a": "not ready (5973)", "b": "unreachable (1722)", "c": "check passed"}


SCENARIO_FLEET = ("--cluster", "hv-a", "--cluster", "hv-b", "--cluster", "sql-c", "--scenario", "hv-b=node-paused")


def test_check_first_with_a_paused_node_raises_none() -> None:
    proc = cli("run", *FAST, "--yes", "--check-first", *SCENARIO_FLEET)
    assert proc.returncode == 3, proc.stderr
    assert "Not every cluster is ready (--check-first): none is raised." in proc.stdout
    assert "Raising" not in proc.stdout
    assert summary(proc.stdout) == {"hv-a": "skipped", "hv-b": "not ready (5070)", "sql-c": "skipped"}
    # Nothing was raised: no level after; the preflight read every level before.
    assert levels(proc.stdout) == {"hv-a": ("11", "-"), "hv-b": ("11", "-"), "sql-c": ("11", "-")}
    # The not-ready member names its blocking node and the remedy, as one cluster does.
    assert "- node HV3 is paused: resume it (Resume-ClusterNode -Name HV3 -Cluster hv-b)" in proc.stdout
    assert "cluster 'hv-b': error 5070 (ERROR_CLUSTER_NODE_PAUSED)" in proc.stderr


def test_only_ready_raises_the_ready_ones_and_tells_nothing_to_raise() -> None:
    proc = cli("run", *FAST, "--yes", "--check-first", "--only-ready", *SCENARIO_FLEET,
               "--scenario", "sql-c=nothing-to-do", "--json")
    assert proc.returncode == 3, proc.stderr
    objects = records(proc.stdout)
    raised = {o["cluster"] for o in objects if o["event"] == "phase" and o["performed"] is True}
    assert raised == {"hv-a"}  # sql-c has nothing to raise: no raise is sent
    rows = {r["cluster"]: r for r in objects[-1]["clusters"]}  # type: ignore[union-attr]
    assert (rows["hv-a"]["outcome"], rows["hv-a"]["level_before"], rows["hv-a"]["level_after"],
            rows["hv-a"]["raised"]) == ("raised", 11, 12, True)
    # Its preflight found nothing to raise.
    assert (rows["sql-c"]["outcome"], rows["sql-c"]["level_before"], rows["sql-c"]["level_after"],
            rows["sql-c"]["raised"]) == ("nothing-to-raise", 12, 12, False)
    assert (rows["hv-b"]["outcome"], rows["hv-b"]["winerror"], rows["hv-b"]["raised"]) == ("not-ready", 5070, False)
    text = cli("run", *FAST, "--yes", "--check-first", "--only-ready", *SCENARIO_FLEET).stdout
    assert levels(text) == {"hv-a": ("11", "12"), "hv-b": ("11", "-"), "sql-c": ("11", "12")}


def test_a_fleet_member_not_ready_is_not_raised_and_says_why() -> None:
    proc = cli("run", *FAST, "--yes", "--cluster", "a", "--cluster", "b", "--scenario", "b=not-upgraded",
               "--fail-code", "b=0")
    assert proc.returncode == 3, proc.stderr
    assert summary(proc.stdout) == {"a": "raised", "b": "not ready (5973)"}
    assert "- node HV3 reports NodeHighestVersion 11.4 (level 11 at most)" in proc.stdout
    assert levels(proc.stdout) == {"a": ("11", "12"), "b": ("11", "-")}


@LINUX_COVERS
def test_a_member_that_outlasts_its_timeout_is_read_again_after_the_others() -> None:
    # a's raise takes 4 x 0.5 s, its timeout is 1.2 s: the fleet stops
    # listening to it, and once b is done waits briefly and finds it raised.
    proc = cli("run", "--simulate", "--yes", "--json", "--delay", "0.5", "--delay", "b=0", "--timeout", "1.2",
               "--cluster", "a", "--cluster", "b")
    assert proc.returncode == 0, proc.stderr
    objects = records(proc.stdout)
    a = result_of(objects, "a")
    assert (a["outcome"], a["raised"], a["winerror"]) == ("raised", True, 0)
    assert "did not finish within 1.2 s" in str(a["message"])
    assert [r["cluster"] for r in objects if r["event"] == "result"] == ["b", "a"]


@LINUX_COVERS
def test_a_refusal_the_blockers_explain_is_said_once() -> None:
    for command in (("check",), ("run", "--yes")):
        proc = cli(*command, *FAST, "--scenario", "node-paused", "--cluster", "hv")
        assert proc.returncode == 3, proc.stderr
        assert "Resume-ClusterNode -Name HV3 -Cluster hv" in proc.stdout
        assert "error 5070 (ERROR_CLUSTER_NODE_PAUSED)" in proc.stderr
        assert "Resume-ClusterNode" not in proc.stderr and "(the blockers say what to do)" in proc.stderr
