"""Root for the student: graded inside a disposable root (tests/disposable_root.py) on every host of
tests/host_modes.py, a submission plants links and folders where later children's folders (or a later
zygote's) might go and goes for /, /lib, /usr, the zygote's base folder and the kit; an honest
submission graded after it, by the same worker, must get exactly its own score, and nothing outside the
children's folders may change: the disposable root's /, its system folders, the kit and the submissions
(owner, mode, contents) are compared before and after. The real / is never at risk.

The old sandbox worked in its current folder (/) when /tmp was unusable and handed it to the student's
user. tests/hostile/plants_tmp.py is that attack and more; tests/hostile/deep_folders.py leaves a folder
3,000 levels deep (it once ended the zygote while removing it, and every later zygote of the same user).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, live_processes_of
from host_modes import MODES, can_emulate, command_in
from host_needs import cannot_run, needs

pytestmark = pytest.mark.slow  # grades in a disposable root on every emulated host

CORRECT = EXAMPLES / "linear_regression" / "alice_correct.py"
HOSTILE = ROOT / "tests" / "hostile"
UID_BASE = 63000  # this module's sandbox users (root and container)
ORDINARY_UID = 4264  # the ordinary user's hosts' grader
BATCH = "/batch"  # where the submissions and results are in the disposable root
needs_root = needs(can_emulate(), "a disposable root and emulated hosts need root")


def students_uids(mode: str) -> list[int]:
    return [ORDINARY_UID] if mode.startswith("user") else list(range(UID_BASE, UID_BASE + 256))


_TWICE = ("import subprocess, sys; n = sys.argv.index('--'); grade = sys.argv[n + 1:]; "
          "codes = [subprocess.run(grade + ['--out', out]).returncode for out in sys.argv[1:n]]; "
          "sys.exit(max(codes))")


def grade_in_disposable_root(tmp_path: Path, mode: str, submissions: dict[str, str], runs: int = 1) -> dict:
    """Grade the submissions (name -> source), `runs` times over (a fresh worker each time), with one job slot,
    in a disposable root on the host `mode`: the launcher's report and each run's results."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, text in submissions.items():
        (subs / f"{name}.py").write_text(text)
    uid = ORDINARY_UID if mode.startswith("user") else 0
    outs = [f"{BATCH}/out{n}" for n in range(runs)]
    grade = [sys.executable, "-m", "autograder", "grade", "linear_regression", f"{BATCH}/subs", "--jobs", "1",
             "--quiet"]
    command = command_in(mode, [sys.executable, "-c", _TWICE, *outs, "--", *grade], keep=[str(ROOT), BATCH],
                         uid=ORDINARY_UID)
    spec = {"command": command, "cwd": str(ROOT), "kit": str(ROOT),
            "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1",
                    "KIT_SANDBOX_UID_BASE": str(UID_BASE)},
            "copies": {f"{BATCH}/subs": str(subs)}, "chown": {f"{BATCH}/subs": [uid, uid]},
            "folders": {BATCH: [uid, uid, 0o755], **{out: [uid, uid, 0o755] for out in outs}},
            "export": {out: str(tmp_path / Path(out).name) for out in outs}, "report": str(tmp_path / "report.json")}
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "disposable_root.py"), json.dumps(spec)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    report["stderr"] = proc.stderr
    report["results"] = [{p.parent.name: json.loads(p.read_text())
                          for p in (tmp_path / Path(out).name).glob("*/results.json")} for out in outs]
    report["left"] = live_processes_of(students_uids(mode))
    return report


def part(results: dict, name: str, part_name: str) -> dict:
    return next(t for t in results[name]["tests"] if t["name"] == part_name)


def assert_nothing_changed(report: dict) -> None:
    assert report["exit"] == 0, report["stderr"][-3000:]
    # The system's folders, the interpreter and the kit's venv: their overlays' upper layers are empty.
    assert {path: files for path, files in report["uppers"].items() if files} == {}
    assert {"/usr", "/etc"} <= set(report["overlays"])
    # /, /tmp, /lib (a link here, or a folder), the kit's copy and the submissions: as they were.
    assert (report["added"], report["removed"], report["changed"]) == ([], [], {})
    assert report["paths"] > 100  # the kit's copy was looked at
    assert report["left"] == []


@pytest.fixture(scope="module")
def honest_alone(tmp_path_factory) -> dict:
    """What the honest submission gets graded alone, in a disposable root on full root."""
    if not can_emulate():
        cannot_run("a disposable root needs root")
    report = grade_in_disposable_root(tmp_path_factory.mktemp("alone"), "root", {"b_honest": CORRECT.read_text()})
    return report["results"][0]["b_honest"]


def _strip(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "execution_time"}


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_is_there_no_root_for_the_student(tmp_path, mode, honest_alone):
    text = (HOSTILE / "plants_tmp.py").read_text()
    for key, value in {"{ROOT}": str(ROOT), "{OUT}": f"{BATCH}/out0", "{OTHER}": f"{BATCH}/subs/b_honest.py"}.items():
        text = text.replace(key, value)
    report = grade_in_disposable_root(tmp_path, mode, {"a_plants_tmp": CORRECT.read_text() + "\n\n" + text,
                                                       "b_honest": CORRECT.read_text()})
    results = report["results"][0]
    attacked = part(results, "a_plants_tmp", "cost_gradients")
    failures = []  # every one of them, not only the first: each is a finding of its own
    if attacked["score"] != 0 or "raised PermissionError: nothing planted outside its own folder" not in \
            attacked["output"]:
        failures.append("the attack: " + attacked["output"])
    # The honest student after it, in the same worker, gets exactly what it gets alone.
    if _strip(results["b_honest"]) != _strip(honest_alone):
        failures.append("the honest student after it: " + results["b_honest"]["output"])
    try:
        assert_nothing_changed(report)
    except AssertionError as e:
        failures.append(f"the disposable root: {e}")
    assert not failures, "\n\n".join(failures)


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_does_a_folder_3000_deep_cost_only_its_maker(tmp_path, mode, honest_alone):
    deep = CORRECT.read_text() + "\n\n" + (HOSTILE / "deep_folders.py").read_text()
    report = grade_in_disposable_root(tmp_path, mode, {"a_deep_folders": deep, "b_honest": CORRECT.read_text()},
                                      runs=2)
    for results in report["results"]:  # the second run's worker finds whatever the first left
        # Its folders are made in the sandbox all the same; the rules refuse os.mkdir and os.chdir, so its
        # cost_gradients and gradient_descent, which calls it, earn nothing (17 - 4 - 4).
        assert results["a_deep_folders"]["score"] == 9, results["a_deep_folders"]["output"]
        assert _strip(results["b_honest"]) == _strip(honest_alone), results["b_honest"]["output"]
    assert_nothing_changed(report)  # no work folder, base or staging folder left in /tmp
