#!/usr/bin/env bash
# Create .venv, install the pinned requirements, then the kit itself (`pip install -e .`, which
# gives the `course-kit` command). Idempotent; about 2 minutes the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
requirements_in() {
  [ -x .venv/bin/python ] && [ ! requirements.txt -nt .venv/.installed ] \
    && .venv/bin/python -c "import torch, nbclient, safetensors, jupytext, tqdm, sklearn" 2>/dev/null
}
if ! requirements_in; then
  # The requirements take about 6 GB (torch's CUDA build and its libraries). Without the room pip
  # stops half-way with "OSError: No space left on device" and a broken .venv; say it up front.
  free_kb=$(df -Pk . | awk 'NR == 2 {print $4}')
  if [ "${free_kb:-0}" -lt $((7 * 1024 * 1024)) ]; then
    echo "setup: $((free_kb / 1024)) MB free on the disk holding $PWD; installing the requirements" \
         "into .venv needs about 7 GB. Free some space and run this again." >&2
    exit 1
  fi
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  touch .venv/.installed
fi
# (-I: not the working directory's autograder but the installed one, which must be this checkout.)
if [ ! -x .venv/bin/course-kit ] || [ pyproject.toml -nt .venv/.installed-kit ] \
   || ! .venv/bin/python -I -c "import autograder, sys; sys.exit(autograder.__file__ != '$PWD/autograder/__init__.py')" \
        2>/dev/null; then
  # The requirements are in already (--no-deps). The venv's own setuptools builds the kit when it
  # can make a wheel by itself (setuptools 70.1+, or with `wheel`); else pip fetches a recent one
  # (Python 3.11's venv has setuptools 65 and no wheel).
  isolation=
  .venv/bin/python -c "import setuptools, sys; from setuptools.command import bdist_wheel" 2>/dev/null \
    && isolation=--no-build-isolation
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps $isolation -e .
  touch .venv/.installed-kit
fi
