"""The per-child cgroups: v2's delegated subtree and v1's hierarchies, against fake trees; v2 for real where it can."""

from __future__ import annotations

import errno
import json
import os
import signal
import time
from pathlib import Path

import pytest
from host_needs import host_variant

from autograder.sandbox import cgroups
from autograder.sandbox.cgroups import Cgroups

OWN = "/kit.slice/grader.service"
V1_FILES = ("cgroup.procs", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness", "pids.max")


class FakeTree:
    """A cgroup mount made of plain folders and files, with a fake /proc/self/cgroup and mountinfo.

    os.mkdir, os.rmdir and the module's writes are patched as the kernel behaves in a cgroup folder: a new
    cgroup comes with its interface files, one whose cgroup.procs is not empty cannot be removed (EBUSY),
    and a process written to a cgroup.procs leaves the one it was in.
    """

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str = "v2",
                 controllers: str = "cpu io memory pids", swap: bool = True) -> None:
        self.root, self.swap, self.version = tmp_path / "sys-fs-cgroup", swap, version
        self.proc, self.mountinfo = tmp_path / "proc-self-cgroup", tmp_path / "proc-self-mountinfo"
        mounts = ["22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw"]
        if version == "v2":
            self.parent = {"unified": self.root / OWN.lstrip("/")}
            self.parent["unified"].mkdir(parents=True)
            for name, text in (("cgroup.controllers", controllers), ("cgroup.subtree_control", ""),
                               ("cgroup.procs", f"{os.getppid()}\n{os.getpid()}")):  # the grader and the zygote
                (self.parent["unified"] / name).write_text(text)
            self.proc.write_text(f"0::{OWN}\n")
            mounts.append(f"30 22 0:26 / {self.root} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate")
        else:
            self.parent = {c: self.root / c / OWN.lstrip("/") for c in ("memory", "pids")}
            for c, folder in self.parent.items():
                folder.mkdir(parents=True)
                (folder / "cgroup.procs").write_text(f"{os.getpid()}")
            if swap:
                (self.parent["memory"] / "memory.memsw.limit_in_bytes").write_text("")
            self.proc.write_text(f"8:pids:{OWN}\n4:memory:{OWN}\n3:cpu,cpuacct:/\n0::/\n")
            mounts += [f"35 22 0:32 / {self.root}/memory rw - cgroup cgroup rw,memory",
                       f"39 22 0:36 / {self.root}/pids rw - cgroup cgroup rw,pids"]
        self.mountinfo.write_text("\n".join(mounts) + "\n")
        real_mkdir, real_rmdir = os.mkdir, os.rmdir

        def mkdir(path, mode=0o777, *, dir_fd=None):
            real_mkdir(path, mode, dir_fd=dir_fd)
            if dir_fd is not None:  # the module's calls (the tests make their folders by path)
                self._interface(Path(os.readlink(f"/proc/self/fd/{dir_fd}")) / path)

        def rmdir(path, *, dir_fd=None):
            full = Path(os.readlink(f"/proc/self/fd/{dir_fd}")) / path if dir_fd is not None else Path(path)
            if not str(full).startswith(str(self.root)):
                return real_rmdir(path, dir_fd=dir_fd)
            if not full.is_dir():
                raise FileNotFoundError(errno.ENOENT, "no such cgroup", str(full))
            if (full / "cgroup.procs").exists() and (full / "cgroup.procs").read_text():
                raise OSError(errno.EBUSY, "cgroup has processes", str(full))
            for file in full.iterdir():  # the interface files go with the cgroup
                file.unlink()
            real_rmdir(full)

        def write(folder: int, path: str, value: str) -> None:
            if path.endswith("cgroup.procs"):  # a process is in one cgroup a hierarchy: out of the one it was in
                full = (Path(os.readlink(f"/proc/self/fd/{folder}")) / path).relative_to(self.root)
                hierarchy = self.root / full.parts[0] if self.version == "v1" else self.root
                for procs in hierarchy.rglob("cgroup.procs"):
                    procs.write_text("\n".join(p for p in procs.read_text().split() if p != value))
                target = Path(os.readlink(f"/proc/self/fd/{folder}")) / path  # joins the pids already there
                value = "\n".join([*(target.read_text().split() if target.exists() else []), value])
            real_write(folder, path, value)

        real_write = cgroups._write
        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(os, "rmdir", rmdir)
        monkeypatch.setattr(cgroups, "_write", write)

    def _interface(self, folder: Path) -> None:
        if self.version == "v1":
            names = V1_FILES if self.swap else tuple(n for n in V1_FILES if "memsw" not in n)
        else:
            names = ("cgroup.procs", "cgroup.controllers", "cgroup.subtree_control", "memory.max", "pids.max",
                     *(("memory.swap.max",) if self.swap else ()))
        for name in names:
            (folder / name).write_text("")

    def open(self) -> tuple[Cgroups | None, str | None]:
        return Cgroups.open(proc_self_cgroup=str(self.proc), mountinfo=str(self.mountinfo))

    def snapshot(self) -> dict[str, str | None]:
        """Every folder and file of the tree, with the files' text."""
        return {str(p.relative_to(self.root)): None if p.is_dir() else p.read_text() for p in self.root.rglob("*")}


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _dead_pid() -> int:
    return next(p for p in range(4_000_000, 4_100_000) if not os.path.exists(f"/proc/{p}"))


