"""Checks on what users pass in, each failing with a TypeError or ValueError
that says what was expected."""

from __future__ import annotations

import math
import numbers

MAX_NAME = 255
"""Longer than any DNS or NetBIOS name a cluster can have."""

MAX_DWORD = 0xFFFFFFFF


def cluster_name(name: object, what: str = "cluster name") -> str:
    """`name` if it can name a cluster."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, not {type(name).__name__}")
    if not name:
        raise ValueError(f"{what} must not be empty (use None for the local cluster)")
    if "\0" in name:
        raise ValueError(f"{what} must not contain NUL characters")
    if len(name) > MAX_NAME:
        raise ValueError(f"{what} is {len(name)} characters long; at most {MAX_NAME} are allowed")
    try:
        name.encode("utf-16-le")
    except UnicodeEncodeError:
        raise ValueError(f"{what} contains a lone surrogate and cannot be passed to Windows") from None
    return name


def timeout(value: object, *, zero: bool = False) -> float | None:
    """`value` as seconds, None for no limit.  0 (and -0.0) only where
    `zero` allows it, as a poll: a call abandoned the instant it starts
    helps no one."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"timeout must be None or a number of seconds, not {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:
        raise ValueError(f"timeout is too large: {value!r} seconds cannot be represented") from None
    if math.isnan(seconds):
        raise ValueError("timeout must not be NaN")
    if seconds < 0:
        raise ValueError(f"timeout must not be negative, got {value!r}")
    if seconds == 0 and not zero:
        raise ValueError(
            f"timeout must be more than 0 seconds (a call abandoned the instant it starts "
            f"helps no one), got {value!r}"
        )
    return None if math.isinf(seconds) else seconds


def flag(value: object, what: str) -> bool:
    """`value` if it is a bool: an irreversible upgrade is not started by a truthy string."""
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, not {type(value).__name__}")
    return value


def integer(value: object, what: str, low: int, high: int) -> int:
    """`value` if it is an int from `low` to `high`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be from {low} to {high}, got {value}")
    return int(value)


def win32_code(value: object, what: str) -> int:
    """`value` if it can be a Win32 error code."""
    return integer(value, what, 0, MAX_DWORD)
