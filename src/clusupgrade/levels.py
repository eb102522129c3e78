"""Functional levels in words, with the caution the sources call for.

Microsoft's reference documents only 8 (Windows Server 2012 R2) and 9
(Windows Server 2016).  10, 11 and 12 are widely reported for 2019, 2022
and 2025, but are not in that reference, and from 11 up Azure Stack HCI /
Azure Local releases share the levels.
"""

from __future__ import annotations

from typing import Final

DOCUMENTED: Final = {8: "Windows Server 2012 R2", 9: "Windows Server 2016"}
REPORTED: Final = {10: "Windows Server 2019", 11: "Windows Server 2022", 12: "Windows Server 2025"}
SHARED_FROM: Final = 11
"""The first level Azure Stack HCI / Azure Local releases share."""


def level_name(level: int | None) -> str:
    """Words for `level`: "Windows Server 2016", or "level 13" for a level
    no source names, "unknown" for None."""
    if level is None:
        return "unknown"
    if level in DOCUMENTED:
        return DOCUMENTED[level]
    if level in REPORTED:
        shared = " or Azure Stack HCI / Azure Local" if level >= SHARED_FROM else ""
        return f"{REPORTED[level]}{shared} (widely reported, not in Microsoft's reference)"
    return f"level {level}"
