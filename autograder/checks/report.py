"""Text for people, rendered from verdict data: check()'s output, the CLI, results.json, feedback.

What a student may see is decided by the ``hidden`` field of each case, never by the words:
hidden cases are left out of the visible report (only their counts appear) and rendered on
their own by hidden_details(). Expected values are printed for public cases only.
"""

from __future__ import annotations

from .verdict import CaseVerdict, Finding, PartVerdict, Status

SHOWN_CASES = 3  # failed cases listed per part before "... and N more"


def fmt_index(index: tuple[int, ...] | None) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]" if index else "[]"


def finding_text(finding: Finding, reveal: bool) -> str:
    """'dw  FAIL  max |diff| 2.0e+01 at [2]   (atol ..., rtol ...)   got 23.4, expected 3.3'."""
    if finding.status is Status.WRONG_VALUE and finding.max_diff is not None:
        text = f"max |diff| {finding.max_diff:.1e} at {fmt_index(finding.at)}   {finding.message}"
        if reveal and finding.got is not None and finding.expected is not None:
            text += f"   got {finding.got:.6g}, expected {finding.expected:.6g}"
    else:
        text = finding.message
    return f"{finding.label}  FAIL  {text}"


def case_lines(case: CaseVerdict) -> list[str]:
    """A failed case: its first line, continuation lines, then its hints."""
    tag = "hidden case" if case.hidden else "case"
    body = [case.message] if case.message else [finding_text(f, reveal=not case.hidden) for f in case.failures]
    first, *rest = body or [case.status.value]
    lines = [f"  {tag} {case.label}   {first}"] + [f"      {line}" for line in rest]
    return lines + [f"  hint: {h}" for h in case.hints]


def _failed_lines(cases: tuple[CaseVerdict, ...], limit: int | None) -> list[str]:
    failed = [c for c in cases if not c.passed]
    shown = failed if limit is None else failed[:limit]
    lines = [line for c in shown for line in case_lines(c)]
    if len(failed) > len(shown):
        lines.append(f"  ... and {len(failed) - len(shown)} more failed case(s)")
    return lines


def header(part: PartVerdict, scored: bool = True) -> str:
    counts = f"{part.passed}/{part.total} cases passed"
    if not scored:
        return f"{part.name}   {counts}" if part.cases else f"{part.name}   not run"
    if not part.cases:
        return f"{part.name}   {part.score:g} / {part.points:g}"
    return f"{part.name}   {part.score:g} / {part.points:g}   ({counts})"


def hidden_summary(part: PartVerdict) -> str | None:
    """One line on the hidden cases: counts only (none for a part that broke the rules: it earns nothing)."""
    if part.status is Status.RULE_BROKEN:
        return None
    total = len(part.hidden)
    if not total:
        return None
    passed = sum(c.passed for c in part.hidden)
    if passed == total:
        return "  hidden cases: all passed"
    return f"  hidden cases: {passed}/{total} passed; details once submissions have closed"


def part_report(part: PartVerdict, *, scored: bool = True, show_hidden: bool = False,
                limit: int | None = SHOWN_CASES) -> list[str]:
    """The part's report: header, a part-wide problem, failed public cases, then the hidden ones
    (in full with show_hidden, else their counts in one line)."""
    lines = [header(part, scored)]
    if part.problem:
        lines.append(f"  {part.problem}")
    if show_hidden:
        return lines + _failed_lines(part.cases, limit)
    lines += _failed_lines(part.public, limit)
    summary = hidden_summary(part)
    return lines + ([summary] if summary else [])


def hidden_details(part: PartVerdict, limit: int | None = SHOWN_CASES) -> list[str] | None:
    """The failed hidden cases in full (for once submissions have closed); None when none failed."""
    if all(c.passed for c in part.hidden):
        return None
    return [f"{part.name}: failed hidden cases"] + _failed_lines(part.hidden, limit)


def check_report(part: PartVerdict) -> list[str]:
    """What the notebook's check() prints for one function."""
    if part.problem is None and part.cases and all(c.passed for c in part.cases):
        n = len(part.cases)
        passing = "the public case passes" if n == 1 else f"all {n} public cases pass"
        return [f"{part.name}: {passing}. The grader also runs hidden cases."]
    return part_report(part, scored=False, show_hidden=True, limit=None)
