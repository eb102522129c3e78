"""Functional levels in words, as Microsoft names them.

Microsoft's Cluster OS Rolling Upgrade article (2025 revision) lists the
levels: 8 = Windows Server 2012 R2, 9 = 2016, 10 = 2019, 11 = 2022,
12 = 2025.  A level it does not list is shown as its number alone.

Azure Stack HCI / Azure Local is named only as an inference: the SDK's
clusapi.h sets HCI_UPGRADE_BIT (0x8000) in the *upgrade version* (the low
word of a cluster version) of those releases, so where that bit is set in
what the cluster reported, `level_words(level, hci=True)` says so, and
says that it is inferred.  No Microsoft page maps HCI releases to levels.
"""

from __future__ import annotations

from typing import Final

NAMES: Final = {
    8: "Windows Server 2012 R2",
    9: "Windows Server 2016",
    10: "Windows Server 2019",
    11: "Windows Server 2022",
    12: "Windows Server 2025",
}
"""Microsoft's Cluster OS Rolling Upgrade article: level -> Windows Server."""

HCI_UPGRADE_BIT: Final = 0x8000
"""clusapi.h: set in the upgrade version of Azure Stack HCI releases."""

HCI_REMARK: Final = " (Azure Stack HCI / Azure Local, inferred from the upgrade version)"


def level_name(level: int | None) -> str | None:
    """The Windows Server release Microsoft names for `level`
    ("Windows Server 2022"), or None for a level it does not name."""
    return None if level is None else NAMES.get(level)


def level_words(level: int | None, *, hci: bool = False) -> str:
    """`level` for people: "11 (Windows Server 2022)", "13" for a level
    Microsoft does not name, "unknown" for None.  `hci`: HCI_UPGRADE_BIT was
    set in what the cluster reported, which adds the inferred Azure Stack
    HCI / Azure Local remark."""
    if level is None:
        return "unknown"
    name = level_name(level)
    words = str(level) if name is None else f"{level} ({name})"
    return words + HCI_REMARK if hci else words


def is_hci(version: tuple[int, int] | None) -> bool:
    """HCI_UPGRADE_BIT is set in the upgrade version of `version`, a
    (major, upgrade) pair."""
    return version is not None and bool(version[1] & HCI_UPGRADE_BIT)
