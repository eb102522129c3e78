"""remedies.py: every PowerShell line clusupgrade suggests uses only the
parameters its cmdlet takes (the CMDLETS table), names the cluster when one
was given, and pastes as one command."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from clusupgrade import ClusterUpgradeError, _winerror, remedies
from clusupgrade.remedies import CMDLETS

CMDLET = re.compile(r"\b([A-Z][a-z]+-[A-Z][A-Za-z]+)\b")


def check_line(line: str) -> list[str]:
    """The cmdlets of a pipeline, each checked against the table."""
    used = []
    for segment in line.split(" | "):
        tokens = segment.split(" ")
        cmdlet = tokens[0]
        assert cmdlet in CMDLETS, (cmdlet, line)
        params = [t[1:] for t in tokens[1:] if t.startswith("-")]
        assert set(params) <= CMDLETS[cmdlet], (cmdlet, params, line)
        used.append(cmdlet)
    return used


NODE_BUILDERS: list[Callable[[str, str | None], str]] = [
    remedies.get_node, remedies.get_node_state, remedies.start_node, remedies.resume_node, remedies.remove_node,
]
CLUSTER_BUILDERS: list[Callable[[str | None], str]] = [
    remedies.get_level, remedies.get_nodes, remedies.start_down_nodes, remedies.resume_paused_nodes,
    remedies.stop_cluster, remedies.start_cluster, remedies.cluster_log, remedies.update_level,
]


@pytest.mark.parametrize("cluster", [None, "hv-cluster", "lab cluster's"])
def test_every_builder_uses_only_its_cmdlets_parameters(cluster: str | None) -> None:
    for build in CLUSTER_BUILDERS:
        check_line(build(cluster))
    for node_build in NODE_BUILDERS:
        check_line(node_build("HV3", cluster))
    check_line(remedies.start_cluster(cluster, node="HV1"))
    check_line(remedies.update_level(cluster, what_if=True))


def test_the_cluster_is_named_with_each_cmdlets_own_parameter() -> None:
    assert remedies.resume_node("HV3", cluster="hv-cluster") == "Resume-ClusterNode -Name HV3 -Cluster hv-cluster"
    assert remedies.start_node("HV3", "hv-cluster") == "Start-ClusterNode -Name HV3 -Cluster hv-cluster"
    assert remedies.remove_node("HV3", "c") == "Remove-ClusterNode -Name HV3 -Cluster c"
    assert remedies.stop_cluster("c") == "Stop-Cluster -Cluster c"
    assert remedies.cluster_log("c") == "Get-ClusterLog -Cluster c -Destination ."
    assert remedies.update_level("c") == "Update-ClusterFunctionalLevel -Cluster c"
    assert remedies.update_level("c", what_if=True) == "Update-ClusterFunctionalLevel -Cluster c -WhatIf"
    # Start-Cluster and Get-Cluster take -Name, never -Cluster; when every
    # node is stopped Start-Cluster needs a node's name.
    assert remedies.start_cluster("c") == "Start-Cluster -Name c"
    assert remedies.start_cluster("c", node="HV1") == "Start-Cluster -Name HV1"
    assert remedies.get_level("c") == "Get-Cluster -Name c | Format-List -Property ClusterFunctionalLevel"
    # A down node is started, not listed.
    assert remedies.start_down_nodes("c") == (
        "Get-ClusterNode -Cluster c | Where-Object -Property State -EQ -Value Down | Start-ClusterNode"
    )


def test_without_a_cluster_name_the_local_cluster_is_meant() -> None:
    for build in CLUSTER_BUILDERS:
        assert " -Cluster " not in build(None) + " " and " -Name" not in build(None), build
    assert remedies.resume_node("HV3") == "Resume-ClusterNode -Name HV3"
    assert remedies.start_cluster() == "Start-Cluster"


def test_names_are_quoted_for_powershell() -> None:
    assert remedies.resume_node("HV 3", "o'brien") == "Resume-ClusterNode -Name 'HV 3' -Cluster 'o''brien'"
    assert remedies.quote("hv-1.example.com") == "hv-1.example.com"


@pytest.mark.parametrize("code", sorted(_winerror.CODES))
@pytest.mark.parametrize("cluster", [None, "hv-cluster"])
def test_every_advice_names_only_known_cmdlets_with_their_parameters(code: int, cluster: str | None) -> None:
    text = remedies.advice(code, cluster=cluster) + " " + str(ClusterUpgradeError(code, cluster=cluster))
    assert "Install-WindowsFeature" not in text and "widely reported" not in text
    for match in CMDLET.finditer(text):
        cmdlet = match.group(1)
        assert cmdlet in CMDLETS, (cmdlet, text)
        # The parameters that follow it, up to the next command or the end
        # of its sentence part.
        rest = re.split(r"[(),;]|\. |\||[A-Z][a-z]+-[A-Z]", text[match.end() :])[0]
        params = re.findall(r"(?:^| )-([A-Za-z]+)", rest)
        assert set(params) <= CMDLETS[cmdlet], (cmdlet, params, text)
    if cluster is None:
        assert not re.search(r" -Cluster\b", text)
    elif CMDLET.search(remedies.advice(code, cluster=cluster)):
        # Every -Cluster names it.
        assert re.findall(r" -Cluster (\S+)", text) and all(
            name.rstrip(".,)") == cluster for name in re.findall(r" -Cluster (\S+)", text)
        ), text


def test_the_eviction_caution_goes_with_remove() -> None:
    assert "evicts the node" in remedies.EVICT_CAUTION
