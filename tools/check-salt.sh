#!/usr/bin/env bash
# The Salt stage (issue 18), Linux only: Salt 3008.4 from PyPI in a virtual
# environment of its own (test-only; Salt is never a dependency of
# clusupgrade) with clusupgrade built from this tree, then tests/salt/
# against a real salt-master and salt-minions on loopback ports inside a
# temporary root.  Nothing outside that root is touched, and every daemon
# is killed at the end, whatever happens: each runs in a process group of
# its own, listed in ROOT/pgids, and the trap below kills them all.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SALT_VERSION="3008.4"
SALT_VENV="${SALT_VENV:-$ROOT/.cache/salt-venv}"
PY="$SALT_VENV/bin/python"
started=$(date +%s)

if [ ! -x "$PY" ]; then
    python3 -m venv "$SALT_VENV"
fi
if ! "$PY" -c "import salt.version, sys; sys.exit(salt.version.__version__ != '$SALT_VERSION')" 2>/dev/null; then
    "$PY" -m pip install -q "salt==$SALT_VERSION"
fi
"$PY" -m pip install -q pytest jsonschema
# clusupgrade as a minion gets it: built from this tree and installed with
# pip (salt-pip on a Windows minion does the same).
"$PY" -m pip install -q --force-reinstall --no-deps "$ROOT"

LAB="$(mktemp -d /tmp/cus-salt.XXXXXX)"
stop_lab() {
    local sig pgid
    if [ -f "$LAB/pgids" ]; then
        for sig in TERM KILL; do
            while read -r pgid; do kill "-$sig" -- "-$pgid" 2>/dev/null || true; done < "$LAB/pgids"
            sleep 1
        done
    fi
    rm -rf "$LAB"
}
trap stop_lab EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export CLUSUPGRADE_SALT_ROOT="$LAB"
# -p no:warnings: the project's "warnings are errors" is for its own code,
# not for Salt's deprecation notices.
"$PY" -m pytest -q -p no:cacheprovider -p no:warnings tests/salt "$@"
echo "check-salt: $(( $(date +%s) - started )) s"
