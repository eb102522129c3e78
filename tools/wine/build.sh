#!/usr/bin/env bash
# Builds, on Linux, the Windows wheels a user installs:
#   build/wine/dist/clusupgrade-<v>-cp311-abi3-win_amd64.whl  (tested under Wine)
#   build/wine/dist/clusupgrade-<v>-cp311-abi3-win_arm64.whl  (built and inspected only)
# The extension is cross-compiled with zig's clang (tools/toolchain.sh),
# whose *-windows-gnu targets link the Universal C Runtime, as MSVC builds
# of CPython do, against the stable ABI (python3.dll) with the headers and
# python3.lib of Windows CPython 3.11, from the sources csrc/SOURCES lists.
# The rest of each wheel (Python files, .pyi, py.typed, license, metadata,
# console script) is the Linux wheel's, built by setuptools from the same
# pyproject.toml; LINUX_WHEEL=path uses one already built (release-check.sh
# passes the one it tested).  Each .pyd's machine type and imports are
# checked, each wheel with twine and abi3audit.
# Also builds the test-double clusapi.dll (and its planted impostor) with
# mingw-w64: test-only code, never shipped.
source "$(dirname "$0")/env.sh"
[ -f "$WINPY_BUILD/include/Python.h" ] || { echo "build: run tools/wine/setup.sh first" >&2; exit 1; }
source "$ROOT/tools/toolchain.sh"

CFLAGS=(-O2 -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers
        -DWIN32_LEAN_AND_MEAN -DPy_LIMITED_API=0x030B0000 -isystem "$WINPY_BUILD/include")

sources=()
while read -r where name; do
    case "$where" in all|windows) sources+=("$ROOT/csrc/$name") ;; esac
done < <(grep -v '^\s*#' "$ROOT/csrc/SOURCES" | grep -v '^\s*$')

rm -rf "$BUILD"
mkdir -p "$BUILD/amd64" "$BUILD/arm64" "$DIST"

# zig writes an import library (and with -g a .pdb) beside the .pyd; only
# the .pyd is kept.  -s: no symbol table in what is shipped.
pyd() {  # pyd TARGET OUTDIR LIBDIR
    zig cc -target "$1" "${CFLAGS[@]}" "${sources[@]}" -L "$3" -lpython3 -shared -s \
        -o "$2/_clusupgrade.pyd"
    rm -f "$2"/*.lib "$2"/*.pdb
}
pyd x86_64-windows-gnu "$BUILD/amd64" "$WINPY_BUILD/libs"
# Only an x64 python3.lib comes with the interpreter: make the ARM64 one
# from the same list of exports.
"$TOOLPY" "$ROOT/tools/wine/implib_def.py" "$WINPY_BUILD/libs/python3.lib" "$BUILD/python3.def"
mkdir -p "$BUILD/arm64-lib"
zig dlltool -m arm64 -D python3.dll -d "$BUILD/python3.def" -l "$BUILD/arm64-lib/python3.lib"
pyd aarch64-windows-gnu "$BUILD/arm64" "$BUILD/arm64-lib"

"$TOOLPY" "$ROOT/tools/wine/pecheck.py" amd64 "$BUILD/amd64/_clusupgrade.pyd"
"$TOOLPY" "$ROOT/tools/wine/pecheck.py" arm64 "$BUILD/arm64/_clusupgrade.pyd"

linux_wheel="${LINUX_WHEEL:-}"
if [ -z "$linux_wheel" ]; then
    "$TOOLPY" -m build --wheel --outdir "$BUILD/linux" "$ROOT" >"$BUILD/linux-build.log" 2>&1 || {
        cat "$BUILD/linux-build.log" >&2
        exit 1
    }
    linux_wheel="$(ls "$BUILD"/linux/*.whl)"
fi
wheels=()
for arch in amd64 arm64; do
    wheels+=("$("$TOOLPY" "$ROOT/tools/wine/winwheel.py" "$linux_wheel" "$BUILD/$arch/_clusupgrade.pyd" \
                "win_$arch" "$DIST")")
done
# What the wheels hold, not only what was compiled.
"$TOOLPY" "$ROOT/tools/wine/pecheck.py" amd64 "${wheels[0]}"
"$TOOLPY" "$ROOT/tools/wine/pecheck.py" arm64 "${wheels[1]}"
"$TOOLPY" -m twine check --strict "${wheels[@]}"
for wheel in "${wheels[@]}"; do
    "$TOOLPY" -m abi3audit --strict --report "$wheel"
done

DOUBLE="$ROOT/tests/wine/clusapi_double"
DOUBLE_FLAGS=(-O2 -g -std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers
              -D_WIN32_WINNT=0x0A00 -DWIN32_LEAN_AND_MEAN -shared -static-libgcc)
mkdir -p "$BUILD/double/planted"
"$MINGW_CC" "${DOUBLE_FLAGS[@]}" "$DOUBLE.c" "$DOUBLE.def" -o "$BUILD/double/clusapi.dll"
"$MINGW_CC" "${DOUBLE_FLAGS[@]}" -DPLANTED "$DOUBLE.c" "$DOUBLE.def" -o "$BUILD/double/planted/clusapi.dll"
echo "build: ${wheels[*]}"
