"""Grading at scale: shards (a stable split, a checked merge), and the trusted workers that do the grading."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.errors import KitError
from autograder.grading.scores import Graded, ScoreRow
from autograder.grading.shards import Shard, ShardManifest, listing_digest, parse_shard, shard_of
from autograder.grading.workers import WorkerPool
from conftest import EXAMPLES, ROOT

LR = EXAMPLES / "linear_regression"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return out


# --- which shard grades what -------------------------------------------------------------------

def test_is_the_split_the_same_in_any_order_whole_and_disjoint():
    names = [f"student{i:03d}" for i in range(300)]
    shuffled = random.Random(1).sample(names, len(names))
    shards = [Shard(k, 3) for k in range(3)]
    split = [sorted(n for n in names if s.takes(n)) for s in shards]
    assert split == [sorted(n for n in shuffled if s.takes(n)) for s in shards]
    assert sorted(sum(split, [])) == names  # every name once
    assert all(len(part) > 60 for part in split)  # a hash, not a first-come split: roughly even
    assert shard_of("alice", 4) == shard_of("alice", 4) and listing_digest(names) == listing_digest(shuffled)


@pytest.mark.parametrize("text, shard", [("0/1", Shard(0, 1)), ("2/3", Shard(2, 3)), ("15/16", Shard(15, 16))])
def test_does_a_k_of_n_parse(text, shard):
    assert parse_shard(text, {}) == shard


@pytest.mark.parametrize("text, says", [
    ("3/3", "--shard 3/3: K must be a whole number from 0 to 2"),
    ("-1/3", "--shard -1/3: K must be a whole number from 0 to 2"),
    ("1", "--shard 1: write K/N, K from 0 to N-1 (e.g. --shard 0/4), or auto/N"),
    ("1/0", "--shard 1/0: write K/N"),
    ("auto/4", "--shard auto/4: none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX is set"),
])
def test_is_a_bad_shard_a_one_line_error(text, says):
    with pytest.raises(KitError) as e:
        parse_shard(text, {})
    assert str(e.value).startswith(says)


@pytest.mark.parametrize("env, shard", [
    ({"SLURM_ARRAY_TASK_ID": "2"}, Shard(2, 4, "SLURM_ARRAY_TASK_ID")),
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1"}, Shard(2, 4, "SLURM_ARRAY_TASK_ID")),  # --array=1-4
    ({"JOB_COMPLETION_INDEX": "0"}, Shard(0, 4, "JOB_COMPLETION_INDEX")),
    ({"AWS_BATCH_JOB_ARRAY_INDEX": "3"}, Shard(3, 4, "AWS_BATCH_JOB_ARRAY_INDEX")),
])
def test_does_auto_take_k_from_the_scheduler_and_say_which(env, shard):
    got = parse_shard("auto/4", env)
    assert (got, got.source) == (shard, shard.source)


def test_is_an_array_index_out_of_range_an_error_naming_the_variable():
    with pytest.raises(KitError, match=r"JOB_COMPLETION_INDEX=4 gives shard 4, outside 0..3; the array must have "
                                       r"exactly 4 tasks"):
        parse_shard("auto/4", {"JOB_COMPLETION_INDEX": "4"})


# --- three shards side by side, merged, against one run ----------------------------------------

MUTATIONS = [None, ("    db = err.sum() / n", "    db = err.sum()"), ("    return torch.mv(X, w) + b", "    return torch.mv(X, w)"),
             ("    return x.unsqueeze(1) ** powers", "    return x.unsqueeze(1) ** powers.flip(0)")]


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    subs = tmp_path_factory.mktemp("subs")
    correct = (LR / "alice_correct.py").read_text()
    for i in range(10):
        mutation = MUTATIONS[i % len(MUTATIONS)]
        (subs / f"s{i:02d}.py").write_text(correct if mutation is None else correct.replace(*mutation))
    shutil.copy(LR / "carol_notebook.ipynb", subs / "carol.ipynb")
    (subs / "broken.ipynb").write_text('{"cells": [')
    return subs


@pytest.fixture(scope="module")
def sharded(batch, tmp_path_factory) -> tuple[Path, list[Path], Path]:
    """One unsharded run (two workers), and three shards run at once (one worker each) then merged."""
    work = tmp_path_factory.mktemp("runs")
    shards = [work / f"shard{k}" for k in range(3)]
    procs = [cli("grade", "linear_regression", str(batch), "--out", str(work / "single"), "--jobs", "2", "--quiet")]
    procs += [cli("grade", "linear_regression", str(batch), "--out", str(s), "--jobs", "1", "--quiet",
                  "--shard", f"{k}/3") for k, s in enumerate(shards)]
    for proc in procs:
        finish(proc)
    merge = cli("merge", *map(str, shards), "--out", str(work / "merged"))
    finish(merge)
    return work / "single", shards, work / "merged"


def files(folder: Path) -> dict[str, bytes]:
    """Every file under folder; results.json and record.json without their execution times."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name in ("record.json", "results.json"):
            record = json.loads(data)
            assert record.pop("elapsed" if path.name == "record.json" else "execution_time") >= 0
            data = json.dumps(record).encode()
        found[path.relative_to(folder).as_posix()] = data
    return found


