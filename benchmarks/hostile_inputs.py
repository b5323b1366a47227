"""Does a hostile input cost only its owner, and quickly? Time and memory of one batch that holds them all.

Grades, in one `python -m autograder grade linear_regression SUBS EXPORT --out OUT --jobs 2`, a normal
correct .py and notebook beside each hostile input:

- answers.ipynb      a correct notebook whose first answer cell is 1 MB of ``\\( `` (no closing): the
                     regular expression that turned \\( \\) into $ $ took time quadratic in it
- lists.ipynb        19 MB of code cells of list literals, each under the per-cell cap: parsed whole,
                     ~0.5 GB of syntax tree a MB in the trusted grader
- deep/              a student's folder nested 1,100 levels deep (RecursionError in the walk)
- bigint.ipynb       a correct notebook holding a 5,000-digit integer (json.loads raises ValueError)
- EXPORT             a Gradescope export without sids: alice@a.edu and alice@b.edu (one name, twice)
- at_cap.ipynb       a correct notebook with code just under the kit's cap on tokens (the heaviest kind
                     a token: x = 1 lines), graded in full: what the grader's memory and time are at the cap

and first a batch of the two normal submissions alone, the baseline. Prints the batch's exit code and
grader failures; each submission's score, the first line of its message, the CPU time of the worker
that graded it (ingest, judging, writing its pages; time.process_time of that trusted process) and its
wall time, as a ratio to the normal notebook's in the same batch; and the grader's peak memory: the
largest peak RSS (VmHWM) of the grader and its workers, their sum (forked workers share the grader's
pages, so the sum counts those more than once), and getrusage(RUSAGE_CHILDREN).ru_maxrss, against the
baseline batch's.

    python benchmarks/hostile_inputs.py [--answers-kb 1000] [--lists-mb 19] [--depth 1100] [--digits 5000]
                                        [--at-cap-tokens 190000] [--only answers,lists,...] [--jobs 2]
                                        [--kit DIR] [--timeout 900] [--check]

--kit grades with another checkout of the kit (its files; the same python), e.g. one from
``git archive`` of an earlier commit, to measure the figures before a change (with smaller inputs:
the 19 MB notebook takes ~10 GB and minutes there). Bounds (asserted with --check): the hostile batch
exits 0 with no grader failure, the normal submissions get full marks, every hostile one its message,
the grader's largest process peaks under 1.5 x the baseline's and 1 GB more, and no submission's
worker CPU exceeds the normal notebook's by more than 10 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "linear_regression"
CORRECT = EXAMPLES / "alice_correct.py"
NOTEBOOK = EXAMPLES / "carol_notebook.ipynb"   # a correct notebook with three answer cells
MB = 1024 * 1024

# Runs the grade command, writing one line a submission: its name, and the wall and CPU time of the
# trusted process that graded it (a worker; the grader itself with one slot).
WRAPPER = """
import json, os, sys, time
from autograder.grading import task
call = task.SubmissionTask.__call__
def timed(self, index, sandbox):
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        return call(self, index, sandbox)
    finally:
        line = {"name": self.submissions[index].name, "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu}
        with open(os.environ["KIT_BENCH_TIMES"], "a") as f:
            f.write(json.dumps(line) + "\\n")
task.SubmissionTask.__call__ = timed
from autograder.cli import main
sys.exit(main(sys.argv[1:]))
"""


# --- the inputs ----------------------------------------------------------------------------------

def notebook(extra_cells: list[dict] | None = None, answer: str | None = None) -> dict:
    """The correct example notebook, its first answer cell replaced by `answer`, extra cells at the end."""
    nb = json.loads(NOTEBOOK.read_text())
    if answer is not None:
        cell = next(c for c in nb["cells"] if "answer" in c.get("metadata", {}).get("tags", []))
        cell["source"] = answer
    nb["cells"] += extra_cells or []
    return nb


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}


def answers_notebook(path: Path, chars: int) -> Path:
    """A correct notebook with `chars` characters of \\( and no closing in its first answer cell."""
    path.write_text(json.dumps(notebook(answer="\\( " * (chars // 3))))
    return path


def lists_notebook(path: Path, megabytes: float, cell_chars: int = 999_000) -> Path:
    """A correct notebook and list-literal cells, each just under the per-cell cap, of `megabytes` MB in all."""
    cells, left, i = [], int(megabytes * 1_000_000), 0
    while left > 20:
        size = min(cell_chars, left)
        cells.append(code_cell(f"data_{i} = [" + "1," * ((size - 16) // 2) + "]\n"))
        left -= size
        i += 1
    path.write_text(json.dumps(notebook(cells)))
    return path


def at_cap_notebook(path: Path, tokens: int, cell_chars: int = 900_000) -> Path:
    """A correct notebook and `tokens` more tokens of taken code, the heaviest kind a token (x = 1 lines:
    a statement each, parsed, verified and sent to the sandbox), in cells under the per-cell cap."""
    source = "x = 1\n" * (tokens // 4)
    cells = [code_cell(source[i:i + cell_chars]) for i in range(0, len(source), cell_chars)]
    path.write_text(json.dumps(notebook(cells)))
    return path


def deep_folder(folder: Path, depth: int) -> Path:
    """folder/d/d/.../d (depth levels) holding a correct linear_regression.py at the bottom."""
    folder.mkdir(parents=True)
    fd = os.open(folder, os.O_RDONLY)
    try:  # level by level, relative to an open folder: the whole path may be longer than the system takes
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            inner = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("linear_regression.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, CORRECT.read_bytes())
        os.close(out)
    finally:
        os.close(fd)
    return folder


def bigint_notebook(path: Path, digits: int) -> Path:
    """A correct notebook whose nbformat_minor is an integer `digits` digits long."""
    text = json.dumps(notebook())
    path.write_text(text.replace('"nbformat_minor": ', f'"nbformat_minor": {"9" * digits}, "was": ', 1))
    return path


def gradescope_export(folder: Path, emails: list[str]) -> Path:
    """A Gradescope bulk export without sids: one correct submission for each email."""
    folder.mkdir(parents=True)
    lines = []
    for i, email in enumerate(emails, start=1):
        sub = folder / f"submission_{i}"
        sub.mkdir()
        shutil.copy(CORRECT, sub / "linear_regression.py")
        lines += [f"submission_{i}:", "  :submitters:", f"  - :name: Student {i}", "    :sid:",
                  f"    :email: {email}", "  :created_at: 2027-02-05 23:10:00.123456000 -05:00"]
    (folder / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    return folder


def normal_submissions(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CORRECT, folder / "normal.py")
    (folder / "normal_notebook.ipynb").write_text(json.dumps(notebook()))


# --- one batch ------------------------------------------------------------------------------------

@dataclass
class Batch:
    code: int | None                # None: it did not finish in time
    wall: float
    cpu: float                      # every process of the command
    peak_max: float                 # MB: the largest peak RSS of the grader and its workers
    peak_sum: float                 # MB: their sum
    peak_grader: float              # MB: the grader's own
    peak_workers: list[float]       # MB: each worker's
    maxrss_children: float          # MB: getrusage(RUSAGE_CHILDREN).ru_maxrss after it
    processes: int
    output: str
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    times: dict[str, dict[str, float]] = field(default_factory=dict)


def _trusted_peaks(root: int, stop: threading.Event, peaks: dict[int, float]) -> None:
    """Until stop: the peak RSS (VmHWM, MB) of root and of its children with its command line (forked workers)."""
    while not stop.is_set():
        try:  # read again each time: at first it may be this script's own, before the exec
            command = Path(f"/proc/{root}/cmdline").read_bytes()
        except OSError:
            return
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                if pid != root and (int(stat[stat.rindex(")") + 2:].split()[1]) != root
                                    or Path(f"/proc/{pid}/cmdline").read_bytes() != command):
                    continue
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = max(peaks.get(pid, 0.0), int(line.split()[1]) / 1024)
            except (OSError, ValueError, IndexError):
                continue
        stop.wait(0.02)


def grade(inputs: list[Path], out: Path, jobs: int, kit: Path, timeout: float) -> Batch:
    shutil.rmtree(out, ignore_errors=True)
    times = out.parent / f"{out.name}.times.jsonl"
    times.unlink(missing_ok=True)
    command = [sys.executable, "-c", WRAPPER, "grade", "linear_regression", *map(str, inputs), "--out", str(out),
               "--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, cwd=kit, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "KIT_BENCH_TIMES": str(times), "PYTHONPATH": str(kit)})
    stop, peaks = threading.Event(), {}
    watcher = threading.Thread(target=_trusted_peaks, args=(proc.pid, stop, peaks))
    watcher.start()
    try:
        code: int | None = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        code = None
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    log.seek(0)
    output = log.read().decode(errors="replace")
    batch = Batch(code, wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
                  max(peaks.values(), default=0.0), sum(peaks.values()), peaks.get(proc.pid, 0.0),
                  sorted((mb for pid, mb in peaks.items() if pid != proc.pid), reverse=True),
                  after.ru_maxrss / 1024, len(peaks), output)
    grades = out / "grades.csv"
    if grades.is_file():
        batch.rows = {row["submission"]: row for row in csv.DictReader(grades.open(encoding="utf-8"))}
    if times.is_file():
        for line in times.read_text().splitlines():
            entry = json.loads(line)
            batch.times[entry["name"]] = {"wall": entry["wall"], "cpu": entry["cpu"]}
    return batch


def remove_tree(top: Path) -> None:
    """shutil.rmtree without recursion (it raises RecursionError on a tree 1,100 levels deep)."""
    folders, todo = [], [os.fspath(top)]
    while todo:
        folder = todo.pop()
        folders.append(folder)
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                else:
                    os.unlink(entry.path)
    for folder in reversed(folders):  # every folder was found after the one holding it
        os.rmdir(folder)


def size_of(path: Path) -> str:
    if path.is_dir():
        depth, here = 0, path
        while (here / "d").is_dir():
            depth, here = depth + 1, here / "d"
        return f"{depth} levels"
    size = path.stat().st_size
    return f"{size / MB:.1f} MB" if size >= MB else f"{size / 1024:.0f} KB"


def failures(output: str) -> int:
    for line in output.splitlines():
        if line.startswith("the grader failed on "):
            return int(line.split()[4].split("(")[0])
    return 0


def peaks(batch: Batch) -> str:
    workers = ", ".join(f"{mb:.0f}" for mb in batch.peak_workers) or "none seen"
    return f"grader {batch.peak_grader:.0f} MB, workers {workers} MB"


def message(row: dict[str, str]) -> str:
    status = row.get("status", "")
    return status[len("not graded: "):] if status.startswith("not graded: ") else status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers-kb", type=int, default=1000, help="the answer cell, in KB (default 1000)")
    parser.add_argument("--lists-mb", type=float, default=19, help="the list-literal cells, in MB (default 19)")
    parser.add_argument("--depth", type=int, default=1100, help="levels of folders (default 1100)")
    parser.add_argument("--digits", type=int, default=5000, help="digits of the integer (default 5000)")
    parser.add_argument("--at-cap-tokens", type=int, default=190_000,
                        help="tokens of code added to a correct notebook, just under the kit's cap (default 190000; "
                             "the notebook has ~5,000 of its own)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--kit", type=Path, default=ROOT, help="the kit's checkout to grade with (default: this one)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a batch may take (default 900)")
    parser.add_argument("--only", default="", help="comma-separated inputs to grade beside the normal ones "
                        "(answers,lists,deep,bigint,at_cap,export; default all): one at a time with an earlier --kit")
    parser.add_argument("--check", action="store_true", help="exit 1 unless every bound holds")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kit-hostile-"))
    try:
        normal, hostile = work / "normal", work / "hostile"
        normal_submissions(normal)
        normal_submissions(hostile)
        makers = {
            "answers": lambda: answers_notebook(hostile / "answers.ipynb", args.answers_kb * 1000),
            "lists": lambda: lists_notebook(hostile / "lists.ipynb", args.lists_mb),
            "deep": lambda: deep_folder(hostile / "deep", args.depth),
            "bigint": lambda: bigint_notebook(hostile / "bigint.ipynb", args.digits),
            "at_cap": lambda: at_cap_notebook(hostile / "at_cap.ipynb", args.at_cap_tokens),
            "export": lambda: gradescope_export(work / "export", ["alice@a.edu", "Alice@b.edu"]),
        }
        only = [n for n in args.only.split(",") if n] or list(makers)
        unknown = [n for n in only if n not in makers]
        if unknown:
            parser.error(f"--only: no input named {unknown[0]} (the inputs: {', '.join(makers)})")
        made = {name: makers[name]() for name in only}
        export = made.pop("export", None)
        print(f"kit {args.kit}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
              f"grade linear_regression --jobs {args.jobs}")
        base = grade([normal], work / "out-normal", args.jobs, args.kit, args.timeout)
        print(f"baseline batch (normal.py, normal_notebook.ipynb): exit {base.code}, {base.wall:.1f} s wall, "
              f"{base.cpu:.1f} s CPU; grader peak {base.peak_max:.0f} MB (largest of {base.processes} processes: "
              f"{peaks(base)}), {base.peak_sum:.0f} MB summed, ru_maxrss {base.maxrss_children:.0f} MB")
        batch = grade([hostile, *([export] if export else [])], work / "out-hostile", args.jobs, args.kit,
                      args.timeout)
        finished = "did not finish in %.0f s (killed)" % args.timeout if batch.code is None else f"exit {batch.code}"
        print(f"hostile batch: {finished}, {batch.wall:.1f} s wall ({batch.wall / base.wall:.2f} x the baseline "
              f"batch), {batch.cpu:.1f} s CPU, {failures(batch.output)} grader failure(s)")
        print(f"grader peak memory: {batch.peak_max:.0f} MB largest process = {batch.peak_max / base.peak_max:.2f} x "
              f"the baseline's ({batch.peak_max - base.peak_max:+.0f} MB; {peaks(batch)}); {batch.peak_sum:.0f} MB "
              f"summed over {batch.processes} processes ({batch.peak_sum / base.peak_sum:.2f} x); "
              f"ru_maxrss {batch.maxrss_children:.0f} MB ({batch.maxrss_children / base.maxrss_children:.2f} x)")
        if batch.code is None or not batch.rows:
            print("no grades.csv; the command's last lines:\n" + "\n".join(
                line for line in batch.output.splitlines() if not line.startswith("sandbox:"))[-2000:])
            return 1
        normal_cpu = batch.times.get("normal_notebook", {}).get("cpu", float("nan"))
        normal_wall = batch.times.get("normal_notebook", {}).get("wall", float("nan"))
        print(f"\n{'submission':<22} {'size':>11} {'score':>7} {'worker CPU':>11} {'x normal':>9} {'wall':>8} "
              f"{'x normal':>9}  message")
        shown = {"normal": CORRECT, "normal_notebook": NOTEBOOK, **made}
        names = [*shown, *(n for n in batch.rows if n not in shown)]
        ok = batch.code == 0 and failures(batch.output) == 0
        for name in names:
            row = batch.rows.get(name)
            if row is None:
                print(f"{name:<22} not in grades.csv")
                ok = False
                continue
            t = batch.times.get(name, {"cpu": 0.0, "wall": 0.0})
            size = size_of(shown[name]) if name in shown else "export"
            print(f"{name:<22} {size:>11} {row['score'] + '/' + row['max_score']:>7} {t['cpu']:>10.2f}s "
                  f"{t['cpu'] / normal_cpu:>8.2f}x {t['wall']:>7.2f}s {t['wall'] / normal_wall:>8.2f}x  "
                  f"{message(row)[:110]}")
            full = row["score"] == row["max_score"]
            expected_full = name in ("normal", "normal_notebook", "answers", "at_cap") or name.startswith("alice")
            ok = ok and full == expected_full and t["cpu"] <= normal_cpu + 10
        ok = ok and batch.peak_max <= min(1.5 * base.peak_max, base.peak_max + 1024)
        print(f"\nbounds (exit 0, no grader failure, normal, answers and at_cap full marks, the others 0, grader peak "
              f"<= 1.5 x baseline and +1 GB, worker CPU <= normal + 10 s): {'held' if ok else 'NOT held'}")
        return 0 if ok or not args.check else 1
    finally:
        remove_tree(work)


if __name__ == "__main__":
    raise SystemExit(main())
