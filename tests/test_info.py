"""cluster_info(): what a cluster says about itself, read through the
native query, for a simulator as for a real cluster."""

from __future__ import annotations

import struct
import sys

import pytest

import clusupgrade
from clusupgrade import ClusterInfo, NodeInfo, NodeState, Simulator, sections
from clusupgrade.info import report, split_version
from clusupgrade.levels import level_name


def test_simulator_describes_itself_through_the_native_query() -> None:
    info = clusupgrade.cluster_info(Simulator(name="lab", functional_level=11, os_version=(10, 0, 20348)))
    assert info == ClusterInfo(
        name="lab",
        os_version=(10, 0, 20348),
        highest_version=(11, 20348),
        lowest_version=(10, 20348),
        mixed_mode=False,
        functional_level=11,
        upgrade_version=0,
        nodes=tuple(
            NodeInfo(f"HV{i}", NodeState.UP, (10, 0, 20348), (11, 20348), (10, 20348)) for i in (1, 2, 3)
        ),
    )
    assert info.functional_level_name.startswith("Windows Server 2022 or Azure Stack HCI / Azure Local")
    assert not hasattr(Simulator, "info"), "a simulator is read through cluster_info(), like a cluster"


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


def test_level_names_carry_the_caution() -> None:
    assert level_name(8) == "Windows Server 2012 R2" and level_name(9) == "Windows Server 2016"
    assert level_name(10) == "Windows Server 2019 (widely reported, not in Microsoft's reference)"
    assert level_name(12) == (
        "Windows Server 2025 or Azure Stack HCI / Azure Local (widely reported, not in Microsoft's reference)"
    )
    assert level_name(13) == "level 13" and level_name(None) == "unknown"


def test_version_words() -> None:
    assert split_version((12 << 16) | 3) == (12, 3)
    assert split_version(0xFFFFFFFF) is None
    # The level is a property of its own, never derived from a version word.
    info = ClusterInfo("x", (10, 0, 1), (13, 0), (13, 0), False)
    assert info.functional_level is None and info.functional_level_name == "unknown" and info.nodes == ()


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
