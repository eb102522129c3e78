"""implib_def.py LIB DEF: writes a module-definition (.def) file listing
every symbol that the Windows import library LIB (python3.lib) imports, so
that llvm-dlltool can make the same import library for another machine.

The winpython distributions carry python3.lib for x64 only; the ARM64
.pyd links against the one made from this .def.  Data exports (the type
objects, the exception classes, _Py_NoneStruct...) are marked DATA, as the
import library records them, so they are reached only through their
__imp_ pointers.

An import library is an ar archive of "short import" members: a 20-byte
header (signatures 0 and 0xFFFF, machine, size of the data, ordinal or
hint, and the import type in the low two bits of the last field), then the
symbol's name and the DLL's name, each NUL-terminated.
"""

from __future__ import annotations

import struct
import sys

IMPORT_CODE, IMPORT_DATA, IMPORT_CONST = 0, 1, 2


def imports(lib: bytes) -> tuple[str, dict[str, int]]:
    """The DLL's name and {symbol: import type} of an import library."""
    if lib[:8] != b"!<arch>\n":
        raise ValueError("not an ar archive")
    symbols: dict[str, int] = {}
    dlls: set[str] = set()
    pos = 8
    while pos + 60 <= len(lib):
        size = int(lib[pos + 48 : pos + 58])
        body = lib[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size & 1)
        if len(body) < 20:
            continue
        sig1, sig2, _version, _machine, _stamp, data_size, _hint, flags = struct.unpack_from("<HHHHIIHH", body)
        if (sig1, sig2) != (0, 0xFFFF):
            continue  # the archive's symbol tables and long-name table
        name, dll = body[20 : 20 + data_size].split(b"\0")[:2]
        symbols[name.decode("ascii")] = flags & 3
        dlls.add(dll.decode("ascii"))
    if len(dlls) != 1 or not symbols:
        raise ValueError(f"expected the imports of one DLL, found {sorted(dlls)}")
    return dlls.pop(), symbols


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], "rb") as f:
        dll, symbols = imports(f.read())
    if any(kind == IMPORT_CONST for kind in symbols.values()):
        raise ValueError("CONST imports are not supported")
    with open(argv[1], "w", encoding="ascii") as out:
        out.write(f"LIBRARY {dll}\nEXPORTS\n")
        for name in sorted(symbols):
            out.write(f"    {name}{' DATA' if symbols[name] == IMPORT_DATA else ''}\n")
    data = sum(kind == IMPORT_DATA for kind in symbols.values())
    print(f"implib_def: {dll}: {len(symbols)} symbols ({data} data) -> {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
