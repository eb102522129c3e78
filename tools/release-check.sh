#!/usr/bin/env bash
# One command that tells a maintainer whether a release is sound: builds the
# sdist, the Linux wheel and the Windows wheels (x64 and ARM64) and runs
# every check on them.  Any failure fails the run; CI runs it.
#   1. tools/check-packaging.sh  sdist and Linux wheel (built from the sdist),
#      twine, abi3audit, each installed and tested on Linux; cibuildwheel's
#      plan; the release workflow validated against the workflow schema
#   2. tools/wine/setup.sh       Wine, zig, Windows CPython 3.11, 3.12, 3.13
#   3. tools/check-c.sh          strict C11 (-pedantic-errors) with clang,
#                                for Linux, Windows x64 and Windows ARM64
#   4. tools/wine/build.sh       the Windows wheels from the Linux wheel's
#                                metadata: PE machine and imports (UCRT),
#                                twine, abi3audit
#   5. tools/wine/test.sh        for each Windows CPython: pip-install the
#                                x64 wheel, the console-script checks, the
#                                tests, the builtin-clusapi pass: the whole
#                                suite on $WINPY_WHOLE (3.13), the
#                                `installed` suite (tests/suites.py) on the
#                                others
# At the end build/dist/ holds the four files and their sha256.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source tools/wine/env.sh

stage() {  # stage NAME COMMAND...: runs it and says how long it took
    local name="$1" start=$SECONDS
    shift
    echo "release-check: == $name"
    "$@"
    echo "release-check: == $name: done in $((SECONDS - start))s"
}

stage "sdist and Linux wheel" bash tools/check-packaging.sh
stage "Windows toolchain and interpreters" bash tools/wine/setup.sh
stage "strict C" bash tools/check-c.sh
linux_wheel="$(ls "$ROOT"/build/dist/clusupgrade-*-linux_*.whl)"
export LINUX_WHEEL="$linux_wheel"
stage "Windows wheels" bash tools/wine/build.sh
for version in "${WINPY_VERSIONS[@]}"; do
    if [ "$version" = "$WINPY_WHOLE" ]; then
        stage "Windows CPython $version, the whole suite" bash tools/wine/test.sh --python "$version" -q
    else
        stage "Windows CPython $version, the installed suite" \
            bash tools/wine/test.sh --python "$version" -q -m installed
    fi
done

cp "$DIST"/*.whl "$ROOT/build/dist/"
echo "release-check: sound, in ${SECONDS}s. build/dist/:"
(cd "$ROOT/build/dist" && sha256sum -- *)
