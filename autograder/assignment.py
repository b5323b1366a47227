"""One assignment, loaded once: spec and cases, checks, solution and notebook source, cross-checked.

``load_assignment(layout, id)`` reads assignments/<id>/ (spec.toml, cases.toml, checks.py,
notebook.py) and solutions/<id>.py of the course at ``layout`` once per process and file version,
checks that they agree and gives the ``Assignment`` every command takes. Each disagreement is a
one-line KitError naming the file, the line and what to write instead:

- spec.toml and cases.toml on their own: autograder/spec.py (SpecError);
- checks.py importing and its PARTS: autograder/checks/loading.py (ChecksError);
- each spec part's Part, no Part the spec lacks, each case's keys against its input generator:
  autograder/checks/cases.py (ChecksError);
- the solution's regions and definitions (release/solution.py, parsed once), the notebook source's
  cells and directives (release/notebook_source.py, read once), and here: every graded function
  defined in the solution with a solution region, every '# kit: function' name defined there,
  every graded function given to students by a '# kit: function' cell.

- a part name spelt one way in one of spec.toml, cases.toml and checks.py and another way in the
  other two is reported in the odd file, at its line, with the others' spelling and lines;
- every check("...") in the notebook source names a graded part (reported with its line and cell).

Building every case and computing its expected value and known mistakes' outputs is heavier and is
not done here: checks/building.check_assignment, which release and gradescope run before they
write (release also runs the reference solution on every case and judges it). The public cases as
data (``Assignment.public_data``: inputs, expected values, known mistakes' outputs) are computed on
first use and kept with the loaded Assignment: the setup cell and the check script carry them.
The solution and the notebook source may be missing: the Gradescope zip carries neither, and a
new assignment may not have them yet (release says so).
"""

from __future__ import annotations

import datetime as dt
import functools
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checks.cases import check_case_keys, check_no_extra_parts, expected_value, part_cases, part_line, part_of
from .checks.drivers import driver_functions
from .checks.loading import CHECKS_FILE, load_checks
from .checks.parts import Part
from .errors import KitError
from .layout import Layout
from .release.directives import check_calls
from .release.notebook_source import NotebookSource, parse_notebook_source
from .release.solution import Solution, read_solution
from .sourcefile import SourceFile
from .spec import AssignmentSpec, PartSpec, load_spec, require_known
from .tomlfile import did_you_mean


@dataclass(frozen=True)
class GradedPart:
    """A part of spec.toml with its Part of checks.py."""

    spec: PartSpec
    part: Part

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def functions(self) -> list[str]:
        """The student functions the part calls."""
        return driver_functions(self.part.driver)


@dataclass(frozen=True, eq=False)
class Assignment:
    id: str
    layout: Layout                # the course it belongs to
    folder: Path                  # assignments/<id>/
    spec: AssignmentSpec          # spec.toml and cases.toml (with their texts)
    checks: types.ModuleType      # checks.py, run
    checks_file: SourceFile       # checks.py as read
    parts: tuple[GradedPart, ...]  # in spec.toml's order
    solution: Solution | None     # None where there is none (the Gradescope zip)
    notebook: NotebookSource | None

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def due(self) -> dt.datetime:
        return self.spec.due

    @property
    def part_names(self) -> list[str]:
        return [p.name for p in self.parts]

    def grading_files(self) -> dict[str, str]:
        """What grading reads from assignments/<id>/, file name -> text as written (for the Gradescope zip)."""
        return {"spec.toml": self.spec.spec_text, "cases.toml": self.spec.cases_text, "checks.py": self.checks_file.text}

    def release_sources(self, purpose: str = "release") -> tuple[Solution, NotebookSource]:
        """The solution and the notebook source, which releasing (or validating) needs; KitError naming the missing one."""
        if self.solution is None or self.notebook is None:
            missing = (self.layout.solution_file(self.id) if self.solution is None
                       else self.layout.notebook_source_file(self.id))
            raise missing_source_error(self.layout, self.id, missing, purpose)
        return self.solution, self.notebook

    @functools.cached_property
    def public_data(self) -> dict[str, Any]:
        """Every part's public cases as data, with what check() needs to run and judge them: the inputs, the
        expected values and known mistakes' outputs, computed by checks.py's references. Computed once for
        the loaded assignment: the notebooks' setup cell and the check script carry the same (storable.encode)."""
        spec = self.spec
        parts = {}
        for graded in self.parts:
            part = graded.part
            cases = []
            for case in part_cases(spec, graded.spec, part, "public"):
                tol = graded.spec.tolerances[case.dtype]
                mistakes = []
                for m in case.mistake_outputs():
                    try:
                        mistakes.append([m.hint, m.output()])
                    except Exception:  # this mistake does not apply to this case
                        mistakes.append([m.hint, None])
                cases.append({"label": case.label, "tol": [tol.atol, tol.rtol], "args": case.call.args,
                              "kwargs": case.call.kwargs, "extra": case.call.extra,
                              "expected": expected_value(spec, case), "mistakes": mistakes})
            parts[graded.name] = {"driver": part.driver, "functions": graded.functions,
                                  "judge": part.judge.to_data(), "cases": cases}
        return {"assignment": self.id, "parts": parts}


