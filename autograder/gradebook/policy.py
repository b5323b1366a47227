"""The late policy: course.toml's [late_policy] table, overridable by a small TOML file (--policy).

Every key is optional; the defaults are the lectures' policy::

    grace_days = 7              # per student, for the whole term
    penalty = "points"          # or "multiplicative" or "cap"
    penalty_per_day = 10        # of 100, per started day late after grace days
    max_late_days = 3           # more days of penalty than this: the mark is 0
    min_on_time = 3             # assignments on time (grace days included) needed to pass
    timezone = "America/Toronto"

A mistake is a KitError naming the file, the line of the key, the key and its value.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import KitError
from ..tomlfile import tomllib

PENALTIES = ("points", "multiplicative", "cap")


@dataclass(frozen=True)
class Policy:
    grace_days: int = 7
    penalty: str = "points"
    penalty_per_day: Decimal = Decimal(10)
    max_late_days: int = 3
    min_on_time: int = 3
    timezone: str = "America/Toronto"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


DEFAULT_POLICY = Policy()
KEYS = ("grace_days", "penalty", "penalty_per_day", "max_late_days", "min_on_time", "timezone")


def load_policy(path: Path | None, assignments: int, base: Policy = DEFAULT_POLICY) -> Policy:
    """The policy in ``path`` (its keys replace those of ``base``), or ``base`` when no file is given.

    The gradebook passes the course's policy (course.toml's [late_policy]) as ``base``, and the
    course's number of assignments, which min_on_time may not exceed.
    """
    if path is None:
        return base
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KitError("policy file not found", path=path) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise KitError(f"the policy file is not valid TOML: {e}", path=path) from None
    return policy_from_table(raw, text, path, base=base, assignments=assignments)


def policy_from_table(raw: dict[str, Any], text: str, path: str | Path, *, assignments: int | None,
                      base: Policy = DEFAULT_POLICY, keys: tuple[str, ...] = KEYS,
                      where: str = "the policy file") -> Policy:
    """``base`` with the keys of ``raw`` (a TOML table read from ``text``) checked and applied.

    ``assignments``: the number of assignments, which min_on_time may not exceed; None leaves it
    unbounded (course.toml: a term's assignments are often added after its policy is written)."""
    for key in raw:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f" - did you mean {close[0]!r}?" if close else ""
            raise KitError(f"unknown key {key!r} in {where}{hint} (known keys: {', '.join(keys)})",
                           path=path, line=_key_line(text, key))
    values: dict[str, Any] = {}
    for key, value in raw.items():
        problem = check_value(key, value, assignments=assignments)
        if problem:
            raise KitError(f"{key} = {_toml(value)} {problem}", path=path, line=_key_line(text, key))
        values[key] = Decimal(str(value)) if key == "penalty_per_day" else value
    return replace(base, **values)


def check_value(key: str, value: Any, *, assignments: int | None = None) -> str | None:
    """What is wrong with one value, as the end of a sentence; None when it is fine. ``assignments``:
    as for policy_from_table."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if key in ("grace_days", "max_late_days"):
        return None if whole and value >= 0 else "is not allowed: it must be a whole number of days, 0 or more"
    if key == "min_on_time":
        if assignments is None:
            return None if whole and value >= 0 else "is not allowed: it must be a whole number, 0 or more"
        return (None if whole and 0 <= value <= assignments
                else f"is not allowed: it must be a whole number from 0 to {assignments}")
    if key == "penalty_per_day":
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if number and 0 <= value <= 100 else "is not allowed: it must be a number of points from 0 to 100"
    if key == "penalty":
        return None if value in PENALTIES else ("is not allowed: it must be one of "
                                                + ", ".join(f'"{p}"' for p in PENALTIES))
    if key == "timezone":
        if not isinstance(value, str):
            return "is not allowed: it must be an IANA time zone name such as \"America/Toronto\""
        try:
            zoneinfo.ZoneInfo(value)
            return None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(value, sorted(zoneinfo.available_timezones()), n=1)
            hint = f" - did you mean \"{close[0]}\"?" if close else " such as \"America/Toronto\""
            return f"is not an IANA time zone name{hint}"
    return None


def _toml(value: Any) -> str:
    """A value as it would be written in the TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _key_line(text: str, key: str) -> int | None:
    """The line where ``key`` is set (tomllib does not say); None for a key set in another way."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line) or line.strip() in (f"[{key}]", f"[[{key}]]"):
            return number
    return None
