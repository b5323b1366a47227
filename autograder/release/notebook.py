"""Build a Colab-ready notebook (student or reference-solution variant) from its percent source.

Steps, in order: read the notebook source (loaded with the assignment) with jupytext; put a title cell first;
expand each directive cell (setup cell, solution functions); copy the other cells with only
their ``tags`` kept; give every cell a deterministic id; set the Colab notebook metadata.
"""

from __future__ import annotations

import copy
from typing import Any

import jupytext
import nbformat
from nbformat import NotebookNode

from ..assignment import Assignment, Solution
from .definitions import definition_source
from .directives import Directive, NotebookSource
from .markers import make_starter, strip_markers
from . import setup_cell

VARIANTS = ("student", "solution")
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
NOTEBOOK_METADATA: dict[str, Any] = {
    "accelerator": "GPU",
    "colab": {"provenance": [], "gpuType": "T4", "toc_visible": True},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
_KEPT_CELL_METADATA = ("tags",)  # everything else (jupytext's bookkeeping) is dropped


def colab_url(assignment: str, github_base: str) -> str:
    return f"https://colab.research.google.com/github/{github_base.strip('/')}/notebooks/{assignment}.ipynb"


def _title_cell_source(assignment: Assignment, variant: str, github_base: str) -> str:
    if variant == "solution":
        return (f"# {assignment.title}: reference solution\n\n"
                "Every function is filled in. Instructor copy: do not share it with students.")
    return f"# {assignment.title}\n\n[![Open In Colab]({COLAB_BADGE})]({colab_url(assignment.id, github_base)})"


def _function_cell_source(solution: Solution, directive: Directive, variant: str) -> str:
    """The named solution functions (loading the assignment checked that the solution defines them)."""
    parts = []
    for name in directive.names:
        text = definition_source(solution.text, solution.definitions[name])
        text = make_starter(text, solution.shown) if variant == "student" else strip_markers(text, solution.shown)
        parts.append(text.rstrip("\r\n"))
    return "\n\n\n".join(parts)


def _code_cell(source: str, metadata: dict[str, Any]) -> NotebookNode:
    return nbformat.v4.new_code_cell(source=source, metadata=metadata)


def _copied_metadata(cell: NotebookNode) -> dict[str, Any]:
    return {k: cell.metadata[k] for k in _KEPT_CELL_METADATA if k in cell.metadata}


def _source_cells(assignment: Assignment, solution: Solution, notebook: NotebookSource,
                  variant: str) -> list[NotebookNode]:
    """The cells of notebook.py, directives expanded, metadata cleaned."""
    source_nb = jupytext.reads(notebook.text, fmt="py:percent")
    cells: list[NotebookNode] = []
    for cell in source_nb.cells:
        metadata = _copied_metadata(cell)
        if cell.cell_type != "code":
            new = (nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_raw_cell)
            cells.append(new(source=cell.source, metadata=metadata))
            continue
        directive = notebook.directive_of(cell.source)
        if directive is None:
            cells.append(_code_cell(cell.source, metadata))
        elif directive.kind == "setup":
            source = setup_cell.setup_cell_source(assignment).rstrip("\n")
            cells.append(_code_cell(source, {**metadata, "cellView": "form"}))  # Colab folds it
        else:
            cells.append(_code_cell(_function_cell_source(solution, directive, variant), metadata))
    return cells


def build_notebook(assignment: Assignment, *, variant: str, github_base: str) -> NotebookNode:
    """The student (stubs, Colab badge) or solution (complete code) notebook of ``assignment``."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    solution, notebook = assignment.release_sources()
    cells = [nbformat.v4.new_markdown_cell(source=_title_cell_source(assignment, variant, github_base))]
    cells += _source_cells(assignment, solution, notebook, variant)
    for index, cell in enumerate(cells):
        cell["id"] = f"{variant}-{index:03d}"  # stable ids keep a rebuild byte-identical
    nb = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(NOTEBOOK_METADATA))
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def notebook_to_json(nb: NotebookNode) -> str:
    """Deterministic text of a notebook: nbformat's sorted-key JSON and a final newline."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"