def test_does_v2_move_the_zygote_into_a_leaf_and_enable_memory_and_pids_for_its_siblings(tmp_path, monkeypatch):
    tree, pid = FakeTree(tmp_path, monkeypatch), os.getpid()
    cg, note = tree.open()
    assert cg is not None and note is None
    parent = tree.parent["unified"]
    assert (cg.version, cg.describe()) == ("v2", f"cgroup v2 (delegated subtree {OWN})")
    assert (parent / f"kit-{pid}-zygote" / "cgroup.procs").read_text() == str(pid)  # the zygote "moved"
    assert (parent / f"kit-{pid}-grader" / "cgroup.procs").read_text() == str(os.getppid())  # and its grader
    assert (parent / "cgroup.procs").read_text() == ""  # none left inside: controllers can be given below
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    cg.add(4242, f"kit-{pid}-1", 768 << 20, 64)
    child = parent / f"kit-{pid}-1"
    assert {name: (child / name).read_text() for name in ("memory.max", "memory.swap.max", "pids.max",
                                                          "cgroup.procs")} == {
        "memory.max": str(768 << 20), "memory.swap.max": "0", "pids.max": "64", "cgroup.procs": "4242"}
    cg.remove(f"kit-{pid}-1")  # its processes not gone yet (EBUSY): kept for later
    assert cg.stale == [f"kit-{pid}-1"] and child.is_dir()
    (child / "cgroup.procs").write_text("")
    cg.clean()
    assert cg.stale == [] and not child.exists()
    cg.close()


def test_does_v2_without_swap_accounting_say_so_and_write_no_swap_limit(tmp_path, monkeypatch):
    tree, pid = FakeTree(tmp_path, monkeypatch, swap=False), os.getpid()
    cg, note = tree.open()
    assert cg is not None and note == "swap off for the child (no memory.swap.max in this kernel)"
    cg.add(4242, f"kit-{pid}-1", 1 << 30, 8)
    assert (tree.parent["unified"] / f"kit-{pid}-1" / "memory.max").read_text() == str(1 << 30)
    assert not (tree.parent["unified"] / f"kit-{pid}-1" / "memory.swap.max").exists()
    cg.close()


def test_are_the_cgroups_of_dead_zygotes_removed_on_v2(tmp_path, monkeypatch):
    tree, dead = FakeTree(tmp_path, monkeypatch), _dead_pid()
    parent = tree.parent["unified"]
    names = [f"kit-{dead}-3", f"kit-{dead}-zygote", f"kit-{os.getpid()}-3", "kit-notes", f"kit-{dead}-x"]
    for name in names:
        (parent / name).mkdir()
    cg, _ = tree.open()
    assert cg is not None
    assert sorted(p.name for p in parent.iterdir() if p.is_dir()) == sorted(
        [f"kit-{os.getpid()}-3", "kit-notes", f"kit-{dead}-x", f"kit-{os.getpid()}-zygote", f"kit-{os.getpid()}-grader"])
    cg.close()