@pytest.mark.slow
def test_does_the_merge_write_exactly_what_one_run_writes(sharded):
    single, shards, merged = sharded
    expected, got = files(single), files(merged)
    assert sorted(got) == sorted(expected)
    assert [name for name in expected if got[name] != expected[name]] == []
    assert len([n for n in expected if n.endswith("/results.json")]) == 12


def test_does_each_shard_grade_its_share_and_say_so(sharded):
    _, shards, _ = sharded
    manifests = [ShardManifest.read(s) for s in shards]
    assert [m.index for m in manifests] == [0, 1, 2] and {m.count for m in manifests} == {3}
    assert sorted(n for m in manifests for n in m.names) == sorted(
        ["broken", "carol", *[f"s{i:02d}" for i in range(10)]])
    assert all(Shard(m.index, 3).takes(n) for m in manifests for n in m.names)
    for shard, m in zip(shards, manifests):
        graded = {p.name for p in shard.iterdir() if p.is_dir()}
        assert graded == set(m.names)
        assert len((shard / "grades.csv").read_text().splitlines()) == len(m.names) + 1


def test_does_auto_say_where_k_came_from(batch, tmp_path):
    proc = cli("grade", "linear_regression", str(batch / "s00.py"), "--out", str(tmp_path / "o"), "--quiet",
               "--shard", "auto/1", env={"JOB_COMPLETION_INDEX": "0"})
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "shard 0/1 (K from JOB_COMPLETION_INDEX)" in err
    assert ShardManifest.read(tmp_path / "o").names == ["s00"]


# --- merge refuses what is not one whole -------------------------------------------------------

def fake_shard(folder: Path, index: int, count: int = 3, names: tuple[str, ...] = ("a",), assignment: str = "mlp",
               listing: str = "L", submissions: int = 3) -> Path:
    for name in names:
        (folder / name).mkdir(parents=True, exist_ok=True)
    ShardManifest(assignment, index, count, listing, submissions, list(names), ["p"]).write(folder)
    return folder


def merge_error(folders: list[Path], out: Path) -> str:
    from autograder.grading.merge import merge_shards
    with pytest.raises(KitError) as e:
        merge_shards(folders, out)
    return str(e.value)


def test_is_a_missing_shard_refused(tmp_path):
    a, b = fake_shard(tmp_path / "0", 0, names=("a",)), fake_shard(tmp_path / "2", 2, names=("c",))
    assert merge_error([a, b], tmp_path / "out") == "shard 1/3 is missing: 2 of 3 shards given"


def test_is_a_shard_given_twice_refused(tmp_path):
    a, b = fake_shard(tmp_path / "x", 1), fake_shard(tmp_path / "y", 1)
    assert merge_error([a, b], tmp_path / "out") == f"shard 1/3 is given 2 times: {a}, {b}"


