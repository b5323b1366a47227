"""Grade one Gradescope submission: what ``run_autograder`` runs inside the container.

    python -m autograder.gradescope.run ASSIGNMENT [--root /autograder]

Gradescope's layout under the root: ``source/`` (the unpacked zip, where this runs from),
``submission/`` (the student's files), ``submission_metadata.json``, and ``results/``, where
``results.json`` goes. Grading is the very code of ``python -m autograder grade`` (the same
grading session, the same results.json writer), so a submission gets the same results here as
in a local run. The top-level output then says which file was graded and how late it came;
the score itself never depends on the time (the course's late policy is applied in the gradebook).
What the student sees beyond it does (``what_is_shown``, autograder/disclosure.py): the hidden
cases' details once Gradescope accepts no more submissions, and, with course.toml's daily budget
spent, not even their counts. results.json is rendered from the session's record of the submission
(``gradescope_results``), and the written answers' pages (answers.md, answers.html: each answer under its
question, the questions from the zip's questions.json) are left beside it for the instructor.
"""

from __future__ import annotations

import time

_STARTED = time.monotonic()  # the run's execution_time counts from here, imports and all

import argparse
import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..atomic import write_atomically
from ..disclosure import Metadata, daily_budget, hidden_details_release, parse_time, read_feedback
from ..errors import KitError
from ..escaping import markdown_text, say
from ..grading.collect import Submission, student_submission
from ..grading.grade import SubmissionResult
from ..grading.regrade import read_record
from ..grading.results import results_json
from ..grading.options import GradingOptions
from ..grading.session import GradingSession
from ..layout import PACKAGE, Layout
from ..sandbox.protections import BelowFloor
from ..spec import load_spec

DEFAULT_ROOT = "/autograder"
ROOT_ENV = "AUTOGRADER_ROOT"
# Gradescope stops a run at its own time-out (the assignment's autograder setting, 40 minutes by default) and then
# shows no results at all: the submission's deadline (a grader failure the student is told of) comes before that.
MAX_DEADLINE_S = 35 * 60
LATE_POLICY = "the course's late policy is applied in the gradebook"
ANSWER_PAGES = ("answers.md", "answers.html", "answers.json")  # kept beside results.json (keep_answer_pages)
REFUSED = ("Your code was not run: this autograder's container does not give the sandbox that keeps "
           "submissions apart, so it refused to grade. This is not a problem with your code; your instructor "
           "has to fix the autograder (the line below says what is missing). Resubmit or ask for a regrade then.")


@dataclass(frozen=True)
class Choice:
    """The file to grade, and a sentence saying why it (for the top-level output)."""

    path: Path | None
    why: str
    submission: Submission


def choose_submission(folder: Path, assignment: str) -> Choice:
    """The notebook when there is one, else the .py; among several, the one named after the assignment.

    A student working in Colab submits the notebook; one who also uploads an exported .py
    has the notebook graded, since it is what they ran. The output names the file graded
    and the files that were not, so nobody wonders which one counted. The rule and the search
    are local grading's own (collect.student_submission), so a regrade of an export agrees.
    """
    sub = student_submission(folder, "submission", assignment)
    if sub.problem:
        return Choice(None, sub.problem, sub)
    chosen = next((n for n in sub.notes if n.startswith("graded ")), None)
    if chosen is not None:
        sub.notes.remove(chosen)  # said once, as its own line of the output
    return Choice(sub.path, chosen or f"graded {sub.path.relative_to(folder).as_posix()}", sub)