def _refusal(tree: FakeTree) -> str:
    before, fds = tree.snapshot(), _fds()
    cg, why = tree.open()
    assert cg is None and why is not None and why.startswith("per-submission cgroup (cgroup v2: ")
    assert ";" not in why  # one item of the protections line
    assert tree.snapshot() == before and _fds() == fds  # nothing left behind, no folder fd kept
    return why


def test_is_v2_refused_without_the_memory_and_pids_controllers(tmp_path, monkeypatch):
    why = _refusal(FakeTree(tmp_path, monkeypatch, controllers="cpu io memory"))
    assert why == f"per-submission cgroup (cgroup v2: {tmp_path}/sys-fs-cgroup{OWN}/cgroup.controllers lacks pids)"


def test_is_v2_refused_where_the_subtree_is_not_delegated(tmp_path, monkeypatch):
    tree = FakeTree(tmp_path, monkeypatch)

    def refused(path, mode=0o777, *, dir_fd=None):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(os, "mkdir", refused)
    why = _refusal(tree)
    parent = tree.parent["unified"]
    assert why == (f"per-submission cgroup (cgroup v2: cannot create kit-{os.getpid()}-zygote in {parent}: EACCES"
                   " (the subtree is not delegated to this user))")


@pytest.mark.parametrize("file, code, step", [
    ("zygote/cgroup.procs", errno.EACCES, "move the zygote into"),
    ("cgroup.subtree_control", errno.EBUSY, "enable +memory +pids"),  # other processes in the grader's cgroup
])
def test_is_a_refused_v2_step_named_and_undone(tmp_path, monkeypatch, file, code, step):
    tree, write = FakeTree(tmp_path, monkeypatch), cgroups._write

    def refusing(folder: int, path: str, value: str) -> None:
        if path.endswith(file):
            raise OSError(code, os.strerror(code))
        write(folder, path, value)
    monkeypatch.setattr(cgroups, "_write", refusing)
    why = _refusal(tree)  # the leaf removed, the zygote moved back (the parent's cgroup.procs as before)
    assert step in why and f": {errno.errorcode[code]} (" in why


def test_does_an_unreadable_or_unmounted_cgroup_say_why(tmp_path, monkeypatch):
    tree = FakeTree(tmp_path, monkeypatch)
    tree.mountinfo.write_text("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n")
    assert tree.open() == (None, "per-submission cgroup (no cgroup v1 memory and pids controllers, "
                                 "and no cgroup v2 mount)")
    tree.proc.unlink()
    cg, why = tree.open()
    assert cg is None and why == f"per-submission cgroup (cannot read {tree.proc}: No such file or directory)"


def test_does_v1_make_a_memory_and_a_pids_cgroup_per_child(tmp_path, monkeypatch):
    tree, pid, dead = FakeTree(tmp_path, monkeypatch, version="v1"), os.getpid(), _dead_pid()
    for folder in tree.parent.values():
        (folder / f"kit-{dead}-2").mkdir()
    cg, note = tree.open()
    assert cg is not None and note is None
    assert (cg.version, cg.describe()) == ("v1", f"cgroup v1 (memory {OWN}, pids {OWN})")
    assert all(not (folder / f"kit-{dead}-2").exists() for folder in tree.parent.values())  # orphans
    cg.add(4242, f"kit-{pid}-1", 1 << 30, 64)
    memory, pids = (tree.parent[c] / f"kit-{pid}-1" for c in ("memory", "pids"))
    files = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness", "cgroup.procs")
    assert [(memory / n).read_text() for n in files] == [str(1 << 30), str(1 << 30), "", "4242"]
    assert [(pids / n).read_text() for n in ("pids.max", "cgroup.procs")] == ["64", "4242"]
    for folder in (memory, pids):
        (folder / "cgroup.procs").write_text("")
    cg.remove(f"kit-{pid}-1")
    assert cg.stale == [] and not memory.exists() and not pids.exists()
    cg.close()


def test_does_v1_without_memsw_turn_swappiness_off(tmp_path, monkeypatch):
    tree, pid = FakeTree(tmp_path, monkeypatch, version="v1", swap=False), os.getpid()
    cg, note = tree.open()
    assert cg is not None and note == "swap off for the child (no memory.memsw in this kernel)"
    cg.add(4242, f"kit-{pid}-1", 1 << 30, 64)
    assert (tree.parent["memory"] / f"kit-{pid}-1" / "memory.swappiness").read_text() == "0"
    cg.close()


