"""Turn a submission file (.py or .ipynb) into the statements the grader takes.

What is taken, and every message about it, is autograder/checks/taking.py (the notebook's
check() and the check script use the same module). Here is the grader's side: the file's size
cap, reading it, and turning taking's SourceProblem into a SubmissionError named by the file,
which grading turns into a score of 0 with that message.
"""

from __future__ import annotations

from pathlib import Path

from .checks.taking import (FILE, NOTEBOOK, Ingested, Origin, SourceProblem, Taken,  # noqa: F401 (re-exported)
                            take_file)
from .checks import taking
from .errors import KitError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_CELL_CHARS = taking.MAX_CELL_CHARS
MAX_CELLS = taking.MAX_CELLS
MAX_NOTES = taking.MAX_NOTES


class SubmissionError(KitError):
    """The submission cannot be read at all (not UTF-8, not a notebook, no code)."""


def ingest(path: Path) -> Ingested:
    """Read a .py or .ipynb submission; SubmissionError if it cannot be read at all."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise SubmissionError(f"cannot read the file ({e.strerror})", path=path) from None
    if size > MAX_FILE_BYTES:
        raise SubmissionError(f"the file is {size // 1024 // 1024} MB; submissions may be at most "
                              f"{MAX_FILE_BYTES // 1024 // 1024} MB", path=path)
    try:
        return take_file(path.read_bytes(), path.suffix.lower())  # ALICE.PY is a .py file
    except SourceProblem as e:
        raise SubmissionError(e.message, path=path, line=e.line, cell=e.cell) from None


def take_cells(cells: list[tuple[str, int, str, list[str]]], path: Path) -> Ingested:
    """taking.take_cells for the cells of the file at path (a notebook's when it ends in .ipynb)."""
    try:
        return taking.take_cells(cells, NOTEBOOK if path.suffix.lower() == ".ipynb" else FILE)
    except SourceProblem as e:
        raise SubmissionError(e.message, path=path, line=e.line, cell=e.cell) from None
