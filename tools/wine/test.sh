#!/usr/bin/env bash
# Runs the test suite under Wine's Windows CPython 3.13 against the staged
# Windows build, with the test-double clusapi.dll in the prefix's system32.
# Extra arguments go to pytest.
source "$(dirname "$0")/env.sh"
[ -f "$STAGE/clusupgrade/_clusupgrade.pyd" ] || { echo "test: run tools/wine/build.sh first" >&2; exit 1; }

wine_start
# wineboot -u restores Wine's builtin clusapi.dll: copy the double in every run.
cp "$BUILD/clusapi.dll" "$WINEPREFIX/drive_c/windows/system32/clusapi.dll"

export PYTHONPATH="$(winpath "$STAGE");$(winpath "$WINSITE")"
# Tells tests/test_windows.py that system32 holds the double, and where the
# planted impostor is.
export CLUSUPGRADE_TEST_DOUBLE="$(winpath "$BUILD")"
export PYTHONUNBUFFERED=1
cd "$ROOT"
# -p no:cacheprovider: the Linux and Windows runs share the tree.
status=0
winpython -X faulthandler -m pytest -p no:cacheprovider "$@" || status=$?
# Second pass: Wine's own clusapi.dll, which lacks the upgrade export.
WINEDLLOVERRIDES="$WINEDLLOVERRIDES;clusapi=b" CLUSUPGRADE_TEST_BUILTIN=1 \
    winpython -X faulthandler -m pytest -p no:cacheprovider -q tests/test_windows.py \
    -k builtin || status=$?
exit "$status"
