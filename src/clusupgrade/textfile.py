"""Text files an administrator hands to clusupgrade (an estate, a list of
cluster names), decoded as Windows tools write them.

UTF-8, with or without a BOM, and UTF-16 with a BOM (what Windows
PowerShell 5.1's ``>`` and ``Out-File`` write) are read; anything else is
one ValueError naming the file and where decoding failed, never a codec
traceback.
"""

from __future__ import annotations

import codecs


def decode(data: bytes, what: str) -> str:
    """`data` as text; ValueError naming `what` when it is not UTF-8 or
    UTF-16 with a BOM."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data  # the codec reads the BOM and drops it
    else:
        encoding, body = "utf-8", data
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n" if encoding == "utf-8" else "\n".encode("utf-16-le")) + 1
        kind = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise ValueError(
            f"{what}: not {kind} text (line {line}, byte 0x{body[exc.start]:02x}): "
            "save it as UTF-8, or UTF-16 with a BOM"
        ) from None
