"""The zygote's probe: isolated exactly as a child is, it tries what the sandbox's floor forbids.

Run once per zygote, before any student code, so nothing here is hostile; what it finds is what a
student's code would find. Each guarantee (protections.GUARANTEES) is judged by tries, not by
which layers claim to be on: a guarantee is held when every try failed. The zygote adds what only
it can see (whether the process the probe left behind is gone; its own layers) in ``report``.
"""

from __future__ import annotations

import ctypes
import os
import resource
import secrets
import signal
import socket
import time

from .protections import GUARANTEES, Guarantee, Layer, SandboxReport

# What gives each guarantee, when on (for the report's "by" column).
_GIVEN_BY = {
    "read": ("allowlist root", "Landlock", "separate user"),
    "write": ("Landlock", "allowlist root", "separate user", "private /tmp"),
    "network": ("seccomp filter", "network namespace", "Landlock"),
    "channels": ("seccomp filter", "IPC namespace"),
    "others": ("seccomp filter", "Landlock", "separate user", "process namespace"),
    "privileges": ("capabilities dropped", "no_new_privs", "separate user", "nested user namespace"),
    "cleanup": ("process namespace", "subreaper", "separate user"),
    "processes": ("rlimits", "cgroup"),
    "memory": ("rlimits", "oom_score_adj"),
    "imports": (),  # not a protection: that honest code still works under all of them
    "together": ("cgroup",),
}
_libc = ctypes.CDLL(None, use_errno=True)
IPC_PRIVATE, IPC_RMID = 0, 0
_SHMGET, _SHMCTL, _KEYCTL = {"x86_64": (29, 31, 250), "aarch64": (194, 195, 219)}.get(os.uname().machine, (-1, -1, -1))
KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING = 0, -4
PR_GET_NO_NEW_PRIVS = 39


def _readable(path: str) -> bool:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return True
    except OSError:
        return False


def _writable(folder: str) -> bool:
    name = os.path.join(folder, f".kit-probe-{secrets.token_hex(6)}")
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return False
    os.close(fd)
    try:
        os.unlink(name)
    except OSError:
        pass
    return True


def _judge(key: str, failures: list[str], tried: str) -> dict:
    return {"key": key, "held": not failures,
            "evidence": (f"tried {tried}: none worked" if not failures else "worked: " + "; ".join(failures))[:400]}


def measure(layers: list[Layer], workdir: str, base: str, secret_paths: list[str], zygote_pid: int) -> list[dict]:
    """Try each forbidden thing from inside the sandbox; one judged guarantee (a dict) per key."""
    on = {layer.name for layer in layers if layer.on}
    out = []
    reads = [*secret_paths, base, f"/proc/{zygote_pid}/environ", f"/proc/{zygote_pid}/cmdline"]
    out.append(_judge("read", [p for p in reads if p != workdir and _readable(p)],
                      f"reading {len(reads)} paths (the kit, hidden folders, other work folders, the zygote)"))
    folders = [*secret_paths, base, "/", "/etc", "/usr", "/var/tmp"]
    if "private /tmp" not in on:  # a private /tmp and /dev/shm vanish with the child: writing there is harmless
        folders += ["/tmp", "/dev/shm"]
    folders = [f for f in folders if f != workdir and os.path.isdir(f)]
    out.append(_judge("write", [f for f in folders if _writable(f)], f"creating a file in {len(folders)} folders"))
    opened = []
    for family, name in ((socket.AF_INET, "IPv4"), (socket.AF_INET6, "IPv6"), (socket.AF_NETLINK, "netlink"),
                         (getattr(socket, "AF_PACKET", 17), "packet")):
        try:
            socket.socket(family, socket.SOCK_DGRAM if family != socket.AF_INET else socket.SOCK_STREAM).close()
            opened.append(name)
        except OSError:
            pass
    isolated = "network namespace" in on and all(n == "lo" for _, n in socket.if_nameindex())
    out.append(_judge("network", [] if isolated else [f"a {n} socket" for n in opened],
                      "IPv4, IPv6, netlink and packet sockets"))
    channels = []
    segment = _libc.syscall(_SHMGET, IPC_PRIVATE, 4096, 0o600)
    if segment >= 0:
        _libc.syscall(_SHMCTL, segment, IPC_RMID, None)
        if "IPC namespace" not in on:
            channels.append("System V shared memory")
    if _libc.syscall(_KEYCTL, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0) >= 0:
        channels.append("the user's kernel keyring")
    out.append(_judge("channels", channels, "System V shared memory and the user's keyring"))
    others = []
    try:
        os.kill(zygote_pid, 0)
        others.append("signalling the zygote")
    except OSError:
        pass
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
        others.append("a UNIX socket (it could connect to the host's)")
    except OSError:
        pass
    out.append(_judge("others", others, "signalling the zygote, opening a UNIX socket"))
    from .isolation import held_capabilities
    privileges = []
    if held_capabilities() != 0:
        privileges.append(f"capabilities {held_capabilities():#x}")
    if _libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1:
        privileges.append("no_new_privs is off")
    for mount_point in ("/proc", "/tmp"):  # (in its own mount namespace, if any: nothing of the host's)
        if _libc.umount2(mount_point.encode(), 2) == 0:  # MNT_DETACH
            privileges.append(f"unmounting {mount_point}")
    out.append(_judge("privileges", privileges, "reading its capabilities and no_new_privs, unmounting /proc and /tmp"))
    memory = []
    if resource.getrlimit(resource.RLIMIT_AS)[1] == resource.RLIM_INFINITY:
        memory.append("no address-space limit")
    try:
        with open("/proc/self/oom_score_adj") as f:
            if f.read().strip() != "1000":
                memory.append("oom_score_adj is not 1000")
    except OSError:
        if "oom_score_adj" not in on:
            memory.append("oom_score_adj not set")
    out.append(_judge("memory", memory, "reading its address-space limit and oom_score_adj"))
    out.append(_imports())
    return out


