"""What an assignment's grades.csv must hold, from its spec.toml: one column per part, each score within
the part's points, and every row's max_score the assignment's total.

``grade`` writes grades.csv as ``submission,score,max_score,<every part of the spec>,status`` (results.py
grades_csv), always with every part, whether the run was whole, an ``--only`` or ``--parts`` rerun or a
merge of shards, so a file that says otherwise is another assignment's (given under the wrong id) or
was graded with another version of the spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..errors import KitError
from ..layout import Layout
from ..spec import load_spec

NOT_PARTS = ("submission", "score", "max_score", "status")   # the columns of grades.csv that are not parts


@dataclass(frozen=True)
class GradesSpec:
    assignment: str
    parts: dict[str, Decimal]   # part -> points, in the spec's order
    total: Decimal
    source: str                 # the spec.toml, as messages name it
    layout: Layout              # the course's: its other assignments, which a wrong file may belong to

    def describe(self) -> str:
        return f"{self.assignment}'s parts in {self.source}"


def grades_spec(layout: Layout, assignment: str) -> GradesSpec:
    """The parts, points and total a grades.csv of ``assignment`` must have (as grade writes numbers: :g)."""
    spec = load_spec(layout, assignment)
    return GradesSpec(assignment, {p.name: Decimal(f"{p.points:g}") for p in spec.parts},
                      Decimal(f"{spec.total_points:g}"), layout.shown(spec_file(layout, assignment)), layout)


def spec_file(layout: Layout, assignment: str) -> Path:
    return layout.assignment_dir(assignment) / "spec.toml"


def check_part_columns(path: Path, header: Sequence[str], expected: GradesSpec) -> list[str]:
    """The header's part columns, when they are ``expected``'s parts (in any order); else a KitError on line 1
    naming both lists, and the assignment whose grades file it looks like, if any."""
    names = [h for h in header if h]
    twice = next((h for i, h in enumerate(names) if h in names[:i]), None)
    if twice is not None:
        raise KitError(f"column {twice!r} appears twice in the header", path=path, line=1)
    found = [h for h in names if h not in NOT_PARTS]
    if set(found) == set(expected.parts):
        return found
    message = (f"the part columns are {', '.join(found) or '(none)'} but {expected.describe()} are "
               f"{', '.join(expected.parts)}")
    other = _looks_like(found, expected)
    if other is not None:
        message += f" - this looks like {other}'s grades file: give it as --grades {other}={path}"
    else:
        missing = [p for p in expected.parts if p not in found]
        extra = [p for p in found if p not in expected.parts]
        message += "".join(f"; {what}: {', '.join(items)}" for what, items in
                           (("missing", missing), (f"not parts of {expected.assignment}", extra)) if items)
        message += " - grade it again with this spec, or give the grades file of this assignment"
    raise KitError(message, path=path, line=1)


def check_row(path: Path, line: int, student: str, row: dict[str, str], max_score: Decimal,
              expected: GradesSpec) -> None:
    """max_score is the spec's total and each part's score within 0 to its points."""
    if max_score != expected.total:
        raise KitError(f"max_score {row['max_score']!r} of submission {student!r} is not the total of "
                       f"{expected.describe()} ({expected.total}): graded with another spec? grade it again",
                       path=path, line=line)
    for part, points in expected.parts.items():
        text = row.get(part, "")
        try:
            value = Decimal(text)
        except ArithmeticError:
            value = None
        if value is None or not value.is_finite():
            raise KitError(f"column {part!r}: {text!r} of submission {student!r} is not a number",
                           path=path, line=line)
        if not 0 <= value <= points:
            raise KitError(f"column {part!r}: {text!r} of submission {student!r} is outside 0 to the part's "
                           f"{points} point(s) in {expected.source}", path=path, line=line)


def _looks_like(found: list[str], expected: GradesSpec) -> str | None:
    """The other assignment whose parts these columns are (all of them, else more than half and more of
    them than ``expected`` has), when exactly one is; specs that do not load are passed over."""
    if not found:
        return None
    columns, own = set(found), len(set(found) & set(expected.parts))
    best: list[str] = []
    most = 0
    layout = expected.layout
    for other in layout.assignment_ids():
        if other == expected.assignment:
            continue
        try:
            parts = {p.name for p in load_spec(layout, other).parts}
        except KitError:
            continue
        if parts == columns:
            return other
        shared = len(parts & columns)
        if shared * 2 > len(columns) and shared > own:
            if shared > most:
                best, most = [other], shared
            elif shared == most:
                best.append(other)
    return best[0] if len(best) == 1 else None

