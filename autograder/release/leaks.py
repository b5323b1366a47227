"""Refuse student-facing text that would give away a solution or a hidden case.

A leak is (a) a BEGIN/END SOLUTION marker, (b) a substantial line of a solution region,
(c) a substantial line of assignments/<id>/checks.py (its references, input generators and
known-mistake implementations stay with the grader), (d) the hidden seed as a standalone
number, or (e) text of the ``[hidden]`` table of cases.toml (a raw line of it, or a hidden
case serialised as JSON or a Python dict). Lines and cases that are public anyway (a line
also found outside the regions or in the check modules the setup cell carries, a hidden
case equal to a public one) are not secrets, so they never count as leaks. The secrets are
gathered once per assignment (``load_secrets``) and every scan takes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from ..assignment import Assignment
from ..errors import KitError, LeakError
from ..sourcefile import read_text
from .markers import split_lines
from .setup_cell import CHECKS_DIR, MODEL_JUDGES, SHIPPED
from .solution import Solution

MIN_SECRET_CHARS = 12  # shorter lines ('return out', 'N = x.shape[0]') are too common to be secrets
MIN_SEED_DIGITS = 4    # a shorter seed would match ordinary numbers such as 0, 1 or 42
# Reading sizes off a tensor ('N = X.shape[0]') gives nothing away and appears everywhere.
_BOOKKEEPING = re.compile(r"^[\w,]+=[\w.]+\.(shape(\[-?\d+\])?|size\(-?\d*\)|numel\(\))$")
_MARKER = re.compile(r"\b(BEGIN|END)\s+SOLUTION\b")
_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _squash(text: str) -> str:
    """Whitespace removed and quotes unified, so reformatting does not hide a leak."""
    return re.sub(r"\s+", "", text).replace("'", '"')


@dataclass(frozen=True)
class Secrets:
    """What must not appear in student-facing text of one assignment."""

    solution_path: str
    solution_lines: dict[str, int]  # squashed region line -> its line number in the solution file
    checks_path: str
    checks_lines: dict[str, int]    # squashed line of checks.py -> its line number there
    cases_path: str
    seed: int | None
    hidden_lines: dict[str, int]    # squashed raw line of the [hidden] table -> its line in cases.toml
    hidden_cases: tuple[str, ...]   # squashed serialisations of hidden-only cases


def _public_kit_lines() -> set[str]:
    """Lines of the check modules that every notebook's setup cell carries: public anyway."""
    lines: set[str] = set()
    for name in (*SHIPPED, *MODEL_JUDGES):
        lines |= {_squash(ln) for ln in split_lines(read_text(CHECKS_DIR / f"{name}.py"))}
    return lines


def _checks_secrets(text: str, public: set[str]) -> dict[str, int]:
    """Substantial lines of checks.py that are not comments and not public anyway."""
    secrets: dict[str, int] = {}
    for number, line in enumerate(split_lines(text), start=1):
        squashed = _squash(line)
        if line.strip().startswith("#") or len(squashed) < MIN_SECRET_CHARS or squashed in public \
                or squashed.startswith(("import", "from")) or _BOOKKEEPING.match(squashed):
            continue
        secrets.setdefault(squashed, number)
    return secrets


def _solution_secrets(solution: Solution, also_public: set[str]) -> dict[str, int]:
    inside: set[int] = set()
    for r in solution.regions:
        inside.update(range(r.start_line, r.end_line + 1))
    public = {_squash(ln) for n, ln in enumerate(split_lines(solution.text), start=1) if n not in inside} | also_public
    secrets: dict[str, int] = {}
    for r in solution.regions:
        for offset, line in enumerate(r.body, start=1):
            squashed = _squash(line)
            if (line.strip().startswith("#") or len(squashed) < MIN_SECRET_CHARS or squashed in public
                    or _BOOKKEEPING.match(squashed)):
                continue
            secrets.setdefault(squashed, r.start_line + offset)
    return secrets


