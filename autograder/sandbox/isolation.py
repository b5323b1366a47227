"""OS-level isolation of the child that runs student code (Linux), in layers.

Where the host allows namespaces, the worker (zygote) does this once, before it serves
any request:

- a mount namespace whose root is a fresh tmpfs holding only an allowlist,
  read-only: the system's /usr and libraries, a few files of /etc, the
  interpreter's prefixes and site-packages (wherever they live: /tmp, /root,
  /opt, a symlinked venv), a minimal /dev. Nothing else of the machine exists
  there: not the kit, not the submissions, not the results, not /home;
- a network namespace with no interfaces;
- when the grader is not root, a user namespace of its own for the above.

Each child then adds what the host allows of: its own mount, IPC and process
namespaces (an empty private /tmp and /dev/shm, a /proc of its own processes), a
sandbox user of its slot (the grader is root, in a container too) or a nested user
namespace in which every mount above is locked.

And always, as the floor, which needs neither namespaces nor cgroups (a container's
root, an ordinary user without user namespaces): a fresh work folder made where nobody
else can write, oom_score_adj 1000, rlimits, no capabilities, no_new_privs, Landlock
(read only the allowlist, write only the work folder, no TCP, no signals out) and a
seccomp filter (autograder/sandbox/seccomp.py). Each layer is reported on or off with
why; what they add up to is measured by the zygote's probe (sandbox/protections.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import resource
import signal
import site
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import landlock, seccomp, workdirs
from .limits import Limits
from .protections import Layer

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_RELATIME = 0x200000
PR_CAPBSET_DROP = 24
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
MNT_DETACH = 2
# The grader's setting; its zygote, whose environment is clean, is told it and sets it here once, before any use.
UID_BASE = int(os.environ.get("KIT_SANDBOX_UID_BASE", "61000"))
NOBODY = 65534  # the child's uid and gid inside its nested user namespace (grader not root)
# The system's own folders, shown read-only (merged-/usr symlinks such as /bin -> usr/bin are kept as links).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# From /etc only what the loader and the C library read; never the whole folder.
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd",
             "/etc/group", "/etc/nsswitch.conf", "/etc/alternatives", "/etc/fonts", "/etc/os-release",
             "/etc/mime.types")
DEVICES = ("null", "zero", "full", "random", "urandom")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class Refused(Exception):
    """The OS did not allow a protection."""


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise Refused(f"{what}: {errno.errorcode.get(code, code)}")


def set_dumpable(dumpable: bool) -> bool:
    """PR_SET_DUMPABLE for this process. Undumpable: no process of its user may read its memory or its /proc
    files (environ, mem), which belong to root; False when the kernel refused."""
    return _libc.prctl(PR_SET_DUMPABLE, int(dumpable), 0, 0, 0) == 0


def _unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), what)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                       ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


UID_COUNT = 256
_LOCK_DIR = "/run/kit-sandbox"
# This process's claims, held for its life (a per-process cache): slot -> (uid, the open lock file holding it).
_claimed: dict[int, tuple[int, int]] = {}


def slot_uid(slot: int) -> int:
    return UID_BASE + int(slot)


def claim_uid(preferred_slot: int = 0) -> int:
    """An unprivileged uid no other worker on this machine uses, held for this process's life.

    Two graders running at once (two assignments, CI beside a TA) must never share a
    uid: cleaning up kills every process of the uid. The claim is an flock on a file
    per uid, released by the kernel when the worker exits, however it exits.
    """
    if preferred_slot in _claimed:
        return _claimed[preferred_slot][0]
    if os.geteuid() != 0:
        return os.geteuid()
    os.makedirs(_LOCK_DIR, mode=0o700, exist_ok=True)
    for offset in range(UID_COUNT):
        uid = UID_BASE + (int(preferred_slot) + offset) % UID_COUNT
        fd = os.open(os.path.join(_LOCK_DIR, f"{uid}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a second flock of ours on one file conflicts too
        except BlockingIOError:
            os.close(fd)
            continue
        _claimed[preferred_slot] = (uid, fd)
        return uid
    raise Refused(f"all {UID_COUNT} sandbox users are in use")


def _is_inside(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def interpreter_paths() -> list[Path]:
    """What the child needs of the interpreter: its prefixes, site-packages and every sys.path folder.

    Both the path as Python names it and where it really is (a symlinked venv) are kept.
    """
    named = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages(),
             os.path.dirname(sys.executable), *(p for p in sys.path if p and os.path.isabs(p))}
    out = set()
    for p in named:
        path = Path(os.path.abspath(p))
        if path.exists():
            out |= {path, path.resolve()}
    return sorted(out)


def allowlist(kit_root: Path) -> list[Path]:
    """Every path the child's root holds (read-only): system folders, a few /etc files, the interpreter.

    sys.path entries inside the kit itself (its own packages) are left out: the worker imported
    what it needs before building the root, and students must not read the kit.
    """
    kit = kit_root.resolve()
    inside_interpreter = {f(p) for p in (sys.prefix, sys.base_prefix)
                          for f in (lambda q: Path(q).resolve(), lambda q: Path(os.path.abspath(q)))}
    keep = [p for p in interpreter_paths()
            if not _is_inside(p, kit) or any(_is_inside(p, i) and not _is_inside(kit, i) for i in inside_interpreter)]
    return [Path(p) for p in SYSTEM_PATHS + ETC_FILES if os.path.lexists(p)] + keep


def _mount_flags(path: str) -> int:
    """The flags of the mount holding path that a read-only remount must repeat (locked in a user namespace)."""
    f = os.statvfs(path).f_flag
    flags = 0
    for st, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                   (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)):
        if f & st:
            flags |= ms
    return flags


def _bind_ro(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _mount_flags(source))


# One path build_root put into the new root: (path, symlink target or None for a read-only bind).
# A child re-creates those under /tmp on its private /tmp (an interpreter or venv that lives there).
Graft = tuple[str, str | None]


def _graft(new_root: str, path: str, done: set[str], grafts: list[Graft], depth: int = 0) -> None:
    """Make path exist in new_root as on the host: symlinks on the way recreated, the folder or file bound read-only;
    each appended to grafts."""
    if depth > 16:
        return  # a symlink loop: leave it out
    parts = Path(path).parts[1:]
    host = "/"
    for i, name in enumerate(parts):
        host = os.path.join(host, name)
        if host in done:
            return  # already bound (a folder above it)
        inside = new_root + host
        if os.path.islink(host):
            target = os.readlink(host)
            if not os.path.lexists(inside):
                os.symlink(target, inside)
                grafts.append((host, target))
            rest = parts[i + 1:]
            resolved = os.path.normpath(os.path.join(os.path.dirname(host), target, *rest))
            _graft(new_root, resolved, done, grafts, depth + 1)
            return
        if i == len(parts) - 1:
            if os.path.isdir(host):
                os.makedirs(inside, exist_ok=True)
            elif os.path.exists(host):
                open(inside, "a").close()
            else:
                return
            _bind_ro(host, inside)
            done.add(host)
            grafts.append((host, None))
            return
        if not os.path.isdir(inside):
            os.mkdir(inside, 0o755)


def _minimal_dev(new_root: str) -> None:
    dev = new_root + "/dev"
    os.makedirs(dev, exist_ok=True)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    wanted = list(DEVICES)
    if os.environ.get("CUDA_VISIBLE_DEVICES"):  # grade --device cuda: the GPU's device nodes too
        wanted += sorted(n for n in os.listdir("/dev") if n.startswith("nvidia") and not os.path.isdir(f"/dev/{n}"))
    for name in wanted:
        if os.path.exists(f"/dev/{name}"):
            open(f"{dev}/{name}", "a").close()
            _mount(f"/dev/{name}", f"{dev}/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(f"{dev}/shm", 0o1777)


_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "ppc64le": 203, "s390x": 217}


def _pivot(new_root: str) -> None:
    """Make new_root the root; the old one is detached, and the folder that staged the new one removed."""
    import platform
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise Refused(f"pivot_root: unknown system call number on {platform.machine()}")
    old = new_root + "/.old-root"
    os.mkdir(old, 0o700)
    _check(_libc.syscall(ctypes.c_long(number), new_root.encode(), old.encode()), "pivot_root")
    os.chdir("/")
    try:
        os.rmdir("/.old-root" + new_root)  # the host's empty staging folder, no longer a mount point
    except OSError:
        pass
    _check(_libc.umount2(b"/.old-root", MNT_DETACH), "umount the old root")
    os.rmdir("/.old-root")


def build_root(kit_root: Path, hide: list[str]) -> list[Graft]:
    """Replace this process's root by a tmpfs holding only the allowlist (inside a private mount namespace);
    what it holds, in order."""
    staging = tempfile.mkdtemp(prefix="kit-root-", dir="/tmp")
    grafts: list[Graft] = []
    try:
        _mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=0755")
        done: set[str] = set()
        for path in sorted(str(p) for p in allowlist(kit_root)):
            _graft(staging, path, done, grafts)
        # A folder the grader named, or the kit, that lies inside an allowed one is covered again.
        for secret in [str(kit_root.resolve()), *hide]:
            inside = staging + secret
            if any(secret.startswith(d + os.sep) for d in done) and os.path.isdir(inside):
                _mount("tmpfs", inside, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0755")
        _minimal_dev(staging)
        for name, mode in (("tmp", 0o1777), ("proc", 0o555)):
            os.makedirs(staging + "/" + name, mode=mode, exist_ok=True)
        os.chmod(staging + "/tmp", 0o1777)
        _mount("/proc", staging + "/proc", None, MS_BIND | MS_REC)  # the worker's own view, for its bookkeeping
    except BaseException:
        _libc.umount2(staging.encode(), MNT_DETACH)
        os.rmdir(staging)
        raise
    _pivot(staging)
    return grafts


@dataclass
class WorkerIsolation:
    """What isolate_worker did: its two layers, on or off, and what the new root holds (none when it is off)."""

    layers: list[Layer]
    grafts: tuple[Graft, ...] = ()


def isolate_worker(kit_root: Path, hide: list[str]) -> WorkerIsolation:
    """Once per zygote: its own network and mount namespaces, and a root holding only the allowlist.

    The zygote imported everything it needs before this, and its children
    inherit both namespaces, so the expensive part is paid once per worker.
    """
    try:
        if os.geteuid() != 0:
            # An unprivileged user may still get namespaces inside a user namespace of its own.
            uid, gid = os.geteuid(), os.getegid()
            _unshare(CLONE_NEWUSER, "user namespace")
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
            Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
        _unshare(CLONE_NEWNS | CLONE_NEWNET, "mount and network namespaces")
        _mount("none", "/", None, MS_REC | MS_PRIVATE)
    except (Refused, OSError) as e:
        return WorkerIsolation([Layer("network namespace", False, str(e)), Layer("allowlist root", False, str(e))])
    try:
        grafts = build_root(kit_root, hide)
    except (Refused, OSError) as e:
        return WorkerIsolation([Layer("network namespace", True, "no interfaces"),
                                Layer("allowlist root", False, str(e))])
    return WorkerIsolation([Layer("network namespace", True, "no interfaces"),
                            Layer("allowlist root", True, "pivot_root into a tmpfs of read-only allowed paths")],
                           tuple(grafts))


@dataclass
class ChildIsolation:
    """What isolate_child did: the child's work folder and every layer, on or off."""

    workdir: str
    layers: list[Layer]


