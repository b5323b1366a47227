"""Run a command in a disposable root, then say what it changed there: the real / is never at risk.

    python tests/disposable_root.py SPEC_JSON      (as root)

In a private mount namespace, a tmpfs becomes the command's / (pivot_root). It holds:
- the system's folders (/usr, /etc, the interpreter's prefix, and /bin, /lib... as links or folders as
  on the host) as overlays: the host's folder read-only below, a scratch upper layer above. The command
  sees them writable (root may write there), but whatever it changes lands in the upper layer, which is
  thrown away; an empty upper layer afterwards means nothing there was written, chowned or removed;
- a writable copy of the kit (without its venv, .git and caches) at its own path, and its venv as an
  overlay too;
- the spec's copies (submissions...), a fresh /proc, a minimal /dev, a /sys of the host (cgroups), an
  empty /tmp and /var/tmp (mode 1777), and /run/kit-sandbox bound from the host (so that sandbox
  users claimed here and by graders on the host never collide).

SPEC_JSON: {"command": [...], "cwd": "/work/main", "env": {...}, "kit": "/work/main",
            "copies": {"/dest": "/host/src", ...}, "folders": {"/dest": [uid, gid, mode], ...},
            "export": {"/dest": "/host/folder"}, "ignore": ["/dest", ...], "report": "/host/report.json"}

The report (JSON, written to spec["report"] on the host): the command's exit code; for each overlay the
paths its upper layer holds; and every path of the tmpfs (the kit's copy, /, /tmp, the copies) that was
added, removed or changed (type, owner, mode, contents) outside the spec's "ignore" paths. The folders
named in "export" are copied back to the host first (the grader's results).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from autograder.sandbox import isolation  # noqa: E402

# What the command sees of the host's system, each as a link (if it is one here) or an overlay.
SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
KIT_LEFT_OUT = (".venv", ".git", ".pytest_cache", "dist")
SKIP = ("/proc", "/sys", "/dev", "/run/kit-sandbox")  # mounts of the host's: never walked


def _overlay(lower: str, target: str, scratch: str, name: str) -> str:
    """Mount lower as an overlay at target, its upper layer in scratch; returns the upper folder."""
    upper, work = os.path.join(scratch, name + ".up"), os.path.join(scratch, name + ".work")
    os.makedirs(upper)
    os.makedirs(work)
    os.makedirs(target, exist_ok=True)
    info = os.stat(lower)
    os.chmod(upper, stat.S_IMODE(info.st_mode))
    os.chown(upper, info.st_uid, info.st_gid)
    isolation._mount("overlay", target, "overlay", 0, f"lowerdir={lower},upperdir={upper},workdir={work}")
    return upper


def _make_parents(root: str, path: str) -> None:
    """The folders above path inside root, each with the owner and mode it has on the host."""
    here = "/"
    for name in Path(path).parts[1:-1]:
        here = os.path.join(here, name)
        inside = root + here
        if not os.path.isdir(inside):
            os.mkdir(inside)
            if os.path.isdir(here):  # a folder only of the disposable root: root's, 0755
                info = os.stat(here)
                os.chown(inside, info.st_uid, info.st_gid)
                os.chmod(inside, stat.S_IMODE(info.st_mode))
            else:
                os.chmod(inside, 0o755)


def _minimal_dev(root: str) -> None:
    dev = root + "/dev"
    os.makedirs(dev, exist_ok=True)
    isolation._mount("tmpfs", dev, "tmpfs", isolation.MS_NOSUID | isolation.MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            open(f"{dev}/{name}", "a").close()
            isolation._mount(f"/dev/{name}", f"{dev}/{name}", None, isolation.MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(f"{dev}/shm")
    isolation._mount("tmpfs", f"{dev}/shm", "tmpfs", isolation.MS_NOSUID | isolation.MS_NODEV, "size=64m,mode=1777")


def build(spec: dict, root: str, scratch: str) -> dict[str, str]:
    """Fill root (a fresh tmpfs); returns {path in root: its overlay's upper folder}."""
    uppers = {}
    os.chmod(root, 0o755)
    for path in SYSTEM:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            uppers[path] = _overlay(path, root + path, scratch, path.strip("/").replace("/", "_"))
    kit = spec["kit"]
    prefixes = sorted({str(Path(p).resolve()) for p in (sys.base_prefix, sys.prefix)}, key=len)
    for prefix in prefixes:
        if any(prefix == o or prefix.startswith(o + "/") for o in uppers):
            continue  # inside a system folder already
        if prefix == kit or prefix.startswith(kit + "/"):
            continue  # the kit's venv: below, once the kit is copied
        _make_parents(root, prefix)
        uppers[prefix] = _overlay(prefix, root + prefix, scratch, prefix.strip("/").replace("/", "_"))
    _make_parents(root, kit)
    shutil.copytree(kit, root + kit, symlinks=True, ignore=shutil.ignore_patterns(*KIT_LEFT_OUT))
    for name in (".venv",):
        if os.path.isdir(os.path.join(kit, name)) and not os.path.islink(os.path.join(kit, name)):
            uppers[f"{kit}/{name}"] = _overlay(f"{kit}/{name}", f"{root}{kit}/{name}", scratch, "kit_" + name)
    for dest, source in spec.get("copies", {}).items():
        _make_parents(root, dest)
        shutil.copytree(source, root + dest, symlinks=True)
    for dest, (uid, gid, mode) in spec.get("folders", {}).items():
        _make_parents(root, dest)
        os.makedirs(root + dest, exist_ok=True)
        os.chown(root + dest, uid, gid)
        os.chmod(root + dest, mode)
    for dest, (uid, gid) in spec.get("chown", {}).items():  # a copy handed to the grader's user, all of it
        for folder, names, files in os.walk(root + dest):
            for name in [folder, *(os.path.join(folder, n) for n in names + files)]:
                os.lchown(name, uid, gid)
    for name, mode in (("tmp", 0o1777), ("var/tmp", 0o1777), ("root", 0o700), ("run", 0o755), ("proc", 0o555),
                       ("sys", 0o555)):
        os.makedirs(f"{root}/{name}", exist_ok=True)
        os.chmod(f"{root}/{name}", mode)
    isolation._mount("proc", root + "/proc", "proc", isolation.MS_NOSUID | isolation.MS_NODEV | isolation.MS_NOEXEC)
    isolation._mount("/sys", root + "/sys", None, isolation.MS_BIND | isolation.MS_REC)
    os.makedirs("/run/kit-sandbox", mode=0o700, exist_ok=True)
    os.makedirs(root + "/run/kit-sandbox", mode=0o700)
    isolation._mount("/run/kit-sandbox", root + "/run/kit-sandbox", None, isolation.MS_BIND)
    _minimal_dev(root)
    return uppers


def snapshot(root: str, skip: set[str]) -> dict[str, list]:
    """path (as the command sees it) -> [type, uid, gid, mode, contents' digest or link target]."""
    found = {}
    for folder, names, files in os.walk(root):
        inside = folder[len(root):] or "/"
        keep = []
        for name in names:
            path = os.path.join(inside, name)
            if path in skip:
                continue
            keep.append(name)
        names[:] = keep
        for name in [*names, *files, *([""] if inside == "/" else [])]:
            path = os.path.join(inside, name) if name else "/"
            if path in skip:
                continue
            real = root + path if path != "/" else root
            try:
                info = os.lstat(real)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                what = os.readlink(real)
            elif stat.S_ISREG(info.st_mode):
                with open(real, "rb") as f:
                    what = hashlib.sha256(f.read()).hexdigest()
            else:
                what = ""
            found[path] = [stat.S_IFMT(info.st_mode), info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), what]
    return found


