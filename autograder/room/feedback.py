"""The room's grades in each student's feedback pages: ``grading-room ASSIGNMENT RESULTS_DIR --feedback``.

For every student with answers.json, each written question's score out of its spec.toml points, the rubric
items applied to their answer (points and description) and the grader's comment go into the written-grades
place that ``grade`` left in RESULTS_DIR/<student>/feedback.md and feedback.html, and are kept in the student's
written-grades.json, from which a regrade fills the place again (grading/written_grades.py). The
place is rebuilt whole each time, never appended to: running --feedback again, after more grading or none,
gives pages that hold exactly the room's state (the same bytes when nothing changed). A question no item was
applied to (and no score set) says "not graded yet". Every page is checked before any is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from ..assignment import load_assignment
from ..atomic import write_atomically
from ..errors import KitError
from ..grading.written_grades import (AppliedItem, WrittenGrade, save_written, with_written, written_html,
                                      written_markdown)
from ..release.notebook_source import assignment_questions
from .answers import RoomAnswers, load_answers
from .store import DB_NAME, GradeState, RoomStore

if TYPE_CHECKING:  # the CLI passes its Course; importing course.py here would import the gradebook too
    from ..course import Course

PAGES = (("feedback.md", written_markdown), ("feedback.html", written_html))


def written_grades(store: RoomStore, answers: RoomAnswers, worth: Mapping[str, Decimal],
                   titles: Mapping[str, str]) -> dict[str, list[WrittenGrade]]:
    """Student -> their grade on each question of ``worth`` (question id -> points, in order). A grade given to
    another text of the answer (before a regrade) is not theirs: "not graded yet", without its items or comment."""
    out: dict[str, list[WrittenGrade]] = {s: [] for s in answers.students}
    now = {(a.student, q): a.fingerprint for q, listed in answers.by_question.items() for a in listed}
    for question, points in worth.items():
        rubric = store.rubric(question)
        by_id = {item.id: item for item in rubric}
        states = store.states(question)
        for student in answers.students:
            state = states.get(student) or store.state(student, question)
            if not state.counts_for(now.get((student, question))):
                state = GradeState(student, question, (), "", None, state.version, None, None)
            score = state.score(rubric, points)
            items = tuple(AppliedItem(by_id[i].points, by_id[i].description) for i in state.items if i in by_id)
            out[student].append(WrittenGrade(question, titles.get(question, question), points, score, items,
                                              state.comment, overridden=state.override is not None))
    return out


def write_written_feedback(course: Course, assignment: str, results_dir: Path) -> int:
    """Fill every student's feedback pages with their written grades; the number of students whose pages
    changed. KitError when the folder has no room, no answers.json, or a page without the place."""
    results_dir = Path(results_dir)
    db = results_dir / DB_NAME
    if not db.is_file():
        raise KitError(f"no grading room in {results_dir}: {DB_NAME} does not exist (grade in the room first: "
                       f"course-kit grading-room {assignment} {results_dir})")
    loaded = load_assignment(course.layout, assignment)
    if not loaded.spec.questions:
        raise KitError(f"{loaded.spec.shown('spec.toml')} gives no [[questions]] points: the feedback pages "
                       "cannot say what each written question is worth")
    questions = assignment_questions(course.layout, loaded.notebook, loaded.folder) or ()
    answers = load_answers(results_dir, questions)
    titles = {q.id: q.title for q in questions}
    points = loaded.spec.question_worth
    order = [q.id for q in questions if q.id in points] + [q for q in points if q not in titles]  # the notebook's
    worth = {qid: points[qid] for qid in order}
    store = RoomStore.open(db, assignment)
    try:
        grades = written_grades(store, answers, worth, titles)
    finally:
        store.close()
    pages: list[tuple[Path, str]] = []
    for student in answers.students:
        for name, render in PAGES:
            page = results_dir / student / name
            if not page.is_file():
                raise KitError(f"{name} does not exist: run grade {assignment} ... --out {results_dir} again",
                               path=page)
            before = page.read_text(encoding="utf-8")
            after = with_written(before, render(grades[student]), page)
            if after != before:
                pages.append((page, after))
    for student in answers.students:  # what the pages say, kept for a regrade (grading/written_grades.py)
        save_written(results_dir / student, grades[student])
    for page, text in pages:
        write_atomically(page, text)
    return len({page.parent for page, _ in pages})
