"""The real clusapi backend on Windows, against the test-double clusapi.dll.

tools/wine/test.sh installs tests/wine/clusapi_double.c as clusapi.dll in
the Wine prefix's system32 and sets CLUSUPGRADE_TEST_DOUBLE to the build
folder.  On a real Windows machine without the double these tests are
skipped: they would talk to a real cluster.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import clusupgrade
from clusupgrade import ClusapiUnavailableError, ClusterUpgradeError, Phase, _clusupgrade

from .conftest import interrupt_main_after, run_python

DOUBLE_DIR = os.environ.get("CLUSUPGRADE_TEST_DOUBLE")
# Set by tools/wine/test.sh for its second pass, which runs with Wine's own
# clusapi.dll (WINEDLLOVERRIDES=clusapi=b): Wine honours that variable only
# when it starts a process from Linux, not for a child of Windows Python.
BUILTIN = os.environ.get("CLUSUPGRADE_TEST_BUILTIN") == "1"
if sys.platform != "win32":
    pytest.skip("the clusapi backend exists only on Windows", allow_module_level=True)
needs_double = pytest.mark.skipif(
    not DOUBLE_DIR or BUILTIN, reason="needs the test-double clusapi.dll (tools/wine/test.sh)"
)


class Double:
    """Scripts the double for the next calls and reads what it saw."""

    def __init__(self) -> None:
        system32 = Path(os.environ["SystemRoot"]) / "System32" / "clusapi.dll"
        self.dll = ctypes.WinDLL(str(system32))
        self.dll.DoubleLog.restype = ctypes.c_uint32
        self.dll.DoubleLog.argtypes = [ctypes.c_char_p, ctypes.c_uint32]
        self.log()

    def script(self, **fields: object) -> None:
        parts = []
        for key, value in fields.items():
            if key == "phases":
                value = ",".join(str(p) for p in value)  # type: ignore[attr-defined]
            parts.append(f"{key}={value}")
        os.environ["CLUSUPGRADE_DOUBLE"] = ";".join(parts)

    def log(self) -> str:
        buf = ctypes.create_string_buffer(1 << 16)
        self.dll.DoubleLog(buf, len(buf))
        return buf.value.decode()


@pytest.fixture
def double() -> Iterator[Double]:
    if not DOUBLE_DIR or BUILTIN:
        pytest.skip("needs the test-double clusapi.dll (tools/wine/test.sh)")
    d = Double()
    yield d
    os.environ.pop("CLUSUPGRADE_DOUBLE", None)


@needs_double
def test_backend_is_compiled_in() -> None:
    assert _clusupgrade.CLUSAPI == "clusapi.dll"


@pytest.mark.parametrize("thread", ["caller", "foreign"])
@pytest.mark.parametrize("cluster", [None, "hv-cluster.example.com"])
def test_end_to_end(double: Double, thread: str, cluster: str | None) -> None:
    double.script(phases=(1, 2, 3, 4, 5), thread=thread)
    result = clusupgrade.upgrade(cluster)
    assert [e.phase for e in result.events] == list(Phase)
    assert result.status == 0 and result.complete and result.cluster == cluster
    log = double.log()
    assert f"open={cluster or '(local)'};" in log
    assert "perform=1;answers=11111;" in log
    assert log.endswith("closed=1;")
    tid = int(log.split("tid=")[1].split(";")[0])
    assert {e.thread_id for e in result.events} == {tid}
    assert tid != threading.get_native_id()


def test_foreign_thread_differs_from_caller(double: Double) -> None:
    same = {}
    for thread in ("caller", "foreign"):
        double.script(phases=(1, 2), thread=thread)
        with clusupgrade.phases("c") as stream:
            events = list(stream)
            same[thread] = {e.thread_id == stream.caller_thread_id for e in events}
    assert same == {"caller": {True}, "foreign": {False}}


def test_check_passes_perform_false(double: Double) -> None:
    double.script(phases=(1, 2))
    result = clusupgrade.check("c")
    assert result.performed is False
    assert "perform=0;" in double.log()


def test_unknown_phases(double: Double) -> None:
    double.script(phases=(0, 7, 2147483647, -5, 5))
    result = clusupgrade.upgrade("c")
    assert [e.phase for e in result.events] == [0, 7, 2147483647, -5, Phase.UPGRADE_COMPLETE]


@pytest.mark.parametrize("status", [5973, 5976, 5050, 1726])
def test_status_codes(double: Double, status: int) -> None:
    double.script(phases=(1, 2), status=status)
    with pytest.raises(ClusterUpgradeError) as info:
        clusupgrade.upgrade("c")
    err = info.value
    assert err.winerror == status
    assert len(err.events) == 2
    assert f"error {status}" in str(err)
    system_text = _clusupgrade.format_message(status)
    if system_text:
        assert system_text.rstrip(".") in str(err)
    assert double.log().endswith("closed=1;"), "the handle must be closed on failure"


def test_restart_required(double: Double) -> None:
    double.script(status=5975)
    assert clusupgrade.upgrade("c").status == 5975


@needs_double
def test_format_message_uses_the_system() -> None:
    text = _clusupgrade.format_message(5)
    assert isinstance(text, str) and text
    assert not text.endswith(("\n", "\r"))
    assert text.rstrip(".") in str(ClusterUpgradeError(5))


@pytest.mark.parametrize("code", [1722, 5])
def test_open_failures(double: Double, code: int) -> None:
    double.script(open_error=code)
    with pytest.raises(ClusterUpgradeError) as info:
        clusupgrade.upgrade("unreachable")
    assert info.value.winerror == code
    assert not isinstance(info.value, ClusapiUnavailableError)
    assert info.value.cluster == "unreachable"
    log = double.log()
    assert "open=unreachable;" in log and "closed" not in log


def test_ctrl_c_answers_false(double: Double) -> None:
    double.script(phases=(1, 2, 3), delay_ms=1000, thread="foreign")
    stream = clusupgrade.phases("c")
    next(stream)
    interrupt_main_after(0.1)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        next(stream)
    assert time.monotonic() - start < 0.9
    deadline = time.monotonic() + 10
    log = ""
    while "closed" not in log and time.monotonic() < deadline:
        time.sleep(0.1)
        log += double.log()
    assert "answers=10;" in log


@pytest.mark.parametrize("thread", ["caller", "foreign"])
def test_timeout_and_cancel(double: Double, thread: str) -> None:
    double.script(phases=(1, 2, 3), delay_ms=700, thread=thread)
    with pytest.raises(TimeoutError):
        clusupgrade.upgrade("c", timeout=0.2)
    time.sleep(1.0)
    double.script(phases=(1, 2, 3), delay_ms=100, thread=thread)
    with clusupgrade.phases("c") as stream:
        for _ in stream:
            break
    time.sleep(0.5)
    log = double.log()
    assert log.count("answers=10;") == 2, log


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CLUSUPGRADE_DOUBLE", None)
    env.update(extra)
    return env


@pytest.mark.skipif(not BUILTIN, reason="runs in the builtin-clusapi pass of tools/wine/test.sh")
@pytest.mark.parametrize("cluster", [None, "c"])
def test_wine_builtin_without_the_export_is_unavailable(cluster: str | None) -> None:
    for call in (clusupgrade.upgrade, clusupgrade.check):
        with pytest.raises(ClusapiUnavailableError) as info:
            call(cluster)
        err = info.value
        assert err.winerror == 127
        assert err.cluster == cluster
        message = str(err)
        assert "clusapi.dll has no ClusterUpgradeFunctionalLevel export" in message
        assert "ERROR_PROC_NOT_FOUND" in message
        assert "RSAT-Clustering" in message and "Simulator" in message
    # Each export is resolved on its own: reading the cluster needs
    # GetClusterInformation, which Wine's builtin has, not the upgrade export.
    assert isinstance(clusupgrade.cluster_info(cluster), clusupgrade.ClusterInfo)


@needs_double
@pytest.mark.parametrize("where", ["cwd", "application dir"])
def test_planted_dll_is_not_loaded(tmp_path: Path, where: str) -> None:
    assert DOUBLE_DIR
    planted = Path(DOUBLE_DIR) / "planted" / "clusapi.dll"
    target_dir = tmp_path if where == "cwd" else Path(sys.executable).parent
    target = target_dir / "clusapi.dll"
    shutil.copy(planted, target)
    try:
        code = """
