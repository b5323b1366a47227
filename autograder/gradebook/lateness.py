"""Lateness, grace days and penalties: pure arithmetic on one student's term, no files.

Marks are Decimals out of 100 with 2 decimals, so 95.00 - 10 is exactly 85.00 and rounding
(half up) happens in one place. A day late is a started 24 hours after the deadline: 1 s late
is 1 day, exactly on time is 0. Daylight saving time changes nothing here: both times are
instants, and 72 h is 3 days whatever the clocks did in between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .policy import Policy

DAY = dt.timedelta(days=1)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def two_decimals(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent(score: Decimal, max_score: Decimal) -> Decimal:
    """score / max_score as a mark out of 100, rounded to 2 decimals."""
    return two_decimals(score / max_score * HUNDRED)


def days_late(submitted: dt.datetime, due: dt.datetime) -> int:
    """Started days after the deadline: 0 at or before it, 1 from the first second (or less) after."""
    late = submitted - due
    if late <= dt.timedelta(0):
        return 0
    return -(-late // DAY)  # ceiling, in exact timedelta arithmetic


def penalised(mark: Decimal, days: int, policy: Policy) -> Decimal:
    """The mark after ``days`` days of penalty (days left after grace days)."""
    if days == 0:
        return two_decimals(mark)
    if days > policy.max_late_days:
        return ZERO
    deduction = policy.penalty_per_day * days
    if policy.penalty == "points":
        result = mark - deduction
    elif policy.penalty == "multiplicative":
        result = mark * (1 - deduction / HUNDRED)
    else:  # "cap": a late submission can be worth at most 100 - deduction
        result = min(mark, HUNDRED - deduction)
    return two_decimals(max(result, ZERO))


@dataclass(frozen=True)
class Attempt:
    """One assignment of one student: its deadline, and the mark and time if it was handed in."""

    assignment: str
    due: dt.datetime
    mark: Decimal | None = None            # out of 100; None when nothing was handed in
    submitted_at: dt.datetime | None = None


@dataclass(frozen=True)
class Outcome:
    assignment: str
    submitted: bool
    mark: Decimal          # before any penalty; 0 when nothing was handed in
    final: Decimal
    days_late: int
    grace_used: int
    grace_left: int        # after this assignment
    penalty_days: int      # days late not covered by grace days
    beyond_saving: bool    # so late that no grace day could change its mark or on-time status

    @property
    def on_time(self) -> bool:
        """Handed in, and on time once grace days are counted."""
        return self.submitted and self.penalty_days == 0


@dataclass(frozen=True)
class Term:
    outcomes: tuple[Outcome, ...]   # in the order the assignments were due
    grace_used: int
    on_time: int
    meets_requirement: bool


def assess_term(attempts: list[Attempt], policy: Policy) -> Term:
    """Spend grace days in due order and apply the penalty to what lateness remains.

    Grace days go automatically, one per started day late, to each late submission in the
    order the assignments were due - except to a submission so late that even all the days
    left would leave more than ``max_late_days`` of penalty: its mark is 0 and it is not on
    time either way, so spending days on it would only take them from later assignments.
    """
    left = policy.grace_days
    outcomes: list[Outcome] = []
    for attempt in sorted(attempts, key=lambda a: a.due):  # stable: ties keep the given order
        if attempt.mark is None or attempt.submitted_at is None:
            outcomes.append(Outcome(attempt.assignment, False, ZERO, ZERO, 0, 0, left, 0, False))
            continue
        late = days_late(attempt.submitted_at, attempt.due)
        beyond = late - left > policy.max_late_days
        used = 0 if beyond else min(late, left)
        left -= used
        penalty_days = late - used
        outcomes.append(Outcome(attempt.assignment, True, two_decimals(attempt.mark),
                                penalised(attempt.mark, penalty_days, policy),
                                late, used, left, penalty_days, beyond))
    on_time = sum(o.on_time for o in outcomes)
    return Term(tuple(outcomes), policy.grace_days - left, on_time, on_time >= policy.min_on_time)
