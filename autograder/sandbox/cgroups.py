"""A cgroup per sandboxed child: memory (swap off) and processes bounded together (cgroup v1 or v2).

RLIMIT_AS bounds each process; a cgroup bounds the child and everything it starts, together.
Opened by the zygote before it replaces its root: it keeps folder fds, never paths.

- cgroup v1 (the memory and pids hierarchies): a cgroup ``kit-<zygote pid>-<n>`` per child in
  each, below the grader's own.
- cgroup v2: a process may only create cgroups in a subtree delegated to it (writable), and a
  cgroup that holds processes cannot give controllers to its children ("no internal processes").
  So the zygote moves itself into a leaf ``kit-<zygote pid>-zygote`` of the grader's cgroup, and
  the grader (its parent) into ``kit-<zygote pid>-grader``, enables memory and pids for that
  cgroup's children, and puts each child in a sibling ``kit-<zygote pid>-<n>``. No other process
  may be in the grader's cgroup (EBUSY otherwise): start the grader in a delegated cgroup of its
  own, e.g. ``systemd-run --user --scope -p Delegate=yes course-kit grade ...``.

Whatever the host refuses is reported in one line and nothing is left behind.
"""

from __future__ import annotations

import errno
import os
import re

PROC_SELF_CGROUP = "/proc/self/cgroup"
MOUNTINFO = "/proc/self/mountinfo"
CONTROLLERS = ("memory", "pids")
_OFF = "per-submission cgroup"  # how each refusal begins (the sandbox's protections line)
# Names the zygote makes: kit-<zygote pid>-<child number>, and on v2 kit-<zygote pid>-zygote.
_OURS = re.compile(r"kit-(\d+)-(?:\d+|zygote|grader)")
_NOT_OURS = " (the subtree is not delegated to this user)"
_HINTS = {errno.EACCES: _NOT_OURS, errno.EPERM: _NOT_OURS, errno.EROFS: " (mounted read-only)",
          errno.EBUSY: " (other processes, such as the grader, are in it: a cgroup v2 that holds processes "
                       "gives no controllers to its children)"}


def _why(e: OSError) -> str:
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else str(e)


def _write(folder: int, path: str, value: str) -> None:
    """Write value to a cgroup file below folder (never created: a missing file is an error)."""
    fd = os.open(path, os.O_WRONLY, dir_fd=folder)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(folder: int, path: str) -> str:
    fd = os.open(path, os.O_RDONLY, dir_fd=folder)
    try:
        return os.read(fd, 65536).decode()
    finally:
        os.close(fd)


def _own_cgroups(proc_self_cgroup: str) -> dict[str, str]:
    """Controller -> this process's cgroup path; cgroup v2's (the ``0::`` line) under the key ""."""
    own: dict[str, str] = {}
    with open(proc_self_cgroup) as f:
        for line in f:
            hierarchy, controllers, path = line.rstrip("\n").split(":", 2)
            if hierarchy == "0" and not controllers:
                own[""] = path
            for c in filter(None, controllers.split(",")):
                own[c] = path
    return own


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)  # mountinfo's \040 for a space


def _mounts(mountinfo: str) -> dict[str, list[tuple[str, str]]]:
    """Controller (v1) or "" (cgroup2) -> its mounts as (root inside the hierarchy, mount point)."""
    found: dict[str, list[tuple[str, str]]] = {}
    try:
        with open(mountinfo) as f:
            lines = f.read().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, (fstype, options) = left.split(), (right.split() + ["", "", ""])[0:3:2]
        if len(fields) < 5:
            continue  # not a mount line
        mount = (_unescape(fields[3]), _unescape(fields[4]))
        if fstype == "cgroup2":
            found.setdefault("", []).append(mount)
        elif fstype == "cgroup":
            for c in options.split(","):
                found.setdefault(c, []).append(mount)
    return found


