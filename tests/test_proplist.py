"""The parsers of what a server sends: property lists (proplist.py) and
the payload's sections (sections.py).  Any bytes at all must come back as
"these properties are absent", never as an exception or a wrong value."""

from __future__ import annotations

import queue
import struct

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from clusupgrade import Simulator, _clusupgrade, proplist, sections  # noqa: E402
from clusupgrade.phase import END_HEADER  # noqa: E402

BINARY = 0x00010001
MULTI_SZ = 0x00010005


def entry(syntax: int, value: bytes) -> bytes:
    """One entry: syntax, cbLength, the value padded to 4."""
    return struct.pack("<II", syntax, len(value)) + value + b"\0" * (-len(value) % 4)


def utf16z(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass") + b"\0\0"


def prop(name: str, *values: tuple[int, bytes]) -> bytes:
    """A property: its name, its values, the ENDMARK."""
    body = entry(proplist.SYNTAX_NAME, utf16z(name))
    body += b"".join(entry(syntax, raw) for syntax, raw in values)
    return body + struct.pack("<I", proplist.SYNTAX_ENDMARK)


def dword(name: str, value: int) -> bytes:
    return prop(name, (proplist.SYNTAX_DWORD, struct.pack("<I", value)))


def sz(name: str, value: str) -> bytes:
    return prop(name, (proplist.SYNTAX_SZ, utf16z(value)))


def plist(*props: bytes, count: int | None = None) -> bytes:
    return struct.pack("<I", len(props) if count is None else count) + b"".join(props)


def test_reads_dwords_and_strings_and_steps_over_other_syntaxes() -> None:
    data = plist(
        prop("Blob", (BINARY, b"\x01\x02\x03")),
        sz("Name", "HV-CLUSTER"),
        prop("Many", (MULTI_SZ, utf16z("a") + utf16z("b") + b"\0\0")),
        dword("ClusterFunctionalLevel", 11),
        prop("Two", (proplist.SYNTAX_DWORD, b"\x07\0\0\0"), (proplist.SYNTAX_DWORD, b"\x08\0\0\0")),
        dword("ClusterUpgradeVersion", 3),
    )
    props = proplist.parse(data)
    assert props == {"Name": "HV-CLUSTER", "ClusterFunctionalLevel": 11, "Two": 7, "ClusterUpgradeVersion": 3}
    assert proplist.dword(props, "ClusterFunctionalLevel") == 11
    assert proplist.dword(props, "Name") is None and proplist.string(props, "Name") == "HV-CLUSTER"
    assert proplist.string(props, "Missing") is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", {}),
        (b"\x01\0\0", {}),
        (plist(), {}),
        # A count larger than the data: what is there is read.
        (plist(dword("A", 1), count=2**32 - 1), {"A": 1}),
        # A count smaller than the data: the rest is not a property.
        (plist(dword("A", 1), dword("B", 2), count=1), {"A": 1}),
        # A value whose length runs past the end: it and the rest absent.
        (plist(dword("A", 1)) + struct.pack("<II", proplist.SYNTAX_NAME, 1000), {"A": 1}),
        (plist(dword("A", 1), dword("B", 2))[:-6], {"A": 1}),
        # No ENDMARK: the property is absent.
        (plist(dword("A", 1))[:-4], {}),
        # A name without its NUL: that property absent, the next one read.
        (plist(prop("A", (proplist.SYNTAX_DWORD, b"\1\0\0\0"))
               .replace(entry(proplist.SYNTAX_NAME, utf16z("A")), entry(proplist.SYNTAX_NAME, b"A\0")),
               dword("B", 2)), {"B": 2}),
        # A name of an odd length, a lone surrogate, an empty name.
        (plist(prop("X").replace(entry(proplist.SYNTAX_NAME, utf16z("X")), entry(proplist.SYNTAX_NAME, b"X\0\0")),
               dword("B", 2)), {"X": None, "B": 2}),
        (plist(dword("\ud800", 1), dword("B", 2)), {"B": 2}),
        (plist(dword("", 1), dword("B", 2)), {"B": 2}),
        # A DWORD of the wrong length, a string without NUL: absent.
        (plist(prop("A", (proplist.SYNTAX_DWORD, b"\1\0")), prop("S", (proplist.SYNTAX_SZ, b"a\0")),
               dword("B", 2)), {"B": 2}),
        # Something other than a name where a property starts: the rest absent.
        (plist(entry(proplist.SYNTAX_DWORD, b"\1\0\0\0"), dword("B", 2)), {}),
        # The first of two properties of one name wins.
        (plist(dword("A", 1), dword("A", 2)), {"A": 1}),
    ],
)
def test_malformed_lists(data: bytes, expected: dict[str, object]) -> None:
    expected = {k: v for k, v in expected.items() if v is not None}
    assert proplist.parse(data) == expected


NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=12)
VALUES = st.one_of(st.integers(0, 2**32 - 1), st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
                   .map(lambda s: s.split("\0")[0]))


