"""cluster_info(): what a cluster says about itself, read through the
native query, for a simulator as for a real cluster."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest

import clusupgrade
from clusupgrade import ClusterInfo, NodeInfo, NodeState, SimNode, Simulator, sections
from clusupgrade.info import os_version, report, split_version
from clusupgrade.levels import level_name, level_words


def test_simulator_describes_itself_through_the_native_query() -> None:
    info = clusupgrade.cluster_info(Simulator(name="lab", functional_level=11, os_version=(10, 0, 20348)))
    # Versions are (major, upgrade version): 2022 nodes report 11.4 (the
    # simulator's table), the OS build stays in os_version.
    assert info == ClusterInfo(
        name="lab",
        os_version=(10, 0, 20348),
        highest_version=(11, 4),
        lowest_version=(10, 3),
        mixed_mode=False,
        functional_level=11,
        upgrade_version=0,
        nodes=tuple(NodeInfo(f"HV{i}", NodeState.UP, (10, 0, 20348), (11, 4), (10, 3)) for i in (1, 2, 3)),
        upgrade_in_progress=False,
    )
    assert info.functional_level_name == "11 (Windows Server 2022)"
    assert not hasattr(Simulator, "info"), "a simulator is read through cluster_info(), like a cluster"


@pytest.mark.parametrize(("build", "level", "upgrade"), [(14393, 9, 3), (17763, 10, 3), (20348, 11, 4), (26100, 12, 5)])
def test_simulated_nodes_report_small_upgrade_versions(build: int, level: int, upgrade: int) -> None:
    info = clusupgrade.cluster_info(Simulator(functional_level=level, os_version=(10, 0, build)))
    assert info.highest_version == (level, upgrade)
    assert {n.highest_version for n in info.nodes} == {(level, upgrade)}
    assert {n.os_version for n in info.nodes} == {(10, 0, build)}
    assert all(n.highest_version is not None and n.highest_version[1] < 0x100 for n in info.nodes)


def test_an_hci_upgrade_version_adds_the_inferred_remark() -> None:
    hci = SimNode("HV1", upgrade_version=0x8005)
    info = clusupgrade.cluster_info(Simulator(nodes=[hci, SimNode("HV2")], functional_level=12))
    assert info.hci and info.nodes[0].highest_version == (12, 0x8005)
    assert info.functional_level_name == "12 (Windows Server 2025) (Azure Stack HCI / Azure Local, inferred from " \
        "the upgrade version)"
    assert not clusupgrade.cluster_info(Simulator()).hci


def test_upgrade_version_comes_from_the_read_write_list_when_the_read_only_one_lacks_it() -> None:
    ro = _proplist([("ClusterFunctionalLevel", 11)])
    rw = _proplist([("ClusterUpgradeVersion", 5)])
    got = report(sections.parse(INFO + section(sections.CLUSTER_PROPS, 0, ro) + section(6, 0, rw)), "c").info
    assert (got.functional_level, got.upgrade_version) == (11, 5)
    both = _proplist([("ClusterFunctionalLevel", 11), ("ClusterUpgradeVersion", 7)])
    got = report(sections.parse(INFO + section(sections.CLUSTER_PROPS, 0, both) + section(6, 0, rw)), "c").info
    assert got.upgrade_version == 7
    got = report(sections.parse(INFO + section(sections.CLUSTER_PROPS, 0, ro) + section(6, 5)), "c").info
    assert got.upgrade_version is None
    # The simulator reports it in the read-write list only.
    assert clusupgrade.cluster_info(Simulator(upgrade_version=9)).upgrade_version == 9


def _proplist(props: list[tuple[str, int]]) -> bytes:
    out = struct.pack("=I", len(props))
    for name, value in props:
        raw = (name + "\0").encode("utf-16-le")
        out += struct.pack("=II", 0x00040003, len(raw)) + raw + b"\0" * (-len(raw) % 4)
        out += struct.pack("=III", 0x00010002, 4, value) + struct.pack("=I", 0)
    return out


def test_in_progress_flag_is_known_only_for_a_simulator() -> None:
    assert clusupgrade.cluster_info(Simulator.scenario("in-progress")).upgrade_in_progress is True
    assert clusupgrade.cluster_info(Simulator()).upgrade_in_progress is False
    # No SIM_STATE section: a real cluster's answer.
    assert report(sections.parse(INFO), "c").info.upgrade_in_progress is None


def test_simulated_upgrade_raises_the_level() -> None:
    sim = Simulator(functional_level=10, os_version=(10, 0, 20348))
    clusupgrade.check(sim)
    assert clusupgrade.cluster_info(sim).functional_level == 10
    clusupgrade.upgrade(sim)
    assert clusupgrade.cluster_info(sim).functional_level == 11


def test_failed_upgrade_keeps_the_level() -> None:
    sim = Simulator(functional_level=10, status=5973)
    with pytest.raises(clusupgrade.ClusterUpgradeError):
        clusupgrade.upgrade(sim)
    assert clusupgrade.cluster_info(sim).functional_level == 10


def test_levels_are_named_plainly() -> None:
    assert [level_words(n) for n in (8, 9, 10, 11, 12)] == [
        "8 (Windows Server 2012 R2)",
        "9 (Windows Server 2016)",
        "10 (Windows Server 2019)",
        "11 (Windows Server 2022)",
        "12 (Windows Server 2025)",
    ]
    assert level_words(13) == "13" and level_words(None) == "unknown"
    assert level_name(11) == "Windows Server 2022" and level_name(13) is None and level_name(None) is None
    assert level_words(11, hci=True) == (
        "11 (Windows Server 2022) (Azure Stack HCI / Azure Local, inferred from the upgrade version)"
    )


def test_no_text_in_the_package_says_widely_reported_or_install_rsat() -> None:
    root = Path(clusupgrade.__file__).parent
    for path in [*root.rglob("*.py"), *root.rglob("*.pyi")]:
        text = path.read_text(encoding="utf-8").lower()
        assert "widely reported" not in text, path
        assert "install-windowsfeature" not in text and "install the rsat" not in text, path


def test_version_words() -> None:
    assert split_version((12 << 16) | 3) == (12, 3)
    assert split_version(0xFFFFFFFF) is None
    # Zero is what a GetClusterInformation that filled nothing in leaves (Wine's).
    assert split_version(0) is None
    assert os_version(0, 0, 0) is None and os_version(10, 0, 26100) == (10, 0, 26100)
    assert os_version(10, None, 1) is None
    # The level is a property of its own, never derived from a version word.
    info = ClusterInfo("x", (10, 0, 1), (13, 0), (13, 0), False)
    assert info.functional_level is None and info.functional_level_name == "unknown" and info.nodes == ()


def test_zeroed_version_info_is_unknown() -> None:
    zeroed = section(sections.INFO, 0, struct.pack("=HHHxxIII", 0, 0, 0, 0, 0, 0))
    got = report(sections.parse(zeroed), None).info
    assert (got.name, got.os_version, got.highest_version, got.lowest_version) == ("", None, None, None)


def section(ident: int, status: int, data: bytes = b"") -> bytes:
    return struct.pack("=III", ident, status, len(data)) + data + b"\0" * (-len(data) % 4)


INFO = section(sections.INFO, 0, struct.pack("=HHHxxIII", 10, 0, 26100, 12 << 16, 11 << 16, 0) + b"c\0")


def node_section(name: str, state: int = 0, props_status: int = 0, props: bytes = b"") -> bytes:
    raw = name.encode("utf-16-le")
    return section(sections.NODE, 0, struct.pack("=iII", state, props_status, len(raw)) + raw
                   + b"\0" * (-len(raw) % 4) + props)


def test_what_the_cluster_does_not_report_is_unknown() -> None:
    # Properties and nodes absent, with the reasons the cluster gave.
    got = report(sections.parse(INFO + section(2, 1) + section(4, 5)), "c")
    assert got.info.functional_level is None and got.info.upgrade_version is None and got.info.nodes == ()
    assert (got.props_status, got.nodes_status) == (1, 5)
    # A node without properties: its versions are unknown, its state known.
    got = report(sections.parse(INFO + section(4, 0, struct.pack("=I", 1)) + node_section("HV1", 2, 5)), "c")
    assert got.info.nodes == (NodeInfo("HV1", NodeState.PAUSED, None, None, None),)
    assert got.node_props_status == (5,) and got.info.nodes[0].highest_level is None
    # A state the enum does not know stays a plain int.
    got = report(sections.parse(INFO + section(4, 0, struct.pack("=I", 1)) + node_section("HV1", 9)), "c")
    assert got.info.nodes[0].state == 9 and not isinstance(got.info.nodes[0].state, NodeState)


@pytest.mark.parametrize(
    "nodes",
    [
        section(4, 0, struct.pack("=I", 2)) + node_section("HV1"),  # fewer than counted
        section(4, 0, b"\1"),  # no count
        section(4, 0, struct.pack("=I", 1)) + section(sections.NODE, 0, struct.pack("=iII", 0, 0, 99)),
        section(4, 0, struct.pack("=I", 1)) + section(sections.NODE, 0, struct.pack("=iII", 0, 0, 3) + b"abc\0"),
        section(4, 0, struct.pack("=I", 1)) + section(sections.NODE, 0, struct.pack("=iII", 0, 0, 2) + b"\0\xd8\0\0"),
        section(4, 0, struct.pack("=I", 1)) + section(sections.NODE, 0, b"\0\0"),
    ],
)
def test_a_partial_node_list_is_no_node_list(nodes: bytes) -> None:
    got = report(sections.parse(INFO + nodes), "c")
    assert got.info.nodes == () and got.nodes_status == sections.ERROR_INVALID_DATA


def test_a_query_without_info_fails() -> None:
    with pytest.raises(clusupgrade.ClusterUpgradeError) as caught:
        report(sections.parse(section(sections.INFO, 0, b"\0" * 4)), "c")
    assert caught.value.winerror == sections.ERROR_INVALID_DATA


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        clusupgrade.cluster_info(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        clusupgrade.cluster_info("a\0b")
    with pytest.raises(ValueError):
        clusupgrade.cluster_info(Simulator(), timeout=-1)


@pytest.mark.skipif(sys.platform == "win32", reason="clusapi.dll may exist on Windows")
def test_real_cluster_off_windows() -> None:
    with pytest.raises(clusupgrade.ClusapiUnavailableError) as info:
        clusupgrade.cluster_info("prod")
    assert info.value.winerror == 120 and info.value.cluster == "prod"
