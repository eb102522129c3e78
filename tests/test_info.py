"""cluster_info(): the preflight."""

from __future__ import annotations

import sys

import pytest

import clusupgrade
from clusupgrade import ClusterInfo, Simulator
from clusupgrade.info import split_version


def test_simulator_describes_itself() -> None:
    info = clusupgrade.cluster_info(Simulator(name="lab", functional_level=11, os_version=(10, 0, 20348)))
    assert info == ClusterInfo(
        name="lab", os_version=(10, 0, 20348), highest_version=(12, 0), lowest_version=(11, 0), mixed_mode=True
    )
    assert info.functional_level == 11
    assert info.functional_level_name == "Windows Server 2022"


def test_simulated_upgrade_raises_the_level() -> None:
    sim = Simulator(functional_level=10)
    clusupgrade.check(sim)
    assert clusupgrade.cluster_info(sim).functional_level == 10
    clusupgrade.upgrade(sim)
    after = clusupgrade.cluster_info(sim)
    assert after.functional_level == 11 and after.mixed_mode is False


def test_failed_upgrade_keeps_the_level() -> None:
    sim = Simulator(functional_level=10, status=5973)
    with pytest.raises(clusupgrade.ClusterUpgradeError):
        clusupgrade.upgrade(sim)
    assert clusupgrade.cluster_info(sim).functional_level == 10


def test_version_words() -> None:
    assert split_version((12 << 16) | 3) == (12, 3)
    assert split_version(0xFFFFFFFF) is None
    info = ClusterInfo("x", (10, 0, 1), None, None, False)
    assert info.functional_level is None and info.functional_level_name == "unknown"
    assert ClusterInfo("x", (10, 0, 1), (13, 0), (13, 0), False).functional_level_name == "level 13"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"functional_level": 0}, ValueError), ({"os_version": (10, 0)}, TypeError), ({"mixed_mode": 1}, TypeError)],
)
def test_bad_simulator_info(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        Simulator(**kwargs)  # type: ignore[arg-type]


def test_bad_cluster_argument() -> None:
    with pytest.raises(TypeError):
        clusupgrade.cluster_info(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        clusupgrade.cluster_info("a\0b")


@pytest.mark.skipif(sys.platform == "win32", reason="clusapi.dll may exist on Windows")
def test_real_cluster_off_windows() -> None:
    with pytest.raises(clusupgrade.ClusapiUnavailableError) as info:
        clusupgrade.cluster_info("prod")
    assert info.value.winerror == 120 and info.value.cluster == "prod"