def build(props: dict[str, int | str]) -> bytes:
    return plist(*(dword(k, v) if isinstance(v, int) else sz(k, v) for k, v in props.items()))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=256))
def test_any_bytes(data: bytes) -> None:
    props = proplist.parse(data)
    assert all(isinstance(k, str) and isinstance(v, (int, str)) for k, v in props.items())


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(NAMES, VALUES, max_size=6))
def test_valid_lists_read_back(props: dict[str, int | str]) -> None:
    assert proplist.parse(build(props)) == props


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(NAMES, VALUES, min_size=1, max_size=6), st.data())
def test_truncated_lists_never_lie(props: dict[str, int | str], data: st.DataObject) -> None:
    raw = build(props)
    cut = data.draw(st.integers(0, len(raw) - 1))
    got = proplist.parse(raw[:cut])
    # Fewer properties, never a wrong value.
    assert all(props[k] == v for k, v in got.items())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(NAMES, VALUES, min_size=1, max_size=6), st.data())
def test_mutated_lists(props: dict[str, int | str], data: st.DataObject) -> None:
    raw = bytearray(build(props))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.sampled_from([0, 1, 2, 3, 0x7F, 0xD8, 0xDC, 0xFF]))
    if data.draw(st.booleans()):  # a huge count or length
        at = data.draw(st.integers(0, len(raw) // 4 - 1)) * 4
        raw[at : at + 4] = b"\xff\xff\xff\x7f"
    got = proplist.parse(bytes(raw))
    assert all(isinstance(k, str) and isinstance(v, (int, str)) for k, v in got.items())


def section(ident: int, status: int, data: bytes) -> bytes:
    return struct.pack("=III", ident, status, len(data)) + data + b"\0" * (-len(data) % 4)


def test_sections_drop_what_does_not_fit() -> None:
    payload = section(1, 0, b"abc") + section(4, 5, b"") + section(9, 0, b"12345678")
    found = sections.parse(payload)
    assert [(s.id, s.status, s.data) for s in found] == [(1, 0, b"abc"), (4, 5, b""), (9, 0, b"12345678")]
    assert sections.data_of(found, 4) is None and sections.status_of(found, 4) == 5
    assert sections.status_of(found, 2) == sections.ERROR_INVALID_DATA and sections.status_of(found, 1) == 0
    assert sections.parse(payload[:-3]) == found[:2]
    assert sections.parse(payload + b"\1\0") == found
    # Data beside a failure status is not data.
    assert sections.parse(section(2, 5, b"xxxx"))[0].data == b""
    assert sections.parse(struct.pack("=III", 2, 0, 2**32 - 1) + b"xx") == ()


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_sections_any_bytes(payload: bytes) -> None:
    found = sections.parse(payload)
    assert sum(12 + len(s.data) for s in found) <= len(payload)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.binary(max_size=20)), max_size=6), st.data())
def test_sections_read_back_and_truncate(items: list[tuple[int, bytes]], data: st.DataObject) -> None:
    payload = b"".join(section(ident, 0, raw) for ident, raw in items)
    assert [(s.id, s.data) for s in sections.parse(payload)] == items
    cut = data.draw(st.integers(0, len(payload)))
    got = sections.parse(payload[:cut])
    assert [(s.id, s.data) for s in got] == items[: len(got)]


def test_the_simulators_lists_are_real_property_lists() -> None:
    # What the C writer (csrc/proplist_write.c) produces, read as a
    # server's answer is read.
    sim = Simulator(name="lab-é", functional_level=10, upgrade_version=7)
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    end = _clusupgrade.Call(items, None, False, sim._spec(False, query=True), kind=_clusupgrade.KIND_QUERY).run()
    found = sections.parse(end[END_HEADER.size :])
    cluster = sections.data_of(found, sections.CLUSTER_PROPS)
    assert cluster is not None
    assert proplist.parse(cluster) == {"Name": "lab-é", "ClusterFunctionalLevel": 10}
    # ClusterUpgradeVersion is read/write: the simulator reports it there.
    writable = sections.data_of(found, sections.CLUSTER_PROPS_RW)
    assert writable is not None
    assert proplist.parse(writable) == {"Name": "lab-é", "ClusterUpgradeVersion": 7}
    nodes = [s.data for s in found if s.id == sections.NODE]
    assert len(nodes) == 3
    state, props_status, name_bytes = struct.unpack_from("=iII", nodes[0])
    assert (state, props_status, nodes[0][12 : 12 + name_bytes].decode("utf-16-le")) == (0, 0, "HV1")
    node = proplist.parse(nodes[0][12 + name_bytes + (-name_bytes % 4) :])
    assert node == {
        "NodeName": "HV1", "MajorVersion": 10, "MinorVersion": 0, "BuildNumber": 26100, "CSDVersion": "",
        "NodeHighestVersion": (12 << 16) | 5, "NodeLowestVersion": (11 << 16) | 4,
    }
