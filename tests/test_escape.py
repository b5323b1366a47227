"""The child cannot undo its sandbox or read what it must not, whoever runs the grader, on whatever host.

tests/escape_probe.py attacks the sandbox directly (no grading rules in the way) and reports
what it saw; it runs on each emulated host of tests/host_modes.py (CI runs as root): full root, a
container's root (no namespaces, read-only cgroups), an ordinary user without user namespaces and
one with them. Where the host gives no namespaces some observations legitimately differ (no private
/tmp or /proc: the child's folder is /tmp/kit-work-*/cN-*, and Landlock denies listing /proc and /tmp;
names outside are visible, their contents not), but what must hold holds everywhere: no canary found,
nothing secret readable, no capabilities, nothing unmounted, the floor held, and only the layers that
host refuses off. Canaries - an environment variable of the grader and a string in another student's
source, graded first by the same worker - must never be found.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, grade_as_user
from host_modes import MODES, command_in
from host_needs import cannot_run, host_variant, is_root, needs

from autograder.sandbox.limits import Limits
from autograder.sandbox.outcome import CaseStatus

pytestmark = pytest.mark.slow  # probes the sandbox from every emulated host

UNPRIVILEGED_UID = 4242
PROBE_UID = 4263  # the ordinary user of the probe's own hosts
needs_root = needs(is_root(), "builds the ordinary user's case as root")
# The layers each host refuses (what its report may name off): cgroups are the machine's to give everywhere.
NO_NAMESPACES = {"cgroup", "network namespace", "allowlist root", "private /tmp", "IPC namespace", "process namespace"}
HOST_REFUSES = {"root": {"cgroup"}, "container": NO_NAMESPACES,
                "user-no-userns": NO_NAMESPACES | {"nested user namespace"}, "user": {"cgroup"}}
WITH_NAMESPACES = {"root", "user"}


def probe(mode: str) -> dict:
    base = Path(tempfile.mkdtemp(prefix="kit-escape-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        env_canary, student_canary = f"env-canary-{secrets.token_hex(8)}", f"student-canary-{secrets.token_hex(8)}"
        other, out = base / "subs" / "other_student.py", base / "out"
        other.parent.mkdir()
        out.mkdir()
        other.write_text(f"# {student_canary}\n")
        if mode.startswith("user"):  # the TA's own files
            for path in (base, other.parent, other, out):
                os.chown(path, PROBE_UID, PROBE_UID)
        fill = {"{ROOT}": str(ROOT), "{OTHER}": str(other), "{OUT}": str(out),
                "{HIDE}": json.dumps([str(other.parent), str(out)]),
                "{CANARY_STUDENT}": student_canary,
                "{CANARIES}": json.dumps([env_canary.encode().hex(), student_canary.encode().hex()])}
        command = command_in(mode, [sys.executable, str(ROOT / "tests" / "escape_probe.py"), json.dumps(fill)],
                             keep=[str(ROOT)], uid=PROBE_UID)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(base), "KIT_GRADER_TOKEN": env_canary}
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=str(base))
        assert proc.returncode == 0, proc.stderr[-3000:]
        for text in (proc.stdout, proc.stderr):
            assert env_canary not in text and student_canary not in text.replace(f'"first student": "{student_canary}"', "")
        report = json.loads(proc.stdout)
        assert report["first student"] == student_canary  # it ran, in the same worker, before the attacks
        report["mode"] = mode
        return report
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module", params=MODES)
def report(request):
    if os.geteuid() != 0:
        cannot_run("emulating a host needs the test to run as root")
    return probe(request.param)


def test_does_the_floor_hold_with_only_what_the_host_refuses_off(report):
    assert report["floor_held"], report["guarantees"]
    off = [p.split(" (", 1)[0] for p in report["protections_off"]]
    assert set(off) <= HOST_REFUSES[report["mode"]], report["protections_off"]


def test_is_the_child_in_cgroups_of_its_own_where_the_machine_allows(report):
    if any(p.startswith("cgroup") for p in report["protections_off"]):
        # Full root is given cgroups wherever the kit is meant to run (CI included); an emulated container or an
        # ordinary user gets them only where the machine delegates a subtree, which this one may not.
        why = f"the {report['mode']} host here gives no cgroups (reported in the protections line)"
        cannot_run(why) if report["mode"] == "root" else host_variant(why)
    assert [name.startswith("kit-") for name in report["undo"]["cgroups"]] == [True, True]


def test_has_the_child_no_capabilities(report):
    undo = report["undo"]
    assert {k: undo[k] for k in ("CapEff", "CapPrm", "CapAmb")} == dict.fromkeys(("CapEff", "CapPrm", "CapAmb"),
                                                                                "0000000000000000")
    assert undo["NoNewPrivs"] == "1"  # so no exec can give any back
    if report["mode"] != "user-no-userns":  # an ordinary user without a namespace of its own cannot empty it
        assert undo["CapBnd"] == "0000000000000000"


def test_can_the_child_unmount_or_remount_nothing(report):
    undo = report["undo"]
    assert [k for k, v in undo.items() if k.startswith(("umount", "remount")) and v] == []
    # In a user namespace of its own it is root again, yet every mount stays locked.
    assert undo["nested namespace"] in (0, 1)
    if report["mode"] not in WITH_NAMESPACES:
        assert undo["nested namespace"] == 0  # the seccomp filter refuses the namespace itself


def test_does_the_child_see_only_its_own_processes_and_files(report):
    undo = report["undo"]
    assert undo["processes"] == "denied" or len(undo["processes"]) <= 3  # Landlock: no /proc but its own
    assert undo["secrets"] == []  # nothing of the kit, the batch or the host can be read
    assert undo["kit"] == "denied" or set(undo["kit"]) <= {".venv"}  # a venv inside the kit is all it shows
    if report["mode"] in WITH_NAMESPACES:
        assert undo["visible"] == []  # not even their names: the allowlist root holds none of them
    else:
        assert undo["processes"] == undo["tmp"] == undo["kit"] == "denied"
    # A private /tmp: the child's own folder, and, when the kit or its Python lives under /tmp (as in a
    # CI clone there), only the grafted path down to them, read-only.
    grafted = {Path(p).resolve().relative_to("/tmp").parts[0] for p in (ROOT, sys.executable)
               if Path(p).resolve().is_relative_to("/tmp")}
    assert undo["tmp"] == "denied" or all(name.startswith(("kit-", "c")) or name in grafted
                                          for name in undo["tmp"]), undo["tmp"]


def test_can_honest_code_import_what_it_needs(report):
    """Imports inside a graded function (not preloaded by the zygote) work whatever user the child runs as."""
    assert report["imports"] == dict.fromkeys(("statistics", "fractions", "scipy.special"), "ok"), report["imports"]


def test_is_no_canary_in_the_childs_memory_or_environment(report):
    assert report["scanner control"] == [0]  # the scan does find what is there (its own source)
    assert report["secrets in memory"] == []
    assert "KIT_GRADER_TOKEN" not in report["environment"]
    assert "escape_probe" not in report["environment"]  # not the grader's command line either


def test_does_the_child_hold_no_input_of_a_case_not_yet_running(report):
    markers = [1111.5, 2222.5, 3333.5]
    for index, seen in enumerate(report["other cases seen"]):
        assert isinstance(seen, list), seen
        assert [m for m in seen if markers.index(m) > index] == []


def test_does_a_tripwire_count_even_when_the_child_erases_it_and_exits(report):
    outcome = report["tripwire"]
    assert outcome["status"] == "crashed"
    assert outcome["banned"] == ["torch.sigmoid"]


_WHERE_PROBE = r'''
import json, os, sys
sys.path.insert(0, os.getcwd())
from autograder.layout import KIT_LAYOUT
from autograder.sandbox.client import Sandbox
from autograder.sandbox.launch import ZygotePool
SOURCE = """
import os
def look(base, token):
    seen = {}
    for name in ("scipy.special", "sklearn.linear_model"):
        try:
            __import__(name)
            seen[name] = True
        except Exception as e:
            seen[name] = repr(e)[:200]
    seen["visible"] = [p for p in (base + "/kit/solutions", base + "/kit/assignments", base + "/other/solutions",
                                   base + "/host-marker") if os.path.exists(p)]
    try:
        with open("/tmp/escaped-" + token, "w") as f:
            f.write("x" * 1000)
    except OSError:
        pass
    return seen
