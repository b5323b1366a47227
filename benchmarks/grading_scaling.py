"""Does grading scale with cores? The grader process's serial share, from CPU time, and what it predicts.

Grades N linear_regression submissions (the mix of grading_throughput.py) with `grade --jobs J`
for each J given, twice: N/2 and N submissions. From the difference of the two runs (so that
startup, the same in both, drops out) it prints, per submission:

- the CPU time of the grader's own process in the steps it does for every submission (getrusage
  of that process alone, over N: handing out numbers and taking back rows, then writing
  grades.csv and the summary) and of every process of the run together (the grader, its
  workers, the sandbox's zygote and children);
- the grader's share of it: the serial fraction s of Amdahl's law, since the workers run in
  parallel and the grader does its part for every submission in turn (startup is fixed: it
  does not grow with N, and the table shows it in the wall time);
- the speed-up that s predicts for 16 workers, 1 / (s + (1 - s) / 16), and the wall time it
  predicts for 10,000 submissions on a 16-core machine;
- the measured throughput (submissions a second, marginal and overall) for each J, and the
  N-submission wall time as a ratio to one bare `import torch` measured in the same run;
- the grader process's peak resident memory (VmHWM);
- where the CPU goes, a submission: the grader, the workers, the zygotes (forking, killing and
  reaping the sandbox children) and the sandboxed children themselves; a zygote serves its
  slots one fork at a time, so its share bounds the rate of the slots it serves.

    python benchmarks/grading_scaling.py [--count 200] [--jobs 1,2] [--no-halves]

With --no-halves only the N run is made (to measure memory at N = 10000, say).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading_throughput import ROOT, bare_torch_import, make_submissions, run_watched  # noqa: E402

sys.path.insert(0, str(ROOT))
from autograder.grading.session import SLOTS_PER_ZYGOTE  # noqa: E402

# Runs the grade command and, as it exits, writes its own CPU time (in all, and in the steps done
# for every submission: handing out numbers and taking back rows, then writing grades.csv and the
# summary from them) and its peak memory to a file.
WRAPPER = """
import atexit, json, os, resource, sys
from autograder.grading import task, workers
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
during = []
def timed(method):
    def run(*args, **kwargs):
        start = cpu()
        try:
            return method(*args, **kwargs)
        finally:
            during.append(cpu() - start)
    return run
