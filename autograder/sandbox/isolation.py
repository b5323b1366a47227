"""OS-level isolation of the child that runs student code (Linux).

Applied in the forked child before any student code runs:

- a private mount namespace in which the kit's repository (all but the
  interpreter's own files), the grader's home, the submissions, the output
  folder and the shared temporary folders are covered by empty tmpfs mounts;
- a network namespace with no interfaces, so no connection can be made;
- an unprivileged user of its own (one per worker slot) when the grader runs
  as root: it owns nothing of ours, cannot signal or trace the grader, and
  RLIMIT_NPROC bounds how many processes it can start;
- no_new_privs, so no setuid program can give root back.

Each step that the OS refuses is reported by name; grading goes on without it
and the grader prints one line saying which protections are off.
"""

from __future__ import annotations

import ctypes
import fcntl
import ctypes.util
import errno
import os
import pwd
import signal
import stat
import site
import sys
import tempfile
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_NO_NEW_PRIVS = 38
MNT_DETACH = 2
SYSTEM_FOLDERS = {"/", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev", "/run",
                  "/var", "/opt", "/boot", "/snap", "/nix"}
UID_BASE = int(os.environ.get("KIT_SANDBOX_UID_BASE", "61000"))

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class Refused(Exception):
    """The OS did not allow a protection."""


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise Refused(f"{what}: {errno.errorcode.get(code, code)}")


def _unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), what)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                       ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


UID_COUNT = 256
_LOCK_DIR = "/run/kit-sandbox"
_claimed: tuple[int, int] | None = None  # (uid, the open lock file that holds it)


def slot_uid(slot: int) -> int:
    return UID_BASE + int(slot)


