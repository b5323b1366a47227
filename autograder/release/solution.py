"""solutions/<id>.py as loaded: its text parsed once into its solution regions and top-level definitions,
and what the release makes of it: the starter (regions stubbed), the reference (markers dropped) and the
notebook's function cells (one definition, either way)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..layout import Layout
from ..sourcefile import SourceFile
from .definitions import definition_spans
from .markers import SolutionRegion, find_regions, parse_python, rewrite, split_lines


@dataclass(frozen=True)
class Solution(SourceFile):
    """A solution file with its top-level definitions (name -> first and last line) and regions."""

    definitions: dict[str, tuple[int, int]]
    regions: tuple[SolutionRegion, ...]
    lines: tuple[str, ...] = field(repr=False)  # its lines, endings kept

    @classmethod
    def parse(cls, path: Path, text: str, shown: str) -> "Solution":
        """``text`` (of ``path``, ``shown`` in messages) parsed once; KitError at the line of a syntax error
        or a misplaced marker."""
        tree = parse_python(text, shown)  # first: ast's syntax errors point at the right line
        lines = tuple(split_lines(text))
        regions = tuple(find_regions(text, shown, tree))
        return cls(Path(path), text, shown, definition_spans(tree, lines), regions, lines)

    def starter(self) -> str:
        """The student's version: each region, markers included, becomes a TODO and a raise."""
        return rewrite(self.lines, self.regions, keep_solution=False)

    def reference(self) -> str:
        """The reference version: marker lines removed, solution code kept."""
        return rewrite(self.lines, self.regions, keep_solution=True)

    def definition(self, name: str, *, stubbed: bool) -> str:
        """The exact text of one top-level definition (which loading checked is there), its regions stubbed
        or kept as in starter() and reference()."""
        first, last = self.definitions[name]
        return rewrite(self.lines, self.regions, keep_solution=not stubbed, first=first, last=last)


def read_solution(layout: Layout, path: Path) -> Solution | None:
    """The solution file at ``path``, parsed; None when there is none (the Gradescope zip, a new assignment)."""
    if not path.is_file():
        return None
    source = SourceFile.read(layout, path)
    return Solution.parse(source.path, source.text, source.shown)
