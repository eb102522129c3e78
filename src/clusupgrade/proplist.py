"""Cluster property lists: what ClusterControl returns for
CLUSCTL_CLUSTER_GET_RO_COMMON_PROPERTIES and ClusterNodeControl for
CLUSCTL_NODE_GET_RO_COMMON_PROPERTIES (Microsoft's "Property Lists").

    DWORD count, then per property:
      CLUSPROP_SYNTAX_NAME, DWORD cbLength, the UTF-16 name with its NUL
      one or more values: DWORD syntax, DWORD cbLength, the value
      CLUSPROP_SYNTAX_ENDMARK (a lone DWORD)
    every entry padded to 4 bytes; little-endian, as Windows is.

These are the only bytes clusupgrade reads that a server sent, so the
parser trusts nothing: a property whose entries are malformed is absent,
and once the framing itself is lost (a length past the end, a missing
ENDMARK, an entry where a name should be) so is everything after it.  It
never reads past the data and raises only on programming errors.
"""

from __future__ import annotations

import struct
from typing import Final

SYNTAX_ENDMARK: Final = 0x00000000
SYNTAX_NAME: Final = 0x00040003
SYNTAX_DWORD: Final = 0x00010002
"""CLUSPROP_SYNTAX_LIST_VALUE_DWORD"""
SYNTAX_SZ: Final = 0x00010003
"""CLUSPROP_SYNTAX_LIST_VALUE_SZ"""

FUNCTIONAL_LEVEL: Final = "ClusterFunctionalLevel"
UPGRADE_VERSION: Final = "ClusterUpgradeVersion"

_U32 = struct.Struct("<I")
_ENTRY = struct.Struct("<II")
_MIN_PROPERTY = _ENTRY.size + 4 + _U32.size
"""A name entry with the shortest name (one NUL, padded) and an ENDMARK."""

Value = int | str
Properties = dict[str, Value]


class _Lost(Exception):
    """The framing cannot be followed any further."""


def parse(data: bytes) -> Properties:
    """The properties of `data` whose syntax this parser knows (DWORD and
    SZ), by name; the first value of each, the first property of a name."""
    found: Properties = {}
    if len(data) < _U32.size:
        return found
    (count,) = _U32.unpack_from(data, 0)
    offset = _U32.size
    # Each property takes room, so a huge count cannot make a long loop.
    for _ in range(min(count, len(data) // _MIN_PROPERTY)):
        try:
            offset, name, value = _property(data, offset)
        except _Lost:
            break
        if name is not None and value is not None and name not in found:
            found[name] = value
    return found


def dword(props: Properties, name: str) -> int | None:
    """The DWORD property `name`, or None when absent or of another syntax."""
    value = props.get(name)
    return value if isinstance(value, int) else None


def string(props: Properties, name: str) -> str | None:
    """The string property `name`, or None when absent or of another syntax."""
    value = props.get(name)
    return value if isinstance(value, str) else None


def _entry(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """(syntax, value, offset of the next entry) of the entry at `offset`."""
    if offset + _ENTRY.size > len(data):
        raise _Lost
    syntax, length = _ENTRY.unpack_from(data, offset)
    start = offset + _ENTRY.size
    if length > len(data) - start:
        raise _Lost
    return syntax, data[start : start + length], start + length + (-length % 4)


def _property(data: bytes, offset: int) -> tuple[int, str | None, Value | None]:
    """(offset after it, name, first value) of the property at `offset`;
    name or value None when malformed or of a syntax not known here."""
    syntax, raw_name, offset = _entry(data, offset)
    if syntax != SYNTAX_NAME:
        raise _Lost
    name = _text(raw_name)
    value: Value | None = None
    first = True
    while True:
        if offset + _U32.size > len(data):
            raise _Lost
        if _U32.unpack_from(data, offset)[0] == SYNTAX_ENDMARK:
            return offset + _U32.size, name or None, value
        syntax, raw, offset = _entry(data, offset)
        if first:
            value = _value(syntax, raw)
            first = False


def _value(syntax: int, raw: bytes) -> Value | None:
    if syntax == SYNTAX_DWORD:
        return _U32.unpack(raw)[0] if len(raw) == _U32.size else None
    if syntax == SYNTAX_SZ:
        return _text(raw)
    return None


def _text(raw: bytes) -> str | None:
    """UTF-16-LE up to its NUL; None without a NUL, or with a lone surrogate."""
    at = raw.find(b"\0\0")
    while at > 0 and at % 2:  # a NUL code unit starts at an even offset
        at = raw.find(b"\0\0", at + 1)
    if at < 0:
        return None
    try:
        return raw[:at].decode("utf-16-le")
    except UnicodeDecodeError:
        return None