def _imports() -> dict:
    """Can the child import what the zygote did not (the interpreter's folders readable by its user)?"""
    import importlib
    import sys
    fresh = [name for name in ("colorsys", "wave", "netrc", "fractions", "statistics") if name not in sys.modules]
    failed = []
    for name in fresh[:2]:
        try:
            importlib.import_module(name)
        except Exception as e:
            failed.append(f"import {name}: {type(e).__name__}: {e}")
    held = bool(fresh) and not failed
    return {"key": "imports", "held": held,
            "evidence": (f"imported {', '.join(fresh[:2])}" if held else "; ".join(failed) or "nothing left to try")}


def processes_bounded() -> dict:
    """Does the kernel count this child's processes? Its limit lowered to none, one fork must fail.

    Run last (it leaves the probe unable to fork). The kernel never applies RLIMIT_NPROC to uid 0 of the
    host, so a child that keeps the grader's uid 0 (no sandbox user) is bounded by a pids cgroup or not at all.
    """
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    try:
        pid = os.fork()
    except OSError:
        return {"key": "processes", "held": True, "evidence": "with its process limit at 0, a fork was refused"}
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return {"key": "processes", "held": False,
            "evidence": f"with its process limit at 0, a fork still worked (uid {os.getuid()} is not counted)"}


def leave_a_process_behind() -> int:
    """Start a process that escapes our group and would run on; its pid (the zygote checks it is gone)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        if os.fork() == 0:
            os.setsid()
            os.write(write_fd, str(os.getpid()).encode())
            os.closerange(0, 65536)  # the result pipe too: the zygote reads the probe's report to its end
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(60)
        os._exit(0)
    os.close(write_fd)
    os.waitpid(pid, 0)
    data = os.read(read_fd, 32)
    os.close(read_fd)
    return int(data) if data.isdigit() else -1


def report(zygote_layers: list[Layer], child_layers: list[Layer], measured: list[dict],
           straggler_gone: bool, straggler_how: str) -> SandboxReport:
    """The zygote's report: every layer, and each guarantee with what gives it."""
    layers = [*zygote_layers, *child_layers]
    on = {layer.name for layer in layers if layer.on}
    judged = {m["key"]: m for m in measured if isinstance(m, dict) and "key" in m}
    judged["cleanup"] = {"key": "cleanup", "held": straggler_gone, "evidence": straggler_how}
    if not judged.get("processes", {"held": True})["held"] and "cgroup" in on:
        judged["processes"] = {"key": "processes", "held": True,
                               "evidence": judged["processes"]["evidence"] + "; a pids cgroup bounds them"}
    together = "cgroup" in on
    judged["together"] = {"key": "together", "held": together,
                          "evidence": "a cgroup per child" if together else "no cgroup could be made"}
    guarantees = []
    for key, _, _ in GUARANTEES:
        m = judged.get(key, {"held": False, "evidence": "not measured (the probe failed)"})
        by = tuple(name for name in _GIVEN_BY.get(key, ()) if name in on) if m["held"] else ()
        guarantees.append(Guarantee(key, bool(m["held"]), by, str(m["evidence"])))
    return SandboxReport(tuple(layers), tuple(guarantees))

