#!/usr/bin/env bash
# Create .venv, install the pinned requirements, then the kit itself (`pip install -e .`, which
# gives the `course-kit` command). Idempotent; about 2 minutes the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import torch, nbclient, safetensors, jupytext, tqdm, sklearn" 2>/dev/null \
   || [ requirements.txt -nt .venv/.installed ]; then
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