workers.WorkerPool.run = timed(workers.WorkerPool.run)
task.SubmissionTask.write_batch = timed(task.SubmissionTask.write_batch)
def report():
    with open(os.environ["KIT_BENCH_REPORT"], "w") as f:
        json.dump({"cpu": cpu(), "run_cpu": sum(during),
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, f)
atexit.register(report)
from autograder.cli import main
sys.exit(main(sys.argv[1:]))
"""


def watch_tree(root: int, stop: threading.Event, seen: dict[int, tuple[str, float, float]]) -> None:
    """Until stop: for every process under root, its role and its last (own CPU, CPU of the children it reaped).

    Roles: the grader (root), a zygote (it imports torch once and forks the sandbox children, whose
    CPU it collects as it reaps them), a worker (the grader's other children).
    """
    tick = os.sysconf("SC_CLK_TCK")
    while not stop.is_set():
        processes = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    text = Path(f"/proc/{entry.name}/stat").read_text()
                    command = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                except OSError:
                    continue
                fields = text[text.rindex(")") + 2:].split()
                processes[int(entry.name)] = (int(fields[1]), command, (int(fields[11]) + int(fields[12])) / tick,
                                              (int(fields[13]) + int(fields[14])) / tick)
        for pid, (ppid, command, own, reaped) in processes.items():
            if pid == root:
                seen[pid] = ("grader", own, reaped)
            elif ppid == root:  # a sandbox child's parent is a zygote: it is counted when reaped
                # A zygote's command line is empty once it exits: a zygote stays one.
                zygote = b"zygote.main" in command or seen.get(pid, ("",))[0] == "zygote"
                seen[pid] = ("zygote" if zygote else "worker", own, reaped)
        time.sleep(0.02)


@dataclass
class Run:
    count: int
    jobs: int
    wall: float
    grader_run_cpu: float  # the grader process while the batch ran (after startup)
    total_cpu: float       # every process of the run
    grader_peak_mb: float
    roles: dict[str, float]  # CPU seconds: grader, workers, zygotes, children (sandboxed, reaped by zygotes)


def grade(folder: Path, out: Path, jobs: int, count: int) -> Run:
    report = out.parent / f"{out.name}.report.json"
    before, seen = resource.getrusage(resource.RUSAGE_CHILDREN), {}
    wall = run_watched([sys.executable, "-c", WRAPPER, "grade", "linear_regression", str(folder), "--out", str(out),
                        "--jobs", str(jobs), "--quiet"], watch_tree, seen,
                       env={**os.environ, "KIT_BENCH_REPORT": str(report)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = json.loads(report.read_text())
    total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # Own CPU each; the grader's in its per-submission steps (its startup is the same in every run).
    roles = {"grader": own["run_cpu"], "workers": 0.0, "zygotes": 0.0, "children": 0.0}
    for role, cpu, reaped in seen.values():
        if role == "worker":
            roles["workers"] += cpu
        elif role == "zygote":
            roles["zygotes"] += cpu
            roles["children"] += reaped
    return Run(count, jobs, wall, own["run_cpu"], total, own["peak_mb"], roles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", default="1,2", help="comma-separated worker counts (e.g. 1,2,4,8,16)")
    parser.add_argument("--no-halves", action="store_true", help="only the N run (no marginal figures)")
    args = parser.parse_args()
    jobs_list = [int(j) for j in args.jobs.split(",")]
    work = Path(tempfile.mkdtemp(prefix="kit-scale-"))
    try:
        full, half = work / "full", work / "half"
        full.mkdir()
        half.mkdir()
        make_submissions(full, args.count)
        for path in sorted(full.iterdir())[:args.count // 2]:
            shutil.copy(path, half / path.name)
        baseline = statistics.median(bare_torch_import().wall for _ in range(3))
        print(f"machine: {os.cpu_count()} cores; bare 'import torch': {baseline:.2f} s; {args.count} submissions")
        print(f"{'jobs':>4}  {'wall N':>8}  {'x import':>8}  {'subs/s':>7}  {'marginal subs/s':>15}  "
              f"{'grader ms/sub':>13}  {'all ms/sub':>10}  {'serial share':>12}  {'grader peak':>11}")
        for jobs in jobs_list:
            n = grade(full, work / f"out-{jobs}-n", jobs, args.count)
            line = (f"{jobs:>4}  {n.wall:>7.2f}s  {n.wall / baseline:>8.2f}  {n.count / n.wall:>7.1f}  ")
            if args.no_halves:
                line += f"{'-':>15}  {n.grader_run_cpu / n.count * 1000:>13.2f}  {n.total_cpu / n.count * 1000:>10.1f}  "
                line += f"{'-':>12}  {n.grader_peak_mb:>9.0f}MB"
                print(line, flush=True)
                continue
            h = grade(half, work / f"out-{jobs}-h", jobs, args.count // 2)
            extra = n.count - h.count
            grader = n.grader_run_cpu / n.count
            total = (n.total_cpu - h.total_cpu) / extra
            share = grader / total
            marginal = extra / (n.wall - h.wall) if n.wall > h.wall else float("inf")
            line += (f"{marginal:>15.1f}  {grader * 1000:>13.2f}  {total * 1000:>10.1f}  {share:>11.1%}  "
                     f"{n.grader_peak_mb:>9.0f}MB")
            print(line, flush=True)
            per = {role: (n.roles[role] - h.roles[role]) / extra * 1000 for role in n.roles}
            print("      CPU a submission: " + ", ".join(f"{role} {ms:.1f} ms" for role, ms in per.items()))
            if jobs > 1:  # with forked workers the grader's own work is what stays serial
                speedup = 1 / (share + (1 - share) / 16)
                predicted = 10_000 * total / speedup
                zygote_rate = 1000 / per["zygotes"] if per["zygotes"] > 0 else float("inf")
                print(f"      Amdahl with serial share {share:.2%}: {speedup:.1f}x on 16 workers; 10,000 submissions "
                      f"in about {predicted:.0f} s of grading on 16 cores (+ startup). Each zygote (one per "
                      f"{SLOTS_PER_ZYGOTE} slots) forks children serially: at most {zygote_rate:.0f} submissions/s "
                      f"each, {zygote_rate * 16 / SLOTS_PER_ZYGOTE:.0f}/s with 16 slots")
        print(f"target on 2 cores: {args.count} in <= 3 x bare import = {3 * baseline * args.count / 100:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
