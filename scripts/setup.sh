#!/usr/bin/env bash
# Create .venv and install the pinned requirements (idempotent; about 2 minutes the first time).
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