def isolate_child(limits: Limits, base: str, prefix: str, rlimits: dict[int, int],
                  read_only: list[str] | None = None, grafts: tuple[Graft, ...] = ()) -> ChildIsolation:
    """In each child, before any student code: every layer the host allows, then the floor, which needs none.

    The namespaces (private /tmp, /dev/shm and /proc, own IPC) are tried first; then the work folder,
    made fresh where only we can write (never a fallback); oom_score_adj; the Landlock rules, opened
    while every path is still reachable; then no privileges (a sandbox user, or a nested user
    namespace); no_new_privs; Landlock enforced; the seccomp filter last (it refuses the calls the
    steps before it need). Raises NoWorkFolder when the folder cannot be made. grafts: what the zygote's root
    holds (isolate_worker), those under /tmp put back on a private /tmp.
    """
    layers: list[Layer] = []
    private_tmp = False
    # The zygote is undumpable; its child must own its /proc files again to set up (uid_map, oom_score_adj).
    set_dumpable(True)
    try:
        _unshare(CLONE_NEWNS, "mount namespace")  # our mounts must not outlive us in the zygote's
        under_tmp = [(path, target) for path, target in grafts if path.startswith("/tmp/")]
        kept = {path: os.open(path, os.O_PATH) for path, target in under_tmp if target is None}
        for tmp in ("/tmp", "/dev/shm"):
            if os.path.isdir(tmp):
                _mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
        _regraft(under_tmp, kept)
        private_tmp = True
        layers.append(Layer("private /tmp", True, "a mount namespace of its own"))
    except (Refused, OSError) as e:
        layers.append(Layer("private /tmp", False, str(e)))
    try:
        _unshare(CLONE_NEWIPC, "IPC namespace")  # System V segments die with the child
        layers.append(Layer("IPC namespace", True))
    except Refused as e:
        layers.append(Layer("IPC namespace", False, str(e)))
    own_proc = True
    try:
        if os.getpid() != 1:  # the zygote could not fork us into a process namespace of our own
            _become_init()
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # only our own processes are visible
        layers.append(Layer("process namespace", True))
    except (Refused, OSError) as e:
        layers.append(Layer("process namespace", False, str(e)))
        own_proc = False
    # The work folder: on our private /tmp, else in the zygote's base; made and opened by us, given by descriptor.
    workdir, folder = workdirs.make("/tmp", prefix, private=True) if private_tmp else workdirs.make(base, prefix)
    os.fchdir(folder)
    tempfile.tempdir = workdir
    os.environ.update(TMPDIR=workdir, HOME=workdir)
    # Raised while we may still write it; a process may raise its own score but never lower it again.
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
        layers.append(Layer("oom_score_adj", True, "1000: the OOM killer takes the child first"))
    except OSError as e:
        layers.append(Layer("oom_score_adj", False, e.strerror or str(e)))
    _set_rlimits({k: v for k, v in rlimits.items() if k != resource.RLIMIT_NPROC})
    ruleset = _landlock_rules(read_only or [], folder, layers)
    uid = limits.uid if limits.uid is not None else slot_uid(limits.slot)
    # Root inside a user namespace of our own (an unprivileged grader) has euid 0 too, but no
    # sandbox user to become: only a uid claimed from the sandbox range is ever switched to.
    switch = os.geteuid() == 0 and UID_BASE <= uid < UID_BASE + UID_COUNT and not limits.same_user
    blocked = _unreachable_by(uid, read_only or []) if switch else []
    if blocked:  # e.g. pyenv's Python under /root (0700) without a root of our own: it could import nothing new
        switch = False
        layers.append(Layer("separate user", False, f"the sandbox user cannot reach {blocked[0]}, which the "
                                                    "interpreter needs: the child keeps the grader's uid, "
                                                    "with no capabilities"))
    if switch:
        os.fchown(folder, uid, uid)  # by descriptor: nothing planted on the way can redirect it
        layers += _drop_to(uid, uid)
    else:
        layers += _drop_in_nested_namespace(own_proc)
    os.close(folder)
    # The process limit counts every task of the real user. A child that shares the grader's user (no sandbox
    # user, no user namespace of its own) would be refused any fork on a busy account: its limit is what the
    # user runs now plus its own allowance.
    if resource.RLIMIT_NPROC in rlimits:
        shares_user = not any(layer.on and layer.name in ("separate user", "nested user namespace") for layer in layers)
        allowance = rlimits[resource.RLIMIT_NPROC]
        rlimits = {**rlimits, resource.RLIMIT_NPROC: allowance + (_tasks_of(os.getuid()) if shares_user else 0)}
        _set_rlimits({resource.RLIMIT_NPROC: rlimits[resource.RLIMIT_NPROC]})
    layers.append(_rlimit_layer(rlimits))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        layers.append(Layer("no_new_privs", False, "prctl refused"))
    else:
        layers.append(Layer("no_new_privs", True))
    if ruleset is not None:
        try:
            ruleset.enforce()
            layers.append(Layer("Landlock", True, f"ABI {ruleset.abi}: " + "; ".join(ruleset.held)))
        except OSError as e:
            layers.append(Layer("Landlock", False, str(e)))
    set_dumpable(False)  # no process of the same user may read our memory
    try:
        seccomp.install()
        layers.append(Layer("seccomp filter", True, f"{len(seccomp.CHILD_RULES)} rules: no sockets but a pair, "
                                                    "no System V IPC or keyring, no ptrace, mounts, namespaces "
                                                    "or changes of file modes and owners"))
    except OSError as e:
        layers.append(Layer("seccomp filter", False, str(e)))
    return ChildIsolation(workdir, layers)


