#!/usr/bin/env bash
# ruff over everything Python, mypy --strict over the package (the C
# module's types come from its .pyi).
set -euo pipefail
source "$(dirname "$0")/venv.sh"
cd "$ROOT"
python -m pip install -q ruff mypy
ruff check src tests benchmarks tools
mypy
