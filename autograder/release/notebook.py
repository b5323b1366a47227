"""Build a Colab-ready notebook (student or reference-solution variant) from its percent source.

Steps, in order: take the notebook source's cells (read once, with the assignment: notebook_source.py);
put a title cell first; expand each directive cell (setup cell, solution functions); copy the other
cells with only their ``tags`` kept; give every cell a deterministic id; set the Colab notebook metadata.
"""

from __future__ import annotations

import copy
from typing import Any

import nbformat
from nbformat import NotebookNode

from ..assignment import Assignment
from . import setup_cell
from .directives import Directive
from .notebook_source import NotebookSource
from .solution import Solution

VARIANTS = ("student", "solution")
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
NOTEBOOK_METADATA: dict[str, Any] = {
    "accelerator": "GPU",
    "colab": {"provenance": [], "gpuType": "T4", "toc_visible": True},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def colab_url(assignment: str, github_base: str) -> str:
    return f"https://colab.research.google.com/github/{github_base.strip('/')}/notebooks/{assignment}.ipynb"


def _title_cell_source(assignment: str, title: str, variant: str, github_base: str) -> str:
    if variant == "solution":
        return (f"# {title}: reference solution\n\n"
                "Every function is filled in. Instructor copy: do not share it with students.")
    return f"# {title}\n\n[![Open In Colab]({COLAB_BADGE})]({colab_url(assignment, github_base)})"


def _function_cell_source(solution: Solution, directive: Directive, variant: str) -> str:
    """The named solution functions (loading the assignment checked that the solution defines them)."""
    texts = [solution.definition(name, stubbed=variant == "student").rstrip("\r\n") for name in directive.names]
    return "\n\n\n".join(texts)


def _source_cells(solution: Solution, notebook: NotebookSource, setup: str, variant: str) -> list[NotebookNode]:
    """The cells of notebook.py, directives expanded, only their tags kept."""
    cells: list[NotebookNode] = []
    for cell in notebook.cells:
        metadata: dict[str, Any] = {"tags": list(cell.tags)} if cell.tagged else {}
        if cell.kind != "code":
            new = nbformat.v4.new_markdown_cell if cell.kind == "markdown" else nbformat.v4.new_raw_cell
            cells.append(new(source=cell.text, metadata=metadata))
        elif cell.directive is None:
            cells.append(nbformat.v4.new_code_cell(source=cell.text, metadata=metadata))
        elif cell.directive.kind == "setup":
            cells.append(nbformat.v4.new_code_cell(source=setup.rstrip("\n"),
                                                   metadata={**metadata, "cellView": "form"}))  # Colab folds it
        else:
            cells.append(nbformat.v4.new_code_cell(source=_function_cell_source(solution, cell.directive, variant),
                                                   metadata=metadata))
    return cells


def build_notebook(assignment: Assignment, *, variant: str, github_base: str,
                   setup: str | None = None) -> NotebookNode:
    """The student (stubs, Colab badge) or solution (complete code) notebook of ``assignment``; ``setup``: its
    setup cell's source, when made already (both variants have the same one), else made here."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    solution, notebook = assignment.release_sources()
    if setup is None:
        setup = setup_cell.setup_cell_source(setup_cell.kitcheck(assignment.public_data))
    cells = [nbformat.v4.new_markdown_cell(source=_title_cell_source(assignment.id, assignment.spec.title, variant,
                                                                     github_base))]
    cells += _source_cells(solution, notebook, setup, variant)
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
