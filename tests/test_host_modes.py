"""The emulated hosts of tests/host_modes.py are what they claim to be (this checks the emulation, not the kit).

Each mode runs a small probe that reports, as JSON, who it is and what the kernel lets it do; every risky
attempt (unshare, clone, setresuid) is made in a forked child so that one does not change the next.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from host_modes import MODES, USER_UID, command_in, needs_root

PROBE = r"""
import ctypes, errno, json, os, subprocess, sys, threading
from autograder.sandbox.seccomp import CLONE_NEWNS, CLONE_NEWUSER, current_arch
libc = ctypes.CDLL(None, use_errno=True)
NR = current_arch().numbers
SIGCHLD = 17

def call(result):  # "ok" or the errno's name
    return "ok" if result >= 0 else errno.errorcode[ctypes.get_errno()]

def forked(fn):  # fn() run in a child of its own, so that what it changes stays there
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            out = fn()
        except OSError as e:
            out = errno.errorcode[e.errno]
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = os.read(r, 4096)
    os.waitpid(pid, 0)
    return json.loads(data)

def raw_clone(flags):  # the clone system call itself, as glibc's fallback from clone3 makes it
    pid = libc.syscall(ctypes.c_long(NR["clone"]), ctypes.c_ulong(flags | SIGCHLD), None, None, None, None)
    if pid == 0:
        os._exit(0)
    out = call(pid)
    if pid > 0:
        os.waitpid(pid, 0)
    return out

def write_cgroup():  # opened for writing, never written: nothing moves where it is allowed
    os.close(os.open("/sys/fs/cgroup/memory/cgroup.procs", os.O_WRONLY))
    return "ok"

def mkdir_cgroup():
    os.mkdir("/sys/fs/cgroup/memory/host-modes-probe")
    os.rmdir("/sys/fs/cgroup/memory/host-modes-probe")
    return "ok"

def setresuid():
    os.setresuid(1000, 1000, 1000)
    return os.getuid()

def thread():
    box = []
    t = threading.Thread(target=box.append, args=(1,))
    t.start(); t.join()
    return box == [1]

status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
print(json.dumps({
    "uid": os.getuid(),
    "cap_eff": int(status["CapEff"], 16),
    "seccomp": int(status["Seccomp"]),
    "unshare_ns": forked(lambda: call(libc.unshare(CLONE_NEWNS))),
    "unshare_user": forked(lambda: call(libc.unshare(CLONE_NEWUSER))),
    "clone_user": forked(lambda: raw_clone(CLONE_NEWUSER)),
    "clone3": forked(lambda: call(libc.syscall(ctypes.c_long(NR["clone3"]), None, ctypes.c_size_t(0)))),
    # mount on a missing folder: ENOENT wherever mount(2) is allowed to look, EPERM where seccomp refuses it
    "mount": forked(lambda: call(libc.mount(b"none", b"/nonexistent-host-modes", b"tmpfs", 0, None))),
    "keyctl": forked(lambda: call(libc.syscall(ctypes.c_long(NR["keyctl"]), 0, -3, 0))),  # GET_KEYRING_ID, session
    "write_cgroup": forked(write_cgroup) if os.getuid() == 0 else None,
    "mkdir_cgroup": forked(mkdir_cgroup) if os.getuid() == 0 else None,
    "setresuid": forked(setresuid),
    "fork": forked(lambda: "ok"),
    "thread": thread(),
    "subprocess": subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True).stdout,
}))
"""

ROOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def probe(mode: str) -> dict:
    done = subprocess.run(command_in(mode, [sys.executable, "-c", PROBE], keep=[ROOT_DIR]), capture_output=True,
                          text=True, timeout=120, cwd="/", env={**os.environ, "PYTHONPATH": ROOT_DIR})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def has(caps: int, bit: int) -> bool:
    return bool(caps >> bit & 1)


CAP_SETUID, CAP_SYS_ADMIN = 7, 21


@needs_root
def test_root_is_the_machine_as_it_is():
    r = probe("root")
    assert r["uid"] == 0 and has(r["cap_eff"], CAP_SYS_ADMIN) and r["seccomp"] == 0
    assert r["unshare_ns"] == r["unshare_user"] == "ok" and r["mkdir_cgroup"] == "ok"


@needs_root
def test_container_is_root_without_sys_admin_namespaces_or_writable_cgroups():
    r = probe("container")
    assert r["uid"] == 0 and r["seccomp"] == 2
    assert not has(r["cap_eff"], CAP_SYS_ADMIN) and has(r["cap_eff"], CAP_SETUID)
    assert r["cap_eff"] == 0xA80425FB  # exactly Docker's default set, as `docker run` shows in CapEff
    # root may create a user namespace without any capability: only the seccomp filter refuses it
    assert r["unshare_ns"] == r["unshare_user"] == r["clone_user"] == r["mount"] == r["keyctl"] == "EPERM"
    assert r["clone3"] == "ENOSYS"
    assert r["write_cgroup"] == r["mkdir_cgroup"] == "EROFS"
    assert r["setresuid"] == 1000  # Docker's root may switch users
    assert r["fork"] == "ok" and r["thread"] is True and r["subprocess"] == "42\n"


@needs_root
def test_user_without_user_namespaces():
    r = probe("user-no-userns")
    assert r["uid"] == USER_UID and r["cap_eff"] == 0 and r["seccomp"] == 2
    assert r["unshare_user"] == r["clone_user"] == "EPERM" and r["clone3"] == "ENOSYS"
    assert r["unshare_ns"] == "EPERM" and r["mount"] == "ENOENT"  # refused as any ordinary user is, not by seccomp
    assert r["fork"] == "ok" and r["thread"] is True and r["subprocess"] == "42\n"


@needs_root
def test_user_with_user_namespaces():
    r = probe("user")
    assert r["uid"] == USER_UID and r["cap_eff"] == 0 and r["seccomp"] == 0
    assert r["unshare_user"] == r["clone_user"] == "ok"
    assert r["fork"] == "ok" and r["thread"] is True and r["subprocess"] == "42\n"


@needs_root
@pytest.mark.parametrize("mode", ["container", "user-no-userns"])
def test_the_real_machine_is_unchanged_afterwards(mode):
    before = open("/proc/self/mountinfo").read()
    probe(mode)
    assert open("/proc/self/mountinfo").read() == before  # no mount of the launcher's leaked out
    folder = f"/sys/fs/cgroup/memory/host-modes-{uuid.uuid4().hex[:8]}"
    os.mkdir(folder)  # the cgroup mounts are still writable here
    os.rmdir(folder)


def test_command_in_refuses_unknown_modes():
    assert command_in("root", ["true"])[-2:] == ["--", "true"]
    assert set(MODES) == {"root", "container", "user-no-userns", "user"}
    with pytest.raises(ValueError):
        command_in("vm", ["true"])
