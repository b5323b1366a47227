"""When the OS refuses a protection, grading goes on and says so in one line."""

from __future__ import annotations

import json
import os

import pytest

from autograder.grading.session import describe_protections
from autograder.sandbox import isolation


def refuse(monkeypatch):
    def _refused(flags: int, what: str) -> None:
        raise isolation.Refused(f"{what}: EPERM")
    monkeypatch.setattr(isolation, "_unshare", _refused)


def test_does_a_refused_namespace_turn_into_named_protections_off(monkeypatch):
    refuse(monkeypatch)
    off = isolation.isolate_worker(isolation.Path("/nonexistent-kit"), [])
    assert off == ["network isolation (mount and network namespaces: EPERM)", "hidden files", "private /tmp"]


def test_does_a_child_outside_a_process_namespace_say_so(monkeypatch, tmp_path):
    refuse(monkeypatch)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # a throwaway child: isolate_child changes its process for good
        try:
            _, off = isolation.isolate_child({"slot": 7, "same_user": True}, f"kit-test-{os.getpid()}")
            os.write(write_fd, json.dumps(off).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    off = json.loads(os.read(read_fd, 65536))
    os.waitpid(pid, 0)
    assert "private /tmp (mount namespace: EPERM)" in off
    assert "process namespace (process namespace: EPERM)" in off
    assert "own IPC namespace (IPC namespace: EPERM)" in off
    assert "no capabilities (the grader is not root, and nested user namespace: EPERM)" in off


def test_is_a_missing_protection_reported_in_one_line():
    line = describe_protections(["network isolation (EPERM)", "hidden files"])
    assert line == "sandbox: these protections are off on this machine: network isolation (EPERM); hidden files"


def test_is_nothing_said_when_every_protection_is_on():
    assert describe_protections([]) is None


def test_are_all_protections_on_here_as_root(sandbox):
    sandbox.wait_ready()
    if os.geteuid() == 0:
        assert [p for p in sandbox.protections_off if not p.startswith("per-submission cgroup")] == []


def test_are_the_cgroups_a_dead_zygote_left_removed_by_the_next_one():
    # A zygote killed outright (SIGKILL, a node going down) cannot remove its last children's cgroups; the next
    # zygote under the same parent removes the empty ones whose zygote is gone, and leaves every other one alone.
    probe, off = isolation.Cgroups.open()
    if probe is None:
        pytest.skip(f"no cgroups here: {off}")
    for fd in probe.folders.values():
        os.close(fd)
    own = dict(line.rstrip("\n").split(":", 2)[1:] for line in open("/proc/self/cgroup"))
    dead_pid = next(p for p in range(4_000_000, 4_100_000) if not os.path.exists(f"/proc/{p}"))
    made = []
    for controller in ("memory", "pids"):
        parent = f"/sys/fs/cgroup/{controller}{own[controller]}"
        for name in (f"kit-{dead_pid}-7", f"kit-{os.getpid()}-7", "kit-notes"):
            os.mkdir(f"{parent}/{name}")
            made.append(f"{parent}/{name}")
    try:
        cgroups, _ = isolation.Cgroups.open()
        for fd in cgroups.folders.values():
            os.close(fd)
        left = [path for path in made if os.path.isdir(path)]
        assert left == [path for path in made if "kit-notes" in path or f"-{os.getpid()}-" in path]
    finally:
        for path in made:
            if os.path.isdir(path):
                os.rmdir(path)
