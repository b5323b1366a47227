"""Command line: ``course-kit COMMAND`` or ``python -m autograder COMMAND``. Each command is a few
lines calling one function.

Every command first finds the course: the nearest folder at or above the working directory
with a course.toml, which it reads once (autograder/course.py), so any folder inside the course works;
the command is handed that Course (its layout says where every file is).

Exit status, the same for every command (EXIT_STATUS says what each code means for each one; README.md's
"Exit status" and every command's --help show it): 0 it did its job, 1 what it checks failed (a function
fails its public checks, a generated file is stale, a validate step failed, the grader failed on a
submission, a host below the sandbox's floor), 2 refused (a wrong argument, with that command's usage, or
a mistake in an input file: course.toml, an assignment's sources, a CSV), 3 a bug of the kit's,
130 interrupted. Errors are one line.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path
from typing import NoReturn

from . import __version__
from .course import Course, find_root, load_course
from .errors import KitError
from .escaping import say
from .layout import Layout

OK, FAILED, REFUSED, INTERNAL_ERROR, INTERRUPTED = 0, 1, 2, 3, 130

# What 0 and 1 mean for each command, and what it refuses (2) besides a wrong argument or a mistake in an
# input file (COMMON, every command). README.md's table is this one, word for word (tests/test_exit_codes.py).
EXIT_STATUS: dict[str, dict[int, str]] = {
    "release": {OK: "the generated files are written (with --check: every one is up to date)",
                FAILED: "with --check: a generated file is stale or missing"},
    "new": {OK: "the assignment's sources are written"},
    "check": {OK: "every function passes its public checks",
              FAILED: "a function fails its public checks, or the file cannot be graded at all",
              REFUSED: "no such file; the sandbox's floor does not hold here"},
    "grade": {OK: "every submission is graded, whatever the scores",
              FAILED: "the grader itself failed on a submission (the others are graded)",
              REFUSED: "no submission found; an --out holding another run; --details before submissions "
                       "close; the sandbox's floor does not hold here"},
    "merge": {OK: "the shards are merged",
              REFUSED: "the shards do not make one whole"},
    "validate": {OK: "every step passed (with --device: every cell of the table is ok)",
                 FAILED: "a step failed (its FAIL line says why)",
                 REFUSED: "a known mistake in checks.py raises on every case; --device cuda without a GPU"},
    "gradebook": {OK: "the gradebook is written (warnings on stderr)"},
    "gradescope": {OK: "the zip is written"},
    "sandbox": {OK: "every guarantee of the sandbox's floor holds on this host",
                FAILED: "the host is below the floor (grade and check refuse to run there)"},
    "similarity": {OK: "the report is written"},
    "grading-room": {OK: "the room was served until Ctrl-C stopped it (every change is saved as it is made); "
                         "with --feedback or --pdf: written",
                     REFUSED: "no answers.json in RESULTS_DIR (run grade first); the port is taken; --feedback "
                              "without a room; --pdf without Chromium; a --grader name given twice or not 1-60 "
                              "printable characters"},
}
COMMON: dict[int, str] = {
    REFUSED: "refused, in one line saying why: a wrong argument (with the command's usage) or a mistake in an input "
             "file (course.toml, an assignment's sources, a CSV or TOML given)",
    INTERNAL_ERROR: "internal error: a bug in the kit, one line (KIT_DEBUG=1 shows the traceback)",
    INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_epilog(command: str) -> str:
    """The 'exit status' block of a command's --help."""
    codes = {**EXIT_STATUS[command]}
    codes[REFUSED] = COMMON[REFUSED] + (f"; also: {codes[REFUSED]}" if REFUSED in codes else "")
    codes.update({c: m for c, m in COMMON.items() if c != REFUSED})
    lines = [textwrap.fill(text, 92, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
             for code, text in sorted(codes.items())]
    return "exit status:\n" + "\n".join(lines)


def _cmd_release(args: argparse.Namespace, course: Course) -> int:
    from .release.pipeline import release
    shown = course.layout.shown
    result = release(course.layout, args.assignments, github_base=course.github_base, check_only=args.check)
    for assignment, missing in result.skipped.items():
        print(f"skipped {assignment}: {shown(missing)} does not exist yet")
    if args.check:
        for path in result.stale:
            print(f"stale: {shown(path)} differs from what 'python -m autograder release' generates")
        if result.stale:
            print("run 'python -m autograder release' and commit the result", file=sys.stderr)
            return FAILED
        print("generated files are up to date")
        return OK
    for path in result.written:
        print(f"wrote {shown(path)}")
    print(f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged")
    return OK


def _cmd_new(args: argparse.Namespace, course: Course) -> int:
    from .scaffold import new_assignment
    made = new_assignment(course.layout, args.id, title=args.title, due=args.due, timezone=course.timezone)
    for path in made.written:
        print(f"wrote {course.layout.shown(path)}")
    for warning in made.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"next: '{_prog()} release {made.id}' builds its notebook and starter code, "
          f"'{_prog()} validate {made.id}' proves it works; docs/authoring.md says how to add parts")
    return OK


def _cmd_check(args: argparse.Namespace, course: Course) -> int:
    from .assignment import load_assignment
    from .checks import report
    from .grading.grade import grade_submission, make_plan
    from .sandbox.client import Sandbox
    from .sandbox.launch import ZygotePool
    from .sandbox.protections import BelowFloor
    path = Path(args.file)
    if not path.is_file():
        raise KitError(f"no such file: {path}")
    assignment = load_assignment(course.layout, args.assignment)
    with Sandbox(ZygotePool(course.layout, (str(path.resolve().parent),))) as sandbox:
        held = sandbox.wait_ready()
        if not held.floor_held:
            if not args.allow_weak_sandbox:
                raise BelowFloor(held)
            print(held.line(), file=sys.stderr)
        plan = make_plan(assignment, case_sets=("public",))
        result = grade_submission(plan, path, sandbox)
    if result.error:
        say(result.error)
        return FAILED
    for note in result.notes:
        say(f"note: {note}")
    for part in result.parts:  # the student's own exception messages: through say (escaping.py)
        say(*report.part_report(part, scored=False, show_hidden=True, limit=None))
    passed = sum(p.problem is None and p.passed == p.total for p in result.parts)
    print(f"\n{passed} of {len(result.parts)} functions pass their public checks "
          "(the grader also runs hidden cases)")
    return OK if passed == len(result.parts) else FAILED


def _cmd_grade(args: argparse.Namespace, course: Course) -> int:
    # Nothing imported here imports torch: the session's zygote starts first, so its torch import and ours overlap.
    from .grading.options import GradingOptions
    from .grading.session import GradingSession, check_out_folder
    from .grading.shards import parse_shard
    inputs = [Path(s) for s in args.submissions]
    for path in inputs:
        if not path.exists():
            raise KitError(f"no such file or folder: {path}")
    out = Path(args.out)
    check_out_folder(out)
    shard = parse_shard(args.shard) if args.shard else None
    if shard is not None and shard.source:
        print(f"shard {shard} (K from {shard.source})", file=sys.stderr)
    if args.details and not args.details_now:  # refused while a student may still submit (disclosure.py)
        _require_details_released(course, args.assignment)
    options = GradingOptions(jobs=args.jobs, device=args.device, hidden_details=args.details or args.details_now,
                             only=tuple(args.only or ()), parts=tuple(args.parts or ()), shard=shard,
                             progress=not args.quiet, allow_weak_sandbox=args.allow_weak_sandbox)
    with GradingSession(course.layout, args.assignment, out, options, inputs=inputs) as session:
        session.start()
        task, held = session.task, session.sandbox
        assert task is not None and held is not None  # start() made both, or raised
        for line in session.skipped:  # names of students' files and folders: through say (escaping.py)
            say(line, err=True)
        for sub in session.submissions:
            for note in sub.notes:
                say(f"{sub.name}: {note}")
        for warning in _unrecognised_mistakes(task.plan):  # this terminal's: no student page says it
            say(f"warning: {warning}", err=True)
        print(held.line(), file=sys.stderr)
        outcome = session.run()
    from .grading.results import score_table
    from .grading.summary import summary_text
    for line in outcome.notes:
        say(line, err=True)
    if outcome.rows:
        print(score_table(outcome.rows, outcome.part_names))
    elif shard is not None:
        print(f"shard {shard} has no submissions to grade (of {session.total})")
    if outcome.summary is not None:
        print("\n" + summary_text(outcome.summary))
    print(f"results in {out}/<submission>/results.json (feedback for the student: feedback.html), "
          f"grades in {out / 'grades.csv'}" + (f", summary in {out / 'summary.md'}" if outcome.summary else "")
          + (f", shard manifest in {out / 'shard.json'} (put the shards together with 'merge')" if shard else ""))
    if outcome.failures:
        say(f"the grader failed on {len(outcome.failures)} submission(s): {outcome.failures[0]}", err=True)
        return FAILED
    return OK


def _unrecognised_mistakes(plan) -> list[str]:  # noqa: ANN001 - a GradingPlan (grading imports torch)
    """Known mistakes that raise on every case of the plan: checks.py was edited after the release, which
    refuses them. Graded all the same, and said: a hint never changes a score, and refusing would hold up
    every student's grade (a shard's, on a cluster) for feedback the TA can add with --parts afterwards."""
    from .checks.building import unrecognised_mistakes
    return [f"{error}; graded without that hint (no score depends on it): fix it, then "
            f"'{_prog()} grade ... --parts {planned.spec.name}' adds it"
            for planned in plan.parts
            for error in unrecognised_mistakes(plan.assignment, planned.spec.name, planned.cases)]


def _require_details_released(course: Course, assignment: str) -> None:
    from .disclosure import hidden_details_release, require_released
    from .spec import load_spec
    release = hidden_details_release(load_spec(course.layout, assignment), policy=course.late_policy)
    require_released(release, assignment, course.late_policy.zone)


def _cmd_merge(args: argparse.Namespace, course: Course) -> int:
    from .grading.merge import merge_shards
    from .grading.results import score_table
    from .grading.summary import summary_text
    out = Path(args.out)
    merged = merge_shards([Path(f) for f in args.shards], out)
    print(score_table(merged.rows, merged.part_names))
    if merged.summary is not None:
        print("\n" + summary_text(merged.summary))
    print(f"merged {merged.shards} shard(s) of {merged.assignment}: {len(merged.rows)} submission(s) in {out}, "
          f"grades in {out / 'grades.csv'}")
    return OK


def _cmd_validate(args: argparse.Namespace, course: Course) -> int:
    from .assignment import load_assignment
    from .checks.building import check_assignment
    from .validate import validate
    if args.device == "cuda":
        from .devices import require_cuda
        require_cuda("validate --device cuda")
    # Every one loaded (and cross-checked) first: a mistake in any of them stops before a long run.
    assignments = [load_assignment(course.layout, a) for a in args.assignments or course.assignment_ids]
    for assignment in assignments:  # every case built, refused as release refuses (a mistake that always raises)
        check_assignment(assignment)
    if args.device is not None:
        from .validate_device import device_table
        return OK if device_table(assignments, args.device, notebooks=not args.skip_notebooks) else FAILED
    ok = True
    for assignment in assignments:
        ok &= validate(assignment, notebooks=not args.skip_notebooks)
    return OK if ok else FAILED


def _cmd_gradebook(args: argparse.Namespace, course: Course) -> int:
    from .gradebook.build import GradebookInputs, build_gradebook, parse_grades_options
    from .gradebook.canvas import parse_canvas_columns
    given = GradebookInputs(grades=parse_grades_options(args.grades), out=Path(args.out),
                            times=Path(args.times) if args.times else None,
                            policy=Path(args.policy) if args.policy else None,
                            roster=Path(args.roster) if args.roster else None,
                            exports=parse_grades_options(args.gradescope or [], "--gradescope", "export/"),
                            manual=parse_grades_options(args.manual or [], "--manual", "written.csv"),
                            canvas=args.format == "canvas",
                            canvas_columns=parse_canvas_columns(args.canvas_column or []))
    summary = build_gradebook(course, given)
    shown = course.layout.shown
    for warning in summary.warnings:
        say(f"warning: {warning}", err=True)
    print(f"wrote {shown(summary.gradebook)}: {summary.students} student(s), "
          f"{len(summary.assignments)} assignment(s), "
          f"{summary.meeting_requirement} meeting the completion requirement")
    print(f"explanations in {shown(summary.explanations)}")
    if summary.canvas:
        print(f"Canvas import CSV in {shown(summary.canvas)}")
    return OK


def _cmd_gradescope(args: argparse.Namespace, course: Course) -> int:
    from .assignment import load_assignment
    from .gradescope.build import build_gradescope_zip
    built = build_gradescope_zip(load_assignment(course.layout, args.assignment), Path(args.out),
                                 args.allow_weak_sandbox)
    print(f"wrote {course.layout.shown(built.path)}: {len(built.names)} files, {built.size:,} bytes, no solution code")
    print("upload it as the assignment's autograder (Gradescope: Configure Autograder, zip file upload)")
    return OK


def _cmd_sandbox(args: argparse.Namespace, course: Course) -> int:
    """Measure the sandbox on this host, as grade does before the first submission, and print the tables."""
    import json
    from .sandbox.client import Sandbox
    from .sandbox.launch import ZygotePool
    with Sandbox(ZygotePool(course.layout)) as sandbox:
        report = sandbox.wait_ready()
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        print("\n".join(report.markdown()))
        print("\n" + report.line())
    return OK if report.floor_held else FAILED


def _cmd_similarity(args: argparse.Namespace, course: Course) -> int:
    from .similarity import run_similarity
    done = run_similarity(course.layout, args.assignment, [Path(s) for s in args.submissions], Path(args.out),
                          [Path(r) for r in args.reference or []])
    for note in done.notes:
        say(note)
    for p in done.pairs[:5]:
        say(f"{p.score * 100:5.1f}%  {p.a.name}  {p.b.name}")
    print(f"{len(done.pairs)} pair(s) compared: {done.html} (side by side), {done.csv}")
    return OK


def _cmd_grading_room(args: argparse.Namespace, course: Course) -> int:
    if args.grader and (args.feedback or args.pdf):
        args.parser.error("--grader names who grades in a served room; --feedback and --pdf serve nothing")
    if args.feedback or args.pdf:
        return _room_exports(args, course)
    from .assignment import load_assignment
    from .room.api import RoomSetup
    from .room.server import RoomServer
    if not 0 <= args.port <= 65535:
        args.parser.error(f"--port {args.port} is not a port (0 to 65535; 0: any free one)")
    setup = RoomSetup.of(load_assignment(course.layout, args.assignment))
    server = RoomServer.open(setup, Path(args.results_dir), host=args.host or "127.0.0.1", port=args.port,
                             graders=args.grader or ())
    try:
        room = server.room
        print(f"grading room for {setup.assignment}: {len(room.answers.students)} student(s), "
              f"{len(room.questions)} question(s); its state in {room.store.path}")
        if room.answers.missing:
            say(f"warning: {len(room.answers.missing)} folder(s) have results but no answers.json (graded by an "
                "older kit, or the grader failed on them), so "
                f"the room leaves them out ({', '.join(room.answers.missing[:3])}"
                f"{', ...' if len(room.answers.missing) > 3 else ''}): grade them again", err=True)
        if args.host:
            print(f"warning: serving on {args.host}: anyone who can reach this address and has a link printed "
                  "here can grade", file=sys.stderr)
        for grader, url in server.grader_urls:
            print(f"open {url}" if grader is None else f"{grader}: open {url}  (changes are recorded as {grader})")
        print("Ctrl-C stops it (every change is saved as it is made)", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:  # how a server is stopped: its job is done
        print("grading room stopped", file=sys.stderr)
    finally:
        server.close()
    return OK


def _room_exports(args: argparse.Namespace, course: Course) -> int:
    """grading-room --feedback / --pdf: the room's grades into the feedback pages, or the answers as PDFs."""
    results = Path(args.results_dir)
    if args.feedback:
        from .room.feedback import write_written_feedback
        changed = write_written_feedback(course, args.assignment, results)
        print(f"written grades in the feedback pages of {changed} student(s) (the others' were already current)")
        return OK
    from .room.pdf import write_student_pdfs
    made = write_student_pdfs(results, Path(args.pdf))
    for m in made:
        if m.pages != m.questions:
            say(f"{m.student}: {m.pages} pages for {m.questions} questions (an answer longer than a page): "
                "match its pages to the questions by hand on Gradescope")
    seconds = sum(m.seconds for m in made) / len(made)
    print(f"{len(made)} PDF(s) in {args.pdf} ({seconds:.1f} s of Chromium per student)")
    return OK


_ASSIGNMENT_HELP = "an assignment's id, as its folder under assignments/ is named (e.g. linear_regression)"


class _Parser(argparse.ArgumentParser):
    """An argument error names the command it is in: that command's usage (not the top level's), the error
    and where to read more; exit status 2. (add_subparsers makes each command's parser of this class too.)"""

    about = "the commands"  # what its --help lists; a command's parser: "its arguments"

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(REFUSED, f"{self.prog}: error: {message}\nrun '{self.prog} --help' for {self.about}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=_prog(), description="Release, check and grade the course's PyTorch "
                     "assignments (run inside the course: the folder with course.toml, or below it).",
                     epilog="Exit status: 0 done, 1 what the command checks failed, 2 refused (a wrong argument or "
                            "a mistake in an input file), 3 a bug in the kit, 130 interrupted; 'COMMAND --help' "
                            "says what each means for that command (README.md: Exit status).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", help="regenerate starter code, notebooks and dist/ from the sources")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: all")
    p.add_argument("--check", action="store_true", help="write nothing; fail if a committed generated file is stale")
    p.set_defaults(run=_cmd_release)

    p = sub.add_parser("new", help="start a new assignment: assignments/ID/ and solutions/ID.py with one "
                                   "example part that release and validate pass (see docs/authoring.md)")
    p.add_argument("id", metavar="ID", help="lowercase letters, digits and underscores, e.g. ridge_regression")
    p.add_argument("--title", help='default: the id as words, e.g. "Ridge regression"')
    p.add_argument("--due", metavar="DATE",
                   help="YYYY-MM-DD (23:59 in course.toml's time zone) or an ISO date-time with its UTC offset; "
                        "default: four weeks from today")
    p.set_defaults(run=_cmd_new)

    p = sub.add_parser("check", help="run the public checks on a local .py or .ipynb")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    p.add_argument("file", metavar="FILE", help="your .py or .ipynb (the notebook as saved: File > Download > .ipynb)")
    p.add_argument("--allow-weak-sandbox", action="store_true",
                   help="run the file even where this host does not give the sandbox's floor")
    p.set_defaults(run=_cmd_check)

    p = sub.add_parser("grade", help="grade submissions; write results.json per submission and grades.csv")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help=".py/.ipynb files or folders of them")
    p.add_argument("--out", required=True, metavar="DIR", help="where results go")
    p.add_argument("--jobs", type=int, default=None,
                   help="parallel workers (default: course.toml's jobs, \"auto\" being two per core)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--details", action="store_true",
                   help="results.json and feedback pages also show the hidden cases' details; refused until the "
                        "last accepted submission (the due date + course.toml's grace and late days, or spec.toml's "
                        "hidden_details_after)")
    p.add_argument("--details-now", action="store_true",
                   help="show the hidden cases' details now, even while students may still submit")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where the cases' inputs live while student code runs (cuda: the GPU, hidden cases too)")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="regrade only these submissions (names as in grades.csv); other results in DIR stay")
    p.add_argument("--parts", nargs="+", metavar="PART",
                   help="rerun only these parts, keeping the other parts from the earlier results in DIR")
    p.add_argument("--allow-weak-sandbox", action="store_true",
                   help="grade even where this host does not give the sandbox's floor (see 'sandbox'); the "
                        "outputs then say which guarantees did not hold")
    p.add_argument("--shard", metavar="K/N",
                   help="grade only shard K (0 to N-1) of N: a stable share of the submissions, the same on every "
                        "machine; auto/N takes K from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or "
                        "AWS_BATCH_JOB_ARRAY_INDEX (docs/scale.md)")
    p.set_defaults(run=_cmd_grade)

    p = sub.add_parser("merge", help="put the --out folders of 'grade --shard K/N' together, as one run would have "
                                     "written them")
    p.add_argument("shards", nargs="+", metavar="SHARD_OUT", help="every shard's --out folder, N in all")
    p.add_argument("--out", required=True, metavar="DIR", help="where the merged results go")
    p.set_defaults(run=_cmd_merge)

    p = sub.add_parser("validate", help="check an assignment end to end (full marks, zero marks, notebooks, leaks)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: all")
    p.add_argument("--skip-notebooks", action="store_true", help="do not execute the notebooks")
    p.add_argument("--device", choices=("cuda", "cpu"),
                   help="instead: run every reference notebook and every part's checks on this device "
                        "(public cases through check(), hidden cases through the grader) and print a table")
    p.set_defaults(run=_cmd_validate)

    p = sub.add_parser("gradebook", help="combine grades.csv files and submission times into an LMS "
                                         "gradebook with grace days and late penalties")
    p.add_argument("--grades", action="append", required=True, metavar="ASSIGNMENT=GRADES_CSV",
                   help="an assignment's grades.csv from 'grade ... --out DIR'; repeat for each assignment")
    p.add_argument("--times", metavar="TIMES_CSV",
                   help="CSV student,assignment,submitted_at (ISO 8601 with the course zone's UTC offset)")
    p.add_argument("--gradescope", action="append", metavar="ASSIGNMENT=EXPORT_FOLDER",
                   help="times, names and emails from an unzipped Gradescope export instead of --times; repeatable")
    p.add_argument("--manual", action="append", metavar="ASSIGNMENT=RESULTS_DIR|MANUAL_CSV",
                   help="written answers graded by hand: the results folder of a grading room (or its "
                        "grading-room.sqlite), read directly, or a CSV student,question,points,max_points, the "
                        "question by its id (q1) or number; repeatable")
    p.add_argument("--format", choices=("plain", "canvas"), default="plain",
                   help="canvas: also write OUT with suffix .canvas.csv for Canvas's gradebook import")
    p.add_argument("--policy", metavar="POLICY_TOML",
                   help="late policy keys replacing those of course.toml's [late_policy] "
                        "(default: that table as it is)")
    p.add_argument("--roster", metavar="ROSTER_CSV",
                   help="CSV with a 'student' column, or Canvas's gradebook export (Grades > Export): then the "
                        "Canvas CSV fills its students' rows and existing assignment columns "
                        "(default: everyone in the grades files)")
    p.add_argument("--canvas-column", action="append", metavar='ASSIGNMENT="TITLE (ID)"',
                   help="the Canvas export's column for an assignment whose spec title finds none or several; "
                        "repeatable")
    p.add_argument("--out", required=True, metavar="OUT_CSV",
                   help="the gradebook CSV; explanations go next to it, OUT with suffix .explanations.txt")
    p.set_defaults(run=_cmd_gradebook)

    p = sub.add_parser("gradescope", help="build an assignment's Gradescope autograder zip "
                                          "(grader, checks and hidden cases, no solutions)")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    p.add_argument("--out", required=True, metavar="FILE.zip", help="where the zip goes")
    p.add_argument("--allow-weak-sandbox", action="store_true",
                   help="let the zip grade in a container that does not give the sandbox's floor (see docs/sandbox.md)")
    p.set_defaults(run=_cmd_gradescope)

    p = sub.add_parser("sandbox", help="measure what the sandbox holds on this host: each guarantee, tried from "
                                       "inside, and each layer (exit 1 below the floor, where grade refuses)")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(run=_cmd_sandbox)

    p = sub.add_parser("similarity", help="rank pairs of submissions by shared code, starter code left out")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="as for grade: files or folders")
    p.add_argument("--out", required=True, metavar="DIR", help="where similarity.html and similarity.csv go")
    p.add_argument("--reference", action="append", metavar="DIR", help="earlier terms' submissions; repeatable")
    p.set_defaults(run=_cmd_similarity)

    p = sub.add_parser("grading-room", help="grade the written answers in a browser: one question at a time, "
                                            "rubric items, comments, several TAs at once")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    p.add_argument("results_dir", metavar="RESULTS_DIR",
                   help="the --out folder of 'grade' (its answers.json per student); the room's state is kept "
                        "beside them, in grading-room.sqlite")
    p.add_argument("--host", metavar="ADDRESS",
                   help="serve on this address instead of 127.0.0.1 (0.0.0.0: every interface); anyone who can "
                        "reach it and has a link it printed can grade")
    p.add_argument("--port", type=int, default=0, help="default: any free port (the URL printed says which)")
    p.add_argument("--grader", metavar="NAME", action="append",
                   help="give this grader a link of their own (repeat for each TA): the trail records the name "
                        "the link belongs to, so no one holding only a link can record a change as someone "
                        "else; without it there is one link and each grader types a name")
    exports = p.add_mutually_exclusive_group()
    exports.add_argument("--feedback", action="store_true",
                         help="instead of serving: write each student's written grades (scores, rubric items, "
                              "comments) into their feedback.md and feedback.html; rerun it after more grading")
    exports.add_argument("--pdf", metavar="OUT_DIR",
                         help="instead of serving: print each student's answers.html to OUT_DIR/<student>.pdf "
                              "(headless Chromium; a page per question) for grading on Gradescope")
    p.set_defaults(run=_cmd_grading_room)
    for name, command in sub.choices.items():  # each command's --help ends with its exit status
        command.epilog = exit_epilog(name)
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        command.set_defaults(parser=command)  # for main's errors about its arguments
        command.about = "its arguments"
    return parser


