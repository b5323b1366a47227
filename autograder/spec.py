"""An assignment's spec (parts, points, tolerances, due date) and its check cases.

Both come from ``assignments/<id>/spec.toml`` and ``assignments/<id>/cases.toml``.
Every problem is a SpecError naming the file and the key, never a KeyError.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .errors import KitError, SpecError

DTYPES = ("float64", "float32")
_SPEC_KEYS = {"id", "title", "due", "time_limit_s", "tolerances", "parts"}
_PART_KEYS = {"name", "points", "time_limit_s", "tolerances"}


@dataclass(frozen=True)
class Tolerance:
    atol: float
    rtol: float


@dataclass(frozen=True)
class PartSpec:
    name: str
    points: float
    time_limit_s: float
    tolerances: dict[str, Tolerance]


@dataclass(frozen=True)
class CaseSet:
    """One set of case descriptors (public or hidden) and the seed they are drawn from."""

    seed: int
    cases: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class AssignmentSpec:
    id: str
    title: str
    due: dt.datetime
    parts: list[PartSpec]
    public: CaseSet
    hidden: CaseSet
    directory: Path = field(compare=False)

    @property
    def total_points(self) -> float:
        return sum(p.points for p in self.parts)

    def part(self, name: str) -> PartSpec:
        for p in self.parts:
            if p.name == name:
                return p
        raise KitError(f"assignment {self.id!r} has no graded part named {name!r}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise SpecError("file not found", path=path) from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"not valid TOML: {e}", path=path) from None


def _tolerances(raw: Any, path: Path, where: str,
                base: dict[str, Tolerance] | None = None) -> dict[str, Tolerance]:
    out = dict(base or {})
    if raw is None:
        return out
    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be a table of dtypes", path=path)
    for dtype, tol in raw.items():
        if dtype not in DTYPES:
            raise SpecError(f"{where} has unknown dtype {dtype!r} (expected one of {', '.join(DTYPES)})", path=path)
        try:
            out[dtype] = Tolerance(atol=float(tol["atol"]), rtol=float(tol["rtol"]))
        except (KeyError, TypeError, ValueError):
            raise SpecError(f"{where}.{dtype} needs numeric 'atol' and 'rtol'", path=path) from None
    return out


def _case_set(raw: Any, path: Path, name: str) -> CaseSet:
    if not isinstance(raw, dict) or "seed" not in raw or "cases" not in raw:
        raise SpecError(f"[{name}] needs 'seed' and a [{name}.cases] table", path=path)
    cases = raw["cases"]
    if not isinstance(cases, dict) or not all(isinstance(v, list) for v in cases.values()):
        raise SpecError(f"[{name}.cases] must map part names to lists of case tables", path=path)
    return CaseSet(seed=int(raw["seed"]), cases={k: [dict(c) for c in v] for k, v in cases.items()})


_secrets_loaded = False


def secrets_loaded() -> bool:
    """Whether this process has read any hidden cases (a forked sandbox worker must not inherit them)."""
    return _secrets_loaded


def load_spec(assignment: str) -> AssignmentSpec:
    """Load and validate one assignment's spec.toml and cases.toml."""
    global _secrets_loaded
    _secrets_loaded = True
    directory = paths.assignment_dir(assignment)
    if not directory.is_dir():
        known = ", ".join(sorted(p.name for p in paths.ASSIGNMENTS.iterdir() if (p / "spec.toml").exists()))
        raise KitError(f"unknown assignment {assignment!r} (known: {known})")
    spec_path = directory / "spec.toml"
    raw = _read_toml(spec_path)
    unknown = set(raw) - _SPEC_KEYS
    if unknown:
        raise SpecError(f"unknown key(s) {', '.join(sorted(unknown))}", path=spec_path)
    for key in ("id", "title", "due", "parts"):
        if key not in raw:
            raise SpecError(f"missing key {key!r}", path=spec_path)
    if raw["id"] != assignment:
        raise SpecError(f"id is {raw['id']!r} but the folder is {assignment!r}", path=spec_path)
    due = raw["due"]
    if isinstance(due, str):
        try:
            due = dt.datetime.fromisoformat(due)
        except ValueError:
            raise SpecError(f"due {raw['due']!r} is not an ISO 8601 date-time", path=spec_path) from None
    if not isinstance(due, dt.datetime) or due.tzinfo is None:
        raise SpecError("due must be a date-time with a UTC offset, e.g. 2027-01-29T23:59:00-05:00", path=spec_path)
    default_limit = float(raw.get("time_limit_s", 10))
    base_tol = _tolerances(raw.get("tolerances"), spec_path, "tolerances")
    missing = [d for d in DTYPES if d not in base_tol]
    if missing:
        raise SpecError(f"tolerances missing for {', '.join(missing)}", path=spec_path)
    parts: list[PartSpec] = []
    for i, p in enumerate(raw["parts"]):
        where = f"parts[{i}]"
        if not isinstance(p, dict) or "name" not in p or "points" not in p:
            raise SpecError(f"{where} needs 'name' and 'points'", path=spec_path)
        unknown = set(p) - _PART_KEYS
        if unknown:
            raise SpecError(f"{where} ({p['name']}) has unknown key(s) {', '.join(sorted(unknown))}", path=spec_path)
        parts.append(PartSpec(
            name=str(p["name"]),
            points=float(p["points"]),
            time_limit_s=float(p.get("time_limit_s", default_limit)),
            tolerances=_tolerances(p.get("tolerances"), spec_path, f"{where}.tolerances", base_tol),
        ))
    names = [p.name for p in parts]
    if len(set(names)) != len(names):
        raise SpecError("a part name appears twice", path=spec_path)
    cases_path = directory / "cases.toml"
    raw_cases = _read_toml(cases_path)
    public = _case_set(raw_cases.get("public"), cases_path, "public")
    hidden = _case_set(raw_cases.get("hidden"), cases_path, "hidden")
    for set_name, case_set in (("public", public), ("hidden", hidden)):
        extra = set(case_set.cases) - set(names)
        if extra:
            raise SpecError(f"[{set_name}.cases] names unknown part(s) {', '.join(sorted(extra))}", path=cases_path)
    return AssignmentSpec(id=assignment, title=str(raw["title"]), due=due, parts=parts,
                          public=public, hidden=hidden, directory=directory)
