"""What a student may see beyond the score, and when: the hidden cases' details, and the feedback budget.

**Hidden details** (each failed hidden case's label, what went wrong, the student's own error
text: hidden inputs in all but name) are shown only after the last moment a submission is still
accepted, so that nobody who can still submit reads them in a classmate's feedback. The moment
(``hidden_details_release``, one function for Gradescope and ``grade --details``), by precedence:

1. ``hidden_details_after`` in the assignment's spec.toml, when set (earlier or later than the
   computed moment: the instructor's choice, e.g. for an extension Gradescope cannot show);
2. on Gradescope, the latest of submission_metadata.json's ``assignment.late_due_date`` (its
   ``due_date`` when there is none) and each submitting user's own ``due_date`` and
   ``late_due_date`` (an extension). Gradescope lists only this submission's users, so a
   classmate's extension beyond these is invisible here: set hidden_details_after for it;
3. for ``grade --details``, the spec's due date plus course.toml's ``[late_policy]``
   ``grace_days + max_late_days`` days: after it a submission earns nothing (gradebook/lateness.py).

Details are shown strictly after that moment. A date that cannot be read fails closed: no details.

**The feedback budget** (course.toml's ``[feedback] daily_submissions = N``; absent: none) is
for Gradescope, where a student could resubmit to probe the hidden cases. A submission with more
than N submissions (itself included) in the 24 hours up to its ``created_at`` (a rolling window,
counted from Gradescope's ``previous_submissions`` and never from the clock, so a rerun agrees)
gets its score recorded as usual, but the hidden cases' counts, and the per-part scores that
would give them away, are withheld; the output says when they are shown again. Every submission
counts, withheld or not (as in otter-grader's rate limiting). Earlier submissions whose times
cannot be read fail closed: withheld. The budget ends when the details are released.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import KitError
from .tomlfile import did_you_mean, line_of, read_toml, toml_value

DAY = dt.timedelta(days=1)
WINDOW = "24 h"
FEEDBACK_KEYS = ("daily_submissions",)
DETAILS_NOW = "--details-now"  # grade's explicit override


# ---------------------------------------------------------------- course.toml's [feedback]


@dataclass(frozen=True)
class Feedback:
    daily_submissions: int | None = None  # None: no budget


DEFAULT_FEEDBACK = Feedback()


def feedback_from_table(table: Any, text: str, shown: str) -> Feedback:
    """course.toml's ``[feedback]`` table, checked: a mistake is a KitError naming the file, the line and the key."""
    if not isinstance(table, dict):
        raise KitError("feedback must be a table: write [feedback] with keys such as daily_submissions = 5",
                       path=shown, line=line_of(text, "", "feedback"))
    for key in table:
        if key not in FEEDBACK_KEYS:
            raise KitError(f"unknown key {key!r} in [feedback]{did_you_mean(key, FEEDBACK_KEYS)} "
                           f"(known keys: {', '.join(FEEDBACK_KEYS)})", path=shown, line=line_of(text, "feedback", key))
    limit = table.get("daily_submissions")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise KitError(f"daily_submissions = {toml_value(limit)} is not allowed: write a whole number of "
                       "submissions a day with hidden-case results, 1 or more (leave the key out for no limit)",
                       path=shown, line=line_of(text, "feedback", "daily_submissions"))
    return Feedback(daily_submissions=limit)


def read_feedback(course_file: Path) -> Feedback:
    """The ``[feedback]`` table alone of a course.toml (in the Gradescope zip, where the rest of the
    course, its time zone included, is not needed); the defaults when the file is not there."""
    if not course_file.is_file():
        return DEFAULT_FEEDBACK
    raw, text = read_toml(course_file, course_file.name)
    return feedback_from_table(raw.get("feedback", {}), text, course_file.name)


