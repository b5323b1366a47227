"""A seccomp filter written as classic BPF: the system calls the child may never make.

No library: the filter is a short list of rules (deny this call, or deny it when an
argument has these bits), assembled here into BPF and installed with the seccomp system
call. It works wherever the kernel has seccomp filters (every Linux since 3.5, and inside
Docker's and Kubernetes' default profiles, which allow installing a filter of one's own),
needs no privilege once no_new_privs is set, and can only ever take calls away.

The same assembler builds the filters tests use to play a container host (tests/host_modes.py):
one rule list per host, so what the kit refuses and what a host refuses are written alike.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
from dataclasses import dataclass

# Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
RET_KILL_PROCESS = 0x80000000
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARGS = 0, 4, 16
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
PR_SET_NO_NEW_PRIVS = 38

# The flags of clone and unshare that make a namespace (linux/sched.h).
CLONE_NEWTIME = 0x00000080
CLONE_PARENT = 0x00008000
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
ANY_NAMESPACE = (CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                 | CLONE_NEWPID | CLONE_NEWNET)
AF_UNIX = 1
TIOCSTI, TIOCLINUX = 0x5412, 0x541C


@dataclass(frozen=True)
class Arch:
    name: str
    audit: int                  # AUDIT_ARCH_* in seccomp_data.arch
    numbers: dict[str, int]
    x32_bit: int = 0            # x86-64 only: calls with this bit set are the x32 ABI


# System call numbers (arch/x86/entry/syscalls/syscall_64.tbl; include/uapi/asm-generic/unistd.h for arm64).
_GENERIC_NEW = {"pidfd_getfd": 438, "process_madvise": 440, "io_uring_setup": 425, "io_uring_enter": 426,
                "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
                "fsmount": 432, "fspick": 433, "clone3": 435, "mount_setattr": 442, "landlock_create_ruleset": 444,
                "landlock_add_rule": 445, "landlock_restrict_self": 446}
X86_64 = Arch("x86_64", 0xC000003E, {
    "chmod": 90, "fchmod": 91, "fchmodat": 268, "fchmodat2": 452, "chown": 92, "fchown": 93, "lchown": 94,
    "fchownat": 260, "utime": 132, "utimes": 235, "futimesat": 261, "utimensat": 280, "setxattr": 188,
    "lsetxattr": 189, "fsetxattr": 190, "removexattr": 197, "lremovexattr": 198, "fremovexattr": 199,
    "socket": 41, "socketpair": 53, "clone": 56, "ioctl": 16, "ptrace": 101, "syslog": 103,
    "process_vm_readv": 310, "process_vm_writev": 311,
    "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66,
    "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
    "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
    "mq_getsetattr": 245, "bpf": 321, "userfaultfd": 323, "perf_event_open": 298,
    "add_key": 248, "request_key": 249, "keyctl": 250,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "swapon": 167, "swapoff": 168,
    "reboot": 169, "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173, "init_module": 175,
    "finit_module": 313, "delete_module": 176, "quotactl": 179, "acct": 163, "kexec_load": 246,
    "kexec_file_load": 320, "unshare": 272, "setns": 308, "kcmp": 312, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "lookup_dcookie": 212, "vhangup": 153, **_GENERIC_NEW}, x32_bit=0x40000000)
AARCH64 = Arch("aarch64", 0xC00000B7, {
    "fchmod": 52, "fchmodat": 53, "fchmodat2": 452, "fchownat": 54, "fchown": 55, "utimensat": 88,
    "setxattr": 5, "lsetxattr": 6, "fsetxattr": 7, "removexattr": 14, "lremovexattr": 15, "fremovexattr": 16,
    "socket": 198, "socketpair": 199, "clone": 220, "ioctl": 29, "ptrace": 117, "syslog": 116,
    "process_vm_readv": 270, "process_vm_writev": 271,
    "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197, "semget": 190, "semctl": 191, "semtimedop": 192,
    "semop": 193, "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189,
    "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184,
    "mq_getsetattr": 185, "bpf": 280, "userfaultfd": 282, "perf_event_open": 241,
    "add_key": 217, "request_key": 218, "keyctl": 219,
    "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "swapon": 224, "swapoff": 225, "reboot": 142,
    "sethostname": 161, "setdomainname": 162, "init_module": 105, "finit_module": 273, "delete_module": 106,
    "quotactl": 60, "acct": 89, "kexec_load": 104, "kexec_file_load": 294, "unshare": 97, "setns": 268,
    "kcmp": 272, "name_to_handle_at": 264, "open_by_handle_at": 265, "lookup_dcookie": 18, "vhangup": 58,
    **_GENERIC_NEW})
_ARCHES = {"x86_64": X86_64, "amd64": X86_64, "aarch64": AARCH64, "arm64": AARCH64}


@dataclass(frozen=True)
class Rule:
    """Refuse a call with errno: always, or only when argument ``arg`` (its low 32 bits) matches.

    ``mask``: refused when any of these bits is set; ``equals``: refused when it equals this
    value; ``not_equals``: refused unless it equals this value.
    """

    call: str
    errno: int = errno.EPERM
    arg: int | None = None
    mask: int | None = None
    equals: int | None = None
    not_equals: int | None = None


# What the child may never do (each refused with an errno, so Python raises an ordinary OSError):
# reach another machine or process, talk to other students through the kernel, leave or change its
# sandbox, or open the kernel's larger attack surfaces.
CHILD_RULES: tuple[Rule, ...] = (
    # Sockets: none but an unnamed pair (no network of any kind, no path or abstract socket of the host).
    Rule("socket", errno.EACCES), Rule("socketpair", errno.EAFNOSUPPORT, arg=0, not_equals=AF_UNIX),
    # System V IPC and POSIX message queues outlive the process and are shared by a user: a channel between
    # students, and memory the kernel's OOM killer charges to no one.
    *(Rule(c) for c in ("shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop",
                        "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
                        "mq_timedreceive", "mq_notify", "mq_getsetattr")),
    # The kernel keyring is per user and outlives the process: one submission's data in a later one's.
    Rule("add_key"), Rule("request_key"), Rule("keyctl"),
    # Other processes' memory and descriptors.
    *(Rule(c) for c in ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
                        "process_madvise")),
    # Large attack surfaces with no use in graded code.
    *(Rule(c) for c in ("io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "userfaultfd",
                        "perf_event_open", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "syslog")),
    # The sandbox itself: no namespaces, mounts, root changes or system settings.
    # (CLONE_PARENT too: a sibling would be the zygote's own child, outside the child's process group.)
    Rule("unshare"), Rule("setns"), Rule("clone", arg=0, mask=ANY_NAMESPACE | CLONE_PARENT),
    Rule("clone3", errno.ENOSYS),
    *(Rule(c) for c in ("mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
                        "fsconfig", "fsmount", "fspick", "mount_setattr", "swapon", "swapoff", "reboot",
                        "sethostname", "setdomainname", "iopl", "ioperm", "init_module", "finit_module",
                        "delete_module", "quotactl", "acct", "kexec_load", "kexec_file_load", "vhangup")),
    # Modes, owners, times and extended attributes: Landlock governs opening files, not these. A child that
    # shares the grader's user (an ordinary user's grader) owns the grader's files: it could open them to
    # everyone, or break the zygote's base folder for every later child.
    *(Rule(c) for c in ("chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
                        "utime", "utimes", "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr",
                        "removexattr", "lremovexattr", "fremovexattr")),
    # Typing into a terminal the grader may hold.
    Rule("ioctl", arg=1, equals=TIOCSTI), Rule("ioctl", arg=1, equals=TIOCLINUX),
)


def current_arch() -> Arch | None:
    return _ARCHES.get(platform.machine())


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF)


def assemble(rules: tuple[Rule, ...] | list[Rule], arch: Arch) -> bytes:
    """The BPF program: a wrong architecture is killed, x32 calls refused, each rule checked in turn, else allow.

    Every rule is a self-contained block that falls through to the next when it does not match,
    so no jump is longer than a few instructions.
    """
    prog = [_insn(_LD_W_ABS, 0, 0, _OFFSET_ARCH), _insn(_JEQ_K, 1, 0, arch.audit), _insn(_RET_K, 0, 0, RET_KILL_PROCESS),
            _insn(_LD_W_ABS, 0, 0, _OFFSET_NR)]
    if arch.x32_bit:
        prog += [_insn(_JGE_K, 0, 1, arch.x32_bit), _insn(_RET_K, 0, 0, RET_ERRNO | errno.ENOSYS)]
    for rule in rules:
        number = arch.numbers.get(rule.call)
        if number is None:
            continue  # no such call on this architecture
        deny = _insn(_RET_K, 0, 0, RET_ERRNO | rule.errno)
        if rule.arg is None:
            prog += [_insn(_JEQ_K, 0, 1, number), deny]
            continue
        if rule.mask is not None:
            test = _insn(_JSET_K, 0, 1, rule.mask)          # bits set: deny, else skip it
        elif rule.equals is not None:
            test = _insn(_JEQ_K, 0, 1, rule.equals)
        elif rule.not_equals is not None:
            test = _insn(_JEQ_K, 1, 0, rule.not_equals)     # equal: skip the deny
        else:
            raise ValueError(f"rule for {rule.call} names an argument but no test")
        # nr matches? load the argument, test it, deny or go on; either way reload nr for the next rule.
        prog += [_insn(_JEQ_K, 0, 4, number), _insn(_LD_W_ABS, 0, 0, _OFFSET_ARGS + 8 * rule.arg), test, deny,
                 _insn(_LD_W_ABS, 0, 0, _OFFSET_NR)]
    prog.append(_insn(_RET_K, 0, 0, RET_ALLOW))
    if len(prog) > 4096:
        raise ValueError("seccomp filter too long")
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_SECCOMP_NR = {"x86_64": 317, "aarch64": 277}


def install(rules: tuple[Rule, ...] | list[Rule] = CHILD_RULES) -> None:
    """Install the filter on this process (and everything it starts). Raises OSError when refused."""
    arch = current_arch()
    if arch is None:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {platform.machine()}")
    program = assemble(rules, arch)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"no_new_privs: {errno.errorcode.get(code, code)}")
    if libc.syscall(ctypes.c_long(_SECCOMP_NR[arch.name]), ctypes.c_uint(SECCOMP_SET_MODE_FILTER),
                    ctypes.c_uint(SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(fprog)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"seccomp filter: {errno.errorcode.get(code, code)}")
