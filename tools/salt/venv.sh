# Sourced by tools/check-salt.sh and tools/salt/demo.sh: a virtual
# environment of its own (SALT_VENV, default .cache/salt-venv) with Salt
# 3008.4 from PyPI and clusupgrade built from this tree, as `salt-pip
# install` puts it on a minion.  Test-only: Salt is never a dependency of
# clusupgrade.  Sets ROOT, SALT_VENV and PY.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SALT_VERSION="3008.4"
SALT_VENV="${SALT_VENV:-$ROOT/.cache/salt-venv}"
PY="$SALT_VENV/bin/python"
if [ ! -x "$PY" ]; then
    python3 -m venv "$SALT_VENV"
fi
if ! "$PY" -c "import salt.version, sys; sys.exit(salt.version.__version__ != '$SALT_VERSION')" 2>/dev/null; then
    "$PY" -m pip install -q "salt==$SALT_VERSION"
fi
if [ "${SALT_VENV_TEST:-0}" = 1 ]; then
    "$PY" -m pip install -q pytest jsonschema
fi
if [ "${CLUSUPGRADE_INSTALLED:-0}" != 1 ]; then  # the stage's own test of demo.sh has it already
    "$PY" -m pip install -q --force-reinstall --no-deps "$ROOT"
fi
export PATH="$SALT_VENV/bin:$PATH"
