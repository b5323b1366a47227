"""Submission times, names and emails straight from a Gradescope export (no hand-made times file).

A Gradescope "Download submissions" export, unzipped, holds ``submission_metadata.yml``:
for each ``submission_<id>`` its ``:created_at`` and ``:submitters`` (name, email, sid).
Each submitter gets the name ``grade`` gives their results (collect.gradescope_names), so the
rows match that assignment's grades.csv. A group submission gives every member its time.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from ..errors import KitError
from ..grading.collect import (GRADESCOPE_METADATA, _timestamp, gradescope_names, read_gradescope_metadata,
                               submitter_of)


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    sid: str


@dataclass(frozen=True)
class ExportRow:
    submitted_at: dt.datetime
    person: Person
    submission: str      # the submission_<id> key, to name in messages


def metadata_path(export: Path) -> Path:
    """The export folder's submission_metadata.yml (or the file itself when given)."""
    export = Path(export)
    path = export if export.name == GRADESCOPE_METADATA else export / GRADESCOPE_METADATA
    if not path.is_file():
        raise KitError(f"not a Gradescope export: no {GRADESCOPE_METADATA} in {export} "
                       "(unzip the 'Download submissions' archive and give its folder)")
    return path


def read_export(export: Path, zone: zoneinfo.ZoneInfo) -> dict[str, ExportRow]:
    """Student name (as in grades.csv) -> submission time (in ``zone``), name, email and sid."""
    path = metadata_path(export)
    rows: dict[str, ExportRow] = {}
    entries = sorted(read_gradescope_metadata(path).items())
    # Named as grade names them: of the whole export (two people's emails may share a local part).
    names = iter(gradescope_names([submitter_of(s) for _, entry in entries for s in entry.get(":submitters") or []]))
    for key, entry in entries:
        raw = entry.get(":created_at")
        when = _timestamp(raw)
        if when is None:
            raise KitError(f"{key}: :created_at {raw!r} is not a date-time", path=path)
        if when.tzinfo is None:
            raise KitError(f"{key}: :created_at {raw!r} has no UTC offset, so the instant is unknown", path=path)
        for submitter in entry.get(":submitters") or []:
            person = Person(*(str(submitter.get(f":{k}") or "").strip() for k in ("name", "email", "sid")))
            student = next(names)
            if student is None:
                raise KitError(f"{key}: a submitter has neither a sid nor an email, so no name to match "
                               "grades.csv with", path=path)
            if student in rows:
                raise KitError(f"{key}: student {student!r} is also a submitter of {rows[student].submission}",
                               path=path)
            rows[student] = ExportRow(when.astimezone(zone), person, key)
    return rows
