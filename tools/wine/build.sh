#!/usr/bin/env bash
# Cross-compiles the extension for Windows x86-64 with mingw-w64 against the
# stable ABI (linked to python3.dll), from the sources csrc/SOURCES lists,
# and stages an importable package at build/win-amd64/site/clusupgrade/.
# Also builds the test-double clusapi.dll (and its planted impostor).
source "$(dirname "$0")/env.sh"
[ -f "$WINPY/include/Python.h" ] || { echo "build: run tools/wine/setup.sh first" >&2; exit 1; }

CFLAGS=(-O2 -g -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers
        -D_WIN32_WINNT=0x0A00 -DWIN32_LEAN_AND_MEAN)
# No libgcc or winpthread DLLs: users get one .pyd that needs only Windows.
LDFLAGS=(-shared -static-libgcc)

sources=()
while read -r where name; do
    case "$where" in all|windows) sources+=("$ROOT/csrc/$name") ;; esac
done < <(grep -v '^\s*#' "$ROOT/csrc/SOURCES" | grep -v '^\s*$')

rm -rf "$STAGE"
mkdir -p "$STAGE/clusupgrade" "$BUILD"
cp "$ROOT"/src/clusupgrade/*.py "$ROOT"/src/clusupgrade/*.pyi "$ROOT"/src/clusupgrade/py.typed \
   "$STAGE/clusupgrade/"

"$MINGW_CC" "${CFLAGS[@]}" -DPy_LIMITED_API=0x030B0000 -I "$WINPY/include" \
    "${sources[@]}" -L "$WINPY/libs" -lpython3 "${LDFLAGS[@]}" \
    -o "$STAGE/clusupgrade/_clusupgrade.pyd"

# The .pyd may import python3.dll and system DLLs only.
imports="$(x86_64-w64-mingw32-objdump -p "$STAGE/clusupgrade/_clusupgrade.pyd" \
           | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)"
for dll in $imports; do
    case "$dll" in
        python3.dll|kernel32.dll|msvcrt.dll|api-ms-win-crt-*.dll) ;;
        *) echo "build: _clusupgrade.pyd imports $dll; only python3.dll and system DLLs are allowed" >&2
           exit 1 ;;
    esac
done

DOUBLE="$ROOT/tests/wine/clusapi_double"
"$MINGW_CC" "${CFLAGS[@]}" "$DOUBLE.c" "$DOUBLE.def" "${LDFLAGS[@]}" -o "$BUILD/clusapi.dll"
mkdir -p "$BUILD/planted"
"$MINGW_CC" "${CFLAGS[@]}" -DPLANTED "$DOUBLE.c" "$DOUBLE.def" "${LDFLAGS[@]}" \
    -o "$BUILD/planted/clusapi.dll"
echo "build: $STAGE/clusupgrade/_clusupgrade.pyd (imports: $(echo $imports))"
