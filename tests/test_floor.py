"""The sandbox's floor on its own, in a throwaway process: the seccomp filter and the Landlock rules.

These two hold on every host the grader runs on (no namespaces, no cgroups, no privilege needed), so
each is tried here by itself: what it must refuse, and what ordinary graded code still needs.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from host_needs import needs

from autograder.sandbox import isolation, landlock, seccomp
from test_isolation import in_a_throwaway_child

ROOT = Path(__file__).resolve().parent.parent
X86 = seccomp.current_arch() is seccomp.X86_64


def _errno_of(call) -> int:
    try:
        call()
        return 0
    except OSError as e:
        return e.errno


def test_does_the_seccomp_filter_refuse_what_the_child_may_never_do():
    def attempt():
        seccomp.install()
        libc = ctypes.CDLL(None, use_errno=True)
        numbers = seccomp.current_arch().numbers

        def raw(name, *args):
            result = libc.syscall(ctypes.c_long(numbers[name]), *[ctypes.c_long(a) for a in args])
            return ctypes.get_errno() if result < 0 else 0
        seen = {
            "inet": _errno_of(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
            "inet6": _errno_of(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)),
            "unix": _errno_of(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
            "netlink": _errno_of(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)),
            "shmget": raw("shmget", 0, 4096, 0o1600),
            "msgget": raw("msgget", 0, 0o1600),
            "keyctl": raw("keyctl", 0, -4, 0),
            "add_key": raw("add_key", 0, 0, 0, 0, 0),
            "unshare": raw("unshare", seccomp.CLONE_NEWUSER),
            "setns": raw("setns", 0, 0),
            "mount": raw("mount", 0, 0, 0, 0, 0),
            "ptrace": raw("ptrace", 16, os.getppid(), 0, 0),  # PTRACE_ATTACH
            "io_uring": raw("io_uring_setup", 1, 0),
            "bpf": raw("bpf", 0, 0, 0),
            "clone newuser": raw("clone", seccomp.CLONE_NEWUSER | 17, 0, 0, 0, 0),
            "clone parent": raw("clone", seccomp.CLONE_PARENT | 17, 0, 0, 0, 0),
        }
        if X86:  # the x32 ABI (getpid's number with bit 30) is refused whole
            seen["x32"] = ctypes.get_errno() if libc.syscall(ctypes.c_long(0x40000000 | 39)) < 0 else 0
        # What graded code may still do: a socket pair, processes, threads, a program.
        a, b = socket.socketpair()
        a.sendall(b"x")
        seen["pair"] = b.recv(1).decode()
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        seen["fork"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        box = []
        thread = threading.Thread(target=lambda: box.append(1))
        thread.start()
        thread.join()
        seen["thread"] = box
        seen["program"] = subprocess.run(["/bin/echo", "hi"], capture_output=True, text=True).stdout.strip()
        return seen
    seen = in_a_throwaway_child(attempt)
    assert "raised" not in seen, seen
    for name in ("inet", "inet6", "unix", "netlink"):
        assert seen[name] == errno.EACCES, name
    for name in ("shmget", "msgget", "keyctl", "add_key", "unshare", "setns", "mount", "ptrace", "io_uring", "bpf",
                 "clone newuser", "clone parent"):
        assert seen[name] == errno.EPERM, name
    if X86:
        assert seen["x32"] == errno.ENOSYS
    assert (seen["pair"], seen["fork"], seen["thread"], seen["program"]) == ("x", 7, [1], "hi")


def test_is_a_rule_on_an_argument_assembled_to_test_only_that_argument():
    # socketpair is refused unless its domain is AF_UNIX; clone only with a namespace flag.
    def attempt():
        seccomp.install([seccomp.Rule("socketpair", errno.EAFNOSUPPORT, arg=0, not_equals=seccomp.AF_UNIX)])
        return {"unix": _errno_of(lambda: socket.socketpair(socket.AF_UNIX)),
                "inet": _errno_of(lambda: socket.socketpair(socket.AF_INET))}
    seen = in_a_throwaway_child(attempt)
    assert seen == {"unix": 0, "inet": errno.EAFNOSUPPORT}


@needs(landlock.abi() >= 1, "no Landlock in this kernel")
def test_do_the_landlock_rules_let_the_child_read_the_interpreter_and_write_only_its_folder(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()

    def attempt():
        ruleset = landlock.Ruleset.create()
        for path in isolation.allowlist(ROOT):
            ruleset.allow(str(path), landlock.READ_ONLY)
        ruleset.allow(str(work), landlock.ALL_FS)
        ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)
        ruleset.enforce()
        seen = {"kit": _errno_of(lambda: (ROOT / "assignments" / "mlp" / "cases.toml").read_bytes()),
                "write outside": _errno_of(lambda: (outside / "f").write_text("x")),
                "write /tmp": _errno_of(lambda: tempfile.mkstemp(dir="/tmp")),
                "write own": _errno_of(lambda: (work / "f").write_text("x"))}
        import numpy  # noqa: F401  (the interpreter's packages stay readable)
        import scipy.special  # noqa: F401
        if landlock.abi() >= 4:
            seen["tcp"] = _errno_of(lambda: socket.create_connection(("127.0.0.1", 9), timeout=1))
        if landlock.abi() >= 6:
            seen["signal the parent"] = _errno_of(lambda: os.kill(os.getppid(), 0))
        return seen
    seen = in_a_throwaway_child(attempt)
    assert "raised" not in seen, seen
    assert seen["kit"] == seen["write outside"] == seen["write /tmp"] == errno.EACCES
    assert seen["write own"] == 0
    if "tcp" in seen:
        assert seen["tcp"] == errno.EACCES
    if "signal the parent" in seen:
        assert seen["signal the parent"] == errno.EPERM
