"""An assignment's spec (parts, points, tolerances, due date) and its check cases.

Both come from ``assignments/<id>/spec.toml`` and ``assignments/<id>/cases.toml``.
cases.toml may not list a case twice in a set, give two cases of a part one label, or use the
public seed as the hidden one. Every problem is a one-line SpecError naming the file, the line and the key and saying what
to write instead (with a did-you-mean for a misspelt name), never a KeyError or ValueError.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from .errors import KitError, SpecError
from .layout import Layout
from .tomlfile import did_you_mean, is_number, line_of, line_of_item, read_toml, toml_value

if TYPE_CHECKING:
    from .checks.compare import Tolerance

DTYPES = ("float64", "float32")
_SPEC_KEYS = {"id", "title", "due", "hidden_details_after", "time_limit_s", "tolerances", "parts", "questions"}
_PART_KEYS = {"name", "points", "time_limit_s", "tolerances"}
_QUESTION_KEYS = {"id", "points"}
# release/questions.QUESTION_ID's rule, written here too: reading a spec imports nothing of release/ (nor torch)
_QUESTION_ID = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
MAX_QUESTION_POINTS = 1e6


@dataclass(frozen=True)
class PartSpec:
    name: str
    points: float
    time_limit_s: float
    atol_rtol: dict[str, tuple[float, float]]  # dtype -> (atol, rtol), as spec.toml gives them

    @functools.cached_property
    def tolerances(self) -> dict[str, Tolerance]:
        """dtype -> its Tolerance, the one class the judges compare with (checks/compare.py, which the notebooks
        carry). Made on first use: compare imports torch, which what reads only points and dates (the gradebook)
        never needs."""
        from .checks.compare import Tolerance
        return {dtype: Tolerance(atol, rtol) for dtype, (atol, rtol) in self.atol_rtol.items()}


@dataclass(frozen=True)
class QuestionSpec:
    """A written question's points: ``id`` is the notebook's (its answer cell's tag answer:<id>; q1, q2, ... in
    an older notebook with bare answer tags), graded by hand (gradebook --manual, the grading room)."""

    id: str
    points: float


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
    directory: Path = field(compare=False)       # assignments/<id>/
    layout: Layout = field(compare=False, repr=False)  # the course's: it names the files in messages
    spec_text: str = field(default="", compare=False, repr=False)   # spec.toml as read (for messages, the zip)
    cases_text: str = field(default="", compare=False, repr=False)  # cases.toml as read
    # Hidden cases' details are shown only after this (None: after the last accepted submission; disclosure.py)
    hidden_details_after: dt.datetime | None = None
    questions: tuple[QuestionSpec, ...] = ()  # the written questions' points, in spec.toml's order

    @property
    def written_points(self) -> float:
        """The written questions' points together (graded by hand; not in total_points, grades.csv's max_score)."""
        return sum(q.points for q in self.questions)

    @property
    def question_worth(self) -> dict[str, Decimal]:
        """Each written question's points as an exact Decimal, in spec order: what the room, the gradebook and the
        feedback add up (a float's 0.1 + 0.2 would not be 0.3)."""
        return {q.id: Decimal(str(q.points)) for q in self.questions}

    def question(self, question_id: str) -> QuestionSpec | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def question_line(self, question_id: str, key: str | None = "points") -> int | None:
        """spec.toml's line of a question's ``key`` (its [[questions]] header when None), for messages."""
        ids = [q.id for q in self.questions]
        return line_of(self.spec_text, "questions", key, ids.index(question_id)) if question_id in ids else None

    def question_where(self, question_id: str, key: str | None = "points") -> str:
        """``spec.toml:LINE`` of a question's ``key``, as messages name it."""
        line = self.question_line(question_id, key)
        return f"{self.shown('spec.toml')}:{line}" if line is not None else self.shown("spec.toml")

    def shown(self, name: str) -> str:
        """A file of assignments/<id>/ (spec.toml, cases.toml, checks.py) as messages name it."""
        return self.layout.shown(self.directory / name)

    @property
    def case_sets(self) -> dict[str, CaseSet]:
        """The two sets of cases by name, public first (as cases.toml's tables are named)."""
        return {"public": self.public, "hidden": self.hidden}

    @property
    def total_points(self) -> float:
        return sum(p.points for p in self.parts)

    def part(self, name: str) -> PartSpec:
        for p in self.parts:
            if p.name == name:
                return p
        raise KitError(f"assignment {self.id!r} has no graded part named {name!r}")


class _File:
    """One TOML file being checked: raises SpecError naming it and the line of a key."""

    def __init__(self, layout: Layout, path: Path) -> None:
        self.shown = layout.shown(path)
        self.raw, self.text = read_toml(path, self.shown, SpecError, located=True)

    def error(self, message: str, table: str = "", key: str | None = None, nth: int = 0) -> SpecError:
        return SpecError(message, path=self.shown, line=line_of(self.text, table, key, nth))


def _date_time(f: _File, raw: dict[str, Any], key: str) -> dt.datetime:
    """raw[key] as a date-time with its UTC offset (TOML's own or an ISO 8601 string), as for ``due``."""
    value = raw[key]
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise f.error(f"{key} {raw[key]!r} is not an ISO 8601 date-time", "", key) from None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise f.error(f"{key} must be a date-time with a UTC offset, e.g. 2027-01-29T23:59:00-05:00", "", key)
    return value


def _positive_number(f: _File, where: str, key: str, value: Any, example: str,
                     table: str = "", nth: int = 0) -> float:
    if not is_number(value):
        raise f.error(f"{where} = {toml_value(value)} is not a number: write {example}", table, key, nth)
    if value <= 0:
        raise f.error(f"{where} = {toml_value(value)} must be greater than 0: write {example}", table, key, nth)
    return float(value)


def _tolerances(f: _File, raw: Any, where: str, base: dict[str, tuple[float, float]] | None = None,
                nth: int = 0) -> dict[str, tuple[float, float]]:
    out = dict(base or {})
    if raw is None:
        return out
    in_part = where != "tolerances"
    table = "parts.tolerances" if in_part else "tolerances"
    if not isinstance(raw, dict):
        raise f.error(f"{where} must be a table of dtypes, e.g. [{table}.float64] with atol and rtol",
                      "parts" if in_part else "", "tolerances", nth)
    for dtype, tol in raw.items():
        if dtype not in DTYPES:
            raise f.error(f"{where} has unknown dtype {dtype!r}{did_you_mean(dtype, DTYPES)} "
                          f"(the dtypes: {', '.join(DTYPES)})", f"{table}.{dtype}")
        if not isinstance(tol, dict) or set(tol) != {"atol", "rtol"} or not all(
                is_number(tol[k]) and tol[k] >= 0 for k in ("atol", "rtol")):
            raise f.error(f"{where}.{dtype} needs exactly 'atol' and 'rtol', numbers 0 or more, "
                          f"e.g. atol = 1e-8 and rtol = 1e-6", f"{table}.{dtype}")
        out[dtype] = (float(tol["atol"]), float(tol["rtol"]))
    return out


def _check_keys(f: _File, row: dict[str, Any], where: str, table: str, i: int, known: Collection[str],
                required: tuple[tuple[str, str], ...]) -> None:
    """A [[table]] row's keys: none unknown (with a did-you-mean), each required one there (with an example)."""
    one = {"parts": "a part's", "questions": "a question's"}[table]
    for key in row:
        if key not in known:
            raise f.error(f"{where} has unknown key {key!r}{did_you_mean(key, sorted(known))} "
                          f"({one} keys: {', '.join(sorted(known))})", table, key, i)
    for key, example in required:
        if key not in row:
            raise f.error(f"{where} has no {key!r}: write {example}", table, None, i)


def _part(f: _File, i: int, p: Any, default_limit: float, base_tol: dict[str, tuple[float, float]]) -> PartSpec:
    if not isinstance(p, dict):
        raise f.error(f"parts[{i}] is not a table: write each part as [[parts]] with name and points", "parts", nth=i)
    name = p.get("name")
    where = f'part "{name}" (parts[{i}])' if isinstance(name, str) else f"parts[{i}]"
    _check_keys(f, p, where, "parts", i, _PART_KEYS, (("name", 'name = "predict"'), ("points", "points = 4")))
    if not isinstance(name, str) or not name.isidentifier():
        raise f.error(f"{where}: name = {toml_value(name)} is not a function name: write the graded "
                      f'function\'s name, e.g. name = "predict"', "parts", "name", i)
    points = _positive_number(f, f"{where}: points", "points", p["points"], "a number of points, e.g. points = 4",
                              "parts", i)
    limit = default_limit
    if "time_limit_s" in p:
        limit = _positive_number(f, f"{where}: time_limit_s", "time_limit_s", p["time_limit_s"],
                                 "a number of seconds, e.g. time_limit_s = 10", "parts", i)
    return PartSpec(name=name, points=points, time_limit_s=limit,
                    atol_rtol=_tolerances(f, p.get("tolerances"), f"{where}: tolerances", base_tol, i))


def _questions(f: _File, raw: Any) -> tuple[QuestionSpec, ...]:
    """spec.toml's [[questions]]: each an id (a lowercase word, as the notebook's answer tag names it) and its
    points, positive and finite; an id once."""
    if raw is None:
        return ()
    example = '[[questions]] tables, each with id = "q1" and points = 2'
    if not isinstance(raw, list):
        raise f.error(f"questions must be {example}", "", "questions")
    out: list[QuestionSpec] = []
    for i, q in enumerate(raw):
        if not isinstance(q, dict):
            raise f.error(f"questions[{i}] is not a table: write {example}", "", "questions")
        qid = q.get("id")
        where = f'question "{qid}" (questions[{i}])' if isinstance(qid, str) else f"questions[{i}]"
        _check_keys(f, q, where, "questions", i, _QUESTION_KEYS, (("id", 'id = "q1"'), ("points", "points = 2")))
        if not isinstance(qid, str) or not _QUESTION_ID.match(qid):
            raise f.error(f"{where}: id = {toml_value(qid)} is not a question id: write the id of the notebook's "
                          'answer tag (answer:<id>), a lowercase letter then letters, digits or _, e.g. id = "q1"',
                          "questions", "id", i)
        points = q["points"]
        if not is_number(points) or not math.isfinite(points) or not 0 < points <= MAX_QUESTION_POINTS:
            raise f.error(f"{where}: points = {toml_value(points)} is not a number of points greater than 0 "
                          f"(and at most {MAX_QUESTION_POINTS:g}): write e.g. points = 2", "questions", "points", i)
        earlier = next((j for j, other in enumerate(out) if other.id == qid), None)
        if earlier is not None:
            raise f.error(f'{where}: id = "{qid}" appears twice (also questions[{earlier}], line '
                          f"{line_of(f.text, 'questions', 'id', earlier)}): give each question one [[questions]] table",
                          "questions", "id", i)
        out.append(QuestionSpec(qid, float(points)))
    return tuple(out)


def _close_part(name: str, choices: list[str]) -> str | None:
    """The one of ``choices`` that ``name`` looks like a misspelling of (did_you_mean's rule), else None."""
    hint = did_you_mean(name, choices)
    return next((c for c in choices if hint == f" - did you mean {c!r}?"), None)


def _cases_parts(raw: Any) -> list[str]:
    """The part names cases.toml lists, in [public.cases] and [hidden.cases] (without checking anything)."""
    names: list[str] = []
    for set_name in ("public", "hidden"):
        table = raw.get(set_name) if isinstance(raw, dict) else None
        cases = table.get("cases") if isinstance(table, dict) else None
        if isinstance(cases, dict):
            names += [n for n in cases if n not in names]
    return names


def _check_part_names(f: _File, c: _File, names: list[str], other_parts: dict[str, str] | None) -> None:
    """A part named in cases.toml that spec.toml spells differently: when spec.toml's spelling is the odd
    one out (no case names it, and checks.py spells it as cases.toml does), spec.toml's line is the one to fix."""
    listed = _cases_parts(c.raw)
    for i, name in enumerate(names):
        if name in listed:
            continue
        unknown = [n for n in listed if n not in names]
        other = _close_part(name, unknown)
        if other is None or other_parts is None or other not in other_parts:
            continue
        set_name = "public" if other in _cases_parts({"public": c.raw.get("public")}) else "hidden"
        where = f"{c.shown}:{line_of(c.text, f'{set_name}.cases', other)}"
        raise f.error(f"part {name!r} is spelt {other!r} in cases.toml ({where}) and in checks.py "
                      f"({other_parts[other]}): write name = \"{other}\", or rename it there", "parts", "name", i)


def _check_case_lists(c: _File, public: CaseSet, hidden: CaseSet) -> None:
    """No part lists the same case twice in a set (its inputs would differ only by the random draw, and
    feedback would name both alike), and no two of a part's cases have the same label."""
    for part in dict.fromkeys([*public.cases, *hidden.cases]):
        labels: dict[str, tuple[str, int]] = {}
        for set_name, case_set in (("public", public), ("hidden", hidden)):
            table = f"{set_name}.cases"
            listed = case_set.cases.get(part, [])
            for j, case in enumerate(listed):
                line = line_of_item(c.text, table, part, j)
                same = next((k for k in range(j) if listed[k] == case), None)
                if same is not None:
                    raise SpecError(
                        f"[{table}] {part}[{j}] is the same case as {part}[{same}] (line "
                        f"{line_of_item(c.text, table, part, same)}): feedback would name both "
                        f"'{describe_case(case)}' and only the random draw tells them apart: change a value, "
                        "or take one out", path=c.shown, line=line)
                label = case.get("label")
                if label is None:
                    continue
                if label in labels:
                    other_set, k = labels[label]
                    raise SpecError(
                        f"[{table}] {part}[{j}] has label = {toml_value(label)}, which [{other_set}.cases] "
                        f"{part}[{k}] (line {line_of_item(c.text, f'{other_set}.cases', part, k)}) has too: "
                        "feedback would name both alike; give each case its own label",
                        path=c.shown, line=line)
                labels[label] = (set_name, j)


def describe_case(descriptor: dict[str, Any]) -> str:
    """A case's name in feedback (its label, else its keys and values), as checks.parts.describe makes it."""
    from .checks.parts import describe
    return describe(descriptor)


def _due(layout: Layout, f: _File, raw: dict[str, Any]) -> dt.datetime:
    """spec.toml's due: a date-time with its UTC offset, or a date alone (23:59 in course.toml's time zone,
    as ``new --due`` takes it)."""
    due = raw["due"]
    if isinstance(due, str):
        try:
            due = dt.date.fromisoformat(due) if "T" not in due and len(due.strip()) == 10 else \
                dt.datetime.fromisoformat(due)
        except ValueError:
            raise f.error(f"due {raw['due']!r} is not a date or an ISO 8601 date-time: write a date, e.g. "
                          'due = "2027-01-29" (23:59 in course.toml\'s time zone), or a date-time with its UTC '
                          'offset, e.g. due = "2027-01-29T23:59:00-05:00"', "", "due") from None
    if isinstance(due, dt.date) and not isinstance(due, dt.datetime):
        import zoneinfo

        from .course import load_course
        from .scaffold import DUE_TIME
        return dt.datetime.combine(due, DUE_TIME, zoneinfo.ZoneInfo(load_course(layout).timezone))
    if not isinstance(due, dt.datetime) or due.tzinfo is None:
        raise f.error("due must be a date or a date-time with a UTC offset: write a date, e.g. due = \"2027-01-29\" "
                      "(23:59 in course.toml's time zone), or e.g. due = \"2027-01-29T23:59:00-05:00\"", "", "due")
    return due


def _case_set(f: _File, raw: Any, name: str, parts: list[str]) -> CaseSet:
    example = f'[{name}] with seed = 12345678 and a [{name}.cases] table'
    if not isinstance(raw, dict):
        raise f.error(f"no [{name}] table: write {example}")
    for key in raw:
        if key not in ("seed", "cases"):
            raise f.error(f"[{name}] has unknown key {key!r}{did_you_mean(key, ('seed', 'cases'))} "
                          "(its keys: seed, cases)", name, key)
    if "seed" not in raw:
        raise f.error(f"[{name}] has no seed: write seed = 12345678 (a whole number)", name)
    seed = raw["seed"]
    if not isinstance(seed, int) or isinstance(seed, bool):
        fix = (f"write seed = {seed.strip()} without quotes" if isinstance(seed, str) and seed.strip().isdigit()
               else "write a whole number, e.g. seed = 12345678")
        raise f.error(f"[{name}] seed = {toml_value(seed)} is not a whole number: {fix}", name, "seed")
    cases = raw.get("cases")
    if not isinstance(cases, dict):
        raise f.error(f"[{name}] has no cases table: write [{name}.cases] with one list of cases per part, "
                      'e.g. predict = [{ dtype = "float64", N = 4 }]', name)
    table = f"{name}.cases"
    for part, listed in cases.items():
        if part not in parts:
            raise f.error(f"[{table}] names part {part!r}, which spec.toml does not have"
                          f"{did_you_mean(part, parts)} (its parts: {', '.join(parts)})", table, part)
        if not isinstance(listed, list):
            raise f.error(f"[{table}] {part} = {toml_value(listed)} is not a list of cases: write "
                          f'{part} = [{{ dtype = "float64", N = 4 }}, ...]', table, part)
        for j, case in enumerate(listed):
            if not isinstance(case, dict):
                raise f.error(f"[{table}] {part}[{j}] = {toml_value(case)} is not a table: write each case as "
                              f'{{ key = value, ... }}, e.g. {{ dtype = "float64", N = 4 }}', table, part)
            dtype = case.get("dtype", "float64")
            if dtype not in DTYPES:
                hint = did_you_mean(dtype, DTYPES).replace("'", '"')  # as it is written in TOML
                raise f.error(f"[{table}] {part}[{j}].dtype = {toml_value(dtype)} is not a dtype the kit knows"
                              f"{hint} (the dtypes: {', '.join(DTYPES)})", table, part)
            label = case.get("label")
            if label is not None and (not isinstance(label, str) or not label.strip()):
                raise SpecError(f"[{table}] {part}[{j}].label = {toml_value(label)} is not a name: write label = "
                                '"..." in double quotes, the words feedback shows for this case (or leave it out)',
                                path=f.shown, line=line_of_item(f.text, table, part, j))
    return CaseSet(seed=seed, cases={k: [dict(c) for c in v] for k, v in cases.items()})


def _check_every_part_has_cases(f: _File, public: CaseSet, hidden: CaseSet, parts: list[str]) -> None:
    for part in parts:
        if not public.cases.get(part) and not hidden.cases.get(part):
            raise f.error(f"part {part!r} has no cases: add {part} = [{{ ... }}] to [public.cases] (shown "
                          "in the notebook) and to [hidden.cases] (graded)", "public.cases")
        if not hidden.cases.get(part):
            raise f.error(f"part {part!r} has no hidden cases, so grading would not test it: add "
                          f"{part} = [{{ ... }}] to [hidden.cases]", "hidden.cases", part if part in hidden.cases
                          else None)


def require_known(layout: Layout, assignment: str) -> Path:
    """The assignment's folder; a KitError with the known ids (and the nearest) when it has no spec.toml."""
    directory = layout.assignment_dir(assignment)
    if not (directory / "spec.toml").is_file():
        known = layout.assignment_ids()
        raise KitError(f"unknown assignment {assignment!r}{did_you_mean(assignment, known)} (known: {', '.join(known)})")
    return directory


def load_spec(layout: Layout, assignment: str, other_parts: dict[str, str] | None = None) -> AssignmentSpec:
    """Load and validate one assignment's spec.toml and cases.toml; SpecError naming file, line and key.

    ``other_parts``: the part names checks.py's PARTS has, each with where its Part is (``path:line``),
    so that a part name spelt differently in spec.toml alone is reported at spec.toml's line with the
    spelling the others use.
    Commands take the whole assignment from autograder.assignment.load_assignment, which calls this."""
    directory = require_known(layout, assignment)
    f = _File(layout, directory / "spec.toml")
    raw = f.raw
    for key in raw:
        if key not in _SPEC_KEYS:
            raise f.error(f"unknown key {key!r}{did_you_mean(key, sorted(_SPEC_KEYS))} "
                          f"(spec.toml's keys: {', '.join(sorted(_SPEC_KEYS))})", "", key)
    for key, example in (("id", f'id = "{assignment}"'), ("title", 'title = "Assignment 1: Linear regression"'),
                         ("due", 'due = "2027-01-29T23:59:00-05:00"'), ("parts", "[[parts]] tables")):
        if key not in raw:
            raise f.error(f"missing key {key!r}: write {example}")
    if raw["id"] != assignment:
        raise f.error(f"id is {toml_value(raw['id'])} but the folder is {assignment!r}: write id = \"{assignment}\"",
                      "", "id")
    if not isinstance(raw["title"], str):
        raise f.error(f"title = {toml_value(raw['title'])} is not text: write title = \"...\"", "", "title")
    due = _due(layout, f, raw)
    release = _date_time(f, raw, "hidden_details_after") if "hidden_details_after" in raw else None
    if release is not None and release < due:
        raise f.error(f"hidden_details_after = {release.isoformat()} is before the due date: hidden cases' "
                      "details would reach students who can still submit; write a later date-time or leave the key "
                      "out (then: after the last accepted submission)", "", "hidden_details_after")
    default_limit = 10.0
    if "time_limit_s" in raw:
        default_limit = _positive_number(f, "time_limit_s", "time_limit_s", raw["time_limit_s"],
                                         "a number of seconds, e.g. time_limit_s = 10")
    base_tol = _tolerances(f, raw.get("tolerances"), "tolerances")
    missing = [d for d in DTYPES if d not in base_tol]
    if missing:
        raise f.error(f"tolerances missing for {', '.join(missing)}: write [tolerances.{missing[0]}] "
                      "with atol and rtol")
    if not isinstance(raw["parts"], list) or not raw["parts"]:
        raise f.error("parts must be one or more [[parts]] tables, each with name and points", "", "parts")
    parts = [_part(f, i, p, default_limit, base_tol) for i, p in enumerate(raw["parts"])]
    names = [p.name for p in parts]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise f.error(f"parts[{i}].name = \"{name}\" appears twice: each graded function is one part",
                          "parts", "name", i)
    c = _File(layout, directory / "cases.toml")
    for key in c.raw:
        if key not in ("public", "hidden"):
            raise c.error(f"unknown table [{key}]{did_you_mean(key, ('public', 'hidden'))} "
                          "(cases.toml has [public] and [hidden])", key)
    questions = _questions(f, raw.get("questions"))
    _check_part_names(f, c, names, other_parts)
    public = _case_set(c, c.raw.get("public"), "public", names)
    hidden = _case_set(c, c.raw.get("hidden"), "hidden", names)
    if hidden.seed == public.seed:
        raise c.error(f"[hidden] seed = {hidden.seed} is the [public] seed (line {line_of(c.text, 'public', 'seed')}): "
                      "a hidden case would have the inputs of the public case at its place, which the notebook "
                      "shows: write another whole number", "hidden", "seed")
    _check_case_lists(c, public, hidden)
    _check_every_part_has_cases(c, public, hidden, names)
    return AssignmentSpec(id=assignment, title=raw["title"], due=due, parts=parts, public=public, hidden=hidden,
                          directory=directory, layout=layout, spec_text=f.text, cases_text=c.text, hidden_details_after=release,
                          questions=questions)
