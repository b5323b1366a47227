"""One assignment, loaded once: spec and cases, checks, solution and notebook source, cross-checked.

``load_assignment(id)`` reads assignments/<id>/ (spec.toml, cases.toml, checks.py, notebook.py)
and solutions/<id>.py once per process and file version, checks that they agree and gives the
``Assignment`` every command takes. Each disagreement is a one-line KitError naming the file,
the line and what to write instead:

- spec.toml and cases.toml on their own: autograder/spec.py (SpecError);
- checks.py importing and its PARTS: autograder/checks/loading.py (ChecksError);
- each spec part's Part, no Part the spec lacks, each case's keys against its input generator:
  autograder/checks/building.py (ChecksError);
- the solution's regions (release/markers.py) and definitions, the notebook's directives
  (release/directives.py), and here: every graded function defined in the solution with a
  solution region, every '# kit: function' name defined there, every graded function given to
  students by a '# kit: function' cell.

- a part name spelt one way in one of spec.toml, cases.toml and checks.py and another way in the
  other two is reported in the odd file, at its line, with the others' spelling and lines;
- every check("...") in the notebook source names a graded part (reported with its line and cell).

Building every case and computing its expected value and known mistakes' outputs is heavier and is
not done here: checks/building.check_assignment, which release and gradescope run before they
write (release also runs the reference solution on every case and judges it).
The solution and the notebook source may be missing: the Gradescope zip carries neither, and a
new assignment may not have them yet (release says so).
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .checks.building import check_case_keys, check_no_extra_parts, part_line, part_of
from .checks.drivers import driver_functions
from .checks.loading import checks_path, load_checks
from .checks.parts import Part
from .errors import KitError
from .release.definitions import definition_spans
from .release.directives import NotebookSource, check_calls, parse_notebook_source
from .release.markers import SolutionRegion, find_regions
from .sourcefile import SourceFile, read_text
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


@dataclass(frozen=True)
class Solution(SourceFile):
    """solutions/<id>.py with its top-level definitions (name -> first and last line) and regions."""

    definitions: dict[str, tuple[int, int]]
    regions: tuple[SolutionRegion, ...]


@dataclass(frozen=True, eq=False)
class Assignment:
    id: str
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
            missing = paths.solution_file(self.id) if self.solution is None else paths.notebook_source_file(self.id)
            raise missing_source_error(self.id, missing, purpose)
        return self.solution, self.notebook


def missing_sources(assignment: str) -> list[Path]:
    """The release inputs of ``assignment`` (solution, notebook source) that do not exist (yet)."""
    return [p for p in (paths.solution_file(assignment), paths.notebook_source_file(assignment)) if not p.is_file()]


def missing_source_error(assignment: str, missing: Path, purpose: str = "release") -> KitError:
    return KitError(f"cannot {purpose} {assignment!r}: {paths.shown(missing)} does not exist")


# (id, folder) -> (the source files' versions, the Assignment loaded from them)
_LOADED: dict[tuple[str, Path], tuple[tuple, Assignment]] = {}


def load_assignment(assignment: str) -> Assignment:
    """The assignment, loaded and cross-checked; the same object again while none of its files changed."""
    folder = paths.assignment_dir(assignment).resolve()
    files = (folder / "spec.toml", folder / "cases.toml", checks_path(assignment), paths.solution_file(assignment),
             paths.notebook_source_file(assignment))
    version = tuple(_version(p) for p in files)  # before reading: an edit made meanwhile loads again next time
    hit = _LOADED.get((assignment, folder))
    if hit is not None and hit[0] == version:
        return hit[1]
    loaded = _load(assignment, folder)
    _LOADED[assignment, folder] = (version, loaded)
    return loaded


def _version(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _load(assignment: str, folder: Path) -> Assignment:
    require_known(assignment)
    # checks.py first: a part name spelt one way in spec.toml alone is then named there, with checks.py's spelling
    checks, checks_file = load_checks(assignment)
    spec = load_spec(assignment, {name: f"{checks_file.shown}:{part_line(checks_file.text, name)}"
                                  for name in checks.PARTS})
    parts = tuple(GradedPart(p, part_of(spec, checks, p)) for p in spec.parts)
    check_no_extra_parts(spec, checks, checks_file.text)
    for graded in parts:
        check_case_keys(spec, graded.spec, graded.part)
    solution = _solution(paths.solution_file(assignment))
    if solution is not None:
        _check_solution(parts, solution)
    notebook_path = paths.notebook_source_file(assignment)
    notebook = parse_notebook_source(notebook_path, read_text(notebook_path)) if notebook_path.is_file() else None
    if notebook is not None:
        _check_notebook(parts, solution, notebook)
    return Assignment(assignment, folder, spec, checks, checks_file, parts, solution, notebook)


def _solution(path: Path) -> Solution | None:
    if not path.is_file():
        return None
    source = SourceFile.read(path)
    # Regions first: their syntax and marker errors point at the line.
    regions = tuple(find_regions(source.text, source.shown))
    return Solution(source.path, source.text, definition_spans(source.text, source.shown), regions)


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
