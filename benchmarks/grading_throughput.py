"""How fast does `grade` get through a batch, against what it costs to start Python with torch?

Grades N linear_regression submissions (a mix of correct and buggy ones, .py and .ipynb,
none that runs into a time limit) with one `python -m autograder grade` command, and
prints its wall time as a ratio to one bare `python -c "import torch"` measured in the
same run, and against grading them one fresh process each (measured on a sample and
scaled up, since N fresh processes take minutes). Also prints the grader's peak memory.

A shared machine's speed drifts by a third from minute to minute, so each of --rounds rounds
times the batch between two bare imports and takes its ratio to their mean; the verdict is on
the median round. CPU seconds (every process of the command) are printed beside wall time.

    python benchmarks/grading_throughput.py [--count 100] [--jobs 4] [--rounds 3] [--fresh-sample 5]
                                            [--modes root,container]

Target on the 2-core machine: 100 submissions in at most 3 bare torch imports.

--modes grades each round once per emulated host (tests/host_modes.py, as root), alternating, so
the sandbox's floor alone (container: no namespaces, no cgroups) is timed against full root in the
same minutes; the first mode is the one the verdict and the fresh-process figures are about.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "linear_regression"

# Known mistakes, as (old, new) edits of the correct example.
MUTATIONS = [
    None,  # correct
    ("    db = err.sum() / n", "    db = err.sum()"),                                   # forgot 1/N in db
    ("    return torch.mv(X, w) + b", "    return torch.mv(X, w)"),                       # no bias
    ("    return diff.dot(diff) / (2 * diff.numel())", "    return diff.dot(diff) / diff.numel()"),  # no 1/2
    ("        w, b = w - lr * dw, b - lr * db", "        w, b = w + lr * dw, b + lr * db"),  # uphill
    ("    return x.unsqueeze(1) ** powers", "    return x.unsqueeze(1) ** powers.flip(0)"),  # reversed
]


def make_submissions(folder: Path, count: int) -> None:
    """count submissions: every third a notebook, the rest .py; one in len(MUTATIONS) correct."""
    correct = (EXAMPLES / "alice_correct.py").read_text()
    notebook = json.loads((EXAMPLES / "carol_notebook.ipynb").read_text())
    for i in range(count):
        mutation = MUTATIONS[i % len(MUTATIONS)]
        source = correct if mutation is None else correct.replace(*mutation)
        if i % 3 == 2:
            nb = json.loads(json.dumps(notebook))
            nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                "source": source})  # the last definitions win
            (folder / f"student{i:04d}.ipynb").write_text(json.dumps(nb))
        else:
            (folder / f"student{i:04d}.py").write_text(source)


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float  # user + system seconds of every process the command ran


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_torch_import() -> Timed:
    """One `python -c "import torch"`."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return Timed(time.perf_counter() - start, children_cpu() - cpu)


def peak_rss_mb(pid: int, stop: threading.Event, out: list[float]) -> None:
    """Poll the process's VmHWM (its peak resident memory) until it exits."""
    peak = 0.0
    while not stop.is_set():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            break
        time.sleep(0.05)
    out.append(peak)


