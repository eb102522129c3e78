"""The clusupgrade logger."""

from __future__ import annotations

import logging

import pytest

import clusupgrade
from clusupgrade import Simulator

from .conftest import run_python


def test_phases_at_info_and_failures_at_error(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="clusupgrade"):
        clusupgrade.upgrade(Simulator(name="lc1"))
        with pytest.raises(clusupgrade.ClusterUpgradeError):
            clusupgrade.upgrade(Simulator(name="lc2", status=5973, fail_after=1))
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert sum("cluster 'lc1': " in m and "event" in m for m in infos) == 5
    assert any("INSTALLING_NEW_COMPONENTS" in m for m in infos)
    assert len(errors) == 1 and "5973" in errors[0] and "lc2" in errors[0]
    assert all(r.name == "clusupgrade" for r in caplog.records)


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