def test_is_a_mounted_subtree_and_an_escaped_mount_point_followed():
    # A container may mount only its own part of a hierarchy (the mount's root is then not /).
    assert cgroups._folder([("/docker/abc", "/sys/fs/cgroup/memory")], "/docker/abc/x") == "/sys/fs/cgroup/memory/x"
    assert cgroups._folder([("/docker/abc", "/m")], "/elsewhere") is None
    assert cgroups._folder([("/", "/sys/fs/cgroup/")], "/a") == "/sys/fs/cgroup/a"
    assert cgroups._unescape(r"/mnt/my\040cgroups") == "/mnt/my cgroups"


def _delegated_v2() -> tuple[str | None, str]:
    """The unified cgroup of this process where a child cgroup of it would get memory and pids, or why not."""
    try:
        own = cgroups._own_cgroups(cgroups.PROC_SELF_CGROUP).get("")
    except OSError as e:
        return None, f"cannot read /proc/self/cgroup: {e}"
    path = cgroups._folder(cgroups._mounts(cgroups.MOUNTINFO).get("", []), own) if own is not None else None
    if path is None:
        return None, "no cgroup2 mount here"
    if not os.access(f"{path}/cgroup.procs", os.W_OK) or not os.access(path, os.W_OK):
        return None, f"{path} is not writable by this user (not a delegated subtree)"
    subtree = Path(f"{path}/cgroup.subtree_control").read_text().split()
    if not {"memory", "pids"} <= set(subtree):
        return None, (f"{path}/cgroup.subtree_control gives new children {' '.join(subtree) or 'no controllers'}, "
                      "not memory and pids (a cgroup v2 holding processes cannot, unless it is the root)")
    return path, ""


def test_does_a_real_delegated_cgroup_v2_bound_a_child():
    path, why = _delegated_v2()
    if path is None:
        host_variant(f"needs a writable cgroup2 with memory and pids controllers: {why}")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # a throwaway process alone in a fresh cgroup T (a zygote moves itself: not pytest's process)
        result: dict = {}
        own = f"{path}/kit-test-{os.getpid()}"
        try:
            os.mkdir(own)
            Path(f"{own}/cgroup.procs").write_text(str(os.getpid()))
            cg, note = Cgroups.open()
            result["open"] = [cg and cg.version, note]
            if cg is not None:
                sleeper = os.fork()
                if sleeper == 0:
                    time.sleep(30)
                    os._exit(0)
                name = f"kit-{os.getpid()}-1"
                cg.add(sleeper, name, 64 << 20, 8)
                result["in"] = cgroups._own_cgroups(f"/proc/{sleeper}/cgroup")[""].rsplit("/", 1)[-1]
                result["limits"] = [Path(f"{own}/{name}/{f}").read_text().strip() for f in ("memory.max", "pids.max")]
                os.kill(sleeper, signal.SIGKILL)
                os.waitpid(sleeper, 0)
                cg.remove(name)
                for _ in range(100):
                    if not cg.stale:
                        break
                    time.sleep(0.02)
                    cg.clean()
                result["removed"] = not os.path.exists(f"{own}/{name}")
                cg.close()
        except Exception as e:  # reported to the test
            result["error"] = repr(e)
        finally:
            try:  # back to pytest's cgroup, then nothing of ours left
                Path(f"{path}/cgroup.procs").write_text(str(os.getpid()))
                for leftover in (f"{own}/kit-{os.getpid()}-zygote", own):
                    if os.path.isdir(leftover):
                        os.rmdir(leftover)
            except OSError as e:
                result["cleanup"] = repr(e)
            os.write(write_fd, json.dumps(result).encode())
            os._exit(0)
    os.close(write_fd)
    result = json.loads(os.read(read_fd, 65536))
    os.close(read_fd)
    os.waitpid(pid, 0)
    assert result == {"open": ["v2", result["open"][1]], "in": f"kit-{pid}-1", "limits": [str(64 << 20), "8"],
                      "removed": True}