def claim_uid(preferred_slot: int = 0) -> int:
    """An unprivileged uid no other worker on this machine uses, held for this process's life.

    Two graders running at once (two assignments, CI beside a TA) must never share a
    uid: cleaning up kills every process of the uid. The claim is an flock on a file
    per uid, released by the kernel when the worker exits, however it exits.
    """
    global _claimed
    if _claimed is not None:
        return _claimed[0]
    if os.geteuid() != 0:
        return os.geteuid()
    os.makedirs(_LOCK_DIR, mode=0o700, exist_ok=True)
    for offset in range(UID_COUNT):
        uid = UID_BASE + (int(preferred_slot) + offset) % UID_COUNT
        fd = os.open(os.path.join(_LOCK_DIR, f"{uid}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _claimed = (uid, fd)
        return uid
    raise Refused(f"all {UID_COUNT} sandbox users are in use")


def _is_inside(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def _cover(root: Path, keep: list[Path]) -> None:
    """Replace root by an empty tmpfs in which only the kept paths below it reappear.

    Kept paths are bind-mounted aside, the tmpfs goes on, and they are bound
    back at their old places: the interpreter stays importable even when it
    lives inside a folder we hide (a venv in the repository, pyenv in /root).
    """
    if any(_is_inside(root, k) for k in keep):
        return  # root is part of what the child needs
    inner = [k for k in keep if _is_inside(k, root)]
    inner = [k for k in inner if not any(o != k and _is_inside(k, o) for o in inner)]
    if root.is_symlink() or not root.exists():
        return
    if not root.is_dir():
        _mount("/dev/null", str(root), None, MS_BIND)
        return
    stashes = []
    for k in inner:
        stash = tempfile.mkdtemp(prefix="kit-stash-", dir="/tmp")
        _mount(str(k), stash, None, MS_BIND | MS_REC)
        stashes.append((k, stash))
    _mount("tmpfs", str(root), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for k, stash in stashes:
        os.makedirs(k, mode=0o755, exist_ok=True)
        _mount(stash, str(k), None, MS_BIND | MS_REC)
        _libc.umount2(stash.encode(), MNT_DETACH)
        os.rmdir(stash)


def secret_roots(kit_root: Path, extra: list[str]) -> list[Path]:
    """Folders to hide: the kit and its siblings (shared/, other checkouts), home, extra paths from the grader."""
    roots = [kit_root]
    parent = kit_root.parent
    if str(parent) not in SYSTEM_FOLDERS:  # never cover a folder the system itself lives in
        roots = [parent]
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # HOME itself is rewritten for the sandbox
    roots += [home, *(Path(p) for p in extra)]
    # A folder the sandbox user could not pass through (/root is 0700) would cut it off from
    # the interpreter below it: covering it puts a traversable tmpfs there instead.
    for kept in interpreter_paths():
        for folder in kept.parents:
            if str(folder) not in SYSTEM_FOLDERS and not os.stat(folder).st_mode & stat.S_IXOTH:
                roots.append(folder)
    return sorted({r.resolve() for r in roots if r.exists()})


def interpreter_paths() -> list[Path]:
    """What the child still needs: the interpreter's prefixes (standard library, venv, site-packages)."""
    keep = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix)}
    keep |= {Path(p) for p in site.getsitepackages()}
    return sorted({k.resolve() for k in keep if k.exists()})


def isolate_worker(kit_root: Path, hide: list[str]) -> list[str]:
    """Once per zygote: its own network and mount namespaces with every secret folder covered.

    The zygote imported everything it needs before this, and its children
    inherit both namespaces, so the expensive part is paid once per worker.
    Returns the protections that are off.
    """
    off: list[str] = []
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
        return [f"network isolation ({e})", "hidden files", "private /tmp"]
    keep = interpreter_paths()
    try:
        for root in secret_roots(kit_root, hide):
            _cover(root, keep)
    except (Refused, OSError) as e:
        off.append(f"hidden files ({e})")
    return off


def isolate_child(limits: dict, workdir_name: str) -> tuple[str, list[str]]:
    """In each child: a private /tmp and /proc, then its slot's unprivileged user.

    Returns (its working directory, the protections that are off).
    """
    off: list[str] = []
    workdir = os.path.join("/tmp", workdir_name)
    keep = interpreter_paths()
    try:
        _unshare(CLONE_NEWNS, "mount namespace")  # our mounts must not outlive us in the zygote's
        for tmp in ("/tmp", "/var/tmp", "/dev/shm"):
            if os.path.isdir(tmp) and not any(_is_inside(k, Path(tmp)) for k in keep):
                _mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
        os.makedirs(workdir, exist_ok=True)
        # The working folder is a tmpfs of its own, even where /tmp itself could not be covered.
        _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=0755")
    except (Refused, OSError) as e:
        off.append(f"private /tmp ({e})")
    try:
        if os.getpid() != 1:  # the zygote could not fork us into a process namespace of our own
            _become_init()
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)  # only our own processes are visible
    except (Refused, OSError) as e:
        off.append(f"process namespace ({e})")
    try:
        os.makedirs(workdir, exist_ok=True)
    except OSError:  # not even /tmp is writable: work where we are
        workdir = os.getcwd()
    uid = int(limits.get("uid", slot_uid(limits.get("slot", 0))))
    # Root inside a user namespace of our own (an unprivileged grader) has euid 0 too, but no
    # sandbox user to become: only a uid claimed from the sandbox range is ever switched to.
    switch = os.geteuid() == 0 and UID_BASE <= uid < UID_BASE + UID_COUNT and not limits.get("same_user")
    if not switch:
        off.append("separate user (the grader is not running as root)")
    else:
        try:
            os.chown(workdir, uid, uid)
        except OSError:
            pass  # the folder stays root's; the student's code can still read its inputs
    os.chdir(workdir)
    if switch:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        except OSError as e:
            off.append(f"separate user ({e.strerror})")
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        off.append("no_new_privs")
    return workdir, off


_own_pid_namespace: int | None = None


def next_child_in_new_pid_namespace() -> bool:
    """Make the next fork of this process the first process (init) of a fresh PID namespace.

    When that child ends, the kernel kills every process it started, whatever
    they did to escape (setsid, double forks, fork bombs). Each call makes a
    new namespace: the previous one is left by going back to our own first.
    """
    global _own_pid_namespace
    try:
        if _own_pid_namespace is None:
            _own_pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY)
        _check(_libc.setns(_own_pid_namespace, CLONE_NEWPID), "setns")
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
