import ctypes
import os

# The kernel keyring is per user (and per session) and outlives the process: a note left there for a
# later submission (tests/hostile/keyring_reads.py looks for it).


def cost_gradients(X, t, w, b):
    _ADD_KEY = {"x86_64": 248, "aarch64": 217}[os.uname().machine]
    RINGS = {"thread": -1, "process": -2, "session": -3, "user": -4, "user session": -5}
    libc = ctypes.CDLL(None, use_errno=True)
    note = repr(X.tolist()).encode()
    kept = [name for name, ring in RINGS.items()
            if libc.syscall(_ADD_KEY, b"user", b"kit-keyring-note", note, len(note), ring) >= 0]
    if kept:
        raise RuntimeError("KEPT a note in the keyrings: " + ", ".join(kept))
    raise PermissionError("the keyring refused")
