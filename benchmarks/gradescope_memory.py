"""How much memory does a Gradescope run of one submission take, against Gradescope's 768 MB?

For each assignment: builds its autograder zip, lays it out as Gradescope does (a temporary
root with source/, submission/ holding the reference solution as the student's file, and
submission_metadata.json), runs run_autograder there, and every ~20 ms sums the proportional
set size (Pss, from /proc/PID/smaps_rollup) of every process in the run's tree: found by
walking parent ids in /proc from run_autograder down, so the grader, the sandbox zygote (a
separate `python -I`), its forked children and any worker process count, whatever their
number. Prints the peak of that sum, each process's peak RSS and Pss (by role), and the
ratio to a bare `python -c "import torch"` measured in the same run with the same python.

With --memory-limit MB and --cpus N (root, writable cgroup v1 controllers) each run goes into
cgroups with those limits, as Gradescope's container has (768 MB and 0.5 CPU by default); the
page cache is dropped first (so that the group is charged for reading torch's libraries, as a
fresh container is), and the group's own peak (page cache included) and OOM kills are printed.

    sudo .venv/bin/python benchmarks/gradescope_memory.py [--python .venv/bin/python]
        [--assignments mlp ...] [--memory-limit 768 --cpus 0.5]

Run it as root: the sandbox's children run as other users, whose /proc entries only root reads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.assignment import load_assignment  # noqa: E402
from autograder.gradescope.build import build_gradescope_zip  # noqa: E402
from autograder.layout import KIT_LAYOUT  # noqa: E402

GRADESCOPE_MB = 768
MB = 1024 * 1024
METADATA = {"created_at": "2027-01-01T00:00:00Z", "assignment": {"due_date": "2027-02-01T00:00:00Z"}, "users": []}


@dataclass
class Proc:
    role: str
    command: str  # run_autograder execs the grader: the same pid, a new command line and role
    rss: int = 0  # peak, bytes
    pss: int = 0


@dataclass
class Run:
    assignment: str
    seconds: float
    peak_pss: int  # the peak of the sum over the tree
    peak_rss: int
    processes: dict[int, Proc] = field(default_factory=dict)
    score: str = ""
    cgroup: str = ""


def memory(pid: int) -> tuple[int, int] | None:
    """(Rss, Pss) in bytes from smaps_rollup; None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines()[1:]:
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            values[key] = int(rest.split()[0]) * 1024
    return (values["Rss"], values["Pss"]) if len(values) == 2 else None


def parents() -> dict[int, int]:
    """pid -> parent pid of every process (the comm field may hold spaces and parentheses)."""
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def tree(top: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for pid, ppid in parents().items():
        children[ppid].append(pid)
    found, todo = [], [top]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children[pid])
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def role(pid: int, command: str, known: dict[int, Proc]) -> str:
    """What the process is, from its command line; a fork (same command line as its parent) is named after it."""
    try:
        ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        ppid = 0
    if ppid in known and command == known[ppid].command:
        parent = known[ppid].role
        return "sandbox child" if parent == "sandbox zygote" else f"fork of {parent}"
    if "run_autograder" in command:
        return "run_autograder (bash)"
    if "autograder.gradescope.run" in command:
        return "grader"
    if "zygote" in command:
        return "sandbox zygote"
    return command[:60] or f"pid {pid}"


