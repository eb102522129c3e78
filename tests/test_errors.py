"""What the exceptions carry and say."""

from __future__ import annotations

import pickle
import sys

import pytest

import clusupgrade
from clusupgrade import ClusapiUnavailableError, ClusterUpgradeError, Simulator
from clusupgrade.errors import describe


def test_error_is_oserror_with_winerror() -> None:
    err = ClusterUpgradeError(5976, cluster="c")
    assert isinstance(err, OSError)
    assert err.winerror == 5976
    assert str(err).startswith("cluster 'c': error 5976 (ERROR_CLUSTER_UPGRADE_IN_PROGRESS)")
    assert str(err).endswith(
        "An upgrade is in progress, or a failed one left the cluster's persistent in-progress flag set: wait for "
        "it; if none is running, read the cluster log (Get-ClusterLog -Cluster c -Destination .) before trying "
        "again."
    )


@pytest.mark.parametrize(
    ("code", "name", "remedy"),
    [
        (1, "ERROR_INVALID_FUNCTION", "connect through a node of the cluster that runs Windows Server 2016 or later"),
        (5974, "ERROR_CLUSTER_UPGRADE_FIX_QUORUM_NOT_SUPPORTED",
         "start more of its member nodes until it regains quorum (Get-ClusterNode -Cluster hv | Where-Object "
         "-Property State -EQ -Value Down | Start-ClusterNode), or stop it (Stop-Cluster -Cluster hv) and start "
         "it again without ForceQuorum (Start-Cluster -Name hv)"),
        (5980, "ERROR_NODE_NOT_ACTIVE_CLUSTER_MEMBER", "Every node must be up and an active member"),
        (5037, "ERROR_ALL_NODES_NOT_AVAILABLE", "Every node must be up and an active member"),
        (5975, "ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED", "Stop-Cluster -Cluster hv, then Start-Cluster -Name hv"),
    ],
)
def test_codes_are_named_with_texts_and_remedies(code: int, name: str, remedy: str) -> None:
    text = str(ClusterUpgradeError(code, cluster="hv"))
    assert f"error {code} ({name})" in text and remedy in text
    # "The cluster is too old" is not what error 1 means: it is the node
    # that answered.
    assert "too old" not in text


@pytest.mark.parametrize("code", [5980, 5037])
def test_5980_and_5037_are_not_ready(code: int) -> None:
    from clusupgrade.cli.codes import EXIT_NOT_READY, error_outcome
    from clusupgrade.outcome import FIX_FIRST

    assert code in FIX_FIRST
    assert error_outcome(ClusterUpgradeError(code)) == ("not-ready", EXIT_NOT_READY)


def test_local_cluster_wording() -> None:
    assert str(ClusterUpgradeError(5)).startswith("the local cluster: error 5 (ERROR_ACCESS_DENIED)")


def test_unknown_code() -> None:
    text = describe(424242)
    assert text.startswith("error 424242")
    assert "Unknown error" in text or sys.platform == "win32"


def test_errors_pickle_with_their_fields() -> None:
    try:
        clusupgrade.upgrade(Simulator(status=5973, fail_after=1))
    except ClusterUpgradeError as exc:
        err = exc
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is ClusterUpgradeError
    assert (copy.winerror, copy.cluster, str(copy)) == (err.winerror, err.cluster, str(err))
    assert copy.events == err.events


def test_timeout_error_pickles() -> None:
    with pytest.raises(TimeoutError) as info:
        clusupgrade.upgrade(Simulator(delay=0.5), timeout=0.05)
    copy = pickle.loads(pickle.dumps(info.value))
    assert isinstance(copy, TimeoutError) and copy.winerror == 1460
    assert str(copy) == str(info.value)


@pytest.mark.skipif(sys.platform == "win32", reason="clusapi.dll may exist on Windows")
@pytest.mark.parametrize("cluster", [None, "prod-cluster"])
def test_real_cluster_off_windows_is_unavailable(cluster: str | None) -> None:
    for call in (clusupgrade.upgrade, clusupgrade.check):
        with pytest.raises(ClusapiUnavailableError) as info:
            call(cluster)
        err = info.value
        assert isinstance(err, ClusterUpgradeError)
        assert err.winerror == 120
        assert err.cluster == cluster
        message = str(err)
        assert "only on Windows" in message
        assert "Windows Server 2016 or later (a cluster node, or a server with RSAT-Clustering)" in message
        assert "Install-WindowsFeature" not in message and "Simulator" in message


def test_error_from_iterator_names_events() -> None:
    stream = clusupgrade.phases(Simulator(status=5050, fail_after=1, name="n1"), perform=True)
    with pytest.raises(ClusterUpgradeError) as info:
        list(stream)
    assert info.value.cluster == "n1"
    assert len(info.value.events) == 1
    assert "ERROR_CLUSTER_NODE_DOWN" in str(info.value)
