#!/usr/bin/env bash
# Fresh machine to a running (simulated) upgrade: installs the package into
# .venv and raises the level of a simulated cluster, showing every phase.
# Extra arguments go to `clusupgrade run`, e.g. --fail-code 5977 --fail-after 3.
set -euo pipefail
source "$(dirname "$0")/venv.sh"
clusupgrade run --simulate --yes "$@"
