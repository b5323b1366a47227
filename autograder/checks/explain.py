"""What only the side that read the submission knows about an outcome: places, and globals not taken.

The code runs on the taken statements alone, so its errors name lines of the taken source and
any global the grader did not take is simply undefined. The grader (grading/grade.py) and the
notebook's check() both explain an outcome with these functions, in the same words: the
original place (cell, line) of a line, and why a name is not defined.
Standard library only: the notebook's setup cell ships this module.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the types only: nothing is imported when this runs
    from .judging import Outcome
    from .taking import Ingested

_LINE = re.compile(r"\bline (\d+)")


def map_lines(text: str, ingested: "Ingested") -> str:
    """Rewrite 'line N' of the taken source into the submission's own place (cell, line)."""
    return _LINE.sub(lambda m: ingested.where(int(m.group(1))), text, count=1)


def not_taken_message(name: str, place: str) -> str:
    """Why a global assigned at place is undefined when the code runs."""
    return (f"uses the global {name!r}, assigned at {place}, which the grader did not take: it only takes "
            "imports, function and class definitions and simple constants. Compute it inside the function, "
            "or pass it as an argument")


def explain(outcome: "Outcome", ingested: "Ingested") -> "Outcome":
    """Add what only the parent knows: original places, and globals the grader did not take."""
    if outcome.status == "missing":
        outcome.message = f"{outcome.name} is not a function in the submission"
        return outcome
    if outcome.status != "error":
        return outcome
    if outcome.where:
        outcome.where = map_lines(outcome.where, ingested)
    name = outcome.name
    if outcome.error_type == "NameError" and name:
        if name in ingested.skipped_names:
            outcome.message = not_taken_message(name, ingested.skipped_names[name])
        else:
            outcome.message = f"uses the name {name!r}, which is not defined anywhere the grader looks"
    return outcome
