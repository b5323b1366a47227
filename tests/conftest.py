"""Shared fixtures: one warm sandbox and grading plans for the whole test session."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def sandbox():
    from autograder.layout import KIT_LAYOUT
    from autograder.sandbox.client import Sandbox
    from autograder.sandbox.launch import ZygotePool
    with Sandbox(ZygotePool(KIT_LAYOUT)) as sb:
        yield sb


@pytest.fixture(scope="session")
def lr_plan():
    from autograder.assignment import load_assignment
    from autograder.grading.grade import make_plan
    from autograder.layout import KIT_LAYOUT
    return make_plan(load_assignment(KIT_LAYOUT, "linear_regression"))


@pytest.fixture
def toy_course(tmp_path) -> Path:
    """The root of a course of its own holding one assignment, 'toy' (tests/fixtures/release): a copy
    in a temporary folder, which a test may edit (toy_layout says where its files are)."""
    import shutil
    root = tmp_path / "course"
    shutil.copytree(ROOT / "tests" / "fixtures" / "release", root)
    (root / "course.toml").write_text('github = "https://github.com/teacher/dl-kit/blob/main"\n')
    return root


@pytest.fixture
def toy_layout(toy_course: Path):
    """The Layout of toy_course: what a test hands to the functions that read the course's files."""
    from autograder.layout import Layout
    return Layout(toy_course)


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a new file in a temporary folder."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return _write


def notebook_json(*cells: tuple[str, str] | tuple[str, str, list[str]]) -> str:
    """A minimal nbformat-4 notebook from (cell_type, source[, tags]) tuples."""
    import json
    out = []
    for cell in cells:
        kind, source = cell[0], cell[1]
        tags = cell[2] if len(cell) > 2 else []
        entry = {"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": source}
        if kind == "code":
            entry.update(outputs=[], execution_count=None)
        out.append(entry)
    return json.dumps({"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def load_module(path: Path):
    """A solution or example file as a module."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_part(assignment: str, name: str, impl: dict, fallback=None, limit: int = 99):
    """(case verdicts, report) for one part over its public and hidden cases, run in this process.

    impl maps function names to the code under test; other names come from fallback
    (usually the reference solution module).
    """
    from autograder.checks import report
    from autograder.checks.public import run_here
    from autograder.checks.verdict import score_part
    points, driver, judge, cases = _judged_cases(assignment, name)
    lookup = lambda n: impl.get(n) or getattr(fallback, n)  # noqa: E731
    verdicts = [run_here(name, driver, judge, case.label, case.hidden, case.call, expected, tolerance,
                         case.mistake_outputs(), lookup) for case, expected, tolerance in cases]
    verdict = score_part(name, points, verdicts)
    return verdicts, "\n".join(report.part_report(verdict, scored=False, show_hidden=True, limit=limit))


@functools.cache
def _judged_cases(assignment: str, name: str) -> tuple:
    """(points, driver, judge, [(case, expected, tolerance)]) of one part, once per test session: the reference's
    outputs (and, once asked for, each known mistake's) are the same for every test that judges that part."""
    from autograder.assignment import load_assignment
    from autograder.checks.compare import Tolerance
    from autograder.checks.parts import build_cases
    from autograder.layout import KIT_LAYOUT
    loaded = load_assignment(KIT_LAYOUT, assignment)
    spec = loaded.spec
    part, ps = loaded.checks.PARTS[name], spec.part(name)
    cases = (build_cases(part, spec.public.cases.get(name, []), spec.public.seed)
             + build_cases(part, spec.hidden.cases.get(name, []), spec.hidden.seed, hidden=True))
    tolerances = {dtype: Tolerance(t.atol, t.rtol) for dtype, t in ps.tolerances.items()}
    return ps.points, part.driver, part.judge, [(c, c.expected(), tolerances[c.dtype]) for c in cases]


def live_processes_of(uids: range | set[int] | list[int]) -> list[int]:
    """Processes alive (not zombies) whose real uid is one of uids: what a sandbox might have left running."""
    import os
    wanted = set(uids)
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                lines = Path(f"/proc/{entry.name}/status").read_text().splitlines()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in lines if ":" in line)
            if int(fields["Uid"].split()[0]) in wanted and not fields["State"].strip().startswith(("Z", "X")):
                found.append(int(entry.name))
    return found


def grade_as_user(uid: int, base: Path, subs: Path, out: Path, jobs: int, timeout: int = 600,
                  env: dict[str, str] | None = None, mode: str = "user") -> subprocess.CompletedProcess[str]:
    """`grade linear_regression subs --out out` run by an ordinary user on an emulated host (tests/host_modes.py:
    "user" or "user-no-userns"); base, subs, out and the submissions are handed to that user first."""
    import os

    from host_modes import command_in
    for path in (base, subs, out, *subs.iterdir()):
        os.chown(path, uid, uid)
    os.chmod(base, 0o755)
    argv = [sys.executable, "-m", "autograder", "grade", "linear_regression", str(subs), "--out", str(out),
            "--jobs", str(jobs), "--quiet"]
    return subprocess.run(command_in(mode, argv, keep=[str(ROOT)], uid=uid), cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(base), **(env or {})})


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked with host_needs.needs(ok=False, ...) cannot run here: skipped, or failed under KIT_CI=1."""
    from host_needs import cannot_run
    for mark in item.iter_markers("needs_root"):
        if not mark.kwargs.get("ok", True):
            cannot_run(mark.kwargs["reason"])
