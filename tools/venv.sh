# Sourced by the other scripts: makes .venv (once) with the package installed
# in editable mode, and puts it first on PATH.  Needs only python3 >= 3.11
# with venv and a C compiler with the Python headers.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi
# Warnings are errors for the project's own builds (users' builds are not
# affected); CLUSUPGRADE_CFLAGS set by the caller wins.
export CLUSUPGRADE_CFLAGS="${CLUSUPGRADE_CFLAGS:--Werror}"
# Rebuild every time: the C sources may have changed since the last run.
# .ci/run sets CLUSUPGRADE_VENV_BUILT=1 once its first stage has built
# .venv: the sources do not change during a CI run, and stages running
# side by side must not rebuild the extension in src/ under each other.
if [ "${CLUSUPGRADE_VENV_BUILT:-}" != 1 ]; then
    "$VENV/bin/python" -m pip install -q -e "$ROOT[test]"
fi
export PATH="$VENV/bin:$PATH"
