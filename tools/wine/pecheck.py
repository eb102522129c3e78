"""pecheck.py MACHINE FILE...: checks that each PE file (a .pyd, or the
.pyd inside a wheel) was built
for MACHINE (amd64 or arm64) and imports nothing but python3.dll,
KERNEL32.dll and the Universal C Runtime (ucrtbase.dll and its
api-ms-win-crt-* forwarders), as an MSVC build of CPython does.  msvcrt.dll,
the old C runtime mingw-w64 links by default, is refused: memory and FILE
objects from two C runtimes must never meet in one process.

Runs on Linux with pefile (tools/toolchain.txt).  Prints one line per file;
exits 1 on the first file that breaks a rule.
"""

from __future__ import annotations

import sys
import zipfile

import pefile

MACHINES = {"amd64": 0x8664, "arm64": 0xAA64}


def allowed(dll: str) -> bool:
    dll = dll.lower()
    return dll in ("python3.dll", "kernel32.dll", "ucrtbase.dll") or (
        dll.startswith("api-ms-win-crt-") and dll.endswith(".dll")
    )


def load(path: str) -> pefile.PE:
    if not path.endswith(".whl"):
        return pefile.PE(path, fast_load=True)
    with zipfile.ZipFile(path) as wheel:
        (pyd,) = [n for n in wheel.namelist() if n.endswith(".pyd")]
        return pefile.PE(data=wheel.read(pyd), fast_load=True)


def check(machine: str, path: str) -> str | None:
    """None when `path` is sound, else what is wrong."""
    pe = load(path)
    pe.parse_data_directories([pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]])
    if pe.FILE_HEADER.Machine != MACHINES[machine]:
        return f"machine type {pe.FILE_HEADER.Machine:#06x}, expected {MACHINES[machine]:#06x} ({machine})"
    imports = sorted(entry.dll.decode() for entry in getattr(pe, "DIRECTORY_ENTRY_IMPORT", []))
    if not any(d.lower() == "python3.dll" for d in imports):
        return f"does not import python3.dll (the stable ABI): {imports}"
    if not any(d.lower().startswith("api-ms-win-crt-") or d.lower() == "ucrtbase.dll" for d in imports):
        return f"does not link the UCRT: {imports}"
    extra = [d for d in imports if not allowed(d)]
    if extra:
        return f"imports {extra}; only python3.dll, KERNEL32.dll and the UCRT are allowed"
    print(f"pecheck: {path}: {machine} ({pe.FILE_HEADER.Machine:#06x}), imports {' '.join(imports)}")
    return None


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in MACHINES:
        print(__doc__, file=sys.stderr)
        return 2
    for path in argv[1:]:
        problem = check(argv[0], path)
        if problem:
            print(f"pecheck: {path}: {problem}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