def _span(delta: dt.timedelta) -> str:
    """'1 day 3 hours', '2 hours 5 minutes', '40 minutes', 'less than a minute'."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    shown = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in units if n][:2]
    return " ".join(shown) or "less than a minute"


def lateness(metadata_path: Path) -> str:
    """One line on when the submission came, from Gradescope's submission_metadata.json.

    The due date is the assignment's, or a later one that Gradescope lists for a user of
    the submission (an extension); the grade itself does not depend on it.
    """
    read = Metadata.read(metadata_path)
    if read.data is None:
        return f"submission time unknown: {read.problem}"
    metadata = read.data
    submitted = parse_time(metadata.get("created_at"))
    assignment = metadata.get("assignment")
    due = parse_time(assignment.get("due_date") if isinstance(assignment, dict) else None)
    users = metadata.get("users")
    users = users if isinstance(users, list) else []
    extended = [d for u in users if isinstance(u, dict) and isinstance(u.get("assignment"), dict)
                for d in [parse_time(u["assignment"].get("due_date"))] if d is not None]
    extension = bool(extended) and (due is None or max(extended) > due)
    if extension:
        due = max(extended)
    if submitted is None or due is None:
        missing = "created_at" if submitted is None else "assignment.due_date"
        return f"submission time unknown: {metadata_path.name} has no valid {missing}"
    deadline = "the due date" + (" (with an extension)" if extension else "")
    if submitted <= due:
        return f"submitted on time ({_span(due - submitted)} before {deadline})"
    return f"submitted {_span(submitted - due)} after {deadline}; {LATE_POLICY}"


def grade_gradescope(layout: Layout, assignment: str, root: Path,
                     allow_weak_sandbox: bool = False) -> tuple[dict, list[str]]:
    """(the results.json object, the grader's own failures) for the submission under ``root``; the written
    answers' pages (answers.md and answers.html) are left in ``root/results`` beside it."""
    choice = choose_submission(root / "submission", assignment)
    shown = what_is_shown(layout, assignment, root)
    options = GradingOptions(jobs=1, hidden_details=shown.details, progress=False,
                             allow_weak_sandbox=allow_weak_sandbox, max_deadline_s=MAX_DEADLINE_S)
    # The temporary folder only receives the session's own copy of the student's files.
    with tempfile.TemporaryDirectory(prefix="kit-gradescope-") as out:
        with GradingSession(layout, assignment, Path(out), options, submissions=[choice.submission]) as session:
            session.start()
            outcome = session.run()
        folder = Path(out) / choice.submission.name
        result = read_record(folder)
        if result is None:
            raise KitError("the grading session left no record of the submission", path=folder)
        keep_answer_pages(folder, root / "results")
    extra = [choice.why] if choice.path is not None else []
    sandbox = [session.sandbox.line()] if session.sandbox is not None else []
    return gradescope_results(result, root, shown, [*sandbox, *extra]), outcome.failures


def gradescope_results(result: SubmissionResult, root: Path, shown: Shown, lines: Sequence[str] = ()) -> dict:
    """results.json for a graded submission, as ``shown`` allows (the hidden details, or, with the daily budget
    spent, not even the hidden counts), its top-level output ending with the run's own ``lines`` (the sandbox's,
    which file was graded), the lateness from ``root``'s metadata and the daily budget's count."""
    data = results_json(result, hidden_details=shown.details, withheld=shown.withheld)
    paragraphs = [*lines, lateness(root / "submission_metadata.json"), *shown.lines]  # plain text, the file's name too
    data["output"] = "\n\n".join([data["output"], *(markdown_text(p) for p in paragraphs)])
    if "execution_time" in data:  # the whole run's; left out with the hidden counts withheld (it would tell of them)
        data["execution_time"] = round(time.monotonic() - _STARTED, 3)
    return data


def keep_answer_pages(folder: Path, results: Path) -> None:
    """The written answers' pages of the session (each under its question), copied beside results.json:
    Gradescope shows students results.json alone, so they are there for the instructor (its "Debug via SSH").
    Not feedback.md: past the daily budget it would hold the hidden counts the results withhold."""
    for name in ANSWER_PAGES:
        if (folder / name).is_file():
            results.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / name, results / name)


@dataclass(frozen=True)
class Shown:
    """What this run shows beyond the score (disclosure.py): the hidden cases' details, or, with the
    daily budget spent, not even their counts (``withheld``: the line saying so); ``lines`` for the output."""

    details: bool
    withheld: str | None = None
    lines: tuple[str, ...] = ()


def what_is_shown(layout: Layout, assignment: str, root: Path, now: dt.datetime | None = None) -> Shown:
    """The hidden details once the last accepted submission is behind us (as ``grade --details`` decides,
    with Gradescope's dates); before that, the course's daily budget of hidden-case results, if it has one."""
    metadata = Metadata.read(root / "submission_metadata.json")
    if hidden_details_release(load_spec(layout, assignment), metadata=metadata).shown(now):
        return Shown(details=True)
    limit = read_feedback(layout.course_file).daily_submissions  # course.toml, which the zip carries
    if limit is None:
        return Shown(details=False)
    budget = daily_budget(metadata, limit)
    return Shown(False, budget.message(), ()) if budget.spent else Shown(False, None, (budget.message(),))


def write_results(data: dict, root: Path) -> Path:
    path = root / "results" / "results.json"
    write_atomically(path, json.dumps(data, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run",
                                     description="Grade the Gradescope submission under ROOT/submission.")
    parser.add_argument("assignment", metavar="ASSIGNMENT")
    parser.add_argument("--root", default=os.environ.get(ROOT_ENV) or DEFAULT_ROOT,
                        help=f"Gradescope's folder (default: ${ROOT_ENV}, else {DEFAULT_ROOT})")
    parser.add_argument("--allow-weak-sandbox", action="store_true",
                        help="grade even where the container does not give the sandbox's floor")
    args = parser.parse_args(argv)
    root = Path(args.root)
    layout = Layout(PACKAGE.parent)  # the unpacked zip is the course: course.toml and assignments/ beside the kit
    try:
        data, failures = grade_gradescope(layout, args.assignment, root, args.allow_weak_sandbox)
    except BelowFloor as e:
        # Refused: the student is told why their code was not run, and the instructor what the host lacks.
        write_results({"score": 0, "tests": [], "output": REFUSED + "\n\n" + e.report.line()}, root)
        say(f"error: {e}", err=True)
        return 2
    except KitError as e:
        say(f"error: {e}", err=True)
        return 2
    path = write_results(data, root)
    say(*data["output"].split("\n"))
    print(f"score {data['score']:g}; results in {path}")
    # Exit 0 even then: the results say the grader failed, and Gradescope must show them.
    for failure in failures:
        say(f"the grader failed: {failure}", err=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
