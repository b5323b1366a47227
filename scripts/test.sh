#!/usr/bin/env bash
# Set up, then run the whole test suite (unit tests, release freshness, validate for every assignment).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest -q "$@"
