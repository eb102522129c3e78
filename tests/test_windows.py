"""The real clusapi backend on Windows, against the test-double clusapi.dll.

tools/wine/test.sh installs tests/wine/clusapi_double.c as clusapi.dll in
the Wine prefix's system32 and sets CLUSUPGRADE_TEST_DOUBLE to the build
folder.  On a real Windows machine without the double these tests are
skipped: they would talk to a real cluster.
"""

from __future__ import annotations

import _thread
import ctypes
import os
import queue
import shutil
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import clusupgrade
from clusupgrade import ClusapiUnavailableError, ClusterUpgradeError, Phase, _clusupgrade, sections
from clusupgrade.errors import EXPORTS
from clusupgrade.phase import END_HEADER

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
        self.dll.DoubleHandles.restype = ctypes.c_uint32
        self.dll.DoubleHandles.argtypes = [ctypes.c_char_p, ctypes.c_uint32]
        self.dll.DoubleReset.restype = None
        self.dll.DoubleReset.argtypes = []
        self.log()

    def script(self, **fields: object) -> None:
        """A new script, and a new cluster: nothing raised yet."""
        parts = []
        for key, value in fields.items():
            if key == "phases":
                value = ",".join(str(p) for p in value)  # type: ignore[attr-defined]
            parts.append(f"{key}={value}")
        os.environ["CLUSUPGRADE_DOUBLE"] = ";".join(parts)
        self.dll.DoubleReset()

    def log(self) -> str:
        buf = ctypes.create_string_buffer(1 << 16)
        self.dll.DoubleLog(buf, len(buf))
        return buf.value.decode()

    def handles(self) -> dict[str, tuple[int, int]]:
        """Per kind of handle, (opened, closed) since the process started;
        "bad" is (handles misused, 0)."""
        buf = ctypes.create_string_buffer(256)
        self.dll.DoubleHandles(buf, len(buf))
        found: dict[str, tuple[int, int]] = {}
        for item in buf.value.decode().split(";"):
            kind, _, counts = item.partition("=")
            opened, _, closed = counts.partition("/")
            found[kind] = (int(opened), int(closed or 0))
        return found

    def assert_all_closed(self, before: dict[str, tuple[int, int]]) -> dict[str, int]:
        """Every handle opened is closed and none was misused since
        `before` (a handles() reading); returns how many of each kind were
        opened since.  Waits a little: a call a test gave up on (timeout,
        Ctrl+C) closes its handles when the double returns."""
        deadline = time.monotonic() + 10
        while True:
            now = self.handles()
            balanced = all(now[k][0] == now[k][1] for k in ("cluster", "enum", "node"))
            if balanced or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert balanced, f"handles leaked: {now}"
        assert now["bad"] == before["bad"], f"handles misused: {before} -> {now}"
        return {k: now[k][0] - before[k][0] for k in ("cluster", "enum", "node")}


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
        with clusupgrade.phases("c", perform=True) as stream:
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


def test_ctrl_c_answers_true(double: Double) -> None:
    double.script(phases=(1, 2, 3), delay_ms=1000, thread="foreign")
    stream = clusupgrade.phases("c", perform=True)
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
    assert "answers=111;" in log  # stopping to listen never answers FALSE


@pytest.mark.parametrize("thread", ["caller", "foreign"])
def test_timeout_and_break_answer_true_abort_false(double: Double, thread: str) -> None:
    double.script(phases=(1, 2, 3), delay_ms=700, thread=thread)
    with pytest.raises(TimeoutError) as info:
        clusupgrade.upgrade("c", timeout=0.2)
    pending = info.value.pending  # type: ignore[attr-defined]
    assert pending is not None and pending.wait(10) is not None
    double.script(phases=(1, 2, 3), delay_ms=100, thread=thread)
    with clusupgrade.phases("c", perform=True) as stream:
        for _ in stream:
            break
    assert stream.pending is not None and stream.pending.wait(10) is not None
    double.script(phases=(1, 2, 3), delay_ms=100, thread=thread)
    stream = clusupgrade.phases("c", perform=True)
    next(stream)
    stream.abort()
    with pytest.raises(clusupgrade.ClusterUpgradeError):
        list(stream)
    log = double.log()
    assert log.count("answers=111;") == 2 and log.count("answers=10;") == 1, log


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
    # The level the cluster reports (level=11) matches its lowest version
    # here, so this holds whichever the API reads; the tests of issue 9's
    # API below tell the two apart.
    double.script(info="HV-PROD,10,0,20348,786432,720896,1", level=11)
    info = clusupgrade.cluster_info("hv-prod")
    assert info.name == "HV-PROD"
    assert info.os_version == (10, 0, 20348)
    assert info.highest_version == (12, 0) and info.lowest_version == (11, 0)
    assert info.mixed_mode is True
    assert info.functional_level == 11 and "Windows Server 2022" in info.functional_level_name
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
    double.script(info="C,10,0,1,4294967295,4294967295,0", level="-")
    info = clusupgrade.cluster_info("c")
    assert info.highest_version is None and info.functional_level is None


