"""What a batch came to: how many were graded, each part's mean and median, what was lost and why.

Printed by ``grade`` after the score table and written to ``OUT/summary.md``. Means and medians
are over the submissions that were graded: one that could not be graded says nothing about a part.
Those are counted by why (not_graded_reason): nothing handed in, an empty file, a syntax error, no
functions, a file that could not be read (not a notebook, not UTF-8 ...), the grader's own failure.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_atomically
from ..escaping import markdown_text
from .results import write_grades
from .scores import ScoreRow

TOP_HINTS = 5

# Why a submission was not graded, from its error (the one line its results.json and record.json keep, so
# that a row read back from an earlier run is sorted alike): (reason, what the error contains), first match.
NOT_GRADED_REASONS = (
    ("nothing handed in", ("no .py or .ipynb file was handed in", "is a symbolic link", "folders nested deeper")),
    ("an empty file", ("the file is empty",)),
    ("a syntax error", ("SyntaxError: ",)),
    ("no function definitions", ("no function definitions were found",)),
)
UNREADABLE = "could not be read"  # the rest: not a notebook, not UTF-8, too large, an unreadable folder ...


@dataclass
class PartSummary:
    name: str
    points: float
    mean: float
    median: float
    lost_by: int      # graded submissions below full marks on this part


@dataclass
class BatchSummary:
    submissions: int
    graded: list[str]
    unreadable: list[str]          # not graded because of what was handed in (the student's file), every reason
    grader_failures: list[str]     # the grader itself failed (ours to fix)
    parts: list[PartSummary]
    total: PartSummary
    hints: list[tuple[int, str, str]] = field(default_factory=list)  # (submissions, part, hint), commonest first
    why: dict[str, list[str]] = field(default_factory=dict)  # reason -> unreadable names (NOT_GRADED_REASONS order)

    @property
    def most_lost(self) -> list[PartSummary]:
        return sorted((p for p in self.parts if p.lost_by), key=lambda p: -p.lost_by)


def summarise(rows: list[ScoreRow], part_names: list[str]) -> BatchSummary:
    rows = sorted(rows, key=lambda r: r.name)
    graded = [r for r in rows if not r.error]
    failures = [r.name for r in rows if r.error and r.grader_failed]
    unreadable = [r.name for r in rows if r.error and not r.grader_failed]
    parts = []
    for name in part_names:
        entries = [p for r in graded for p in r.parts if p.name == name]
        points = max([p.points for r in rows for p in r.parts if p.name == name] or [0.0])
        parts.append(_part(name, points, [p.score for p in entries], sum(p.score < p.points for p in entries)))
    total = _part("total", max([r.max_score for r in rows] or [0.0]), [r.score for r in graded],
                  sum(r.score < r.max_score for r in graded))
    hints: Counter[tuple[str, str]] = Counter()
    for r in graded:
        hints.update({(p.name, h) for p in r.parts for h in p.hints})
    top = sorted(hints.items(), key=lambda kv: (-kv[1], part_names.index(kv[0][0]) if kv[0][0] in part_names
                                                 else len(part_names), kv[0][1]))[:TOP_HINTS]
    why: dict[str, list[str]] = {reason: [] for reason, _ in NOT_GRADED_REASONS}
    why[UNREADABLE] = []
    for r in rows:
        if r.error and not r.grader_failed:
            why[not_graded_reason(r.error)].append(r.name)
    return BatchSummary(len(rows), [r.name for r in graded], unreadable, failures, parts, total,
                        [(count, part, hint) for (part, hint), count in top],
                        {reason: names for reason, names in why.items() if names})


def not_graded_reason(error: str) -> str:
    """Why a submission whose file was to blame was not graded, in a few words (NOT_GRADED_REASONS)."""
    for reason, markers in NOT_GRADED_REASONS:
        if any(m in error for m in markers):
            return reason
    return UNREADABLE


def _part(name: str, points: float, scores: list[float], lost_by: int) -> PartSummary:
    if not scores:
        return PartSummary(name, points, 0.0, 0.0, 0)
    return PartSummary(name, points, statistics.fmean(scores), statistics.median(scores), lost_by)


def _headline(s: BatchSummary) -> str:
    line = f"{s.submissions} submission(s): {len(s.graded)} graded, " \
           f"{len(s.unreadable) + len(s.grader_failures)} failed to grade"
    why = [f"{reason}: {_listed(names)}" for reason, names in s.why.items()]
    if s.unreadable and not s.why:  # a summary built by hand, without reasons
        why.append(f"{UNREADABLE}: " + _listed(s.unreadable))
    if s.grader_failures:
        why.append("the grader failed: " + _listed(s.grader_failures))
    return line + (f" ({'; '.join(why)})" if why else "")


def _listed(names: list[str], most: int = 10) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _rows(s: BatchSummary) -> list[list[str]]:
    n = len(s.graded)
    return [[p.name, f"{p.points:g}", f"{p.mean:.2f}", f"{p.median:.2f}", f"{p.lost_by} of {n}"]
            for p in [*s.parts, s.total]]


_HEAD = ["part", "points", "mean", "median", "lost by"]


def summary_text(s: BatchSummary) -> str:
    """The summary for a terminal: a headline, an aligned table, the parts most lost, the commonest hints."""
    rows = [_HEAD, *_rows(s)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEAD))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    lines = [f"summary: {_headline(s)}", "", fmt(rows[0]), "-" * len(fmt(rows[0]))]
    lines += [fmt(r) for r in rows[1:-1]] + ["-" * len(fmt(rows[0])), fmt(rows[-1])]
    n = len(s.graded)
    if s.most_lost:
        lines += ["", "parts most often lost: " + ", ".join(f"{p.name} ({p.lost_by} of {n})" for p in s.most_lost[:3])]
    if s.hints:
        lines += ["", "most common hints:"]
        lines += [f"  {count} of {n}  {part}: {hint}" for count, part, hint in s.hints]
    return "\n".join(lines)


def summary_markdown(s: BatchSummary, title: str = "Grading summary") -> str:
    """The same summary as Markdown, for OUT/summary.md."""
    n = len(s.graded)
    lines = [f"# {title}", "", markdown_text(_headline(s)) + ".", "",
             f"Means and medians are over the {n} graded submission(s).", "",
             "| " + " | ".join(_HEAD) + " |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| `{r[0]}` | " + " | ".join(r[1:]) + " |" for r in _rows(s)[:-1]]
    lines += ["| " + " | ".join(f"**{c}**" for c in _rows(s)[-1]) + " |", ""]
    if s.most_lost:
        lines += ["## Parts most often lost", ""]
        lines += [f"- `{p.name}`: {p.lost_by} of {n}" for p in s.most_lost] + [""]
    if s.hints:
        lines += ["## Most common hints", ""]
        lines += [f"- {count} of {n}, `{part}`: {markdown_text(hint)}" for count, part, hint in s.hints] + [""]
    return "\n".join(lines)


def write_summary(rows: list[ScoreRow], part_names: list[str], path: Path,
                  title: str = "Grading summary", sections: list[str] | None = None) -> BatchSummary:
    """Summarise rows, write the Markdown (and sections after it) to path, and return the summary (to print)."""
    summary = summarise(rows, part_names)
    write_atomically(path, "\n".join([summary_markdown(summary, title), *(sections or [])]))
    return summary


def write_batch_files(rows: list[ScoreRow], part_names: list[str], out: Path, assignment: str,
                      sections: list[str] | None = None) -> BatchSummary | None:
    """What spans a batch, beside the students' folders: grades.csv, and summary.md for more than one
    submission (returned, to print), with the given sections at its end (the sandbox's, as measured).
    A run and a merge of shards both write them here, so they agree."""
    out.mkdir(parents=True, exist_ok=True)
    write_grades(rows, part_names, out / "grades.csv")
    if len(rows) < 2:
        return None
    return write_summary(rows, part_names, out / "summary.md", f"Grading summary: {assignment}", sections or [])
