#!/usr/bin/env bash
# Builds the sdist and a wheel with `python -m build`, installs each into a
# fresh virtual environment and runs tests against the installed package
# (not the source tree); twine check and abi3audit on what was built;
# checks that the sdist carries every test file, that cibuildwheel plans
# the intended builds, and validates the release workflow
# (.github/workflows/wheels.yml) against the GitHub workflow schema.  The
# Windows wheels: tools/wine/build.sh and test.sh.
# Which tests: the `installed` suite of tests/suites.py (the package
# imports and works where it is installed: native core, phases, fleets,
# errors, a smoke test of the command line and its console script) on the
# wheel under 3.11, 3.12 and 3.13 and on the sdist.  The whole suite runs
# in tools/test.sh and, against the installed Windows wheel (the same
# Python files and data as this wheel), under Wine: docs/ci.md says why
# a whole run here again proved nothing new.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# Its own environment for the tools, not .venv: nothing here needs the
# package installed in place, and CI runs this beside stages that use .venv.
TOOLS="$ROOT/build/venv-packaging"
[ -x "$TOOLS/bin/python" ] || "${PYTHON:-python3}" -m venv "$TOOLS"
"$TOOLS/bin/python" -m pip install -q build twine abi3audit "cibuildwheel>=3" "check-jsonschema>=0.29"
export PATH="$TOOLS/bin:$PATH"

DIST="$ROOT/build/dist"
rm -rf "$DIST"
python -m build --outdir "$DIST" >/dev/null
sdist="$(ls "$DIST"/*.tar.gz)"
wheel="$(ls "$DIST"/*.whl)"
echo "packaging: built $(basename "$sdist") and $(basename "$wheel")"
case "$wheel" in *-cp311-abi3-*) ;; *) echo "packaging: the wheel is not tagged cp311-abi3" >&2; exit 1 ;; esac

python -m twine check --strict "$sdist" "$wheel"
abi3audit --strict --report "$wheel"

# Installed packages, tested from outside the source tree.
INSTALLED_TESTS=(-m installed)
test_installed() {
    local what="$1" tests="$2" env="$ROOT/build/venv-$3" py="${4:-${PYTHON:-python3}}" start=$SECONDS
    rm -rf "$env"
    "$py" -m venv "$env"
    "$env/bin/python" -m pip install -q "$what" pytest hypothesis
    (cd "$(mktemp -d)" && "$env/bin/python" -c "
import clusupgrade, sys
assert '$ROOT/src' not in clusupgrade.__file__, clusupgrade.__file__
print('packaging: testing', clusupgrade.__file__)" \
        && CLUSUPGRADE_STRESS_SCALE=0.2 PATH="$env/bin:$PATH" \
           "$env/bin/python" -m pytest -q -p no:cacheprovider "${INSTALLED_TESTS[@]}" "$tests")
    echo "packaging: $3 installed and tested in $((SECONDS - start))s"
}
test_installed "$wheel" "$ROOT/tests" wheel
# The sdist alone must build and test: unpack it and use its own tests.
unpacked="$(mktemp -d)"
tar xzf "$sdist" -C "$unpacked"
# Every test file and test data file the repository has is in the sdist
# (MANIFEST.in), so the sdist's own tests are the whole suite.
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    missing="$(comm -23 <(git -C "$ROOT" ls-files tests | sort) \
                        <(cd "$(ls -d "$unpacked"/*/)" && find tests -type f | sort))"
    if [ -n "$missing" ]; then
        echo "packaging: the sdist lacks these test files (MANIFEST.in):" $missing >&2
        exit 1
    fi
    echo "packaging: the sdist carries all $(git -C "$ROOT" ls-files tests | wc -l) test files"
fi
test_installed "$sdist" "$(ls -d "$unpacked"/*/)tests" sdist

# The one abi3 wheel must also serve later CPythons: test it on those this
# machine has (pyenv's, or on PATH).
for version in 3.12 3.13; do
    py="$(ls -d "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/$version.*/bin/python$version 2>/dev/null | tail -1)"
    if [ -z "$py" ] && python$version -c pass 2>/dev/null; then py="$(command -v python$version)"; fi
    if [ -z "$py" ]; then
        echo "packaging: no Python $version on this machine; the abi3 wheel is not tested there"
        continue
    fi
    test_installed "$wheel" "$ROOT/tests" "wheel-$version" "$py"
done

# cibuildwheel's plan (it reads pyproject.toml; nothing is built): the one
# abi3 wheel per platform, nothing free-threaded.
for platform in windows linux; do
    planned="$(cibuildwheel --print-build-identifiers --platform "$platform" | sort | tr '\n' ' ')"
    case "$platform" in
        windows) expected="cp311-win_amd64 cp311-win_arm64 " ;;
        linux) expected="cp311-manylinux_x86_64 " ;;
    esac
    if [ "$planned" != "$expected" ]; then
        echo "packaging: cibuildwheel plans '$planned' for $platform, expected '$expected'" >&2
        exit 1
    fi
    echo "packaging: cibuildwheel plans $planned"
done

# The release workflow never runs here: at least it must be a valid
# workflow (the schema is bundled with check-jsonschema; no download).
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
