"""The clusupgrade logger."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import pytest

import clusupgrade
from clusupgrade import Simulator

from .conftest import run_python


def test_phases_at_info_and_failures_at_error(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="clusupgrade"):
        clusupgrade.upgrade(Simulator(name="lc1"))
        with pytest.raises(clusupgrade.ClusterUpgradeError):
            clusupgrade.upgrade(Simulator(name="lc2", status=5977, fail_after=1))
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert sum("cluster 'lc1': " in m and "event" in m for m in infos) == 5
    assert any("INSTALLING_NEW_COMPONENTS" in m for m in infos)
    assert "cluster 'lc1': raised the functional level from 11 to 12" in " ".join(infos)
    assert len(errors) == 1 and "5977" in errors[0] and "lc2" in errors[0]
    assert all(r.name == "clusupgrade" for r in caplog.records)


def _logged(caplog: pytest.LogCaptureFixture, call: Callable[[], object]) -> list[logging.LogRecord]:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="clusupgrade"):
        try:
            call()
        except clusupgrade.ClusterUpgradeError:
            pass
    return [r for r in caplog.records if r.levelno > logging.INFO or "error" in r.getMessage()]


@pytest.mark.parametrize("scenario", ["node-down", "node-paused", "not-upgraded", "in-progress"])
def test_a_refusal_that_means_fix_the_cluster_first_is_not_an_error(
    caplog: pytest.LogCaptureFixture, scenario: str
) -> None:
    # Expected and raised to the caller: a check's answer is INFO, a raise's
    # refusal a WARNING (nothing was changed); never ERROR.
    check = _logged(caplog, lambda: clusupgrade.check(Simulator.scenario(scenario, name="lc3")))
    assert [r.levelno for r in check] == [logging.INFO] and "cluster 'lc3': error 5" in check[0].getMessage()
    raised = _logged(caplog, lambda: clusupgrade.upgrade(Simulator.scenario(scenario, name="lc3")))
    assert [r.levelno for r in raised] == [logging.WARNING]


def test_a_check_that_failed_otherwise_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    records = _logged(caplog, lambda: clusupgrade.check(Simulator(name="lc4", status=1722, fail_after=1)))
    assert [r.levelno for r in records] == [logging.WARNING] and "cluster 'lc4'" in records[0].getMessage()


def test_a_missing_clusapi_is_logged_with_its_cluster(caplog: pytest.LogCaptureFixture) -> None:
    if sys.platform == "win32":
        pytest.skip("clusapi.dll may exist on Windows")
    records = _logged(caplog, lambda: clusupgrade.upgrade("hv-missing"))
    assert [r.levelno for r in records] == [logging.ERROR]
    assert records[0].getMessage().startswith("cluster 'hv-missing': clusapi.dll exists only on Windows")
    records = _logged(caplog, lambda: clusupgrade.check())
    assert [r.levelno for r in records] == [logging.WARNING]
    assert records[0].getMessage().startswith("the local cluster: clusapi.dll")


def test_5975_warns_of_a_restart_only_for_a_raise_that_moved(caplog: pytest.LogCaptureFixture) -> None:
    raised = _logged(caplog, lambda: clusupgrade.upgrade(Simulator(name="lc5", status=5975)))
    assert [r.levelno for r in raised] == [logging.WARNING]
    assert "cluster 'lc5': The level WAS raised. Restart the cluster, not a node" in raised[0].getMessage()
    assert "Stop-Cluster -Cluster lc5, then Start-Cluster -Name lc5" in raised[0].getMessage()
    # A check raises nothing; a "success" whose level stayed put raised nothing either.
    assert _logged(caplog, lambda: clusupgrade.check(Simulator(name="lc5", status=5975))) == []
    stayed = Simulator.scenario("nothing-to-do", name="lc5", status=5975)
    assert _logged(caplog, lambda: clusupgrade.upgrade(stayed)) == []


def test_silent_by_default() -> None:
    code = """
import clusupgrade
try:
    clusupgrade.upgrade(clusupgrade.Simulator(status=5977))
except clusupgrade.ClusterUpgradeError:
    print("failed quietly")
"""
    proc = run_python(code)
    assert proc.stdout.strip() == "failed quietly"
    assert proc.stderr == ""