# ---------------------------------------------------------------- times


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 date-time with its UTC offset (Gradescope's form, 'Z' too); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def when(moment: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """'2027-02-15 23:59 UTC-05:00', in ``zone`` (default: the moment's own offset), rounded up to the
    minute so that 'after' it stays true."""
    if zone is not None:
        moment = moment.astimezone(zone)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    offset = moment.utcoffset() or dt.timedelta(0)
    sign, minutes = ("-", -offset) if offset < dt.timedelta(0) else ("+", offset)
    hours, rest = divmod(int(minutes.total_seconds()) // 60, 60)
    return f"{moment:%Y-%m-%d %H:%M} UTC{sign}{hours:02d}:{rest:02d}"


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.timezone.utc)


# ---------------------------------------------------------------- Gradescope's submission_metadata.json


@dataclass(frozen=True)
class Metadata:
    """submission_metadata.json as read: its object, or why there is none."""

    data: dict | None
    problem: str | None  # 'there is no submission_metadata.json', 'submission_metadata.json cannot be read (...)'
    name: str = "submission_metadata.json"

    @classmethod
    def read(cls, path: Path) -> "Metadata":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(None, f"there is no {path.name}", path.name)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
            return cls(None, f"{path.name} cannot be read ({type(e).__name__})", path.name)
        if not isinstance(data, dict):
            return cls(None, f"{path.name} is not a JSON object", path.name)
        return cls(data, None, path.name)


class _Unreadable(Exception):
    """A date that is there but cannot be read: whatever it would have decided is unknown."""


def _optional_time(table: dict, key: str, where: str) -> dt.datetime | None:
    """table[key] as a time; None when absent or null; _Unreadable when it is something else."""
    value = table.get(key)
    if value is None:
        return None
    parsed = parse_time(value)
    if parsed is None:
        raise _Unreadable(f"{where}.{key} is not a date-time with its UTC offset")
    return parsed


# ---------------------------------------------------------------- when hidden details are released


@dataclass(frozen=True)
class Release:
    """When hidden details may be shown: strictly after ``at``; never while ``at`` is None (unknown)."""

    at: dt.datetime | None
    why: str  # where ``at`` comes from, or why it is unknown

    def shown(self, now: dt.datetime | None = None) -> bool:
        return self.at is not None and _now(now) > self.at


def hidden_details_release(spec: Any, *, policy: Any = None, metadata: Metadata | None = None) -> Release:
    """When the hidden cases' details of ``spec`` (an AssignmentSpec) may be shown.

    spec.toml's ``hidden_details_after`` when set; else on Gradescope (``metadata`` given) the last
    moment Gradescope still accepts a submission; else the due date plus ``policy``'s (course.toml's
    [late_policy]) grace days and late days. Unknown (no policy, unreadable metadata): never.
    """
    explicit = getattr(spec, "hidden_details_after", None)
    if explicit is not None:
        return Release(explicit, "spec.toml's hidden_details_after")
    if metadata is not None:
        return _gradescope_last_accepted(metadata)
    if policy is None:
        return Release(None, "no late policy to say when submissions stop")
    grace, late = policy.grace_days, policy.max_late_days
    return Release(spec.due + (grace + late) * DAY,
                   f"the due date + {grace} grace day{'s' * (grace != 1)} + {late} late day{'s' * (late != 1)} "
                   "of course.toml's [late_policy]: the last moment a submission still earns marks")


def _gradescope_last_accepted(metadata: Metadata) -> Release:
    """The latest due date or late due date in the metadata, the assignment's and each user's own."""
    if metadata.data is None:
        return Release(None, metadata.problem or f"{metadata.name} cannot be read")
    assignment = metadata.data.get("assignment")
    due = parse_time(assignment.get("due_date")) if isinstance(assignment, dict) else None
    if not isinstance(assignment, dict) or due is None:
        return Release(None, f"{metadata.name} has no valid assignment.due_date")
    users = metadata.data.get("users", [])
    if not isinstance(users, list):
        return Release(None, f"{metadata.name} has users that are not a list")
    candidates = [(due, "Gradescope's due date")]
    try:
        late = _optional_time(assignment, "late_due_date", "assignment")
        if late is not None:
            candidates.append((late, "Gradescope's late due date"))
        for i, user in enumerate(users):
            if not isinstance(user, dict):
                raise _Unreadable(f"users[{i}] is not an object")
            own = user.get("assignment")
            if own is None:
                continue
            if not isinstance(own, dict):
                raise _Unreadable(f"users[{i}].assignment is not an object")
            for key, what in (("due_date", "due date"), ("late_due_date", "late due date")):
                moment = _optional_time(own, key, f"users[{i}].assignment")
                if moment is not None:
                    candidates.append((moment, f"an extension's {what}"))
    except _Unreadable as e:
        return Release(None, f"{metadata.name}: {e}")
    at, why = max(candidates, key=lambda c: c[0])
    return Release(at, f"{why}: the last moment Gradescope accepts a submission")


def require_released(release: Release, assignment: str, zone: dt.tzinfo | None = None,
                     now: dt.datetime | None = None) -> None:
    """KitError (one line: when, and how to override) unless the details of ``assignment`` may be shown now."""
    if release.shown(now):
        return
    if release.at is None:
        raise KitError(f"the hidden cases' details of {assignment} are not shown: when submissions stop is unknown "
                       f"({release.why}); pass {DETAILS_NOW} to show them anyway")
    raise KitError(f"the hidden cases' details of {assignment} are shown only after {when(release.at, zone)} "
                   f"({release.why}); until then a student may still submit: grade again then, or pass "
                   f"{DETAILS_NOW} to show them now")


# ---------------------------------------------------------------- the daily feedback budget


@dataclass(frozen=True)
class Budget:
    """This submission against ``limit`` submissions with hidden-case results in 24 h."""

    limit: int
    count: int | None                # this submission and the earlier ones of the 24 h before it; None: unknown
    again: dt.datetime | None = None  # when spent: the results are shown for a submission after this
    problem: str | None = None        # why the count is unknown

    @property
    def spent(self) -> bool:
        return self.count is None or self.count > self.limit

    def message(self) -> str:
        """The top-level output's line for the student."""
        if self.count is None:
            return (f"hidden-case results are withheld: the limit of {self.limit} submissions in {WINDOW} cannot be "
                    f"checked ({self.problem}). The score is recorded as usual.")
        if not self.spent:
            return f"submissions in the last {WINDOW}: {self.count} of {self.limit} with hidden-case results"
        assert self.again is not None, "daily_budget gives the time whenever the count is over the limit"
        return (f"hidden-case results are withheld: you have made {self.count} submissions in the last {WINDOW} "
                f"(limit {self.limit}); they are shown again for a submission after {when(self.again)} "
                "(each submission until then counts too). The score is recorded as usual.")


def daily_budget(metadata: Metadata, limit: int) -> Budget:
    """How this submission stands against ``limit`` submissions in the rolling 24 h before its created_at."""
    if metadata.data is None:
        return Budget(limit, None, problem=metadata.problem)
    created = parse_time(metadata.data.get("created_at"))
    if created is None:
        return Budget(limit, None, problem=f"{metadata.name} has no valid created_at")
    previous = metadata.data.get("previous_submissions")
    if not isinstance(previous, list):
        return Budget(limit, None, problem=f"{metadata.name} has no list of previous_submissions")
    times = [created]
    for i, entry in enumerate(previous):
        moment = parse_time(entry.get("submission_time")) if isinstance(entry, dict) else None
        if moment is None:
            return Budget(limit, None,
                          problem=f"{metadata.name}: previous_submissions[{i}] has no valid submission_time")
        if created - DAY <= moment <= created:  # a later one (this is a rerun of an older submission) does not count
            times.append(moment)
    if len(times) <= limit:
        return Budget(limit, len(times))
    # Shown again once at most limit - 1 of these are within 24 h of the next submission: the limit-th latest has left.
    times.sort(reverse=True)
    return Budget(limit, len(times), again=times[limit - 1] + DAY)
