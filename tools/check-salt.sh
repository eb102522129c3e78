#!/usr/bin/env bash
# The Salt stage (issue 18), Linux only: Salt 3008.4 from PyPI in a virtual
# environment of its own (test-only; Salt is never a dependency of
# clusupgrade) with clusupgrade built from this tree, then tests/salt/
# against a real salt-master and salt-minions on loopback ports inside a
# temporary root.  Nothing outside that root is touched, and every daemon
# is killed at the end, whatever happens: each runs in a process group of
# its own, listed in ROOT/pgids, and the trap below kills them all.
set -euo pipefail
started=$(date +%s)
SALT_VENV_TEST=1
source "$(dirname "$0")/salt/venv.sh"
source "$ROOT/tools/salt/stop.sh"
cd "$ROOT"

LAB="$(mktemp -d /tmp/cus-salt.XXXXXX)"
trap 'stop_lab "$LAB"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

export CLUSUPGRADE_SALT_ROOT="$LAB"
# -p no:warnings: the project's "warnings are errors" is for its own code,
# not for Salt's deprecation notices.
"$PY" -m pytest -q -p no:cacheprovider -p no:warnings tests/salt "$@"
echo "check-salt: $(( $(date +%s) - started )) s"