def missing_sources(layout: Layout, assignment: str) -> list[Path]:
    """The release inputs of ``assignment`` (solution, notebook source) that do not exist (yet)."""
    return [p for p in (layout.solution_file(assignment), layout.notebook_source_file(assignment)) if not p.is_file()]


def missing_source_error(layout: Layout, assignment: str, missing: Path, purpose: str = "release") -> KitError:
    return KitError(f"cannot {purpose} {assignment!r}: {layout.shown(missing)} does not exist")


# A cache for this process: (id, folder) -> (the source files' versions, the Assignment loaded from them)
_LOADED: dict[tuple[str, Path], tuple[tuple, Assignment]] = {}


def load_assignment(layout: Layout, assignment: str) -> Assignment:
    """The assignment of the course at ``layout``, loaded and cross-checked; the same object again while none
    of its files changed."""
    folder = layout.assignment_dir(assignment).resolve()
    solution, notebook = layout.solution_file(assignment), layout.notebook_source_file(assignment)
    files = (folder / "spec.toml", folder / "cases.toml", folder / CHECKS_FILE, solution, notebook)
    version = tuple(_version(p) for p in files)  # before reading: an edit made meanwhile loads again next time
    hit = _LOADED.get((assignment, folder))
    if hit is not None and hit[0] == version:
        return hit[1]
    loaded = _load(layout, assignment, folder, solution, notebook)
    _LOADED[assignment, folder] = (version, loaded)
    return loaded


def _version(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _load(layout: Layout, assignment: str, folder: Path, solution_path: Path, notebook_path: Path) -> Assignment:
    require_known(layout, assignment)
    # checks.py first: a part name spelt one way in spec.toml alone is then named there, with checks.py's spelling
    checks, checks_file = load_checks(layout, assignment)
    spec = load_spec(layout, assignment, {name: f"{checks_file.shown}:{part_line(checks_file.text, name)}"
                                          for name in checks.PARTS})
    parts = tuple(GradedPart(p, part_of(spec, checks, p)) for p in spec.parts)
    check_no_extra_parts(spec, checks, checks_file.text)
    for graded in parts:
        check_case_keys(spec, graded.spec, graded.part)
    solution = read_solution(layout, solution_path)
    if solution is not None:
        _check_solution(parts, solution)
    notebook = parse_notebook_source(SourceFile.read(layout, notebook_path)) if notebook_path.is_file() else None
    if notebook is not None:
        _check_notebook(parts, solution, notebook)
    return Assignment(assignment, layout, folder, spec, checks, checks_file, parts, solution, notebook)


def _check_solution(parts: tuple[GradedPart, ...], solution: Solution) -> None:
    """Every graded function is defined at the solution's top level, its body (or part of it) a solution region."""
    defined = sorted(solution.definitions)
    for graded in parts:
        for name in graded.functions:
            if name not in solution.definitions:
                raise KitError(f"part {graded.name!r} grades {name}(), which {solution.shown} does not define at top "
                               f"level{did_you_mean(name, defined)} (defined: {', '.join(defined) or 'none'}): "
                               f"write def {name}(...) there, its body between '# BEGIN SOLUTION' and "
                               "'# END SOLUTION' lines", path=solution.shown)
            if not any(r.function and (r.function == name or r.function.startswith(name + "."))
                       for r in solution.regions):
                raise KitError(f"{name}(), which part {graded.name!r} grades, has no solution region, so the starter "
                               f"would hand it out complete: put its body between '# BEGIN SOLUTION' and "
                               "'# END SOLUTION' lines", path=solution.shown, line=solution.definitions[name][0])


def _check_notebook(parts: tuple[GradedPart, ...], solution: Solution | None, notebook: NotebookSource) -> None:
    """Every '# kit: function' name is defined in the solution; every graded function has such a cell."""
    given: set[str] = set()
    for directive in notebook.function_directives:
        for name in directive.names:
            if solution is not None and name not in solution.definitions:
                known = ", ".join(sorted(solution.definitions)) or "none"
                raise KitError(f"'# kit: function' names {name!r}, which {solution.shown} does not define "
                               f"at top level (defined: {known})", path=notebook.shown, line=directive.line)
        given.update(directive.names)
    names = [g.name for g in parts]
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.kind != "code" or cell.directive is not None:
            continue
        for name, line in check_calls(cell):
            if name not in names:
                raise KitError(f"cell {number}: check({name!r}) names no graded part{did_you_mean(name, names)} "
                               f"(the parts: {', '.join(names)}): in the notebook it would stop with a ValueError; "
                               "write the part's name as spec.toml has it", path=notebook.shown, line=line)
    for graded in parts:
        for name in graded.functions:
            if name not in given:
                raise KitError(f"{name}(), which part {graded.name!r} grades, has no '# kit: function {name}' cell, "
                               "so the notebook would not give students its stub: add a code cell holding that line "
                               "where students should write it", path=notebook.shown)
