#!/usr/bin/env bash
# benchmarks/salt_vs_fleet.py in Salt's virtual environment (tools/salt/venv.sh),
# its daemons in a temporary root that the trap clears, whatever happens.
set -euo pipefail
source "$(dirname "$0")/../tools/salt/venv.sh"
source "$ROOT/tools/salt/stop.sh"
LAB="$(mktemp -d /tmp/cus-salt.XXXXXX)"
trap 'for d in "$LAB"/*/; do [ -f "$d/pgids" ] && stop_lab "$d"; done; rm -rf "$LAB"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export CLUSUPGRADE_SALT_ROOT="$LAB"
"$PY" "$ROOT/benchmarks/salt_vs_fleet.py"
