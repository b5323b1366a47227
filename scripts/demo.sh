#!/usr/bin/env bash
# The kit's main job on bundled data: set up, build the release, validate assignment 1
# (reference full marks, starter zero, notebooks execute), then grade the bundled
# example submissions and the blank starter and print the score table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m autograder release
.venv/bin/python -m autograder validate linear_regression
.venv/bin/python -m autograder grade linear_regression examples/linear_regression starter_code/linear_regression.py \
  --out grading-out/linear_regression
