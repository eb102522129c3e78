#!/usr/bin/env bash
# Compiles every C source in strict standard C11, no compiler extensions
# (-std=c11 -pedantic-errors -Werror), so that MSVC, which builds the
# released Windows wheels (.github/workflows/wheels.yml) and never runs
# here, meets no GNU C:
# clang (zig cc, tools/toolchain.sh), a second compiler beside the gcc that
# builds for Linux, for x86_64 Linux and for x86_64 and ARM64 Windows, each
# with the sources csrc/SOURCES lists for that platform and the stable ABI
# of CPython 3.11 (Windows headers from tools/wine/setup.sh).  Python's own
# headers are system headers here: this checks our code, not CPython's.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/tools/toolchain.sh"
WIN_INCLUDE="$ROOT/.cache/wine/cp311/include"
[ -f "$WIN_INCLUDE/Python.h" ] || { echo "check-c: run tools/wine/setup.sh first (Windows CPython headers)" >&2; exit 1; }
LINUX_INCLUDE="$(python3 -c 'import sysconfig; print(sysconfig.get_path("include"))')"

STRICT=(-std=c11 -pedantic-errors -Werror -Wall -Wextra -Wno-missing-field-initializers -Wvla
        -O2 -DPy_LIMITED_API=0x030B0000)

sources() {  # sources PLATFORM: the C files csrc/SOURCES lists for it
    grep -v '^\s*#' "$ROOT/csrc/SOURCES" | awk -v p="$1" '$1 == "all" || $1 == p { print "csrc/" $2 }'
}

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$ROOT"
failed=0
strict() {  # strict NAME PLATFORM COMPILER...: compiles each source alone
    local name="$1" platform="$2" ok=1
    shift 2
    for src in $(sources "$platform"); do
        "$@" "${STRICT[@]}" -c "$src" -o "$out/$(basename "$src").o" || ok=0
    done
    if [ "$ok" = 1 ]; then echo "check-c: $name: strict C11, clean"; else echo "check-c: $name: FAILED" >&2; failed=1; fi
}
strict "clang x86_64-linux" posix zig cc -target x86_64-linux-gnu -isystem "$LINUX_INCLUDE"
strict "clang x86_64-windows" windows zig cc -target x86_64-windows-gnu -DWIN32_LEAN_AND_MEAN -isystem "$WIN_INCLUDE"
strict "clang aarch64-windows" windows zig cc -target aarch64-windows-gnu -DWIN32_LEAN_AND_MEAN -isystem "$WIN_INCLUDE"
exit "$failed"
