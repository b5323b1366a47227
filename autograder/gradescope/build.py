"""Build an assignment's Gradescope autograder zip, byte for byte the same on every rebuild.

At the zip's root: ``setup.sh`` (Gradescope runs it once when it builds the image) and
``run_autograder`` (run for every submission), then exactly what ``python -m autograder grade``
needs: the ``autograder/`` package, ``assignments/<id>/`` (spec.toml, cases.toml, checks.py, and
questions.json: the written questions' ids, numbers, text and placeholders, for the answer pages),
``course.toml`` (for its [feedback] table) and the pinned requirements of grading alone
(requirements-grading.txt; setup.sh installs torch as a CPU build). No reference solution: the grader compares with torch, never with solutions/,
so neither solutions/ nor a starter or a notebook goes in, and the finished zip is scanned for
solution-region lines before it is written.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..assignment import Assignment
from ..atomic import write_atomically
from ..checks.building import check_assignment
from ..errors import KitError, LeakError
from ..layout import COURSE_FILE_NAME, PACKAGE, Layout
from ..release.leaks import Leak, Secrets, find_leak, load_secrets
from ..release.markers import split_lines
from ..release.questions import QUESTIONS_FILE, questions_json

TEMPLATES = Path(__file__).resolve().parent
# Pinned, and only what grading imports (no notebook, plotting or similarity tools): setup.sh installs it.
REQUIREMENT_FILES = ("requirements-grading.txt",)
EXECUTABLES = ("setup.sh", "run_autograder")
# Never in the zip, whatever else changes: reference code and the student-facing builds.
FORBIDDEN_FOLDERS = ("solutions/", "starter_code/", "notebooks/", "dist/")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: no build time in the bytes
ASSIGNMENT_PLACEHOLDER = "@ASSIGNMENT@"
SANDBOX_FLAGS_PLACEHOLDER = "@SANDBOX_FLAGS@"
# A region marker as solution files write it: a comment on a line of its own. The kit's own
# code names the markers in prose and messages ('a BEGIN/END SOLUTION marker'), which is fine.
_MARKER_LINE = re.compile(r"^\s*#+\s*(BEGIN|END)\s+SOLUTION\b")
_MARKER_WORDS = re.compile(r"\b(BEGIN|END)\s+SOLUTION\b")


@dataclass(frozen=True)
class GradescopeZip:
    path: Path
    names: list[str]
    size: int


def zip_members(assignment: Assignment, allow_weak_sandbox: bool = False) -> dict[str, bytes]:
    """Zip name -> content for ``assignment``."""
    layout = assignment.layout  # the course it belongs to: its course.toml goes in
    members: dict[str, bytes] = {}
    for name in EXECUTABLES:
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        text = text.replace(ASSIGNMENT_PLACEHOLDER, assignment.id)
        text = text.replace(SANDBOX_FLAGS_PLACEHOLDER, "--allow-weak-sandbox" if allow_weak_sandbox else "")
        members[name] = text.encode("utf-8")
    for name in REQUIREMENT_FILES:
        members[name] = _read(layout, PACKAGE.parent / name)  # the kit's pins, beside its package
    # The course's own settings: grading reads its [feedback] table (the daily budget, disclosure.py).
    members[COURSE_FILE_NAME] = _read(layout, layout.course_file)
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE.parent)
        if path.is_file() and not _not_for_grading(rel):
            members[rel.as_posix()] = path.read_bytes()
    for name, text in assignment.grading_files().items():  # as loaded and checked (not notebook.py)
        members[f"assignments/{assignment.id}/{name}"] = text.encode("utf-8")
    if assignment.notebook is not None:  # notebook.py stays out: its questions alone, as grading reads them
        questions = questions_json(assignment.notebook.questions)
        members[f"assignments/{assignment.id}/{QUESTIONS_FILE}"] = questions.encode("utf-8")
    return dict(sorted(members.items()))


def _read(layout: Layout, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KitError("the Gradescope zip needs this file, which does not exist",
                       path=layout.shown(path)) from None


def _not_for_grading(rel: Path) -> bool:
    """Caches and editor leftovers: nothing grading reads, and they would make rebuilds differ. And the
    templates of ``new``, which grading never reads (their example solution would be refused as a leak)."""
    return (any(part == "__pycache__" or part.startswith(".") for part in rel.parts)
            or rel.suffix in (".pyc", ".pyo") or rel.parts[:2] == ("autograder", "templates"))


def solution_secrets(assignment: Assignment) -> Secrets:
    """The release step's secrets reduced to solution-region lines: the zip holds the checks and hidden cases on purpose."""
    secrets = load_secrets(assignment)
    # checks.py goes into the zip on purpose: a solution line it shares (a loop header) is no leak there.
    solution_lines = {k: v for k, v in secrets.solution_lines.items() if k not in secrets.checks_lines}
    return replace(secrets, solution_lines=solution_lines, checks_lines={}, seed=None, hidden_lines={},
                   hidden_cases=())