def _pivot(root: str) -> None:
    """root becomes / of this process's mount namespace; the host's is detached (its folders left as they are)."""
    os.chdir(root)
    os.mkdir(".old-root", 0o700)
    number = isolation._PIVOT_ROOT[os.uname().machine]
    isolation._check(isolation._libc.syscall(isolation.ctypes.c_long(number), b".", b".old-root"), "pivot_root")
    os.chdir("/")
    isolation._check(isolation._libc.umount2(b"/.old-root", isolation.MNT_DETACH), "umount the old root")
    os.rmdir("/.old-root")


def _upper_contents(upper: str) -> list[str]:
    out = []
    for folder, names, files in os.walk(upper):
        for name in names + files:
            out.append(os.path.relpath(os.path.join(folder, name), upper))
    return sorted(out)


def main() -> None:
    spec = json.loads(sys.argv[1])
    isolation._unshare(isolation.CLONE_NEWNS, "mount namespace")
    isolation._mount("none", "/", None, isolation.MS_REC | isolation.MS_PRIVATE)  # nothing propagates out
    root = tempfile.mkdtemp(prefix="disposable-root-", dir="/tmp")
    scratch = tempfile.mkdtemp(prefix="disposable-scratch-", dir="/tmp")
    try:
        isolation._mount("tmpfs", root, "tmpfs", 0, "size=512m,mode=0755")
        isolation._mount("tmpfs", scratch, "tmpfs", 0, "size=512m,mode=0700")
        run(spec, root, scratch)
    finally:
        for folder in (root, scratch):  # the two (empty) mount points on the host's /tmp
            isolation._libc.umount2(folder.encode(), isolation.MNT_DETACH)
            os.rmdir(folder)


def run(spec: dict, root: str, scratch: str) -> None:
    uppers = build(spec, root, scratch)
    skip = set(SKIP) | set(uppers) | set(spec.get("ignore", [])) | set(spec.get("export", {}))
    before = snapshot(root, skip)
    pid = os.fork()
    if pid == 0:
        try:
            isolation._unshare(isolation.CLONE_NEWNS, "mount namespace")  # pivot here, never in the launcher's
            _pivot(root)
            os.chdir(spec.get("cwd", "/"))
            os.execvpe(spec["command"][0], spec["command"], {**spec.get("env", {})})
        except BaseException as e:  # noqa: BLE001
            print(f"disposable_root: {type(e).__name__}: {e}", file=sys.stderr)
        os._exit(127)
    _, status = os.waitpid(pid, 0)
    for dest, host in spec.get("export", {}).items():
        if os.path.isdir(root + dest):
            shutil.copytree(root + dest, host, symlinks=True, dirs_exist_ok=True)
    after = snapshot(root, skip)
    report = {
        "exit": os.waitstatus_to_exitcode(status),
        "uppers": {path: _upper_contents(upper) for path, upper in uppers.items()},
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": {p: [before[p], after[p]] for p in sorted(set(before) & set(after)) if before[p] != after[p]},
        "overlays": sorted(uppers),
        "paths": len(before),
    }
    with open(spec["report"], "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