def _folder(mounts: list[tuple[str, str]], own: str) -> str | None:
    """Where cgroup path own is, through a mount of its hierarchy (a container may mount only a subtree)."""
    for root, point in mounts:
        if root == "/" or own == root or own.startswith(root + "/"):
            return (point.rstrip("/") + (own if root == "/" else own[len(root):])).rstrip("/") or "/"
    return None


class Cgroups:
    """The per-child cgroups of one zygote; ``open`` makes one where the host allows it."""

    def __init__(self, version: str, folders: dict[str, int], where: dict[str, str], swap_limit: bool) -> None:
        self.version = version        # "v1" or "v2"
        self.folders = folders        # v1: controller -> folder fd; v2: {"unified": the grader's cgroup's fd}
        self.where = where            # the same keys -> their cgroup paths (for describe)
        self.swap_limit = swap_limit  # v1: memory.memsw exists; v2: memory.swap.max exists
        self.stale: list[str] = []

    @classmethod
    def open(cls, proc_self_cgroup: str = PROC_SELF_CGROUP,
             mountinfo: str = MOUNTINFO) -> tuple[Cgroups | None, str | None]:
        """The cgroups, or None and why not; the second item may also be a lesser note (no swap limit)."""
        try:
            own = _own_cgroups(proc_self_cgroup)
        except (OSError, ValueError) as e:
            return None, f"{_OFF} (cannot read {proc_self_cgroup}: {getattr(e, 'strerror', None) or e})"
        mounts = _mounts(mountinfo)
        v1 = {c: _folder(mounts.get(c, []), own[c]) for c in CONTROLLERS if c in own}
        if len(v1) == len(CONTROLLERS) and all(v1.values()):
            return cls._open_v1({c: str(path) for c, path in v1.items()}, {c: own[c] for c in CONTROLLERS})
        unified = _folder(mounts.get("", []), own[""]) if "" in own else None
        if unified is None:
            return None, f"{_OFF} (no cgroup v1 memory and pids controllers, and no cgroup v2 mount)"
        return cls._open_v2(unified, own[""])

    @classmethod
    def _open_v1(cls, paths: dict[str, str], own: dict[str, str]) -> tuple[Cgroups | None, str | None]:
        folders: dict[str, int] = {}
        try:
            for c in CONTROLLERS:
                folders[c] = os.open(paths[c], os.O_RDONLY | os.O_DIRECTORY)
                probe = f"kit-probe-{os.getpid()}"
                os.mkdir(probe, dir_fd=folders[c])
                os.rmdir(probe, dir_fd=folders[c])
            swap = os.path.exists(f"{paths['memory']}/memory.memsw.limit_in_bytes")
        except OSError as e:
            for fd in folders.values():
                os.close(fd)
            return None, f"{_OFF} (cannot create one: {e.strerror})"
        for fd in folders.values():
            _remove_orphans(fd)
        note = None if swap else "swap off for the child (no memory.memsw in this kernel)"
        return cls("v1", folders, own, swap), note

    @classmethod
    def _open_v2(cls, path: str, own: str) -> tuple[Cgroups | None, str | None]:
        pid = os.getpid()
        leaf = f"kit-{pid}-zygote"
        step, undo = "read cgroup.controllers", []  # undo: what to take back, newest first, if a later step is refused
        try:
            parent = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            return None, f"{_OFF} (cgroup v2: cannot open {path}: {_why(e)})"
        try:
            missing = [c for c in CONTROLLERS if c not in _read(parent, "cgroup.controllers").split()]
            if missing:
                os.close(parent)
                return None, f"{_OFF} (cgroup v2: {path}/cgroup.controllers lacks {' and '.join(missing)})"
            step = f"create {leaf}"
            os.mkdir(leaf, dir_fd=parent)
            undo.append(lambda: os.rmdir(leaf, dir_fd=parent))
            step = f"move the zygote into {leaf}"
            _write(parent, f"{leaf}/cgroup.procs", str(pid))
            undo.append(lambda: _write(parent, "cgroup.procs", str(pid)))
            grader = os.getppid()
            if str(grader) in _read(parent, "cgroup.procs").split():  # the grader too, or no controllers below
                step = f"move the grader into kit-{pid}-grader"
                os.mkdir(f"kit-{pid}-grader", dir_fd=parent)
                undo.append(lambda: os.rmdir(f"kit-{pid}-grader", dir_fd=parent))
                _write(parent, f"kit-{pid}-grader/cgroup.procs", str(grader))
                undo.append(lambda: _write(parent, "cgroup.procs", str(grader)))
            step = "enable +memory +pids in cgroup.subtree_control"
            add = [c for c in CONTROLLERS if c not in _read(parent, "cgroup.subtree_control").split()]
            if add:
                _write(parent, "cgroup.subtree_control", " ".join(f"+{c}" for c in add))
            swap = os.path.exists(f"{path}/{leaf}/memory.swap.max")
        except OSError as e:
            for take_back in reversed(undo):
                try:
                    take_back()
                except OSError:
                    pass  # best effort: the step before it was refused too
            os.close(parent)
            return None, f"{_OFF} (cgroup v2: cannot {step} in {path}: {_why(e)}{_HINTS.get(e.errno or 0, '')})"
        _remove_orphans(parent)
        note = None if swap else "swap off for the child (no memory.swap.max in this kernel)"
        return cls("v2", {"unified": parent}, {"unified": own}, swap), note

    def describe(self) -> str:
        """One line for the protections report."""
        if self.version == "v2":
            return f"cgroup v2 (delegated subtree {self.where['unified']})"
        return f"cgroup v1 (memory {self.where['memory']}, pids {self.where['pids']})"

    def _limits(self, memory_bytes: int, processes: int) -> list[tuple[str, str, str]]:
        """(folder key, file, value) to write, in order, for a new child's cgroups."""
        if self.version == "v2":
            swap = [("unified", "memory.swap.max", "0")] if self.swap_limit else []
            return [("unified", "memory.max", str(memory_bytes)), *swap, ("unified", "pids.max", str(processes))]
        # v1: memsw (memory + swap) no higher than memory means no swap; set after memory (memsw >= memory).
        swap_v1 = ("memory.memsw.limit_in_bytes", str(memory_bytes)) if self.swap_limit else ("memory.swappiness", "0")
        return [("memory", "memory.limit_in_bytes", str(memory_bytes)), ("memory", *swap_v1),
                ("pids", "pids.max", str(processes))]

    def add(self, pid: int, name: str, memory_bytes: int, processes: int) -> None:
        """Put pid (just forked, not yet running student code) into fresh cgroups called name."""
        self.clean()
        for fd in self.folders.values():
            os.mkdir(name, dir_fd=fd)
        for key, file, value in self._limits(memory_bytes, processes):
            _write(self.folders[key], f"{name}/{file}", value)
        for fd in self.folders.values():
            _write(fd, f"{name}/cgroup.procs", str(pid))

    def remove(self, name: str) -> None:
        self.stale.append(name)
        self.clean()

    def clean(self) -> None:
        """Remove the cgroups of children that are gone (a process namespace is torn down asynchronously)."""
        left = []
        for name in self.stale:
            for fd in self.folders.values():
                try:
                    os.rmdir(name, dir_fd=fd)
                except FileNotFoundError:
                    pass
                except OSError:
                    left.append(name)
        self.stale = sorted(set(left))

    def close(self) -> None:
        """Close the folder fds (the zygote keeps them for its life; tests do not)."""
        for fd in self.folders.values():
            os.close(fd)
        self.folders = {}


def _remove_orphans(folder: int) -> None:
    """Remove the empty cgroups of zygotes that are gone (killed before they could remove their last ones)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _OURS.fullmatch(name)
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            try:
                os.rmdir(name, dir_fd=folder)
            except OSError:
                pass  # not empty (a process of it still ending) or not ours to remove