def _prog() -> str:
    """How the user ran us, for usage lines: the console script's name or ``python -m autograder``."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m autograder" if name in ("", "__main__.py", "-c") else name


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the command they were given to, with its usage (argparse's would be the top level's)
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if getattr(args, "jobs", 1) is not None and getattr(args, "jobs", 1) < 1:
        args.parser.error("--jobs must be at least 1")
    try:
        course = load_course(Layout(find_root(Path.cwd())))  # once, for the command to use
        if getattr(args, "jobs", 0) is None:
            args.jobs = course.default_jobs
        return args.run(args, course)
    except KitError as e:  # it may name a student's file
        say(f"error: {e}", err=True)
        return REFUSED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # whoever read our output stopped reading (| head): the work is done
        sys.stdout = open(os.devnull, "w")  # nothing more reaches the closed pipe, at exit either
        return OK
    except Exception as e:  # a bug of ours: one line, the traceback only on request; not 1, which means "failed"
        if os.environ.get("KIT_DEBUG"):
            raise
        say(f"internal error: {type(e).__name__}: {e} (set KIT_DEBUG=1 for a traceback)", err=True)
        return INTERNAL_ERROR


def run() -> None:
    """The console script and ``python -m autograder``: main(), then exit without tearing torch down.

    Every file is written and closed when main() returns; what is left is interpreter teardown
    (up to a second with torch loaded on a small machine), which nobody needs. Buffered output
    is flushed first.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: nothing more can be said
        pass
    os._exit(code)
