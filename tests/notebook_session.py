"""A notebook session in a test: the committed notebook's setup cell run as Colab runs it, and
student code defined the way a notebook cell defines it (so inspect can read it back)."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import linecache
import tempfile
from pathlib import Path
from typing import Any

from autograder import paths

_CELLS = itertools.count(1)


def setup_cell(assignment: str) -> str:
    nb = json.loads(paths.notebook_file(assignment).read_text())
    return next("".join(c["source"]) for c in nb["cells"] if "".join(c["source"]).startswith("#@title Setup"))


def run_cell(namespace: dict[str, Any], source: str) -> None:
    """exec a cell under a file name that linecache knows, as IPython does."""
    filename = f"<notebook-cell-{next(_CELLS)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)


_WORKDIR = tempfile.mkdtemp(prefix="kit-notebook-")  # where setup cells write kitcheck/, as in a student's folder


def session(assignment: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.chdir(_WORKDIR):
        run_cell(namespace, setup_cell(assignment))
    return namespace


def check_output(namespace: dict[str, Any], name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace["check"](name)
    return out.getvalue()


def define_file(namespace: dict[str, Any], path: Path) -> None:
    run_cell(namespace, path.read_text())
