"""The code each submission contributes to the comparison: what the grader would take from it.

Submissions are found exactly as ``grade`` finds them (collect.find_submissions), so the
names are the ones in grades.csv, and each file is read with the grader's ingest: for a
notebook, its imports, definitions and constants, never its experiments or outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import KitError
from ..grading.collect import find_submissions
from ..ingest import SubmissionError, ingest
from ..layout import Layout


@dataclass(frozen=True)
class Code:
    name: str          # the submission's name; an earlier term's is "<folder>/<name>"
    path: Path         # the file it came from
    source: str        # the statements the grader takes, as one module
    reference: bool    # from an earlier term (--reference): compared with this term only


def submission_code(inputs: list[Path], assignment: str, *, reference: bool = False) -> tuple[list[Code], list[str]]:
    """(the code of every readable submission in inputs, one note per submission left out)."""
    codes, notes = [], []
    for item in inputs:
        if not item.exists():
            raise KitError(f"no such file or folder: {item}")
    # An earlier term's names get their folder's name in front: they may repeat this term's.
    if reference:
        names = [item.name for item in inputs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise KitError(f"two --reference folders are both named {twice[0]!r}: their submissions would get "
                           "the same names; give folders with different names")
    groups = [(item, [item]) for item in inputs] if reference else [(None, inputs)]
    for folder, group in groups:
        for sub in find_submissions(group, assignment):
            name = f"{folder.name}/{sub.name}" if folder is not None else sub.name
            if sub.problem:
                notes.append(f"{name}: left out: {sub.problem}")
                continue
            try:
                source = ingest(sub.path).source
            except SubmissionError as e:
                notes.append(f"{name}: left out: {e.message}")
                continue
            codes.append(Code(name, sub.path, source, reference))
    return codes, notes


def starter_code(layout: Layout, assignment: str) -> str:
    """What every student starts from (starter_code/<id>.py, as the grader would take it)."""
    path = layout.starter_file(assignment)
    if not path.is_file():
        known = ", ".join(a for a in layout.assignment_ids() if layout.starter_file(a).is_file())
        raise KitError(f"unknown assignment {assignment!r}: there is no {layout.shown(path)} "
                       f"(known: {known})")
    return ingest(path).source