def find_solution_code(text: str, secrets: Secrets) -> Leak | None:
    """The first region marker or solution-region line in ``text``; None when it has none."""
    for number, line in enumerate(split_lines(text), start=1):
        if _MARKER_LINE.match(line):
            return Leak(number, "a solution marker", line.strip())
        if _MARKER_WORDS.search(line):
            continue  # the kit's code and messages about markers
        leak = find_leak(line, secrets)
        if leak is not None:
            return Leak(number, leak.what, leak.text)
    return None


def refuse_solution_code(members: dict[str, bytes], assignment: Assignment) -> None:
    """LeakError naming the zip member (and line) that would hand out reference solution code."""
    secrets = solution_secrets(assignment)
    for name, content in members.items():
        if name.startswith(FORBIDDEN_FOLDERS) or name.endswith(".ipynb"):
            raise LeakError("refusing to put this file in the Gradescope zip: the autograder needs no "
                            "solution, starter or notebook", path=name)
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise LeakError("refusing to put a binary file in the Gradescope zip (it cannot be scanned "
                            "for solution code)", path=name) from None
        leak = find_solution_code(text, secrets)
        if leak is None and name.endswith(".json"):  # a string's lines are one JSON line, escaped: scan them decoded
            leak = next(filter(None, (find_solution_code(string, secrets) for string in _json_strings(text))), None)
        if leak is not None:
            raise LeakError(f"refusing to write a leak into the Gradescope zip: this would show {leak.what}: "
                            f"{leak.text!r}", path=name, line=leak.line)


def _json_strings(text: str) -> list[str]:
    """Every string (keys too) in a JSON document the build wrote, as written before encoding."""
    found: list[str] = []
    stack: list[object] = [json.loads(text)]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            stack.extend([*value.keys(), *value.values()])
        elif isinstance(value, list):
            stack.extend(value)
    return found


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip of ``members``: names sorted, fixed times and modes, so equal members give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 3  # Unix, so the modes below are honoured when unpacked
            mode = 0o755 if name in EXECUTABLES else 0o644
            info.external_attr = (0o100000 | mode) << 16  # a regular file with that mode
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name], compresslevel=9)
    return buffer.getvalue()


def build_gradescope_zip(assignment: Assignment, out: Path, allow_weak_sandbox: bool = False) -> GradescopeZip:
    """Write the autograder zip of ``assignment`` to ``out``; nothing is written on a leak or when
    the checks do not load or a case does not build. allow_weak_sandbox: the zip grades even in a
    container that does not give the sandbox's floor (it says so in every output)."""
    if out.suffix != ".zip":
        raise KitError(f"the output must be a .zip file, not {str(out)!r}")
    if not out.parent.is_dir():  # a typo in the path would otherwise make folders wherever it points
        raise KitError(f"--out {out}: the folder {out.parent} does not exist - create it first, or give a path in "
                       "an existing folder (nothing was written)")
    if out.is_dir():
        raise KitError(f"--out {out} is a folder: give the zip's file name, e.g. {out / (assignment.id + '.zip')}")
    check_assignment(assignment)  # the checks load and every case builds, or nothing is written
    members = zip_members(assignment, allow_weak_sandbox)
    refuse_solution_code(members, assignment)
    data = zip_bytes(members)
    write_atomically(out, data)
    return GradescopeZip(out, list(members), len(data))
