"""Hostile submissions, on every kind of host: the grader survives, the attacked part gets the right
verdict, and nothing else changes - every submission gets in a batch exactly what it gets alone.

Each attack in tests/hostile/ is appended to a correct submission (a later definition
replaces the correct one), so all its other parts are correct code.

The batch is graded by the `grade` command on each emulated host of tests/host_modes.py: full root
(namespaces, cgroups, a sandbox user per slot), a container's root (no namespaces, read-only cgroups:
the floor and a sandbox user), an ordinary user without user namespaces (the floor alone, the child
the grader's own user) and an ordinary user with them. Full root grades it twice (the second run must
give the same results); every other host once (CI time), each against what every submission gets
graded alone, in this process.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.grading.grade import grade_submission, make_plan
from autograder.grading.results import results_json
from autograder.layout import KIT_LAYOUT
from autograder.sandbox import isolation
from autograder.sandbox.client import Sandbox
from autograder.sandbox.launch import ZygotePool
from conftest import EXAMPLES, ROOT, live_processes_of, notebook_json
from host_modes import MODES, can_emulate, command_in
from host_needs import cannot_run, host_variant

pytestmark = pytest.mark.slow  # the hostile batch graded on every emulated host

HOSTILE = ROOT / "tests" / "hostile"
CORRECT = EXAMPLES / "linear_regression" / "alice_correct.py"

# attack -> (the part it attacks, its score there, what the feedback must say)
# Most of this code is now refused by the rule verifier too (it uses os,
# socket, ctypes, open ...: RULE_BROKEN below), but it still runs in the sandbox, and each case's line
# still says what the sandbox did to it ("raised PermissionError: no damage done").
VERDICTS = {
    "monkeypatch_comparisons": ("cost_gradients", 0, "dw  FAIL  max |diff|"),
    "lying_objects": ("cost_gradients", 0, "db  FAIL  expected a tensor, got a Liar"),
    "sys_exit": ("cost_gradients", 0, "raised SystemExit"),
    "os_exit": ("cost_gradients", 0, "stopped before it finished this case (did it call os._exit?)"),
    "kill_everything": ("cost_gradients", 0, "expected a tuple (dw, db), got None"),  # it outlives its own SIGKILL as init of its namespace
    "infinite_loop": ("fit_direct", 0, "did not finish within 10 s"),
    "sleeps": ("fit_direct", 0, "did not finish within 10 s"),
    "fork_bomb": ("fit_direct", 0, "did not finish within 10 s"),
    "setsid_escape": ("cost_gradients", 0, ""),
    "memory_bomb": ("fit_direct", 0, "DefaultCPUAllocator: can't allocate memory"),
    "floods_output": ("cost_gradients", 4, "cases passed"),
    "forged_results": ("cost_gradients", 0, ""),
    "reads_secrets": ("cost_gradients", 0, "raised FileNotFoundError: nothing to read"),
    "writes_and_deletes": ("cost_gradients", 0, "raised PermissionError: no damage done"),
    "network": ("cost_gradients", 0, "raised ConnectionError: no network"),
    "modifies_inputs": ("cost_gradients", 0, "modified one of its inputs in place"),
    "uses_autograd": ("cost_gradients", 0, "uses torch.autograd.grad (line"),
    "obfuscated_autograd": ("cost_gradients", 0, "uses importlib.import_module (line"),
    "nan_inf_zero": ("cost_gradients", 0, "got nan - use a numerically stable form"),
    "code_at_import": ("cost_gradients", 0, "while the file loads"),
    "floods_frames": ("cost_gradients", 0, "wrote garbage where its results go"),
    "nested_frames": ("cost_gradients", 0, "wrote garbage where its results go"),
    "scans_memory": ("cost_gradients", 0, "raised PermissionError: no secret in memory"),
    "undo_sandbox": ("cost_gradients", 0, "raised PermissionError: the sandbox held"),
    # The findings of "a sandbox that holds on every host graders run on" (plants_tmp.py, root for the
    # student, is graded in a disposable root by tests/test_disposable_root.py).
    "network_exfiltrates": ("cost_gradients", 0, "raised ConnectionError: nothing got out"),
    "reads_the_batch": ("cost_gradients", 0, "raised PermissionError: nothing of the batch could be read"),
    "sysv_shm": ("cost_gradients", 0, "raised PermissionError: System V IPC refused"),
    "outlives_grader": ("cost_gradients", 0, ""),
    "keyring_writes": ("cost_gradients", 0, "raised PermissionError: the keyring refused"),
    "keyring_reads": ("cost_gradients", 0, "raised PermissionError: the keyring refused"),
    "imports_lazily": ("cost_gradients", 4, "cases passed"),  # honest: imports inside the function
}
# Where a host legitimately gives another verdict (still no points): (attack, mode) -> what it must say.
# Without a process namespace the child is not init, so its own SIGKILL does kill it.
MODE_SAYS = {
    ("kill_everything", "container"): "it was killed (SIGKILL)",
    ("kill_everything", "user-no-userns"): "it was killed (SIGKILL)",
}
# The attacks the rule verifier refuses as well: their part also carries the rule message.
RULE_BROKEN = {"monkeypatch_comparisons", "lying_objects", "sys_exit", "os_exit", "kill_everything", "fork_bomb",
               "setsid_escape", "forged_results", "reads_secrets", "writes_and_deletes", "network", "uses_autograd",
               "obfuscated_autograd", "code_at_import", "floods_frames", "nested_frames", "scans_memory",
               "undo_sandbox", "network_exfiltrates", "reads_the_batch", "sysv_shm", "outlives_grader",
               "keyring_writes", "keyring_reads"}
ENV_CANARY = "grader-env-canary-" + os.urandom(6).hex()
STUDENT_CANARY = "student-canary-" + os.urandom(6).hex()
KEY_CANARY = "grader-key-canary-" + os.urandom(6).hex()
PEAK_MEMORY_MB = 1000  # the grader's (or a worker's) largest resident size for this whole batch
_PEAK = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
         "print('peak', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, file=sys.stderr); "
         "sys.exit(code)")
_SYSCALLS = {"x86_64": {"add_key": 248, "keyctl": 250}, "aarch64": {"add_key": 217, "keyctl": 219}}
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR, KEYCTL_DESCRIBE, KEYCTL_SEARCH, KEYCTL_READ = 1, 7, 6, 10, 11
# The grader's session keyring holds a key with a canary; children inherit that keyring (then exec the rest).
_WITH_A_KEY = ("import ctypes, os, sys; libc = ctypes.CDLL(None, use_errno=True); n = {n}; "
               "libc.syscall(n['keyctl'], 1, None); s = sys.argv[1].encode(); "
               "assert libc.syscall(n['add_key'], b'user', b'kit-grader-secret', s, len(s), -3) >= 0; "
               "os.execv(sys.argv[2], sys.argv[2:])")


class Listeners:
    """What a submission could send to on this machine: a TCP and a UDP port on 127.0.0.1 (the same
    number, and TCP on ::1 where it is free), a UNIX stream and datagram socket at a path anyone may
    connect to, and an abstract UNIX socket; each records every connection and byte it gets."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="kit-listen-", dir="/tmp")
        os.chmod(self.folder, 0o755)
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        servers = [self.tcp]
        try:
            tcp6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            tcp6.bind(("::1", self.port))
            servers.append(tcp6)
        except OSError:
            pass
        self.unix = os.path.join(self.folder, "listen.sock")
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(self.unix)
        self.unix_dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.unix_dgram.bind(self.unix + ".dgram")
        for path in (self.unix, self.unix + ".dgram"):
            os.chmod(path, 0o777)
        self.abstract = "kit-adversarial-" + os.urandom(6).hex()
        abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        abstract.bind("\0" + self.abstract)
        servers += [unix, abstract]
        for server in servers:
            server.listen()
        self.servers = servers
        self.connections = 0
        self.received = b""
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        streams: list[socket.socket] = []
        while not self.stop:
            ready, _, _ = select.select([*self.servers, self.udp, self.unix_dgram, *streams], [], [], 0.2)
            for sock in ready:
                try:
                    if sock in self.servers:
                        conn, _ = sock.accept()
                        self.connections += 1
                        streams.append(conn)
                    else:
                        data = sock.recv(65536)
                        self.received += data or b""
                        if not data and sock in streams:
                            streams.remove(sock)
                            sock.close()
                except OSError:
                    continue
        for sock in [*streams, *self.servers, self.udp, self.unix_dgram]:
            sock.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        shutil.rmtree(self.folder, ignore_errors=True)