def _unreachable_by(uid: int, paths: list[str]) -> list[str]:
    """The paths that uid (with gid uid and no groups) could not read, by the folders' modes on the way."""
    blocked = []
    for path in paths:
        real, folder = os.path.realpath(path), "/"
        try:
            for part in [p for p in real.split("/") if p][:-1]:
                folder = os.path.join(folder, part)
                if not _permits(os.stat(folder), uid, 0o1):  # search (x) on every folder above it
                    raise PermissionError(folder)
            info = os.stat(real)
            if not _permits(info, uid, 0o4 | (0o1 if os.path.isdir(real) else 0)):
                raise PermissionError(real)
        except PermissionError as e:
            blocked.append(str(e))
        except OSError:
            continue  # gone: nothing to read there anyway
    return blocked


def _permits(info: os.stat_result, uid: int, bits: int) -> bool:
    shift = 6 if info.st_uid == uid else 3 if info.st_gid == uid else 0
    return (info.st_mode >> shift) & bits == bits


def _set_rlimits(rlimits: dict[int, int]) -> None:
    for name, value in rlimits.items():
        try:
            resource.setrlimit(name, (value, value))
        except (ValueError, OSError):
            pass  # not lowered: _rlimit_layer reports only the limits that hold


def _tasks_of(uid: int) -> int:
    """How many tasks (threads) the user runs now, as RLIMIT_NPROC counts them."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/status") as f:
                    fields = dict(line.split(":", 1) for line in f if line.startswith(("Uid:", "Threads:")))
                if int(fields["Uid"].split()[0]) == uid:
                    count += int(fields["Threads"])
            except (OSError, KeyError, ValueError):
                continue
    return count


def _rlimit_layer(rlimits: dict[int, int]) -> Layer:
    names = {resource.RLIMIT_CPU: "CPU s", resource.RLIMIT_AS: "address space", resource.RLIMIT_NPROC: "processes",
             resource.RLIMIT_FSIZE: "file size", resource.RLIMIT_NOFILE: "open files", resource.RLIMIT_CORE: "core"}
    held = [names.get(k, str(k)) for k, v in rlimits.items() if resource.getrlimit(k)[1] == v]
    return Layer("rlimits", bool(held), ", ".join(held))


def _landlock_rules(read_only: list[str], folder: int, layers: list[Layer]) -> "landlock.Ruleset | None":
    """The child's Landlock rules, opened now (a sandbox user may not reach the interpreter's folders by path)."""
    try:
        ruleset = landlock.Ruleset.create()
    except OSError as e:
        layers.append(Layer("Landlock", False, e.strerror or str(e)))
        return None
    try:
        for path in read_only:
            ruleset.allow(path, landlock.READ_ONLY)
        for name in DEVICES:
            ruleset.allow(f"/dev/{name}", landlock.READ_WRITE_FILE)
        ruleset.allow("/proc/self", landlock.READ_ONLY)  # its own /proc/PID only, never another process's
        if os.environ.get("CUDA_VISIBLE_DEVICES"):  # the GPU's device nodes and what CUDA reads to start
            for name in sorted(n for n in os.listdir("/dev") if n.startswith("nvidia")):
                ruleset.allow(f"/dev/{name}", landlock.READ_WRITE_FILE | landlock.READ_ONLY)
            for path in ("/proc/driver", "/sys"):
                ruleset.allow(path, landlock.READ_ONLY)
        ruleset.allow_fd(folder, landlock.ALL_FS)
    except OSError as e:
        os.close(ruleset.fd)
        layers.append(Layer("Landlock", False, str(e)))
        return None
    return ruleset


def _regraft(grafts: list[Graft], kept: dict[str, int]) -> None:
    """Put the interpreter's paths under /tmp back on the child's fresh /tmp, read-only as before."""
    for path, target in grafts:
        parent = os.path.dirname(path)
        os.makedirs(parent, mode=0o755, exist_ok=True)
        if target is not None:
            os.symlink(target, path)
            continue
        if os.path.isdir(f"/proc/self/fd/{kept[path]}"):
            os.makedirs(path, exist_ok=True)
        else:
            open(path, "a").close()
        _mount(f"/proc/self/fd/{kept[path]}", path, None, MS_BIND | MS_REC)
        try:
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _mount_flags(path))
        except Refused:
            pass  # a bind keeps its source's read-only flag anyway
        os.close(kept[path])
    for folder in {os.path.dirname(p) for p, _ in grafts}:  # only the sticky /tmp itself is writable
        while folder.startswith("/tmp/"):
            os.chmod(folder, 0o755)
            folder = os.path.dirname(folder)


def _drop_in_nested_namespace(own_proc: bool) -> list[Layer]:
    """A user namespace inside ours whose mount namespace locks every mount we made; then no capabilities.

    Mounts copied into a namespace owned by a less privileged user namespace are locked:
    the child cannot unmount the covers or its /proc, nor remount them writable.
    """
    try:
        uid, gid = os.geteuid(), os.getegid()
        _unshare(CLONE_NEWUSER, "nested user namespace")
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{NOBODY} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{NOBODY} {gid} 1")
        _unshare(CLONE_NEWNS, "locked mount namespace")
        if not own_proc:  # the host's processes must not show through
            _mount("tmpfs", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=0555")
    except (Refused, OSError) as e:
        return [Layer("nested user namespace", False, str(e)), *_drop_to(None, None)]
    return [Layer("nested user namespace", True, "every mount locked"), *_drop_to(NOBODY, NOBODY)]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_to(uid: int | None, gid: int | None) -> list[Layer]:
    """Empty the bounding and ambient sets, become uid/gid (None: stay who we are), and clear every capability."""
    layers = []
    cap = 0
    while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:  # until EINVAL: past the last capability
        cap += 1
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    try:
        os.setgroups([])
    except OSError:
        pass  # setgroups is denied in a nested user namespace, and an ordinary user may not: no_new_privs covers it
    if uid is not None and gid is not None:
        try:
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            layers.append(Layer("separate user", True, "nobody, nested" if uid == NOBODY else
                                f"a sandbox user per slot (uids {UID_BASE}-{UID_BASE + UID_COUNT - 1})"))
        except OSError as e:
            layers.append(Layer("separate user", False, e.strerror or str(e)))
    data = (_CapData * 2)()
    _libc.capset(ctypes.byref(_CapHeader(0x20080522, 0)), data)
    held = held_capabilities()
    layers.append(Layer("capabilities dropped", held == 0,
                        "none held" + (", bounding set empty" if cap else "") if held == 0 else f"still holds {held:#x}"))
    return layers


def held_capabilities() -> int:
    """The effective and permitted capabilities of this process (capget: no /proc needed)."""
    data = (_CapData * 2)()
    if _libc.capget(ctypes.byref(_CapHeader(0x20080522, 0)), data) != 0:
        return -1
    return sum((d.effective | d.permitted) << (32 * i) for i, d in enumerate(data))


def own_pid_namespace() -> int | None:
    """A descriptor of this process's own PID namespace (for next_child_in_new_pid_namespace); None if refused."""
    try:
        return os.open("/proc/self/ns/pid", os.O_RDONLY)
    except OSError:
        return None


