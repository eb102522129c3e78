#!/usr/bin/env bash
# Fresh machine to a green test run: installs the package and pytest into
# .venv and runs the suite.  Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "$0")/venv.sh"
cd "$ROOT"
python -m pytest "$@"