def own_cgroup(controller: str) -> Path:
    """This process's folder of a cgroup v1 controller; exits where there is none."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
            if folder.is_dir():
                return folder
    sys.exit(f"--memory-limit and --cpus need a cgroup v1 {controller} controller (none found)")


class Container:
    """Gradescope's limits on a run: cgroup v1 groups (memory, CPU quota) made for it, or none."""

    def __init__(self, memory_mb: int | None, cpus: float | None) -> None:
        self.groups: dict[str, Path] = {}
        name = f"kit-gradescope-memory-{os.getpid()}"
        if memory_mb is not None:
            # A fresh container has read none of torch's libraries: drop the page cache so that
            # this group is charged for reading them, as Gradescope's container is.
            Path("/proc/sys/vm/drop_caches").write_text("1")
            group = self.groups["memory"] = own_cgroup("memory") / name
            group.mkdir()
            (group / "memory.limit_in_bytes").write_text(str(memory_mb * MB))
            try:  # no swap to fall back on
                (group / "memory.memsw.limit_in_bytes").write_text(str(memory_mb * MB))
            except OSError:
                pass
        if cpus is not None:
            group = self.groups["cpu"] = own_cgroup("cpu") / name
            group.mkdir()
            (group / "cpu.cfs_period_us").write_text("100000")
            (group / "cpu.cfs_quota_us").write_text(str(int(cpus * 100000)))

    def prefix(self) -> list[str]:
        """A command prefix that moves the command into the groups before it runs."""
        if not self.groups:
            return []
        moves = " && ".join(f"echo $$ > {group / 'cgroup.procs'}" for group in self.groups.values())
        return ["sh", "-c", f'{moves} && exec "$@"', "sh"]

    def report(self) -> str:
        group = self.groups.get("memory")
        if group is None:
            return ""
        peak = int((group / "memory.max_usage_in_bytes").read_text())
        oom = (group / "memory.oom_control").read_text().split()
        killed = dict(zip(oom[::2], oom[1::2])).get("oom_kill", "?")
        return f"cgroup peak {peak / MB:.0f} MB (page cache included), OOM kills {killed}"

    def close(self) -> None:
        for group in self.groups.values():
            for _ in range(50):  # the group's last processes may still be exiting
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def layout(zip_path: Path, base: Path, submission: Path) -> Path:
    """Gradescope's folders: the zip in root/source, run_autograder at root, the submission, its metadata."""
    root = base / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():
            (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy(submission, root / "submission" / submission.name)
    (root / "submission_metadata.json").write_text(json.dumps(METADATA))
    return root


def measure(command: list[str], env: dict[str, str], interval: float, cwd: Path) -> Run:
    """Run ``command`` in ``cwd``, sampling its process tree until it exits."""
    start = time.perf_counter()
    log = (cwd / "output.txt").open("w+b")  # a file, not a pipe nobody reads while sampling
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    known: dict[int, Proc] = {}
    peak_pss = peak_rss = 0
    while proc.poll() is None:
        total_pss = total_rss = 0
        for pid in tree(proc.pid):
            sample = memory(pid)
            if sample is None:
                continue
            line = cmdline(pid)  # '' once it is exiting
            if not line and pid not in known:
                continue
            if pid not in known or line and known[pid].command != line:  # new, or it exec'd
                known[pid] = Proc(role(pid, line, known), line)
            entry = known[pid]
            entry.rss, entry.pss = max(entry.rss, sample[0]), max(entry.pss, sample[1])
            total_rss += sample[0]
            total_pss += sample[1]
        peak_pss, peak_rss = max(peak_pss, total_pss), max(peak_rss, total_rss)
        time.sleep(interval)
    log.seek(0)
    output = log.read().decode(errors="replace")
    log.close()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{output}")
    return Run("", time.perf_counter() - start, peak_pss, peak_rss, known)


def bare_torch(python: str, container: Container) -> tuple[int, int]:
    """(Rss, Pss) of a python that has imported torch and nothing else, under the runs' limits."""
    code = "import sys, torch; print('ready', flush=True); sys.stdin.read()"
    proc = subprocess.Popen([*container.prefix(), python, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdout.readline()
    time.sleep(0.2)
    sample = memory(proc.pid)  # the shell of the prefix execs python: the same pid
    proc.stdin.close()
    proc.wait()
    if sample is None:
        sys.exit("could not read the bare torch import's memory")
    return sample


def gradescope_run(assignment: str, python: str, interval: float, container: Container) -> Run:
    with tempfile.TemporaryDirectory(prefix="kit-gs-memory-") as tmp:
        base = Path(tmp)
        zip_path = build_gradescope_zip(load_assignment(KIT_LAYOUT, assignment), base / f"{assignment}.zip").path
        root = layout(zip_path, base, KIT_LAYOUT.solution_file(assignment))
        env = {**os.environ, "AUTOGRADER_ROOT": str(root), "KIT_PYTHON": python}
        run = measure([*container.prefix(), str(root / "run_autograder")], env, interval, cwd=base)
        run.cgroup = container.report()
        results = json.loads((root / "results" / "results.json").read_text())
        run.assignment = assignment
        run.score = f"{results['score']:g}/{sum(t['max_score'] for t in results['tests']):g}"
        return run


def by_role(run: Run) -> dict[str, tuple[int, int, int]]:
    """role -> (how many processes, the largest peak RSS, the largest peak Pss)."""
    roles: dict[str, tuple[int, int, int]] = {}
    for proc in run.processes.values():
        count, rss, pss = roles.get(proc.role, (0, 0, 0))
        roles[proc.role] = (count + 1, max(rss, proc.rss), max(pss, proc.pss))
    return roles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"),
                        help="the grading environment's python (KIT_PYTHON); default .venv/bin/python")
    parser.add_argument("--assignments", nargs="+", default=None, help="default: every assignment")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between samples (default 0.02)")
    parser.add_argument("--memory-limit", type=int, default=None, metavar="MB",
                        help="run inside a memory cgroup with this limit (Gradescope's default: 768)")
    parser.add_argument("--cpus", type=float, default=None,
                        help="run inside a CPU cgroup with this quota (Gradescope's default: 0.5)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("warning: not root: the sandbox's children (other users) are not counted", file=sys.stderr)
    build = subprocess.run([args.python, "-c", "import sys, torch; print(torch.__version__, torch.version.cuda, "
                            "'%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=True)
    torch_version, cuda, py = build.stdout.split()
    print(f"python {py}, torch {torch_version} ({'CPU build' if cuda == 'None' else 'CUDA ' + cuda + ' build'}), "
          f"{os.cpu_count()} CPUs")
    container = Container(args.memory_limit, args.cpus)
    try:
        bare_rss, bare_pss = bare_torch(args.python, container)
    finally:
        container.close()
    print(f'bare `python -c "import torch"`: RSS {bare_rss / MB:.0f} MB, Pss {bare_pss / MB:.0f} MB\n')
    worst = 0
    for assignment in args.assignments or KIT_LAYOUT.assignment_ids():
        container = Container(args.memory_limit, args.cpus)
        try:
            run = gradescope_run(assignment, args.python, args.interval, container)
        finally:
            container.close()
        worst = max(worst, run.peak_pss)
        print(f"{assignment}: score {run.score}, {run.seconds:.1f} s; peak of the tree's summed Pss "
              f"{run.peak_pss / MB:.0f} MB = {run.peak_pss / bare_pss:.2f} bare torch imports "
              f"({run.peak_pss / (GRADESCOPE_MB * MB):.0%} of {GRADESCOPE_MB} MB); summed RSS {run.peak_rss / MB:.0f} MB")
        for name, (count, rss, pss) in sorted(by_role(run).items(), key=lambda item: -item[1][2]):
            print(f"    {name:<24} x{count:<3} peak RSS {rss / MB:6.0f} MB   peak Pss {pss / MB:6.0f} MB")
        if run.cgroup:
            print(f"    {run.cgroup}")
    print(f"\nworst peak: {worst / MB:.0f} MB of Pss = {worst / bare_pss:.2f} bare torch imports; "
          f"Gradescope's default container: {GRADESCOPE_MB} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