"""
with Sandbox(ZygotePool(KIT_LAYOUT)) as sandbox:
    sandbox.wait_ready()
    run = sandbox.run_part(SOURCE, {"kind": "call", "function": "look"}, [((sys.argv[1], sys.argv[2]), {})], wall_s=120)
    outcome = run.outcomes[0]
    seen = outcome.result if outcome.status == "ok" else vars(outcome)
    print(json.dumps({"off": sandbox.protections_off, "seen": seen}, default=repr))
'''


@needs_root
def test_does_a_kit_under_tmp_with_a_symlinked_venv_get_its_packages_and_nothing_else(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="kit-where-", dir="/tmp"))
    try:
        kit = base / "kit"
        shutil.copytree(ROOT, kit, symlinks=True, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "dist",
                                                                                 ".pytest_cache"))
        (kit / ".venv").symlink_to(Path(sys.prefix).resolve())  # a venv kept elsewhere, linked in
        (base / "other" / "solutions").mkdir(parents=True)  # another kit copy beside it
        (base / "other" / "solutions" / "secret.py").write_text("SECRET = 1\n")
        (base / "host-marker").write_text("on the host's /tmp\n")
        token = secrets.token_hex(6)
        proc = subprocess.run([str(kit / ".venv" / "bin" / "python"), "-c", _WHERE_PROBE, str(base), token],
                              cwd=kit, capture_output=True, text=True, timeout=600,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        assert proc.returncode == 0, proc.stderr[-3000:]
        report = json.loads(proc.stdout)
        assert [p for p in report["off"] if not p.startswith("cgroup")] == []
        assert report["seen"] == {"scipy.special": True, "sklearn.linear_model": True, "visible": []}
        assert not Path(f"/tmp/escaped-{token}").exists()  # its /tmp was its own
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _segments(size: int) -> int:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return sum(1 for line in lines if int(line.split()[3]) == size)


def test_does_system_v_shared_memory_die_with_the_child(sandbox):
    size = 96 * 1024 * 1024 + 4096  # an odd size, to tell its segments from anything else's
    source = (f"import ctypes\ndef make():\n    libc = ctypes.CDLL(None, use_errno=True)\n"
              f"    return [libc.shmget(0, {size}, 0o1000 | 0o600) for _ in range(4)]\n")
    before = _segments(size)
    run = sandbox.run_part(source, {"kind": "call", "function": "make"}, [((), {})], wall_s=20, tripwires=False)
    ids = run.outcomes[0].result
    assert ids == [-1] * 4  # refused (the seccomp filter), whatever IPC namespace it has
    assert _segments(size) == before


@needs_root
def test_does_an_ordinary_user_grade_attacks_beside_correct_work():
    """The whole grader as a TA's account: attacks fail, correct work gets full marks, no canary leaks."""
    correct = (ROOT / "examples" / "linear_regression" / "alice_correct.py").read_text()
    base = Path(tempfile.mkdtemp(prefix="kit-as-user-", dir="/tmp"))
    try:
        subs, out = base / "subs", base / "out"
        subs.mkdir()
        out.mkdir()
        env_canary, student_canary = f"env-canary-{secrets.token_hex(8)}", f"student-canary-{secrets.token_hex(8)}"
        fill = {"{ROOT}": str(ROOT), "{OTHER}": str(subs / "alice.py"), "{OUT}": str(out),
                "{CANARIES}": repr([env_canary.encode().hex(), student_canary.encode().hex()])}
        (subs / "alice.py").write_text(f"# {student_canary}\n" + correct)
        for attack in ("undo_sandbox", "scans_memory"):
            text = (ROOT / "tests" / "hostile" / f"{attack}.py").read_text()
            for key, value in fill.items():
                text = text.replace(key, value)
            (subs / f"{attack}.py").write_text(correct + "\n\n" + text)
        proc = grade_as_user(UNPRIVILEGED_UID, base, subs, out, jobs=2, env={"KIT_GRADER_TOKEN": env_canary})
        assert proc.returncode == 0, proc.stderr[-3000:]
        results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}
        assert results["alice"]["score"] == 17
        for attack, says in (("undo_sandbox", "raised PermissionError: the sandbox held"),
                             ("scans_memory", "raised PermissionError: no secret in memory")):
            part = next(t for t in results[attack]["tests"] if t["name"] == "cost_gradients")
            assert part["score"] == 0 and says in part["output"], part["output"]
        texts = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and p.parent.name != "alice"]
        assert [t for t in texts + [proc.stdout, proc.stderr] if env_canary in t or student_canary in t] == []
        # The one sandbox line: the floor held, and only what an ordinary user cannot have here is off.
        said = [line for line in proc.stderr.splitlines() if line.startswith("sandbox:")]
        assert len(said) == 1 and said[0].startswith("sandbox: every guarantee of the floor held;")
        assert said[0].split("; off here: ")[1].startswith("cgroup (") and said[0].count("; off here: ") == 1
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_is_a_submissions_total_memory_bounded_not_each_process(sandbox):
    sandbox.wait_ready()
    if any(p.startswith("per-submission cgroup") for p in sandbox.protections_off):
        cannot_run("no cgroups on this machine (reported in the protections line)")
    # Each process stays under its own address-space limit (256 MiB more than torch's mappings);
    # together they need 4 x 200 MiB, over the child's cgroup (256 + 512 MiB).
    source = ("import os\ndef spread():\n    pids = []\n    for _ in range(4):\n        pid = os.fork()\n"
              "        if pid == 0:\n            block = b'x' * (200 << 20)\n            import time\n"
              "            time.sleep(2)\n            os._exit(0)\n        pids.append(pid)\n"
              "    return [os.waitpid(p, 0)[1] for p in pids]\n")
    run = sandbox.run_part(source, {"kind": "call", "function": "spread"}, [((), {})], wall_s=30,
                           limits=Limits(address_space_bytes=256 << 20), tripwires=False)
    statuses = run.outcomes[0].result
    assert len(statuses) == 4 and 9 in [os.WTERMSIG(s) for s in statuses if os.WIFSIGNALED(s)]


