"""When the OS refuses a layer of the sandbox, the rest still stand, and each layer says why it is off."""

from __future__ import annotations

import json
import os
import stat

import pytest
from host_needs import cannot_run, host_variant

from autograder.sandbox import isolation, workdirs
from autograder.sandbox.cgroups import Cgroups
from autograder.sandbox.limits import Limits
from autograder.sandbox.protections import Guarantee, Layer, SandboxReport


def refuse(monkeypatch):
    def _refused(flags: int, what: str) -> None:
        raise isolation.Refused(f"{what}: EPERM")
    monkeypatch.setattr(isolation, "_unshare", _refused)


def test_does_a_refused_namespace_turn_into_named_layers_off(monkeypatch):
    refuse(monkeypatch)
    layers = isolation.isolate_worker(isolation.Path("/nonexistent-kit"), []).layers
    assert layers == [Layer("network namespace", False, "mount and network namespaces: EPERM"),
                      Layer("allowlist root", False, "mount and network namespaces: EPERM")]


def in_a_throwaway_child(function):
    """function() run in a forked child (isolate_child changes its process for good); what it returned, as JSON."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write_fd, json.dumps(function()).encode())
        except BaseException as e:
            os.write(write_fd, json.dumps({"raised": f"{type(e).__name__}: {e}"}).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    return json.loads(data)


def test_does_a_child_without_namespaces_still_get_the_floor(monkeypatch, tmp_path):
    refuse(monkeypatch)
    base = workdirs.make_base()
    try:
        def isolate():
            done = isolation.isolate_child(Limits(slot=7, same_user=True), base, "c1-", {}, [])
            import socket
            try:
                socket.socket()
                net = "opened"
            except OSError:
                net = "refused"
            return {"workdir": done.workdir, "cwd": os.getcwd(), "net": net,
                    "layers": {layer.name: [layer.on, layer.detail] for layer in done.layers}}
        seen = in_a_throwaway_child(isolate)
    finally:
        workdirs.remove_tree(base)
    layers = seen["layers"]
    for name in ("private /tmp", "IPC namespace", "process namespace", "nested user namespace"):
        assert layers[name][0] is False and "EPERM" in layers[name][1], name
    for name in ("Landlock", "seccomp filter", "no_new_privs", "oom_score_adj"):
        assert layers[name][0] is True, name
    # A fresh folder in the zygote's base (never the current folder), and no network.
    assert os.path.dirname(seen["workdir"]) == base and os.path.basename(seen["workdir"]).startswith("c1-")
    assert seen["cwd"] == seen["workdir"] and seen["net"] == "refused"


def test_is_there_no_fallback_when_the_work_folder_cannot_be_made(monkeypatch, tmp_path):
    # The old sandbox worked in the current folder (/) when /tmp was unusable, and handed it to the
    # student's user: root for the student. Now a base that is not ours alone stops the child.
    refuse(monkeypatch)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    here = tmp_path / "cwd"
    here.mkdir()
    before = os.stat(here)

    def isolate():
        os.chdir(here)
        isolation.isolate_child(Limits(slot=7), str(shared), "c1-", {}, [])
        return {"raised": None}
    seen = in_a_throwaway_child(isolate)
    assert seen["raised"].startswith("NoWorkFolder") and "only the grader's user may write" in seen["raised"]
    after = os.stat(here)
    assert (after.st_uid, after.st_mode) == (before.st_uid, before.st_mode)


def test_is_a_planted_link_never_taken_for_a_work_folder(tmp_path):
    link = tmp_path / "base"
    link.symlink_to("/")
    with pytest.raises(workdirs.NoWorkFolder):
        workdirs.make(str(link), "c1-")
    base = workdirs.make_base()
    try:
        path, fd = workdirs.make(base, "c2-")
        os.close(fd)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700 and stat.S_IMODE(os.stat(base).st_mode) == 0o711
        # What the child leaves is removed without following its links or minding its modes.
        outside = tmp_path / "outside.txt"
        outside.write_text("keep")
        os.symlink(outside, os.path.join(path, "link"))
        os.mkdir(os.path.join(path, "locked"))
        open(os.path.join(path, "locked", "f"), "w").close()
        os.chmod(os.path.join(path, "locked"), 0)
        trash = workdirs.Trash(base)
        trash.discard("c2-")
        while trash.pending:
            trash.step()
        assert os.listdir(base) == []
        assert outside.read_text() == "keep"
        # Nothing above the tree is touched, whatever failed inside it (a sticky /tmp must stay so).
        os.chmod(tmp_path, 0o1777)
        (tmp_path / "t" / "locked").mkdir(parents=True)
        os.chmod(tmp_path / "t" / "locked", 0)
        workdirs.remove_tree(str(tmp_path / "t"))
        assert not (tmp_path / "t").exists() and stat.S_IMODE(os.stat(tmp_path).st_mode) == 0o1777
    finally:
        workdirs.remove_tree(base)


def test_is_the_report_one_line_that_names_what_is_off():
    report = SandboxReport((Layer("Landlock", True, "ABI 7"), Layer("network namespace", False, "EPERM")),
                           tuple(Guarantee(key, True, ("Landlock",), "tried") for key in
                                 ("read", "write", "network", "channels", "others", "privileges", "cleanup", "memory",
                                  "imports", "processes")))
    assert report.floor_held
    assert report.line() == ("sandbox: every guarantee of the floor held; layers on: Landlock (ABI 7); "
                             "off here: network namespace (EPERM)")
    weak = SandboxReport(report.layers, report.guarantees[1:])
    assert not weak.floor_held and [g.key for g in weak.missing()] == ["read"]
    assert "BELOW THE FLOOR: not held: read" in weak.line()
    assert SandboxReport.from_json(report.to_json()) == report


def test_does_the_floor_hold_here(sandbox):
    sandbox.wait_ready()
    assert sandbox.report.floor_held, sandbox.report.line()
    if os.geteuid() == 0:  # full root: every layer but, maybe, the cgroups (the machine's to give)
        assert [p for p in sandbox.protections_off if not p.startswith("cgroup")] == []


def test_are_the_cgroups_a_dead_zygote_left_removed_by_the_next_one():
    # A zygote killed outright (SIGKILL, a node going down) cannot remove its last children's cgroups; the next
    # zygote under the same parent removes the empty ones whose zygote is gone, and leaves every other one alone.
    own = dict(line.rstrip("\n").split(":", 2)[1:] for line in open("/proc/self/cgroup"))
    if "memory" not in own or "pids" not in own:  # v2 would move this process: its orphans are in test_cgroups.py
        host_variant("no cgroup v1 memory and pids hierarchies here (the cgroup v2 case is in test_cgroups.py)")
    probe, off = Cgroups.open()
    if probe is None:
        cannot_run(f"no cgroups here: {off}")
    for fd in probe.folders.values():
        os.close(fd)
    dead_pid = next(p for p in range(4_000_000, 4_100_000) if not os.path.exists(f"/proc/{p}"))
    made = []
    for controller in ("memory", "pids"):
        parent = f"/sys/fs/cgroup/{controller}{own[controller]}"
        for name in (f"kit-{dead_pid}-7", f"kit-{os.getpid()}-7", "kit-notes"):
            os.mkdir(f"{parent}/{name}")
            made.append(f"{parent}/{name}")
    try:
        cgroups, _ = Cgroups.open()
        for fd in cgroups.folders.values():
            os.close(fd)
        left = [path for path in made if os.path.isdir(path)]
        assert left == [path for path in made if "kit-notes" in path or f"-{os.getpid()}-" in path]
    finally:
        for path in made:
            if os.path.isdir(path):
                os.rmdir(path)


def test_is_a_tree_thousands_of_levels_deep_removed_without_recursion(tmp_path):
    # A child may leave a folder chain deeper than Python's recursion limit: removing it must not end the zygote.
    top = tmp_path / "deep"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(3000):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    open(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w").close()
    os.close(fd)
    workdirs.remove_tree(str(top))
    assert not top.exists()


def test_is_a_finished_childs_folder_emptied_a_step_at_a_time():
    # Tens of thousands of files must not stall the zygote's other slots: the folder is set aside at once and
    # emptied a bounded number of entries per idle step.
    base = workdirs.make_base()
    try:
        path, fd = workdirs.make(base, "c9-")
        for i in range(10_000):
            os.close(os.open(f"f{i}", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
        os.close(fd)
        trash = workdirs.Trash(base)
        trash.discard("c9-")
        assert not os.path.exists(path) and trash.pending  # renamed aside in one step
        steps = 0
        while trash.pending:
            trash.step(entries=4000)
            steps += 1
        assert steps == 3 and os.listdir(base) == []
    finally:
        workdirs.remove_tree(base)