import clusupgrade
print(clusupgrade.upgrade("c").status)
"""
        proc = run_python(code, cwd=str(tmp_path), env=_subprocess_env())
    finally:
        target.unlink()
    # The impostor answers every call with 4242.
    assert "4242" not in proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "0"


def test_longest_name_reaches_open_cluster(double: Double) -> None:
    name = "n" * 255
    double.script(phases=(1,))
    assert clusupgrade.upgrade(name).cluster == name
    assert f"open={name};" in double.log()


def test_cluster_info(double: Double) -> None:
    double.script(info="HV-PROD,10,0,20348,786432,720896,1")
    info = clusupgrade.cluster_info("hv-prod")
    assert info.name == "HV-PROD"
    assert info.os_version == (10, 0, 20348)
    assert info.highest_version == (12, 0) and info.lowest_version == (11, 0)
    assert info.mixed_mode is True
    assert info.functional_level == 11 and info.functional_level_name == "Windows Server 2022"
    log = double.log()
    assert "open=hv-prod;" in log and "closed=1;" in log


def test_cluster_info_long_name_needs_more_data(double: Double) -> None:
    long_name = "N" * 200
    double.script(info=f"{long_name},10,0,17763,655360,655360,0")
    info = clusupgrade.cluster_info()
    assert info.name == long_name and info.mixed_mode is False
    log = double.log()
    assert "open=(local);" in log and "more_data;" in log and log.endswith("closed=1;")


def test_cluster_info_unknown_version(double: Double) -> None:
    double.script(info="C,10,0,1,4294967295,4294967295,0")
    info = clusupgrade.cluster_info("c")
    assert info.highest_version is None and info.functional_level is None


def test_cluster_info_open_failure(double: Double) -> None:
    double.script(open_error=5)
    with pytest.raises(ClusterUpgradeError) as excinfo:
        clusupgrade.cluster_info("c")
    assert excinfo.value.winerror == 5 and not isinstance(excinfo.value, ClusapiUnavailableError)
