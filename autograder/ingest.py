"""Turn a submission file (.py or .ipynb) into the statements the grader takes.

What is taken, and every message about it, is autograder/checks/taking.py (the notebook's
check() and the check script use the same module). Here is the grader's side: the file's size
cap, reading it, and turning taking's SourceProblem into a SubmissionError named by the file,
which grading turns into a score of 0 with that message.
"""

from __future__ import annotations

from pathlib import Path

from .checks.taking import Ingested, SourceProblem, take_file
from .errors import KitError

MAX_FILE_BYTES = 20 * 1024 * 1024


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