def _hidden_raw_lines(text: str) -> dict[str, int]:
    """Substantial lines inside [hidden...] tables of cases.toml that are not also public lines."""
    hidden: dict[str, int] = {}
    public: set[str] = set()
    section = ""
    for number, line in enumerate(split_lines(text), start=1):
        header = _TABLE_HEADER.match(line)
        if header:  # a table name is structure, not hidden content
            section = header.group(1).strip().strip('"')
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        squashed = _squash(stripped)
        if section == "hidden" or section.startswith("hidden."):
            if len(squashed) >= MIN_SECRET_CHARS:
                hidden.setdefault(squashed, number)
        else:
            public.add(squashed)
    return {k: v for k, v in hidden.items() if k not in public}


def _serialisations(case: dict[str, Any]) -> set[str]:
    forms = {json.dumps(case, default=str), json.dumps(case, sort_keys=True, default=str), repr(case),
             repr(dict(sorted(case.items())))}
    return {_squash(f) for f in forms}


def load_secrets(assignment: Assignment) -> Secrets:
    """The solution regions, the checks and the hidden table of ``assignment``, as loaded."""
    public_kit = _public_kit_lines()
    solution = assignment.solution
    solution_lines = _solution_secrets(solution, public_kit) if solution is not None else {}
    spec = assignment.spec
    cases_path = spec.shown("cases.toml")
    seed = spec.hidden.seed
    if len(str(abs(seed))) < MIN_SEED_DIGITS:
        raise KitError(f"the hidden seed {seed} is too short to scan for leaks (it would match ordinary "
                       f"numbers): use a seed of at least {MIN_SEED_DIGITS} digits", path=cases_path)
    hidden_cases = [c for cs in spec.hidden.cases.values() for c in cs]
    public_cases = [c for cs in spec.public.cases.values() for c in cs]
    public_forms = set().union(*(_serialisations(c) for c in public_cases)) if public_cases else set()
    hidden_forms = sorted({f for c in hidden_cases if not (_serialisations(c) & public_forms)
                           for f in _serialisations(c)})
    checks = assignment.checks_file
    return Secrets(solution.shown if solution is not None else assignment.layout.shown(
                       assignment.layout.solution_file(assignment.id)),
                   solution_lines, checks.shown, _checks_secrets(checks.text, public_kit), cases_path, seed,
                   _hidden_raw_lines(spec.cases_text), tuple(hidden_forms))


@dataclass(frozen=True)
class Leak:
    line: int   # 1-based line of the scanned text
    what: str   # what it would show, as a phrase
    text: str   # the offending line, stripped


def find_leak(text: str, secrets: Secrets) -> Leak | None:
    """The first leak in ``text``, None when it is clean."""
    lines = split_lines(text)
    seed = (re.compile(rf"(?<![\w.]){re.escape(str(secrets.seed))}(?!\w|\.\d)")
            if secrets.seed is not None else None)
    for number, line in enumerate(lines, start=1):
        shown = line.strip()
        marker = _MARKER.search(line)
        if marker:
            return Leak(number, f"a solution marker ({marker.group(0)!r})", shown)
        squashed = _squash(line).strip("`")  # a line quoted as markdown code still leaks
        if squashed in secrets.solution_lines:
            where = f"{secrets.solution_path}:{secrets.solution_lines[squashed]}"
            return Leak(number, f"a line of a solution region ({where})", shown)
        if squashed in secrets.checks_lines:
            where = f"{secrets.checks_path}:{secrets.checks_lines[squashed]}"
            return Leak(number, f"a line of the grader's checks ({where})", shown)
        if seed is not None and seed.search(line):
            return Leak(number, f"the hidden seed {secrets.seed} from {secrets.cases_path}", shown)
        if squashed in secrets.hidden_lines:
            where = f"{secrets.cases_path}:{secrets.hidden_lines[squashed]}"
            return Leak(number, f"a line of the [hidden] table ({where})", shown)
    # A serialised case may be spread over several lines: search the squashed whole text.
    if secrets.hidden_cases:
        squashed_text, line_of = [], []
        for number, line in enumerate(lines, start=1):
            part = _squash(line)
            squashed_text.append(part)
            line_of.extend([number] * len(part))
        whole = "".join(squashed_text)
        for form in secrets.hidden_cases:
            at = whole.find(form)
            if at >= 0:
                number = line_of[at]
                return Leak(number, f"a hidden case from {secrets.cases_path} ({form})",
                            lines[number - 1].strip())
    return None


