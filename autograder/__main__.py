import os
import sys

# `python -m` puts the working directory first on sys.path: run inside an assignment's folder,
# its notebook.py or checks.py would shadow the modules of that name our dependencies import.
# (The autograder package itself is already imported, so it is still found.)
sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]

from .cli import run  # noqa: E402

run()