def run_watched(command: list[str], watch: Callable[..., None], found: Any, env: dict[str, str] | None = None) -> float:
    """Run one grade command while watch(its pid, a stop event, found) runs beside it; its wall time.
    A failed command ends the benchmark with grade's own message."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(proc.pid, stop, found))
    watcher.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"grade failed: {err.strip()[-2000:]}")
    return wall


def grade(paths: list[Path], out: Path, jobs: int, mode: str = "") -> tuple[Timed, float]:
    """(its times, the grader's peak RSS in MB) for one grade command (on an emulated host when mode is given)."""
    shutil.rmtree(out, ignore_errors=True)
    cpu, peak = children_cpu(), []
    command = [sys.executable, "-m", "autograder", "grade", "linear_regression", *map(str, paths),
               "--out", str(out), "--jobs", str(jobs), "--quiet"]
    if mode:
        sys.path.insert(0, str(ROOT / "tests"))
        from host_modes import command_in  # the launcher execs the command: its pid is the grader's
        command = command_in(mode, command, keep=(str(ROOT), str(out.parent)))
    wall = run_watched(command, peak_rss_mb, peak)
    return Timed(wall, children_cpu() - cpu), peak[0] if peak else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2 * (os.cpu_count() or 1),
                        help="default: grade's own default, two per core")
    parser.add_argument("--rounds", type=int, default=3, help="batches, each timed between two bare imports")
    parser.add_argument("--fresh-sample", type=int, default=5, help="submissions graded one process each")
    parser.add_argument("--modes", default="", help="emulated hosts to alternate, e.g. root,container (needs root)")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m] or [""]
    work = Path(tempfile.mkdtemp(prefix="kit-bench-"))
    try:
        subs = work / "subs"
        subs.mkdir()
        make_submissions(subs, args.count)
        files = sorted(subs.iterdir())
        imports, peaks = [bare_torch_import()], []
        by_mode: dict[str, tuple[list[Timed], list[float]]] = {m: ([], []) for m in modes}
        for _ in range(max(1, args.rounds)):
            for mode in modes:
                batch, peak = grade([subs], work / "out", args.jobs, mode)
                imports.append(bare_torch_import())
                by_mode[mode][0].append(batch)
                by_mode[mode][1].append(batch.wall / statistics.mean(t.wall for t in imports[-2:]))
                peaks.append(peak)
        batches, ratios = by_mode[modes[0]]
        grades = (work / "out" / "grades.csv").read_text().splitlines()[1:]
        full = sum(1 for row in grades if row.split(",")[1] == row.split(",")[2])
        fresh = [grade([f], work / "fresh", 1)[0].wall for f in files[:args.fresh_sample]]
        fresh_total = statistics.mean(fresh) * len(files) if fresh else float("nan")
        baseline = statistics.median(t.wall for t in imports)
        batch_wall = statistics.median(b.wall for b in batches)
        ratio = statistics.median(ratios)
        print(f"submissions:            {len(files)} ({sum(f.suffix == '.ipynb' for f in files)} notebooks, "
              f"{full} with full marks), --jobs {args.jobs}")
        print(f"bare 'import torch':    {baseline:.2f} s wall, {statistics.median(t.cpu for t in imports):.2f} s CPU "
              f"(median of {len(imports)}: {', '.join(f'{t.wall:.2f}' for t in imports)})")
        print(f"grade, one batch:       {batch_wall:.2f} s wall, {statistics.median(b.cpu for b in batches):.2f} s CPU "
              f"({batch_wall / len(files) * 1000:.0f} ms a submission; rounds: "
              f"{', '.join(f'{b.wall:.2f} s = {r:.2f} x' for b, r in zip(batches, ratios))})")
        print(f"ratio to a bare import: {ratio:.2f} x (median round)")
        if fresh:
            print(f"grade, fresh process each (mean of {len(fresh)} x {len(files)}): {fresh_total:.1f} s "
                  f"= {fresh_total / baseline:.1f} x bare import; the batch is {fresh_total / batch_wall:.1f} x faster")
        for mode in modes[1:]:
            other, other_ratios = by_mode[mode]
            print(f"on a {mode} host:{' ' * max(1, 14 - len(mode))}{statistics.median(b.wall for b in other):.2f} s wall, "
                  f"{statistics.median(b.cpu for b in other):.2f} s CPU, {statistics.median(other_ratios):.2f} x a bare "
                  f"import; {statistics.median(other_ratios) / ratio:.2f} x the {modes[0]} host's ratio, "
                  f"{statistics.median(b.cpu for b in other) / statistics.median(b.cpu for b in batches):.2f} x its CPU")
        print(f"grader peak memory:     {max(peaks):.0f} MB")
        print(f"target (100 in <= 3 x bare import, scaled to {len(files)}): "
              f"{'met' if ratio <= 3.0 * len(files) / 100 else 'NOT met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
