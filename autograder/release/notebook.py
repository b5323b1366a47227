"""Build a Colab-ready notebook (student or reference-solution variant) from its percent source.

Steps, in order: read ``assignments/<id>/notebook.py`` with jupytext; put a title cell first;
expand each directive cell (setup cell, solution functions); copy the other cells with only
their ``tags`` kept; give every cell a deterministic id; set the Colab notebook metadata.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import jupytext
import nbformat
from nbformat import NotebookNode

from ..errors import KitError
from .definitions import definition_source, definition_spans
from .directives import Directive, parse_directive, source_line_of
from .markers import find_regions, make_starter, split_lines, strip_markers
from . import setup_cell
from .sources import AssignmentSources, display_path, load_sources

VARIANTS = ("student", "solution")
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
NOTEBOOK_METADATA: dict[str, Any] = {
    "accelerator": "GPU",
    "colab": {"provenance": [], "gpuType": "T4", "toc_visible": True},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
_KEPT_CELL_METADATA = ("tags",)  # everything else (jupytext's bookkeeping) is dropped
_CELL_HEADER = re.compile(r"^#\s*%%")
_CHECK_CALL = re.compile(r"(?<![\w.])check\(")


def colab_url(assignment: str, github_base: str) -> str:
    return f"https://colab.research.google.com/github/{github_base.strip('/')}/notebooks/{assignment}.ipynb"


def _title_cell_source(src: AssignmentSources, variant: str, github_base: str) -> str:
    if variant == "solution":
        return (f"# {src.title}: reference solution\n\n"
                "Every function is filled in. Instructor copy: do not share it with students.")
    return f"# {src.title}\n\n[![Open In Colab]({COLAB_BADGE})]({colab_url(src.assignment, github_base)})"


def _function_cell_source(src: AssignmentSources, directive: Directive, variant: str) -> str:
    solution_path = display_path(src.solution_path)
    spans = definition_spans(src.solution_text, solution_path)
    parts = []
    for name in directive.names:
        if name not in spans:
            known = ", ".join(sorted(spans)) or "none"
            raise KitError(f"'# kit: function' names {name!r}, which {solution_path} does not define "
                           f"at top level (defined: {known})",
                           path=display_path(src.notebook_path), line=directive.line)
        text = definition_source(src.solution_text, spans[name])
        text = make_starter(text, solution_path) if variant == "student" else strip_markers(text, solution_path)
        parts.append(text.rstrip("\r\n"))
    return "\n\n\n".join(parts)


def _code_cell(source: str, metadata: dict[str, Any]) -> NotebookNode:
    return nbformat.v4.new_code_cell(source=source, metadata=metadata)


def _copied_metadata(cell: NotebookNode) -> dict[str, Any]:
    return {k: cell.metadata[k] for k in _KEPT_CELL_METADATA if k in cell.metadata}


def _source_cells(src: AssignmentSources, variant: str) -> list[NotebookNode]:
    """The cells of notebook.py, directives expanded, metadata cleaned."""
    nb_path = display_path(src.notebook_path)
    text_lines = split_lines(src.notebook_text)
    source_nb = jupytext.reads(src.notebook_text, fmt="py:percent")
    headers = [n for n, ln in enumerate(text_lines, start=1) if _CELL_HEADER.match(ln)]
    leading = len(source_nb.cells) - len(headers)  # 1 when text comes before the first '# %%'
    cells: list[NotebookNode] = []
    setup_seen = False
    for index, cell in enumerate(source_nb.cells):
        metadata = _copied_metadata(cell)
        if cell.cell_type != "code":
            new = (nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_raw_cell)
            cells.append(new(source=cell.source, metadata=metadata))
            continue
        # jupytext keeps no line numbers: find the cell's first line again after its header.
        header = headers[index - leading] if 0 <= index - leading < len(headers) else 0
        first_line = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
        line = source_line_of(text_lines, header + 1, first_line)
        directive = parse_directive(cell.source, path=nb_path, line=line)
        if directive is None:
            if not setup_seen and _calls_check(cell.source):
                raise KitError("check(...) is called before the '# kit: setup' cell that defines it",
                               path=nb_path, line=line)
            cells.append(_code_cell(cell.source, metadata))
        elif directive.kind == "setup":
            setup_seen = True
            source = setup_cell.setup_cell_source(src.assignment).rstrip("\n")
            cells.append(_code_cell(source, {**metadata, "cellView": "form"}))  # Colab folds it
        else:
            cells.append(_code_cell(_function_cell_source(src, directive, variant), metadata))
    return cells


def _calls_check(source: str) -> bool:
    return _CHECK_CALL.search(source) is not None


def build_notebook(assignment: str, *, variant: str, github_base: str) -> NotebookNode:
    """The student (stubs, Colab badge) or solution (complete code) notebook of ``assignment``."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    src = load_sources(assignment)
    find_regions(src.solution_text, display_path(src.solution_path))  # marker errors with file lines
    cells = [nbformat.v4.new_markdown_cell(source=_title_cell_source(src, variant, github_base))]
    cells += _source_cells(src, variant)
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
