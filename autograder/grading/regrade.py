"""Regrading in place: what an earlier run left in the results folder, and merging a partial rerun.

Beside each results.json the batch keeps ``record.json``: the grader's own account of the
submission, as data (every part's verdict with its cases, notes, answers). results.json is
Gradescope's view of it, rendered for students, so it is never read back to rebuild a result;
the record is. A folder graded before records existed still counts in grades.csv through the
scores of its results.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..atomic import write_atomically
from ..errors import KitError
from ..checks.taking import strict_json
from ..checks.verdict import PartVerdict
from .grade import SubmissionResult
from .scores import PartScore, ScoreRow

RECORD = "record.json"
RECORD_VERSION = 2
_UNGRADED = "This submission could not be graded: "


def record_json(result: SubmissionResult) -> dict:
    return {
        "record_version": RECORD_VERSION,
        "path": str(result.path),
        "error": result.error,
        "grader_failed": result.grader_failed,
        "elapsed": round(result.elapsed, 3),
        "notes": list(result.notes),
        "answers": [[cell, text] for cell, text in result.answers],
        "parts": [p.to_dict() for p in result.parts],
    }


def write_record(result: SubmissionResult, folder: Path) -> None:
    # Compact: a file for the kit, not for people, and json's C encoder runs only without indent (~6x faster).
    write_atomically(folder / RECORD, json.dumps(record_json(result), separators=(",", ":")) + "\n")


def read_record(folder: Path) -> SubmissionResult | None:
    """The result recorded in folder, or None when there is none (never graded, or by an older kit)."""
    try:  # Any: its shape is checked as it is read (a KeyError or TypeError below: not a record)
        data: Any = strict_json((folder / RECORD).read_text(encoding="utf-8"), nan=True)  # a huge number: a clear error
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as e:
        raise KitError(f"cannot read an earlier result ({e}); grade this submission again without --parts",
                       path=folder / RECORD) from None
    try:
        if data.get("record_version") != RECORD_VERSION:
            raise ValueError(f"record version {data.get('record_version')!r}, this kit reads {RECORD_VERSION}")
        parts = [PartVerdict.from_dict(p) for p in data["parts"]]
        return SubmissionResult(Path(data["path"]), parts, notes=list(data["notes"]),
                                answers=[(int(c), t) for c, t in data["answers"]], error=data["error"],
                                grader_failed=bool(data.get("grader_failed")), elapsed=float(data["elapsed"]))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise KitError(f"an earlier result is not in the expected form ({type(e).__name__}: {e}); grade this "
                       "submission again without --parts", path=folder / RECORD) from None


def read_results_json(folder: Path, part_names: list[str]) -> ScoreRow | None:
    """Scores only, from a results.json without a record beside it: enough for a row of grades.csv."""
    try:
        data: Any = strict_json((folder / "results.json").read_text(encoding="utf-8"), nan=True)
        tests = {t["name"]: t for t in data["tests"]}
        output = str(data.get("output", ""))
        parts = tuple(PartScore(name, float(tests[name]["max_score"]), float(tests[name]["score"]))
                      for name in part_names if name in tests)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    error = next((line[len(_UNGRADED):] for line in output.splitlines() if line.startswith(_UNGRADED)), None)
    return ScoreRow(folder.name, parts, error)


def rows_in(out: Path, part_names: list[str]) -> list[ScoreRow]:
    """A row for every submission folder in out (the batch as it now stands on disk), by name."""
    if not out.is_dir():
        return []
    found = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (folder / RECORD).exists():
            result = read_record(folder)
            row = result.row(folder.name) if result is not None else None
        else:
            row = read_results_json(folder, part_names)
        if row is not None:
            found.append(row)
    return found


def merge_parts(old: SubmissionResult, new: SubmissionResult, rerun: list[str],
                part_names: list[str]) -> SubmissionResult:
    """new's entries for the rerun parts, old's for the others, in the assignment's order; the total follows."""
    if new.error or old.error:  # unreadable now (so for every part), or nothing of the old worth keeping
        return new
    fresh = {p.name: p for p in new.parts}
    kept = {p.name: p for p in old.parts}
    parts = [fresh[n] if n in rerun else kept[n] for n in part_names if n in fresh or n in kept]
    notes = list(dict.fromkeys([*old.notes, *new.notes]))
    return SubmissionResult(new.path, parts, notes=notes, answers=new.answers, error=None, elapsed=new.elapsed)


def check_parts(parts: list[str], part_names: list[str], assignment: str) -> None:
    unknown = [p for p in parts if p not in part_names]
    if unknown:
        raise KitError(f"--parts: {assignment} has no part named {unknown[0]!r} (its parts: "
                       f"{', '.join(part_names)})")
