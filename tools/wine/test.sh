#!/usr/bin/env bash
# test.sh [--python X.Y] [--no-launcher] [PYTEST_ARGS...]
# Installs the Windows wheel (build.sh) as a user does, with pip and no
# index, into a fresh copy of Windows CPython X.Y (3.13 by default) under
# Wine, then tests what was installed:
#   1. the console script pip generated, Scripts\clusupgrade.exe
#      (launcher_checks.py: arguments and exit codes);
#   2. the test suite, run from outside the source tree against the
#      installed package (run_installed.py checks it is that one), with the
#      test-double clusapi.dll in the prefix's system32.  PYTEST_ARGS go to
#      pytest; test paths are relative to the repository (tests/test_x.py),
#      and without any the whole of tests/ runs;
#   3. a second pass with Wine's builtin clusapi.dll, which lacks the
#      upgrade export.
source "$(dirname "$0")/env.sh"
version="${WINE_PYTHON:-3.13}"
launcher=1
while [ $# -gt 0 ]; do
    case "$1" in
        --python) version="$2"; shift 2 ;;
        --no-launcher) launcher=0; shift ;;
        *) break ;;
    esac
done
base="$(winpy_dir "$version")"
wheel="$(ls "$DIST"/clusupgrade-*-cp311-abi3-win_amd64.whl 2>/dev/null || true)"
[ -f "$base/python.exe" ] || { echo "test: no Windows CPython $version; run tools/wine/setup.sh" >&2; exit 1; }
[ -n "$wheel" ] || { echo "test: no Windows wheel; run tools/wine/build.sh" >&2; exit 1; }

# The environment: a private copy of the interpreter, made anew each run
# (as a python.org installation is, pip installs into its site-packages).
# Not a venv: `python -m venv` on 3.12 and later copies files with
# CopyFile2, which Wine 8 does not implement.
env="$BUILD/py${version/./}"
rm -rf "$env"
cp -a "$base" "$env"
py="$env/python.exe"

wine_start
wheels="$CACHE/wheels/cp${version/./}"
pip_wheel="$(ls "$wheels"/pip-*.whl)"
echo "test: installing $(basename "$wheel") into Windows CPython $version with $(basename "$pip_wheel")"
# pip runs from its own wheel and installs itself too (requirements.txt
# says why).  --isolated: no PIP_* variable or pip configuration of this
# Linux machine reaches the Windows pip; --no-index: the wheel and the test
# dependencies come from local files only.
winrun "$py" "$(winpath "$pip_wheel")/pip" --isolated install -q --no-index --no-warn-script-location \
    --find-links "$(winpath "$wheels")" \
    "$(winpath "$wheel")" -r "$(winpath "$ROOT/tools/wine/requirements.txt")"
echo "test: installed in ${SECONDS}s"

# Tests start the console script by name: put the environment's Scripts
# folder on the Windows PATH.
export WINEPATH="$(winpath "$env/Scripts")"
export PYTHONUNBUFFERED=1
status=0
if [ "$launcher" = 1 ]; then
    start=$SECONDS
    winrun "$py" "$(winpath "$ROOT/tools/wine/launcher_checks.py")" || status=$?
    echo "test: launcher checks took $((SECONDS - start))s"
fi

# wineboot -u restores Wine's builtin clusapi.dll: copy the double in every run.
cp "$BUILD/double/clusapi.dll" "$WINEPREFIX/drive_c/windows/system32/clusapi.dll"
# Tells tests/test_windows.py that system32 holds the double, and where the
# planted impostor is.
export CLUSUPGRADE_TEST_DOUBLE="$(winpath "$BUILD/double")"

args=()
have_path=0
for arg in "$@"; do
    if [[ "$arg" == tests* ]] && [ -e "$ROOT/${arg%%::*}" ]; then
        args+=("$(winpath "$ROOT/$arg")")
        have_path=1
    else
        args+=("$arg")
    fi
done
[ "$have_path" = 1 ] || args+=("$(winpath "$ROOT/tests")")

# From a scratch directory: nothing of the source tree is on sys.path but
# the tests themselves.  -p no:cacheprovider: the tree stays clean.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"; wineserver -k 2>/dev/null || true' EXIT
cd "$scratch"
run_tests() {
    winrun "$py" -X faulthandler "$(winpath "$ROOT/tools/wine/run_installed.py")" -p no:cacheprovider "$@"
}
start=$SECONDS
run_tests "${args[@]}" || status=$?
echo "test: the suite took $((SECONDS - start))s"
# Second pass: Wine's own clusapi.dll, which lacks the upgrade export.
WINEDLLOVERRIDES="$WINEDLLOVERRIDES;clusapi=b" CLUSUPGRADE_TEST_BUILTIN=1 \
    run_tests -q "$(winpath "$ROOT/tests/test_windows.py")" -k builtin || status=$?
echo "test: Windows CPython $version done in ${SECONDS}s, status $status"
exit "$status"