def test_are_overlapping_shards_refused(tmp_path):
    a = fake_shard(tmp_path / "0", 0, names=("a", "b"))
    b = fake_shard(tmp_path / "1", 1, names=("b",))
    c = fake_shard(tmp_path / "2", 2, names=())
    assert merge_error([a, b, c], tmp_path / "out") == (f"b was graded in two shards, {a} and {b}: grade each shard "
                                                        "into its own empty folder")


def test_are_shards_of_another_assignment_or_list_refused(tmp_path):
    a = fake_shard(tmp_path / "0", 0)
    other = fake_shard(tmp_path / "1", 1, assignment="linear_regression")
    assert merge_error([a, other], tmp_path / "out").startswith(f"{other} holds shards of linear_regression, {a} of mlp")
    listed = fake_shard(tmp_path / "2", 1, listing="M")
    assert "were graded from different lists of submissions" in merge_error([a, listed], tmp_path / "out")
    assert "is not the --out folder of 'grade --shard K/N'" in merge_error([a, tmp_path], tmp_path / "out")


def test_is_a_shard_folder_as_the_merged_out_refused(tmp_path):
    folders = [fake_shard(tmp_path / str(k), k, names=(f"n{k}",)) for k in range(3)]
    assert merge_error(folders, folders[1]).startswith(f"--out {folders[1]} is one of the shards' folders")


# --- the workers --------------------------------------------------------------------------------

class FakeSandbox:
    """What a worker does with its slot: take it over, close it; release the others'."""

    def __init__(self, slot: int) -> None:
        self.slot = slot

    def adopt(self) -> None:
        pass

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


def row(i: int) -> Graded:
    return Graded(i, ScoreRow(f"s{i}", (), None, False))


def run_pool(task, setup=lambda: None, slots: int = 2) -> tuple[list[int], dict[int, str], WorkerPool]:
    done: list[int] = []
    lost: dict[int, str] = {}
    pool = WorkerPool(task, [FakeSandbox(i) for i in range(slots)], setup, FakeSandbox)
    pool.run(list(range(12)), lambda g: done.append(g.index), lambda i, why: lost.__setitem__(i, why))
    return done, lost, pool


def in_worker(index: int, sandbox) -> Graded:
    """Which process graded it: the row's name carries the pid."""
    return Graded(index, ScoreRow(str(os.getpid()), (), None, False))


@pytest.mark.parametrize("slots", [1, 2])
def test_do_forked_workers_grade_every_submission_away_from_the_grader(slots):
    """With one slot too (--jobs 1, Gradescope): before, it ran in the grader's own process, where no deadline
    held and a dying task took the grader with it."""
    pids: list[str] = []
    pool = WorkerPool(in_worker, [FakeSandbox(i) for i in range(slots)], lambda: None, FakeSandbox)
    pool.run(list(range(12)), lambda g: pids.append(g.row.name), lambda i, why: None)
    assert len(pids) == 12 and str(os.getpid()) not in pids and len(set(pids)) == slots


def dies_on_five(index: int, sandbox) -> Graded:
    if index == 5:
        os._exit(3)
    return row(index)


@pytest.mark.parametrize("slots", [1, 2])
def test_does_a_dead_worker_cost_only_its_submission(slots):
    done, lost, pool = run_pool(dies_on_five, slots=slots)
    assert lost == {5: "the grading worker died (exit code 3) while grading it"}
    assert sorted(done) == [i for i in range(12) if i != 5] and pool.replaced == 1


def raises_on_two(index: int, sandbox) -> Graded:
    if index == 2:
        raise ZeroDivisionError("a bug of ours")
    return row(index)


@pytest.mark.parametrize("slots", [1, 2])
def test_does_a_task_that_raises_cost_only_its_submission(slots):
    done, lost, _ = run_pool(raises_on_two, slots=slots)
    assert lost == {2: "grader failure: ZeroDivisionError: a bug of ours"} and len(done) == 11


def no_gpu() -> None:
    raise KitError("grade --device cuda: no CUDA device is available on this machine")


def test_does_a_worker_that_cannot_start_stop_the_batch_with_its_message():
    with pytest.raises(KitError, match="no CUDA device is available"):
        run_pool(row, setup=no_gpu)