def _source_line(leak: Leak, source_text: str) -> int | None:
    """Where the offending line was written in a notebook source (markdown lines start with '#')."""
    target = _squash(leak.text)
    for number, line in enumerate(split_lines(source_text), start=1):
        squashed = _squash(line)
        if squashed == target or (squashed.startswith("#") and squashed[1:] == target):
            return number
    return None


def _refuse(leak: Leak, where: str, cell: int | None = None, origin: str = "") -> LeakError:
    return LeakError(f"refusing to write a leak: this would show {leak.what}: {leak.text!r}{origin}",
                     path=where, line=leak.line, cell=cell)


def scan_hints_for_leaks(assignment: Assignment, secrets: Secrets) -> None:
    """LeakError at its ``Mistake(...)`` line when a known mistake's hint quotes a line of a solution region:
    hints reach students in feedback and, packed as data no text scan reads, in the notebook's public cases."""
    solution = assignment.solution
    if solution is None:
        return
    checks = assignment.checks_file
    for graded in assignment.parts:
        for mistake in graded.part.mistakes:
            hint = _squash(mistake.hint).replace("`", "")
            for line, number in secrets.solution_lines.items():
                if line in hint:
                    at = mistake.where[1] if mistake.where and Path(mistake.where[0]) == Path(checks.path) else None
                    raise LeakError(f"refusing to write a leak: the hint of a known mistake of part {graded.name!r} "
                                    f"quotes a line of a solution region ({solution.shown}:{number}): "
                                    f"{mistake.hint!r} - say what is wrong and where to look, not the code that "
                                    "fixes it", path=checks.shown, line=at)


def scan_for_leaks(text: str, *, secrets: Secrets, where: str, packed: dict[str, str] | None = None) -> None:
    """LeakError naming ``where``, the line number and the offending line on the first leak.

    ``packed``: the check modules packed into the text (a check script's _KITCHECK, name -> source), read
    as a student will read them, once unpacked."""
    leak = find_leak(text, secrets)
    if leak is not None:
        raise _refuse(leak, where)
    for name, source in (packed or {}).items():
        if (leak := find_leak(source, secrets)) is not None:
            raise _refuse(leak, f"{where}, packed file kitcheck/{name}.py")


def scan_notebook_for_leaks(nb: NotebookNode, *, secrets: Secrets, where: str,
                            source_path: str | None = None, source_text: str | None = None) -> None:
    """Scan every cell's source; the LeakError says ``where, cell N, line M`` (both 1-based).

    Given the notebook's source, the message also points at the line to fix there. (The modules its setup
    cell packs are the check script's, scanned with it.)
    """
    for index, cell in enumerate(nb.cells, start=1):
        leak = find_leak(cell.source, secrets)
        if leak is None:
            continue
        origin = ""
        if source_text is not None and (line := _source_line(leak, source_text)) is not None:
            origin = f" (written at {source_path}:{line})"
        raise _refuse(leak, where, cell=index, origin=origin)


def refuse_leaks(assignment: Assignment, *, starter: tuple[Path, str], check: tuple[Path, str],
                 packed: dict[str, str], notebook: tuple[Path, NotebookNode]) -> None:
    """LeakError for the first leak in the student-facing files of a release of ``assignment``, each given as
    (where it goes, its content): the starter, the check script with the check modules it packs (``packed``,
    the setup cell's too) and the student notebook; the assignment's secrets are gathered once for all."""
    source = assignment.notebook
    assert source is not None  # the release asked for it
    shown = assignment.layout.shown
    secrets = load_secrets(assignment)
    scan_hints_for_leaks(assignment, secrets)  # hints are packed as data, which the text scans cannot read
    scan_for_leaks(starter[1], secrets=secrets, where=shown(starter[0]))
    scan_for_leaks(check[1], secrets=secrets, where=shown(check[0]), packed=packed)
    # cell sources, not the JSON, whose escaping would hide a copied line
    scan_notebook_for_leaks(notebook[1], secrets=secrets, where=shown(notebook[0]), source_path=source.shown,
                            source_text=source.text)
