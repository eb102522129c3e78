#!/usr/bin/env bash
# Sets up .venv (with cffi for the comparison) and runs the benchmarks.
set -euo pipefail
source "$(dirname "$0")/../tools/venv.sh"
python -m pip install -q cffi
python "$ROOT/benchmarks/run.py"