class PlantedSegment:
    """A System V segment another process of the machine left (mode 0666), holding a canary: no child may
    attach it. Its atime stays 0 until something does."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.shmat.restype = ctypes.c_void_p
        self.key = int.from_bytes(os.urandom(3), "little") + 0x4B000000
        self.id = self.libc.shmget(self.key, 4096, 0o1000 | 0o2000 | 0o666)  # IPC_CREAT | IPC_EXCL
        assert self.id >= 0, ctypes.get_errno()
        address = self.libc.shmat(self.id, None, 0)
        ctypes.memmove(address, STUDENT_CANARY.encode(), len(STUDENT_CANARY))
        self.libc.shmdt(ctypes.c_void_p(address))

    def attached_since(self) -> bool:
        for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1]) == self.id:
                return int(fields[6]) != 0 or int(fields[10]) != 0  # nattch, atime
        return True  # gone: something removed it

    def close(self) -> None:
        self.libc.shmctl(self.id, 0, None)  # IPC_RMID


def ipc_objects(uids) -> list[str]:
    """System V objects that belong to uids, and any 1 GiB-and-3-pages segment (sysv_shm.py's)."""
    wanted, found = set(uids), []
    for kind in ("shm", "sem", "msg"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        header = lines[0].split()
        for line in lines[1:]:
            fields = dict(zip(header, line.split()))
            if int(fields["uid"]) in wanted or (kind == "shm" and int(fields["size"]) == (1 << 30) + 3 * 4096):
                found.append(f"{kind}: {line.strip()}")
    return found


_USER_KEYS = r"""
import ctypes, os, sys
uid, action = int(sys.argv[1]), sys.argv[2]
os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
libc = ctypes.CDLL(None, use_errno=True); n = %r
if action == "plant":
    s = sys.argv[3].encode()
    assert libc.syscall(n["add_key"], b"user", b"kit-grader-secret", s, len(s), -4) >= 0
elif action == "clear":
    libc.syscall(n["keyctl"], 7, -4)
else:
    ids = (ctypes.c_int32 * 256)()
    size = libc.syscall(n["keyctl"], 11, -4, ids, ctypes.sizeof(ids))
    names = []
    for key in ids[:max(0, min(size, ctypes.sizeof(ids)) // 4)]:
        text = ctypes.create_string_buffer(512)
        libc.syscall(n["keyctl"], 6, key, text, 512)
        names.append(text.value.decode(errors="replace").rsplit(";", 1)[-1])
    print(" ".join(names))
""" % (_SYSCALLS.get(os.uname().machine, {}),)


def user_keys(uid: int, action: str = "list", *args: str) -> str:
    """Plant a key in uid's user keyring, clear it, or list its keys' descriptions (as uid, in a process of its own)."""
    done = subprocess.run([sys.executable, "-c", _USER_KEYS, str(uid), action, *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def scored(data: dict) -> list[dict]:
    """The scored tests of a results.json: one per part ("<part> (hidden case details)" are not)."""
    return [t for t in data["tests"] if not t["name"].endswith(" (hidden case details)")]


def strip_timings(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "execution_time"}


def differences(a: dict, b: dict) -> str:
    """The tests whose entries differ, both versions, for a readable failure."""
    out = [f"top: {a.get('output')!r} != {b.get('output')!r}"] if a.get("output") != b.get("output") else []
    for x, y in zip(a.get("tests", []), b.get("tests", [])):
        if x != y:
            out.append(f"{x['name']}:\n--- one ---\n{x['output']}\n--- other ---\n{y['output']}")
    return "\n".join(out)


UID_BASE = 64000  # this module's own sandbox users: other graders on the machine use the default range
ORDINARY_UID = {"user-no-userns": 4261, "user": 4262}  # the ordinary users' own: nothing else runs as them


def sandbox_uids(mode: str) -> list[int]:
    """Whose processes the students' are on this host: the sandbox users, or the grader's own user."""
    if mode in ORDINARY_UID:
        return [ORDINARY_UID[mode]]
    return list(range(UID_BASE, UID_BASE + isolation.UID_COUNT))


def write_batch(subs: Path, out: Path, fill: dict[str, str]) -> Path:
    """The hostile submissions, two hostile notebooks and another (correct) student; returns that student's file."""
    other = subs / "zz_other_student.py"
    other.write_text(f"# {STUDENT_CANARY}\n" + CORRECT.read_text() + f"\nNOTE = {STUDENT_CANARY!r}\n")
    fill = {"{ROOT}": str(ROOT), "{OTHER}": str(other), "{OUT}": str(out), **fill,
            "{CANARIES}": repr([ENV_CANARY.encode().hex(), STUDENT_CANARY.encode().hex()])}
    for attack in VERDICTS:
        text = (HOSTILE / f"{attack}.py").read_text()
        for key, value in fill.items():
            text = text.replace(key, value)
        (subs / f"{attack}.py").write_text(CORRECT.read_text() + "\n\n# ---- the attack ----\n" + text)
    cells = [("code", CORRECT.read_text()), ("code", "x = 1\n" * 300_000), ("markdown", "`" * 10)]
    (subs / "huge_cell.ipynb").write_text(notebook_json(*cells))
    (subs / "deep_nesting.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    return other


def outputs(out: Path) -> dict[str, str]:
    """Every file the grader wrote, by path (to compare before and after a late writer had its chance)."""
    return {str(p.relative_to(out)): p.read_text(errors="replace") for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """Every submission graded alone, one at a time, in this process (full root): what each must get anywhere."""
    if os.geteuid() != 0:
        cannot_run("the batch is graded as root and on emulated hosts, which needs root")
    subs, out = tmp_path_factory.mktemp("alone-subs"), tmp_path_factory.mktemp("alone-out")
    listeners = Listeners()
    segment = PlantedSegment()
    try:
        write_batch(subs, out, {"{PORT}": str(listeners.port), "{UNIX}": listeners.unix,
                                "{ABSTRACT}": listeners.abstract, "{SHMKEY}": str(segment.key)})
        plan = make_plan(load_assignment(KIT_LAYOUT, "linear_regression"))
        os.environ["KIT_GRADER_TOKEN"] = ENV_CANARY  # this process is the grader now
        saved_base, isolation.UID_BASE = isolation.UID_BASE, UID_BASE  # what the zygote is told to use
        try:
            with Sandbox(ZygotePool(KIT_LAYOUT, (str(subs), str(out)))) as sandbox:
                results = {path.stem: results_json(grade_submission(plan, path, sandbox))
                           for path in sorted(subs.iterdir())}
        finally:
            del os.environ["KIT_GRADER_TOKEN"]
            isolation.UID_BASE = saved_base
        assert listeners.connections == 0 and listeners.received == b""
        assert not segment.attached_since()
    finally:
        listeners.close()
        segment.close()
    return results


@pytest.fixture(scope="module", params=MODES)
def batch(request, tmp_path_factory):
    """The hostile submissions and three clean ones graded as one batch by `grade` on the host `mode`
    (twice on full root), then 3 s for a detached process to forge what it wanted."""
    mode = request.param
    if not can_emulate():
        cannot_run("emulating a host needs the test to run as root")
    subs, out = tmp_path_factory.mktemp(f"subs-{mode}"), tmp_path_factory.mktemp(f"out-{mode}")
    listeners = Listeners()
    segment = PlantedSegment()
    uid = ORDINARY_UID.get(mode)
    try:
        other = write_batch(subs, out, {"{PORT}": str(listeners.port), "{UNIX}": listeners.unix,
                                        "{ABSTRACT}": listeners.abstract, "{SHMKEY}": str(segment.key)})
        if uid is not None:  # the TA's own files: the grader's user owns the submissions and the results
            for path in (subs, out, *subs.iterdir()):
                os.chown(path, uid, uid)
            user_keys(uid, "clear")
            user_keys(uid, "plant", KEY_CANARY)  # a key of the grader's user: in user-no-userns, the child's too
        guarded = {p: (p.read_bytes(), p.stat().st_mode, p.stat().st_uid)
                   for p in (KIT_LAYOUT.solution_file("linear_regression"), other, ROOT / "README.md",
                             ROOT / "assignments" / "linear_regression" / "cases.toml") if p.exists()}
        folders = {p: (p.stat().st_mode, p.stat().st_uid) for p in (subs, out, ROOT, Path("/tmp"))}
        ipc_before = ipc_objects(sandbox_uids(mode))

        def grade() -> tuple[subprocess.CompletedProcess, dict[str, dict], dict[str, str]]:
            argv = [sys.executable, "-c", _PEAK, sys.executable, "-m", "autograder", "grade", "linear_regression",
                    str(subs), "--out", str(out), "--jobs", "2", "--quiet"]
            command = [sys.executable, "-c", _WITH_A_KEY.format(n=_SYSCALLS[os.uname().machine]), KEY_CANARY,
                       *command_in(mode, argv, keep=[str(ROOT), str(subs), str(out)], uid=uid or 4242)]
            proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900,
                                  env={**os.environ, "KIT_GRADER_TOKEN": ENV_CANARY,
                                       "KIT_SANDBOX_UID_BASE": str(UID_BASE)})
            written = outputs(out)
            time.sleep(3)  # give a detached process the time it wanted for its forged writes
            found = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}
            return proc, found, written

        first_proc, first, written = grade()
        after_wait = outputs(out)
        left = sorted(set(live_processes_of(sandbox_uids(mode))))
        second = second_proc = None
        if mode == "root":
            second_proc, second, _ = grade()
        # Each user's keyring a child could have written to: the grader's own, or the first two sandbox users'.
        user_keyring = " ".join(user_keys(u) for u in ([uid] if uid is not None else [UID_BASE, UID_BASE + 1]))
        yield {"mode": mode, "first": first, "second": second,
               "procs": [p for p in (first_proc, second_proc) if p is not None], "out": out,
               "written": written, "after_wait": after_wait, "left": left, "guarded": guarded,
               "folders": folders, "listeners": listeners, "segment_attached": segment.attached_since(),
               "ipc": [o for o in ipc_objects(sandbox_uids(mode)) if o not in ipc_before],
               "user_keyring": user_keyring, "host_shm": sorted(p.name for p in Path("/dev/shm").glob("kit-student*"))}
    finally:
        listeners.close()
        segment.close()
        if uid is not None:
            user_keys(uid, "clear")
            for pid in live_processes_of([uid]):  # clean up after a failure (reported by its own test)
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass


def verdict(mode: str, attack: str) -> tuple[str, int, str]:
    part, score, says = VERDICTS[attack]
    return part, score, MODE_SAYS.get((attack, mode), says)


def test_does_the_grader_survive_and_exit_0(batch):
    for proc in batch["procs"]:
        assert proc.returncode == 0, proc.stderr
    assert len(batch["first"]) == len(VERDICTS) + 3


def test_does_the_floor_hold_on_this_host(batch):
    """The one sandbox line of the grader: the floor held, and what is off is what this host refuses."""
    for proc in batch["procs"]:
        said = [line for line in proc.stderr.splitlines() if line.startswith("sandbox:")]
        assert len(said) == 1 and said[0].startswith("sandbox: every guarantee of the floor held;"), said


@pytest.mark.parametrize("attack", VERDICTS)
def test_does_the_attacked_part_get_the_right_verdict(batch, attack):
    part, score, says = verdict(batch["mode"], attack)
    tests = {t["name"]: t for t in scored(batch["first"][attack])}
    assert tests[part]["score"] == score, tests[part]["output"]
    assert says in tests[part]["output"], tests[part]["output"]
    rule = "breaks the assignment's rules, so this part earns nothing" in tests[part]["output"]
    assert rule == (attack in RULE_BROKEN), tests[part]["output"]


@pytest.mark.parametrize("attack", VERDICTS)
def test_do_the_parts_it_does_not_touch_keep_full_marks(batch, attack):
    part, _, _ = VERDICTS[attack]
    if attack == "code_at_import":  # what runs while the file loads touches every part: the rules say so
        assert all(t["score"] == 0 and "while the file loads" in t["output"] for t in scored(batch["first"][attack]))
        return
    callers = {"cost_gradients": {"gradient_descent"}}.get(part, set())  # they call the attacked function
    for test in scored(batch["first"][attack]):
        if test["name"] != part and test["name"] not in callers:
            assert test["score"] == test["max_score"], test["output"]


def test_does_every_submission_get_in_the_batch_what_it_gets_alone(batch, alone):
    mode, unlike = batch["mode"], []
    for stem, expected in alone.items():
        got = batch["first"][stem]
        if (stem, mode) in MODE_SAYS:  # another message on this host: the same scores, part by part
            if [t["score"] for t in scored(got)] != [t["score"] for t in scored(expected)]:
                unlike.append(f"{stem} ({mode}): other scores\n{differences(got, expected)}")
        elif strip_timings(got) != strip_timings(expected):
            unlike.append(f"{stem} ({mode})\n{differences(got, expected)}")
    assert not unlike, "\n\n".join(unlike)  # every submission that got something else, not only the first


def test_does_grading_twice_give_identical_results(batch):
    if batch["second"] is None:
        host_variant("graded once on this host (the second run is full root's)")
    for stem in batch["first"]:
        assert strip_timings(batch["first"][stem]) == strip_timings(batch["second"][stem]), \
            f"{stem}\n{differences(batch['first'][stem], batch['second'][stem])}"


def test_are_forged_and_delayed_writes_powerless(batch):
    out = batch["out"]
    assert batch["after_wait"] == batch["written"]  # nothing changed once the grader had exited
    for text in batch["after_wait"].values():
        assert '"score": 1000' not in text
    assert not any(out.glob("pwned*")) and not (out / "hacked.txt").exists()
    assert json.loads((out / "forged_results" / "results.json").read_text())["score"] < 17


def test_are_the_kit_and_other_students_files_untouched(batch):
    for path, (content, mode, uid) in batch["guarded"].items():
        assert path.read_bytes() == content, path
        assert (path.stat().st_mode, path.stat().st_uid) == (mode, uid), path
    for path, (mode, uid) in batch["folders"].items():
        assert (path.stat().st_mode, path.stat().st_uid) == (mode, uid), path
    assert (ROOT / "assignments" / "linear_regression" / "cases.toml").exists()
    assert not (ROOT / "autograder" / "hacked.py").exists()


def test_did_nothing_reach_the_network(batch):
    listeners = batch["listeners"]
    assert (listeners.connections, listeners.received) == (0, b"")


def test_does_system_v_ipc_leave_nothing_and_reach_nothing(batch):
    assert batch["ipc"] == []  # no segment, semaphore or queue of a child's outlives it
    assert not batch["segment_attached"]  # another process's segment was never attached
    assert batch["host_shm"] == []  # nor a file in the host's /dev/shm


def test_is_nothing_left_in_a_keyring(batch):
    # Only the grader's own key (planted by the test): no note of a submission (tests/hostile/keyring_*.py).
    assert "kit-keyring-note" not in batch["user_keyring"], batch["user_keyring"]


def test_is_no_sandbox_process_left_running(batch):
    assert batch["left"] == []  # 3 s after the grader exited
    deadline = time.monotonic() + 5  # the kernel tears a process namespace down asynchronously
    while live_processes_of(sandbox_uids(batch["mode"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_processes_of(sandbox_uids(batch["mode"])) == []


def test_does_no_canary_reach_any_output(batch, alone):
    texts = [p.read_bytes().decode("utf-8", "replace") for p in batch["out"].rglob("*") if p.is_file()
             and p.parent.name != "zz_other_student"]  # that student's own feedback may quote its own file
    texts += [text for proc in batch["procs"] for text in (proc.stdout, proc.stderr)]
    texts += [json.dumps(r) for name, r in alone.items() if name != "zz_other_student"]
    assert len(texts) > 40
    canaries = (ENV_CANARY, STUDENT_CANARY, KEY_CANARY)
    assert [t[:300] for t in texts if any(c in t for c in canaries)] == []


def test_does_the_batch_stay_within_its_memory_and_time(batch):
    for proc in batch["procs"]:
        peak = int(proc.stderr.rsplit("peak ", 1)[1].split()[0])
        assert peak < PEAK_MEMORY_MB, proc.stderr[-2000:]
    for attack in ("floods_frames", "nested_frames"):
        assert (batch["out"] / attack / "results.json").stat().st_size < 100_000


def test_does_a_flood_of_output_keep_results_small(batch):
    assert (batch["out"] / "floods_output" / "results.json").stat().st_size < 1_000_000


def test_are_hostile_notebooks_handled(batch):
    huge = batch["first"]["huge_cell"]
    assert huge["score"] == 17 and "skipped - the cell has more than" in huge["output"]
    deep = batch["first"]["deep_nesting"]
    assert deep["score"] == 0 and "nested too deeply" in deep["output"]