def test_cluster_info_open_failure(double: Double) -> None:
    double.script(open_error=5)
    with pytest.raises(ClusterUpgradeError) as excinfo:
        clusupgrade.cluster_info("c")
    assert excinfo.value.winerror == 5 and not isinstance(excinfo.value, ClusapiUnavailableError)


# ---------------------------------------------------------------------------
# What the Windows backend reads (csrc/clusapi_props.c, clusapi_nodes.c), at
# the level of the end record's sections: the bytes the double sent, passed
# on as they came.  Making sense of them is proplist.py's job, not C's.

NAME_SYNTAX = 0x00040003
DWORD_SYNTAX = 0x00010002
SZ_SYNTAX = 0x00010003
BINARY_SYNTAX = 0x00010001
ODD_SYNTAX = 0x7FFF0002
MALFORMATIONS = (
    "truncated",
    "length_past_end",
    "count_too_big",
    "unknown_syntax",
    "no_endmark",
    "name_without_nul",
)
ROUNDS = 4  # CU_CLUSAPI_ROUNDS: how often a control is asked for one list

Prop = tuple[str, int, bytes]


def dword(name: str, value: int) -> Prop:
    return (name, DWORD_SYNTAX, struct.pack("=I", value))


def sz(name: str, value: str) -> Prop:
    return (name, SZ_SYNTAX, (value + "\0").encode("utf-16-le"))


def _entry(syntax: int, data: bytes) -> bytes:
    return struct.pack("=II", syntax, len(data)) + data + bytes(-len(data) % 4)


