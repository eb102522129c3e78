#!/usr/bin/env bash
# stage.sh PYTHON OUT: builds the extension with PYTHON into OUT/clusupgrade/
# next to a copy of the package's Python files, so that PYTHONPATH=OUT
# imports exactly that build.  CLUSUPGRADE_CFLAGS and CLUSUPGRADE_LDFLAGS
# reach the compiler (setup.py).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$1"
OUT="$(mkdir -p "$2" && cd "$2" && pwd)"
rm -rf "$OUT/clusupgrade" "$OUT/tmp"
mkdir -p "$OUT/clusupgrade"
# The package's own files, subpackages and data included, without builds.
(cd "$ROOT/src" && find clusupgrade -type f ! -name '*.so' ! -name '*.pyd' ! -name '*.pyc' \
    ! -path '*/__pycache__/*' -print0 | tar --null -T - -cf -) | tar -xf - -C "$OUT"
# setup.py runs directly here, without pip's isolated build environment.
"$PY" -m pip install -q "setuptools>=77" 2>&1 | grep -v -i warn || true
(cd "$ROOT" && "$PY" setup.py -q build_ext --build-lib "$OUT/lib" --build-temp "$OUT/tmp" --force >/dev/null)
cp "$OUT"/lib/clusupgrade/_clusupgrade*.so "$OUT/clusupgrade/"
rm -rf "$OUT/lib" "$OUT/tmp"