def next_child_in_new_pid_namespace(own: int | None) -> bool:
    """Make the next fork of this process the first process (init) of a fresh PID namespace.

    When that child ends, the kernel kills every process it started, whatever
    they did to escape (setsid, double forks, fork bombs). Each call makes a
    new namespace: the previous one is left by going back to our own (own: own_pid_namespace()) first.
    """
    if own is None:
        return False
    try:
        _check(_libc.setns(own, CLONE_NEWPID), "setns")
        _unshare(CLONE_NEWPID, "process namespace")
        return True
    except (Refused, OSError):
        return False


def _become_init() -> None:
    """Fall back to a namespace of our own: this process forks into it and waits there.

    Used where the zygote cannot set up the namespace for its children (an unprivileged
    grader in a user namespace). The forked process, init of the new namespace, goes on;
    this one waits for it and ends as it ended, so the zygote sees the same exit.
    """
    _unshare(CLONE_NEWPID, "process namespace")
    pid = os.fork()
    if pid == 0:
        return
    os.closerange(0, 65536)  # the pipes stay with the child alone
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def kill_uid(uid: int, rounds: int = 20) -> None:
    """Kill every process of a slot's user, including ones that left the process group (setsid).

    Read from /proc rather than by forking a killer: cheaper, and a fork bomb
    bounded by RLIMIT_NPROC is cleared in a few rounds.
    """
    if os.geteuid() != 0 or not UID_BASE <= uid < UID_BASE + UID_COUNT:
        return  # only ever a sandbox user: never the grader's own user, whose processes these are not
    for _ in range(rounds):
        found = False
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/status") as f:
                    for line in f:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == uid:
                                os.kill(int(entry.name), signal.SIGKILL)
                                found = True
                            break
            except (OSError, ValueError):
                continue
        if not found:
            return
