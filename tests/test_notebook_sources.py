"""What every notebook source promises a student: one title, its points table, how to get a GPU,
the same contract wording across notebooks, and cells that can be re-run in any order."""

from __future__ import annotations

import ast
import re
import tomllib

import jupytext
import nbformat
import pytest

from autograder.assignment import load_assignment
from autograder.layout import KIT_LAYOUT, PACKAGE
from autograder.release.notebook import build_notebook
from autograder.release.notebook_source import parse_notebook_source
from autograder.sourcefile import SourceFile
from conftest import ROOT

GPU_NOTE = ("**No GPU?** If the setup cell reports that no GPU was found and you are in Colab, choose "
            "*Runtime → Change runtime type*, pick a GPU (such as T4), save, and run the setup cell again")
GENERATOR_NOTE = ("The order of the examples: every epoch draws a new order and visits every example "
                  "once in it. Draw it from `generator` with `torch.randperm(N, generator=generator, "
                  "device=generator.device)`, then move it to `X`'s device. With `generator=None` (the "
                  "default) the same call without a generator, `torch.randperm(N)`, draws it on the CPU "
                  "from PyTorch's global random number generator (seeded by `torch.manual_seed`); the "
                  "checks accept any order then, as long as every epoch draws a new one.")
_ROW = re.compile(r"^\|\s*`(?P<name>\w+)\(.*\)`\s*\|\s*(?P<points>[\d.]+)\s*\|$")


def _source_cells(assignment: str) -> list:
    """The notebook source's cells as the release reads them (kind, text)."""
    notebook = load_assignment(KIT_LAYOUT, assignment).notebook
    assert notebook is not None
    return list(notebook.cells)


SOURCES = [*(KIT_LAYOUT.notebook_source_file(a) for a in KIT_LAYOUT.assignment_ids()),
           ROOT / "tests" / "fixtures" / "release" / "assignments" / "toy" / "notebook.py",
           PACKAGE / "templates" / "new_assignment" / "notebook.py.tmpl"]


@pytest.mark.parametrize("path", SOURCES, ids=[p.relative_to(ROOT).as_posix() for p in SOURCES])
def test_are_the_cells_read_as_jupytext_reads_the_percent_format(path):
    """The release reads notebook.py once, with its own reader (which knows each cell's line); for every source
    the kit has, it gives the notebook the cells jupytext's reader would (kind, text, tags)."""
    ours = parse_notebook_source(SourceFile(path, path.read_text(), path.name)).cells
    theirs = jupytext.reads(path.read_text(), fmt="py:percent").cells
    assert [(c.kind, c.text, list(c.tags) if c.tagged else None) for c in ours] == \
        [(c.cell_type, c.source, c.metadata.get("tags")) for c in theirs]


def test_is_a_cell_read_as_jupytext_reads_it():
    text = ('# %% [markdown]\n# A *title*\n#\n#indented\n\n# %% tags=["a"]\nx = 1\n\n\ny = 2\n\n\n'
            "# %% [raw] tags=[]\n# raw text\n")
    ours = parse_notebook_source(SourceFile(ROOT / "nb.py", text, "nb.py")).cells
    theirs = jupytext.reads(text, fmt="py:percent").cells
    assert [(c.kind, c.text, list(c.tags) if c.tagged else None) for c in ours] == \
        [(c.cell_type, c.source, c.metadata.get("tags")) for c in theirs]


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_the_built_notebook_have_one_title(assignment):
    nb = build_notebook(load_assignment(KIT_LAYOUT, assignment), variant="student", github_base="o/r/blob/main")
    titles = [line for cell in nb.cells if cell.cell_type == "markdown"
              for line in cell.source.splitlines() if line.startswith("# ")]
    assert len(titles) == 1, titles


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_the_first_text_cell_show_the_points_of_spec_toml(assignment):
    spec = tomllib.loads((KIT_LAYOUT.assignment_dir(assignment) / "spec.toml").read_text())
    expected = {part["name"]: float(part["points"]) for part in spec["parts"]}
    first_text = next(c for c in _source_cells(assignment) if c.kind == "markdown").text
    rows = [m for m in map(_ROW.match, first_text.splitlines()) if m]
    where = f"assignments/{assignment}/notebook.py's first text cell"
    assert {m["name"]: float(m["points"]) for m in rows} == expected, \
        f"{where}: its table of functions and points must list spec.toml's parts with their points"
    assert len(rows) == len(expected)
    total = sum(expected.values())
    assert f"({total:g} points)" in first_text, f"{where} must give the total, ({total:g} points)"


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_the_first_text_cell_show_the_written_questions_points_apart(assignment):
    """Issue 23: every question's points are in spec.toml, and students see them before grading, apart from the
    autograded total (grades.csv's max_score)."""
    spec = load_assignment(KIT_LAYOUT, assignment).spec
    questions = load_assignment(KIT_LAYOUT, assignment).notebook.questions
    assert [q.id for q in spec.questions] == [q.id for q in questions] and spec.written_points > 0
    first_text = next(c for c in _source_cells(assignment) if c.kind == "markdown").text
    rows = re.findall(r"^\| Question (\d+) \| ([\d.]+) \|$", first_text, flags=re.MULTILINE)
    assert [(int(n), float(p)) for n, p in rows] == [(q.number, spec.question(q.id).points) for q in questions]
    said = [line for line in first_text.splitlines() if "question" in line.lower() and "points)" in line]
    plural = "s" if len(questions) > 1 else ""
    assert said == [f"The written question{plural} at the end, graded by hand ({spec.written_points:g} points):"]
    assert f"({spec.total_points:g} points)" in first_text


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_does_the_first_text_cell_say_how_to_get_a_gpu_in_colab(assignment):
    first_text = next(c for c in _source_cells(assignment) if c.kind == "markdown").text
    assert GPU_NOTE in _flat(first_text)


