"""The points table of a notebook's first text cell, held to spec.toml.

The scaffold's notebook opens with a table of the graded functions and their points and with their
total ("(9 points)"): plain text, which students read as the assignment's contract. ``release``
refuses one that disagrees with spec.toml, at the notebook line, so a TA who changes points in one
file learns it before students do. A first text cell without rows or total is left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import KitError
from ..tomlfile import did_you_mean, line_of

if TYPE_CHECKING:
    from ..assignment import Assignment

# '# | `fit_ridge(X, t, lam)` | 3 |' as the percent format writes a Markdown line
_ROW = re.compile(r"^#?\s*\|\s*`(?P<name>\w+)\(.*\)`\s*\|\s*(?P<points>[^|]*?)\s*\|\s*$")
_TOTAL = re.compile(r"\((?P<total>\d+(?:\.\d+)?) points?\)")


def check_points_table(assignment: "Assignment") -> None:
    """KitError at the notebook's line for a row or total of its first text cell that spec.toml contradicts."""
    notebook = assignment.notebook
    first = next((c for c in notebook.cells if c.kind == "markdown"), None) if notebook is not None else None
    if notebook is None or first is None:
        return
    spec = assignment.spec
    spec_file = spec.shown("spec.toml")
    points = {p.name: p.points for p in spec.parts}
    names = list(points)

    def spec_line(name: str) -> str:
        return f"{spec_file}:{line_of(spec.spec_text, 'parts', 'points', names.index(name))}"

    rows: dict[str, int] = {}
    for offset, text in enumerate(first.source.splitlines()):
        line = first.line + offset
        row = _ROW.match(text.strip())
        if row is not None:
            name, given = row["name"], row["points"]
            if name not in points:
                raise KitError(f"the table of graded functions lists {name}(), which spec.toml does not grade"
                               f"{did_you_mean(name, names)} (its parts: {', '.join(names)}): write the part's "
                               "name as spec.toml has it, or take the row out", path=notebook.shown, line=line)
            if _number(given) != points[name]:
                raise KitError(f"the table of graded functions gives {name}() {given or 'no'} points, but spec.toml "
                               f"gives it {points[name]:g} ({spec_line(name)}): write {points[name]:g} in the row, "
                               "or change points there", path=notebook.shown, line=line)
            rows[name] = line
        for total in _TOTAL.finditer(text):
            want = sum(points.values())
            if float(total["total"]) != want:
                raise KitError(f"the first cell says {total.group(0)}, but spec.toml's parts add up to {want:g} "
                               f"points: write ({want:g} points)", path=notebook.shown, line=line)
    missing = [name for name in names if name not in rows]
    if rows and missing:
        name = missing[0]
        raise KitError(f"the table of graded functions has no row for part {name!r} ({spec_line(name)}): add "
                       f"| `{name}(...)` | {points[name]:g} | in spec.toml's order", path=notebook.shown,
                       line=max(rows.values()))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