def test_do_hidden_cases_run_only_after_every_public_case(sandbox):
    """A public case's message is shown at once: it must never run where a hidden case's inputs have been."""
    import torch
    source = "SEEN = []\ndef mark(x):\n    SEEN.append(float(x))\n    return list(SEEN)\n"
    driver = {"kind": "call", "function": "mark"}
    parts = [(driver, [((torch.tensor(1.0),), {}, False), ((torch.tensor(2.0),), {}, True)], 10.0),
             (driver, [((torch.tensor(3.0),), {}, False), ((torch.tensor(4.0),), {}, True)], 10.0)]
    runs = sandbox.run_submission(source, parts, tripwires=False)
    assert [[o.result for o in run.outcomes] for run in runs] == [[[1.0], [1.0, 3.0, 2.0]],
                                                                    [[1.0, 3.0], [1.0, 3.0, 2.0, 4.0]]]


def test_does_a_part_that_fails_on_a_public_case_skip_its_hidden_ones(sandbox):
    import torch
    source = "import time\ndef slow(x):\n    time.sleep(60)\ndef quick(x):\n    return x + 1\n"
    parts = [({"kind": "call", "function": "slow"}, [((torch.tensor(1.0),), {}, False),
                                                   ((torch.tensor(2.0),), {}, True)], 1.0),
             ({"kind": "call", "function": "quick"}, [((torch.tensor(3.0),), {}, False),
                                                    ((torch.tensor(4.0),), {}, True)], 10.0)]
    start = time.monotonic()
    runs = sandbox.run_submission(source, parts, tripwires=False)
    assert time.monotonic() - start < 8
    assert [o.status for o in runs[0].outcomes] == [CaseStatus.TIMEOUT, CaseStatus.TIMEOUT]
    assert [float(o.result) for o in runs[1].outcomes] == [4.0, 5.0]