@pytest.mark.parametrize("assignment", ["softmax_regression", "mlp"])
def test_is_the_generator_default_described_in_the_same_words(assignment):
    text = _flat(" ".join(c.text for c in _source_cells(assignment) if c.kind == "markdown"))
    assert GENERATOR_NOTE in text


def _code_cells(assignment: str) -> list[tuple[int, ast.Module]]:
    cells = []
    for index, cell in enumerate(_source_cells(assignment)):
        if cell.kind == "code" and cell.directive is None:
            cells.append((index, ast.parse(cell.text)))
    return cells


def _module_level_stores(tree: ast.Module) -> list[tuple[str, int]]:
    """Names a cell binds in the notebook's namespace (function and class bodies excluded)."""
    stores, todo = [], list(ast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
                             ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores.append((node.id, node.lineno))
        elif isinstance(node, ast.alias):
            stores.append(((node.asname or node.name).split(".")[0], getattr(node, "lineno", 0)))
        todo.extend(ast.iter_child_nodes(node))
    return stores


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_is_no_helper_name_reused_for_data(assignment):
    """A helper defined by one cell and rebound by another breaks re-running the first's users."""
    solution = ast.parse(KIT_LAYOUT.solution_file(assignment).read_text())
    helpers = {node.name: "the solution" for node in solution.body if isinstance(node, ast.FunctionDef)}
    cells = _code_cells(assignment)
    for index, tree in cells:
        helpers.update({node.name: f"cell {index}" for node in tree.body
                        if isinstance(node, (ast.FunctionDef, ast.ClassDef))})
    rebound = [f"cell {index} line {line}: {name} (defined in {helpers[name]})"
               for index, tree in cells for name, line in _module_level_stores(tree) if name in helpers]
    assert rebound == []


def test_does_the_helper_check_see_a_rebinding():
    tree = ast.parse("for k in range(3):\n    seconds = k\nwith open('f') as fh:\n    pass\n")
    assert ("seconds", 2) in _module_level_stores(tree) and ("fh", 3) in _module_level_stores(tree)
    assert _module_level_stores(ast.parse("def f():\n    seconds = 1\n")) == []


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_is_tqdm_auto_imported_only_when_ipywidgets_is_there(assignment):
    """tqdm.auto warns 'IProgress not found' in a Jupyter without ipywidgets."""
    for index, tree in _code_cells(assignment):
        guarded = {id(node) for t in ast.walk(tree) if isinstance(t, ast.Try)
                   and any(isinstance(s, ast.Import) and s.names[0].name == "ipywidgets" for s in t.body)
                   for node in ast.walk(t)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "tqdm.auto":
                assert id(node) in guarded, f"cell {index}: tqdm.auto imported without an ipywidgets guard"


def test_does_the_offline_big_run_differ_from_section_11():
    """Offline, section 12 trains on the digits; it must not repeat section 11's run exactly."""
    namespace: dict = {}
    for _, tree in _code_cells("mlp"):
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) \
                    and node.targets[0].id in ("DIGITS_TRAINING", "BIG_TRAINING"):
                value = node.value.value if isinstance(node.value, ast.Subscript) else node.value
                namespace[node.targets[0].id] = ast.literal_eval(value)
    assert namespace["BIG_TRAINING"]["digits"] != namespace["DIGITS_TRAINING"]


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", KIT_LAYOUT.assignment_ids())
def test_is_the_committed_notebook_free_of_outputs(assignment):
    nb = nbformat.read(KIT_LAYOUT.notebook_file(assignment), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), assignment