def proplist(props: list[Prop], malformed: str = "") -> bytes:
    """A property list as a server sends it (MS-CMRP 2.2.3.10: a count, then
    per property a NAME entry, a value entry and an ENDMARK, each padded to
    4), broken as the double's malformed=KIND breaks its first property."""
    out = bytearray(struct.pack("=I", len(props)))
    marks: dict[str, int] = {}
    for i, (name, syntax, data) in enumerate(props):
        encoded = (name + "\0").encode("utf-16-le")
        if i == 0:
            marks["nul"] = len(out) + 8 + len(encoded) - 2
        out += _entry(NAME_SYNTAX, encoded)
        if i == 0:
            marks["value"] = len(out)
        out += _entry(syntax, data)
        if i == 0:
            marks["endmark"] = len(out)
        out += struct.pack("=I", 0)
    if malformed == "truncated":
        del out[len(out) // 2 :]
    elif malformed == "length_past_end":
        struct.pack_into("=I", out, marks["value"] + 4, 0xFFFFFF00)
    elif malformed == "count_too_big":
        struct.pack_into("=I", out, 0, 1_000_000)
    elif malformed == "unknown_syntax":
        struct.pack_into("=I", out, marks["value"], ODD_SYNTAX)
    elif malformed == "no_endmark":
        del out[marks["endmark"] : marks["endmark"] + 4]
    elif malformed == "name_without_nul":
        out[marks["nul"] : marks["nul"] + 2] = "X".encode("utf-16-le")
    return bytes(out)


def cluster_list(level: int | None = 10, upgrade_version: int | None = 3, extra: int = 0, malformed: str = "") -> bytes:
    """The cluster's read-only common properties as the double sends them."""
    props = [] if level is None else [dword("ClusterFunctionalLevel", level)]
    props.append(sz("SharedVolumesRoot", "C:\\ClusterStorage"))
    if upgrade_version is not None:
        props.append(dword("ClusterUpgradeVersion", upgrade_version))
    if extra:
        props.append(("DoubleFiller", BINARY_SYNTAX, b"\xab" * extra))
    return proplist(props, malformed)


def cluster_rw_list(upgrade_version: int | None = None) -> bytes:
    """The cluster's read-write common properties as the double sends them."""
    props = [sz("Description", "test double")]
    if upgrade_version is not None:
        props.append(dword("ClusterUpgradeVersion", upgrade_version))
    return proplist(props)


def node_list(version: tuple[int, int, int] | None, level: int | None, malformed: str = "", upgrade: int = 0) -> bytes:
    """A node's read-only common properties as the double sends them: the
    versions' low word is the upgrade version, not the OS build."""
    props = []
    if version:
        major, minor, number = version
        props += [dword("MajorVersion", major), dword("MinorVersion", minor), dword("BuildNumber", number)]
    props.append(sz("CSDVersion", ""))
    if level is not None:
        props.append(dword("NodeHighestVersion", level << 16 | upgrade))
        props.append(dword("NodeLowestVersion", (level - 1) << 16 | upgrade))
    return proplist(props, malformed)


@dataclass(frozen=True)
class NodeSection:
    name: str
    state: int
    props_status: int
    props: bytes


def node_of(section: sections.Section) -> NodeSection:
    """A NODE section: i32 state, u32 props_status, u32 name_bytes, the
    name, padding to 4, the raw property list."""
    state, props_status, name_bytes = struct.unpack_from("=iII", section.data)
    start = 12 + name_bytes + (-name_bytes % 4)
    name = section.data[12 : 12 + name_bytes].decode("utf-16-le")
    return NodeSection(name, state, props_status, section.data[start:])


def nodes_in(found: tuple[sections.Section, ...]) -> list[NodeSection]:
    return [node_of(s) for s in found if s.id == sections.NODE]


def section(found: tuple[sections.Section, ...], ident: int) -> tuple[int, bytes]:
    """(status, data) of the one section `ident`."""
    matching = [s for s in found if s.id == ident]
    assert len(matching) == 1, found
    return matching[0].status, matching[0].data


def query(cluster: str | None = "c") -> tuple[int, int, tuple[sections.Section, ...]]:
    """A KIND_QUERY call on this thread: (status, stage, sections)."""
    end = _clusupgrade.Call(queue.SimpleQueue(), cluster, kind=_clusupgrade.KIND_QUERY).run()
    _, _, status, stage, _, _ = END_HEADER.unpack_from(end)
    return status, stage, sections.parse(end[END_HEADER.size :])


def upgrade_call(perform: bool) -> tuple[int, tuple[sections.Section, ...]]:
    """A KIND_UPGRADE call on this thread: (status, sections)."""
    end = _clusupgrade.Call(queue.SimpleQueue(), "c", perform).run()
    _, _, status, _, _, _ = END_HEADER.unpack_from(end)
    return status, sections.parse(end[END_HEADER.size :])


def test_query_reads_the_properties_and_every_node(double: Double) -> None:
    double.script(level=11, upgrade_version=5, nodes="HV1:up:10.0.20348:12,HV2:paused:10.0.26100:12:5")
    before = double.handles()
    status, stage, found = query("hv-prod")
    assert (status, stage) == (0, _clusupgrade.STAGE_UPGRADE)
    ids = [s.id for s in found]
    assert ids == [
        sections.INFO, sections.CLUSTER_PROPS, sections.CLUSTER_PROPS_RW, sections.NODES, sections.NODE, sections.NODE
    ]
    assert section(found, sections.CLUSTER_PROPS) == (0, cluster_list(level=11, upgrade_version=5))
    # The read-write common properties too (CLUSCTL_CLUSTER_GET_COMMON_PROPERTIES).
    assert section(found, sections.CLUSTER_PROPS_RW) == (0, cluster_rw_list())
    assert section(found, sections.NODES) == (0, struct.pack("=I", 2))
    assert nodes_in(found) == [
        NodeSection("HV1", 0, 0, node_list((10, 0, 20348), 12)),
        NodeSection("HV2", 2, 0, node_list((10, 0, 26100), 12, upgrade=5)),
    ]
    assert double.assert_all_closed(before) == {"cluster": 1, "enum": 1, "node": 2}
    log = double.log()
    # The enumeration is closed before any node is opened; every node
    # before the cluster.
    assert log.index("enum_close;") < log.index("node_open=HV1;")
    assert log.endswith("node_close=HV2;closed=1;")
    assert log.count("control;") == 2 and log.count("rw;") == 1


def test_query_takes_the_upgrade_version_from_the_read_write_list(double: Double) -> None:
    # Microsoft documents ClusterUpgradeVersion as read/write: where the
    # read-only list lacks it, the read-write one has it.
    double.script(level=11, upgrade_version=5, upgrade_version_in="rw")
    _, _, found = query()
    assert section(found, sections.CLUSTER_PROPS) == (0, cluster_list(level=11, upgrade_version=None))
    assert section(found, sections.CLUSTER_PROPS_RW) == (0, cluster_rw_list(upgrade_version=5))
    info = clusupgrade.cluster_info("c")
    assert (info.functional_level, info.upgrade_version) == (11, 5)


@pytest.mark.parametrize("claim", [4096, 2**32 - 1])
def test_huge_cluster_name_claim_is_refused(double: Double, claim: int) -> None:
    double.script(info=f"{'N' * 100},10,0,17763,655360,655360,0", info_claim=claim)
    status, _, found = query()
    assert status == 234
    assert [(s.id, s.status, s.data) for s in found] == [(sections.INFO, 234, b"")]
    # Refused at once, not allocated.
    assert double.log().count("info;") == 1


@pytest.mark.parametrize(
    ("state", "value"), [("up", 0), ("down", 1), ("paused", 2), ("joining", 3), ("unknown", -1), ("7", 7)]
)
def test_node_state_passes_through(double: Double, state: str, value: int) -> None:
    double.script(nodes=f"HV1:{state}:10.0.20348:11")
    _, _, found = query()
    assert [(n.name, n.state) for n in nodes_in(found)] == [("HV1", value)]


def test_node_without_versions(double: Double) -> None:
    double.script(nodes="HV1:down:-:-")
    _, _, found = query()
    assert nodes_in(found) == [NodeSection("HV1", 1, 0, node_list(None, None))]


def test_cluster_without_the_level_property(double: Double) -> None:
    double.script(level="-", upgrade_version="-")
    _, _, found = query()
    assert section(found, sections.CLUSTER_PROPS) == (0, cluster_list(level=None, upgrade_version=None))


@pytest.mark.parametrize("how", ["list grew between calls", "list longer than the first buffer"])
def test_property_list_size_negotiation(double: Double, how: str) -> None:
    if how == "list grew between calls":
        double.script(props_more_data=1)
        expected = cluster_list()
    else:
        double.script(props_extra=3000)
        expected = cluster_list(extra=3000)
    _, _, found = query()
    assert section(found, sections.CLUSTER_PROPS) == (0, expected)
    log = double.log()
    assert log.count("props_more_data=") == 1, log
    assert f"control;props_more_data={len(expected)};control;" in log


def test_endless_more_data_is_asked_a_bounded_number_of_times(double: Double) -> None:
    double.script(props_more_data=10**9)
    before = double.handles()
    status, _, found = query()
    assert status == 0
    assert section(found, sections.CLUSTER_PROPS) == (234, b"")
    assert section(found, sections.CLUSTER_PROPS_RW) == (234, b"")
    assert [(n.name, n.props_status, n.props) for n in nodes_in(found)] == [("HV1", 234, b""), ("HV2", 234, b"")]
    # Each list (read-only, read-write) is asked ROUNDS times, no more.
    assert double.log().count("control;") == 2 * ROUNDS
    double.assert_all_closed(before)


def test_a_huge_size_claim_is_refused(double: Double) -> None:
    double.script(props_more_data=10**9, props_claim=2**32 - 1)
    _, _, found = query()
    assert section(found, sections.CLUSTER_PROPS) == (234, b"")
    # Refused at once, not allocated: one control per list.
    assert double.log().count("control;") == 2


def test_a_size_past_the_buffer_is_not_trusted(double: Double) -> None:
    double.script(props_overstate=1)
    _, _, found = query()
    assert section(found, sections.CLUSTER_PROPS) == (13, b"")
    assert {n.props_status for n in nodes_in(found)} == {13}


@pytest.mark.parametrize("code", [1, 5, 1722])
def test_failed_property_read_is_the_sections_status(double: Double, code: int) -> None:
    double.script(props_error=code)
    status, _, found = query()
    assert status == 0
    assert section(found, sections.INFO)[0] == 0
    assert section(found, sections.CLUSTER_PROPS) == (code, b"")
    assert len(nodes_in(found)) == 2


@pytest.mark.parametrize("how", MALFORMATIONS)
def test_malformed_lists_pass_through_unchanged(double: Double, how: str) -> None:
    double.script(malformed=how, level=11, nodes="HV1:up:10.0.20348:12")
    expected = cluster_list(level=11, malformed=how)
    assert expected != cluster_list(level=11)
    _, _, found = query()
    assert section(found, sections.CLUSTER_PROPS) == (0, expected)
    assert nodes_in(found) == [NodeSection("HV1", 0, 0, node_list((10, 0, 20348), 12, malformed=how))]


@pytest.mark.parametrize(
    ("failure", "hv2", "nodes_opened"),
    [
        # The node is there and its state known; only its properties are not.
        ({"node_fail": "HV2:5"}, NodeSection("HV2", 0, 5, b""), 2),
        ({"node_open_fail": "HV2:1722"}, NodeSection("HV2", -1, 1722, b""), 1),
    ],
    ids=["control fails", "open fails"],
)
def test_node_that_cannot_be_read(
    double: Double, failure: dict[str, str], hv2: NodeSection, nodes_opened: int
) -> None:
    double.script(nodes="HV1:up:10.0.20348:11,HV2:up:10.0.20348:11", **failure)
    before = double.handles()
    _, _, found = query()
    assert nodes_in(found) == [NodeSection("HV1", 0, 0, node_list((10, 0, 20348), 11)), hv2]
    assert double.assert_all_closed(before) == {"cluster": 1, "enum": 1, "node": nodes_opened}


def test_long_and_non_ascii_node_names(double: Double) -> None:
    long_name = "N" * 100
    double.script(nodes=f"{long_name}:up:10.0.20348:11,NÖDE-Ω:paused:10.0.20348:11")
    _, _, found = query()
    assert [n.name for n in nodes_in(found)] == [long_name, "NÖDE-Ω"]
    assert all(n.props_status == 0 for n in nodes_in(found))
    # The long name did not fit the first buffer.
    assert double.log().count("enum_more_data;") == 1


@pytest.mark.parametrize(
    ("script", "status", "enums"),
    [
        ({"enum_open_fail": 5}, 5, 0),
        # A list without HV2 and HV3 would hide a node that may be down.
        ({"nodes": "HV1:up,HV2:up,HV3:up", "enum_fail": "1:1726"}, 1726, 1),
        # Far past any cluster's size: stopped, not followed.
        ({"enum_endless": 1}, 13, 1),
    ],
    ids=["cannot start", "fails midway", "endless"],
)
def test_failed_enumeration_leaves_the_nodes_unknown(
    double: Double, script: dict[str, object], status: int, enums: int
) -> None:
    double.script(**script)
    before = double.handles()
    query_status, _, found = query()
    assert query_status == 0
    assert section(found, sections.NODES) == (status, b"")
    assert nodes_in(found) == []
    assert section(found, sections.CLUSTER_PROPS)[0] == 0
    assert double.assert_all_closed(before) == {"cluster": 1, "enum": enums, "node": 0}


def test_cluster_without_nodes(double: Double) -> None:
    double.script(nodes="")
    _, _, found = query()
    assert section(found, sections.NODES) == (0, struct.pack("=I", 0))
    assert nodes_in(found) == []


@pytest.mark.parametrize("levelup", [0, 1])
def test_upgrade_reads_the_level_before_and_after(double: Double, levelup: int) -> None:
    double.script(phases=(1, 5), levelup=levelup)
    before = double.handles()
    status, found = upgrade_call(perform=True)
    assert status == 0
    assert [s.id for s in found] == [sections.CLUSTER_PROPS, sections.CLUSTER_PROPS_AFTER]
    assert section(found, sections.CLUSTER_PROPS) == (0, cluster_list(level=10))
    assert section(found, sections.CLUSTER_PROPS_AFTER) == (0, cluster_list(level=10 + levelup))
    log = double.log()
    assert log.startswith("open=c;control;perform=1;answers=11;") and log.endswith(";control;closed=1;")
    assert double.assert_all_closed(before) == {"cluster": 1, "enum": 0, "node": 0}


def test_each_raise_moves_the_level_once(double: Double) -> None:
    double.script(phases=(1,), levelup=1)
    for level in (10, 11):
        _, found = upgrade_call(perform=True)
        assert section(found, sections.CLUSTER_PROPS) == (0, cluster_list(level=level))
        assert section(found, sections.CLUSTER_PROPS_AFTER) == (0, cluster_list(level=level + 1))


def test_check_reads_the_level_once(double: Double) -> None:
    double.script(phases=(1,), levelup=1)
    status, found = upgrade_call(perform=False)
    assert status == 0
    assert [s.id for s in found] == [sections.CLUSTER_PROPS]
    assert section(found, sections.CLUSTER_PROPS) == (0, cluster_list(level=10))
    assert "perform=0;" in double.log()


def test_failed_upgrade_still_reads_the_level_after(double: Double) -> None:
    double.script(phases=(1,), status=5973, levelup=1)
    status, found = upgrade_call(perform=True)
    assert status == 5973
    assert section(found, sections.CLUSTER_PROPS_AFTER) == (0, cluster_list(level=10))


def test_unreadable_level_does_not_stop_the_upgrade(double: Double) -> None:
    double.script(phases=(1,), props_error=5)
    status, found = upgrade_call(perform=True)
    assert status == 0
    assert [(s.id, s.status, s.data) for s in found] == [
        (sections.CLUSTER_PROPS, 5, b""),
        (sections.CLUSTER_PROPS_AFTER, 5, b""),
    ]
    assert "perform=1;" in double.log()


def _interrupt_after(seconds: float) -> list[float]:
    """Ctrl+C for the main thread after `seconds`; the list gets the time it
    was delivered."""
    fired: list[float] = []

    def fire() -> None:
        fired.append(time.monotonic())
        _thread.interrupt_main()

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return fired


def assert_times_out(double: Double, call: Callable[[], object]) -> None:
    """`call` on a slow cluster raises TimeoutError at its timeout; the
    native call then finishes on its own and closes what it opened."""
    before = double.handles()
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        call()
    assert time.monotonic() - start < 1.5, "the timeout waited for the cluster"
    double.assert_all_closed(before)


def assert_interrupted(double: Double, call: Callable[[], object]) -> None:
    """Ctrl+C during `call` on a slow cluster raises KeyboardInterrupt
    within 0.5 s; the native call then finishes and closes what it opened."""
    before = double.handles()
    fired = _interrupt_after(0.2)
    with pytest.raises(KeyboardInterrupt):
        call()
    assert fired and time.monotonic() - fired[0] < 0.5
    double.assert_all_closed(before)


def test_cluster_info_timeout_during_a_slow_query(double: Double) -> None:
    double.script(slow_ms=1500)
    assert_times_out(double, lambda: clusupgrade.cluster_info("c", timeout=0.3))


def test_ctrl_c_during_cluster_info(double: Double) -> None:
    double.script(slow_ms=1500)
    assert_interrupted(double, lambda: clusupgrade.cluster_info("c"))


builtin_only = pytest.mark.skipif(not BUILTIN, reason="runs in the builtin-clusapi pass of tools/wine/test.sh")


@builtin_only
def test_wine_builtin_query_leaves_what_it_lacks_absent() -> None:
    # Wine's ClusterControl and node functions abort when called, so the
    # backend treats them as missing: 127, not a crash, and no made-up nodes.
    status, stage, found = query()
    assert (status, stage) == (0, _clusupgrade.STAGE_UPGRADE)
    assert section(found, sections.INFO)[0] == 0
    assert section(found, sections.CLUSTER_PROPS) == (127, b"")
    assert section(found, sections.CLUSTER_PROPS_RW) == (127, b"")
    assert section(found, sections.NODES) == (127, b"")
    assert nodes_in(found) == []


@builtin_only
def test_wine_builtin_upgrade_names_the_missing_export() -> None:
    end = _clusupgrade.Call(queue.SimpleQueue(), "c").run()
    _, _, status, stage, missing, _ = END_HEADER.unpack_from(end)
    assert (status, stage, missing) == (127, _clusupgrade.STAGE_LOAD, EXPORTS.index("ClusterUpgradeFunctionalLevel"))
    assert sections.parse(end[END_HEADER.size :]) == ()


# ---------------------------------------------------------------------------
# Issue 9's public API against the double, written to DESIGN.md's contract.
# It lands with the truth branch (proplist.py, preflight.py, the new fields
# of ClusterInfo and UpgradeResult); until then these skip.

needs_truth = pytest.mark.skipif(
    not hasattr(clusupgrade, "preflight"), reason="needs issue 9's API (truth branch)"
)


@needs_truth
def test_api_functional_level_is_the_clusters_property(double: Double) -> None:
    # The lowest version says 10; the cluster's own property says 12.
    double.script(info="HV-PROD,10,0,26100,786432,655360,0", level=12, upgrade_version=7)
    info = clusupgrade.cluster_info("hv-prod")
    assert info.functional_level == 12
    assert info.upgrade_version == 7
    assert info.lowest_version == (10, 0)
    assert "2025" in info.functional_level_name


@needs_truth
def test_api_level_not_reported_is_none(double: Double) -> None:
    double.script(info="C,10,0,20348,786432,720896,0", level="-", upgrade_version="-")
    info = clusupgrade.cluster_info("c")
    assert info.functional_level is None and info.upgrade_version is None


@needs_truth
@pytest.mark.parametrize("code", [1, 5])
def test_api_level_unreadable_is_none(double: Double, code: int) -> None:
    double.script(props_error=code)
    info = clusupgrade.cluster_info("c")
    assert info.functional_level is None and info.upgrade_version is None
    assert len(info.nodes) == 2


@needs_truth
def test_api_nodes(double: Double) -> None:
    double.script(nodes="HV1:up:10.0.26100:12:5,HV2:paused:10.0.20348:11:4,HV3:down:-:-,HV4:joining:10.0.26100:12")
    nodes = clusupgrade.cluster_info("c").nodes
    assert all(isinstance(n, clusupgrade.NodeInfo) for n in nodes)
    assert [(n.name, n.state) for n in nodes] == [
        ("HV1", clusupgrade.NodeState.UP),
        ("HV2", clusupgrade.NodeState.PAUSED),
        ("HV3", clusupgrade.NodeState.DOWN),
        ("HV4", clusupgrade.NodeState.JOINING),
    ]
    hv1, hv2, hv3, _ = nodes
    # The OS build is the node's own; its versions are (major, upgrade).
    assert hv1.os_version == (10, 0, 26100)
    assert hv1.highest_version == (12, 5) and hv1.lowest_version == (11, 5)
    assert hv1.highest_level == 12
    assert hv2.os_version == (10, 0, 20348) and hv2.highest_level == 11 and hv2.highest_version == (11, 4)
    assert hv3.os_version is None and hv3.highest_version is None and hv3.lowest_version is None


@needs_truth
def test_api_node_state_beyond_the_enum(double: Double) -> None:
    double.script(nodes="HV1:7:10.0.26100:12,HV2:unknown:10.0.26100:12")
    hv1, hv2 = clusupgrade.cluster_info("c").nodes
    assert hv1.state == 7
    assert hv2.state == clusupgrade.NodeState.UNKNOWN


@needs_truth
def test_api_node_whose_control_fails(double: Double) -> None:
    double.script(nodes="HV1:up:10.0.26100:12:5,HV2:up:10.0.26100:12:5", node_fail="HV2:5")
    hv1, hv2 = clusupgrade.cluster_info("c").nodes
    assert hv1.highest_version == (12, 5)
    assert hv2.name == "HV2" and hv2.state == clusupgrade.NodeState.UP
    assert hv2.os_version is None and hv2.highest_version is None


@needs_truth
def test_api_nodes_unknown_when_the_enumeration_fails(double: Double) -> None:
    double.script(enum_fail="1:1726", nodes="HV1:up,HV2:up")
    info = clusupgrade.cluster_info("c")
    assert info.nodes == ()
    assert info.functional_level == 10


@needs_truth
@pytest.mark.parametrize("how", MALFORMATIONS)
def test_api_malformed_lists_give_the_truth_or_nothing(double: Double, how: str) -> None:
    double.script(malformed=how, level=11, upgrade_version=4, nodes="HV1:up:10.0.26100:12:5")
    info = clusupgrade.cluster_info("c")
    assert info.functional_level in (None, 11)
    assert info.upgrade_version in (None, 4)
    (hv1,) = info.nodes
    assert hv1.name == "HV1" and hv1.state == clusupgrade.NodeState.UP
    assert hv1.os_version in (None, (10, 0, 26100))
    assert hv1.highest_version in (None, (12, 5))


def _ready_nodes(level: int) -> str:
    return f"HV1:up:10.0.26100:{level},HV2:up:10.0.26100:{level}"


@needs_truth
def test_api_preflight_ready(double: Double) -> None:
    double.script(level=11, nodes=_ready_nodes(12), status=0)
    result = clusupgrade.preflight("c")
    assert result.ready is True and result.nothing_to_do is False
    assert result.target_level == 12
    assert result.blockers == ()
    assert result.info.functional_level == 11
    log = double.log()
    # The native check, never a raise.
    assert "perform=0;" in log and "perform=1;" not in log


@needs_truth
@pytest.mark.parametrize(("state", "word"), [("paused", "paused"), ("down", "down")])
def test_api_preflight_names_the_node_that_blocks(double: Double, state: str, word: str) -> None:
    double.script(level=11, nodes=f"HV1:up:10.0.26100:12,HV2:{state}:10.0.26100:12", status=5050)
    result = clusupgrade.preflight("c")
    assert result.ready is False
    assert any("HV2" in b and word in b.lower() for b in result.blockers), result.blockers


@needs_truth
def test_api_preflight_node_not_upgraded(double: Double) -> None:
    double.script(level=11, nodes="HV1:up:10.0.26100:12,HV2:up:10.0.20348:11", status=5973)
    result = clusupgrade.preflight("c")
    assert result.ready is False
    assert any("HV2" in b and "11" in b for b in result.blockers), result.blockers


@needs_truth
def test_api_preflight_nothing_to_do(double: Double) -> None:
    double.script(level=12, nodes=_ready_nodes(12), status=0)
    result = clusupgrade.preflight("c")
    assert result.nothing_to_do is True
    assert result.target_level is None


@needs_truth
def test_api_preflight_never_contradicts_the_native_check(double: Double) -> None:
    # Every node looks ready, but the cluster says an upgrade is under way.
    double.script(level=11, nodes=_ready_nodes(12), status=5976)
    result = clusupgrade.preflight("c")
    assert result.ready is False and result.blockers


@needs_truth
@pytest.mark.parametrize("levelup", [1, 0])
def test_api_upgrade_levels_before_and_after(double: Double, levelup: int) -> None:
    double.script(phases=(1, 5), level=11, levelup=levelup)
    result = clusupgrade.upgrade("c")
    assert result.level_before == 11
    assert result.level_after == 11 + levelup
    assert result.raised is bool(levelup)


@needs_truth
def test_api_check_has_no_level_after(double: Double) -> None:
    double.script(phases=(1,), level=11, levelup=1)
    result = clusupgrade.check("c")
    assert result.level_before == 11 and result.level_after is None and result.raised is False


@needs_truth
def test_api_upgrade_with_the_level_unreadable(double: Double) -> None:
    double.script(phases=(1,), props_error=5, levelup=1)
    result = clusupgrade.upgrade("c")
    assert result.status == 0
    assert result.level_before is None and result.level_after is None and result.raised is False


@needs_truth
def test_api_preflight_timeout(double: Double) -> None:
    double.script(slow_ms=1500, nodes=_ready_nodes(12), level=11)
    assert_times_out(double, lambda: clusupgrade.preflight("c", timeout=0.3))


@needs_truth
def test_api_ctrl_c_during_preflight(double: Double) -> None:
    double.script(slow_ms=1500, nodes=_ready_nodes(12), level=11)
    assert_interrupted(double, lambda: clusupgrade.preflight("c"))


@needs_truth
@builtin_only
def test_api_wine_builtin_reports_unknowns() -> None:
    info = clusupgrade.cluster_info("c")
    assert info.functional_level is None and info.upgrade_version is None
    assert info.nodes == ()
    # Wine's GetClusterInformation leaves CLUSTERVERSIONINFO zeroed: unknown,
    # not 0.0 or OS 0.0.0.
    assert info.os_version is None and info.highest_version is None and info.lowest_version is None
    assert info.upgrade_in_progress is None
    # preflight works without the upgrade export, and says which is missing.
    result = clusupgrade.preflight("c")
    assert result.ready is False
    assert any("ClusterUpgradeFunctionalLevel" in b for b in result.blockers), result.blockers
    assert not any("Install-WindowsFeature" in b for b in result.blockers)


# ---------------------------------------------------------------------------
# Issue 15: what the package says, against clusapi.dll (the double).


@needs_truth
def test_api_zeroed_version_info_is_unknown(double: Double) -> None:
    double.script(info="C,0,0,0,0,0,0")
    info = clusupgrade.cluster_info("c")
    assert info.os_version is None and info.highest_version is None and info.lowest_version is None


@needs_truth
def test_api_in_progress_flag_is_unknown_from_clusapi(double: Double) -> None:
    double.script()
    assert clusupgrade.cluster_info("c").upgrade_in_progress is None


@needs_truth
def test_api_levels_and_the_hci_inference(double: Double) -> None:
    double.script(info="C,10,0,20348,786437,720900,0", level=11)
    info = clusupgrade.cluster_info("c")
    assert info.highest_version == (12, 5) and info.lowest_version == (11, 4)
    assert info.functional_level_name == "11 (Windows Server 2022)" and not info.hci
    # HCI_UPGRADE_BIT in the upgrade version the cluster reports.
    double.script(info=f"C,10,0,20348,{(12 << 16) | 0x8005},720900,0", level=12)
    info = clusupgrade.cluster_info("c")
    assert info.hci and info.functional_level_name == (
        "12 (Windows Server 2025) (Azure Stack HCI / Azure Local, inferred from the upgrade version)"
    )


@needs_truth
@pytest.mark.parametrize(
    ("status", "says"),
    [
        (1, "connect through a node of the cluster that runs Windows Server 2016 or later"),
        (5976, "read the cluster log (Get-ClusterLog -Cluster c -Destination .) before trying again"),
        (5974, "start it again without ForceQuorum (Start-Cluster -Name c)"),
        (5980, "(ERROR_NODE_NOT_ACTIVE_CLUSTER_MEMBER)"),
        (5037, "(ERROR_ALL_NODES_NOT_AVAILABLE)"),
    ],
)
def test_api_errors_say_what_to_do(double: Double, status: int, says: str) -> None:
    from clusupgrade.outcome import FIX_FIRST

    double.script(phases=(1, 2), status=status)
    with pytest.raises(ClusterUpgradeError) as info:
        clusupgrade.upgrade("c")
    assert says in str(info.value)
    assert (status in FIX_FIRST) == (status != 1)


@needs_truth
@pytest.mark.parametrize("status", [5050, 5980, 5037])
def test_api_preflight_says_a_down_node_once(double: Double, status: int) -> None:
    double.script(level=11, nodes="HV1:up:10.0.26100:12:5,HV2:down:10.0.26100:12:5", status=status)
    result = clusupgrade.preflight("c")
    assert len(result.blockers) == 1
    assert "Start-ClusterNode -Name HV2 -Cluster c" in result.blockers[0]
