import ctypes
import os

# System V IPC outlives the process and is shared by a user: a 1 GiB segment made and left attached to
# no one is memory nobody's OOM killer charges, and a segment another process left ({SHMKEY}) is a channel.
IPC_PRIVATE = 0
IPC_CREAT = 0o1000


def _ipc():
    _SHMGET, _SHMAT, _SHMDT, _SEMGET, _MSGGET = {"x86_64": (29, 30, 67, 64, 68),
                                                 "aarch64": (194, 196, 197, 190, 186)}[os.uname().machine]
    libc = ctypes.CDLL(None, use_errno=True)
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    got = []
    segment = syscall(_SHMGET, IPC_PRIVATE, ctypes.c_size_t((1 << 30) + 3 * 4096), IPC_CREAT | 0o600)
    if segment >= 0:
        address = syscall(_SHMAT, segment, None, 0)
        if address not in (-1, 0):
            ctypes.memset(address, 1, 1 << 20)  # a MiB of it really used
            syscall(_SHMDT, ctypes.c_void_p(address))
        got.append(f"left a 1 GiB segment ({segment})")
    planted = syscall(_SHMGET, {SHMKEY}, 0, 0)
    if planted >= 0:
        address = syscall(_SHMAT, planted, None, 0o10000)  # SHM_RDONLY
        if address not in (-1, 0):
            got.append("read another process's segment: " + ctypes.string_at(address, 64).split(b"\0")[0].hex())
            syscall(_SHMDT, ctypes.c_void_p(address))
        else:
            got.append("found another process's segment")
    if syscall(_SEMGET, IPC_PRIVATE, 1, IPC_CREAT | 0o600) >= 0:
        got.append("made a semaphore set")
    if syscall(_MSGGET, IPC_PRIVATE, IPC_CREAT | 0o600) >= 0:
        got.append("made a message queue")
    try:  # POSIX shared memory: harmless on a private /dev/shm; the test looks for it on the host's
        with open("/dev/shm/kit-student-note", "w") as f:
            f.write("note")
    except OSError:
        pass
    return got


def cost_gradients(X, t, w, b):
    got = _ipc()
    if got:
        raise RuntimeError("IPC " + "; ".join(got))
    raise PermissionError("System V IPC refused")
