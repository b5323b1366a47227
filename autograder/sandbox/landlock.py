"""Landlock: which files the child may read and write, whatever user it runs as and wherever it runs.

An unprivileged process restricts itself (no namespaces, no capabilities: it works inside
Docker, Kubernetes pods and for an ordinary user) and every process it starts inherits the
restriction. The child may read and run what the interpreter needs (the system's folders, a
few files of /etc, the interpreter's prefixes and site-packages) and read and write only its
own work folder. Since ABI 4 it may neither connect to nor bind a TCP port; since ABI 6 it
can signal no process outside its own domain and reach no abstract UNIX socket outside it.
A process restricted by Landlock can also never ptrace, or read the memory or /proc files of,
a process outside its domain (the grader, the zygote, other students).

https://docs.kernel.org/userspace-api/landlock.html; system calls 444-446 on every architecture.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
from dataclasses import dataclass, field

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

# Every file-system right each ABI can restrict (what it handles is denied unless a rule allows it).
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
READ_ONLY = EXECUTE | READ_FILE | READ_DIR
ALL_FS = (1 << 16) - 1
READ_WRITE_FILE = READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)


def abi() -> int:
    """The Landlock ABI this kernel offers; 0 when it has none (or a seccomp profile refuses the call)."""
    version = _libc.syscall(ctypes.c_long(_CREATE_RULESET), None, ctypes.c_size_t(0),
                            ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(0, int(version))


@dataclass
class Ruleset:
    """The child's rules, opened while it can still reach every path (before it drops its privileges).

    Built in two steps because a sandbox user may not be able to open the interpreter's folders by
    path (/root is 0700 where pyenv lives): ``allow`` opens each path now, ``enforce`` applies them later.
    """

    abi: int
    fd: int = -1
    held: list[str] = field(default_factory=list)   # what the rules give, said in the protection report
    skipped: list[str] = field(default_factory=list)

    @classmethod
    def create(cls) -> "Ruleset":
        version = abi()
        if version < 1:
            raise OSError(errno.ENOSYS, "Landlock is not available (kernel older than 5.13, not enabled, "
                                        "or refused by a seccomp profile)")
        attr = _RulesetAttr(_FS_BY_ABI[min(version, 5)], NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,
                            SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0)
        size = 24 if version >= 6 else 16 if version >= 4 else 8
        fd = _libc.syscall(ctypes.c_long(_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"landlock_create_ruleset: {errno.errorcode.get(code, code)}")
        held = ["files: read only the system's and the interpreter's, write only its own folder"]
        if version >= 4:
            held.append("TCP: no connect, no bind")
        if version >= 6:
            held.append("signals and abstract UNIX sockets: none outside its own processes")
        return cls(version, fd, held)

    def allow(self, path: str, access: int) -> None:
        """Allow access beneath path (a path that does not exist here is noted and left out)."""
        try:
            target = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError as e:
            self.skipped.append(f"{path} ({e.strerror})")
            return
        try:
            self.allow_fd(target, access, path)
        finally:
            os.close(target)

    def allow_fd(self, target: int, access: int, name: str = "a folder") -> None:
        """Allow access beneath an open file or folder (masked to what this ABI handles, and to a file's rights)."""
        if not stat.S_ISDIR(os.fstat(target).st_mode):
            access &= EXECUTE | READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV  # the rights a file can take
        rule = _PathBeneath(access & _FS_BY_ABI[min(self.abi, 5)], target)
        if _libc.syscall(ctypes.c_long(_ADD_RULE), ctypes.c_int(self.fd), ctypes.c_int(_RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"landlock_add_rule {name}: {errno.errorcode.get(code, code)}")

    def enforce(self) -> None:
        """Restrict this process (and all it starts) to the rules. Needs no_new_privs (set by the caller)."""
        try:
            if _libc.syscall(ctypes.c_long(_RESTRICT_SELF), ctypes.c_int(self.fd), ctypes.c_uint32(0)) != 0:
                code = ctypes.get_errno()
                raise OSError(code, f"landlock_restrict_self: {errno.errorcode.get(code, code)}")
        finally:
            os.close(self.fd)
            self.fd = -1
