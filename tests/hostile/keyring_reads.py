import ctypes
import os

# Looks in every keyring it can name for what an earlier submission left (keyring_writes.py) and for the
# grader's own keys (the test plants one holding a canary in the grader's session and user keyrings).
KEYCTL_GET_KEYRING_ID = 0
KEYCTL_SEARCH = 10
KEYCTL_READ = 11


def _found():
    _REQUEST_KEY, _KEYCTL = {"x86_64": (249, 250), "aarch64": (218, 219)}[os.uname().machine]
    RINGS = {"thread": -1, "process": -2, "session": -3, "user": -4, "user session": -5}
    libc = ctypes.CDLL(None, use_errno=True)
    found = []
    for name, ring in RINGS.items():
        if libc.syscall(_KEYCTL, KEYCTL_GET_KEYRING_ID, ring, 0) >= 0:
            found.append(f"reached the {name} keyring")
        for description in (b"kit-keyring-note", b"kit-grader-secret"):
            key = libc.syscall(_KEYCTL, KEYCTL_SEARCH, ring, b"user", description, 0)
            if key >= 0:
                buffer = ctypes.create_string_buffer(256)
                size = libc.syscall(_KEYCTL, KEYCTL_READ, key, buffer, 256)
                text = buffer.raw[:max(size, 0)].decode(errors="replace")
                found.append(f"{description.decode()} in the {name} keyring: {text}")
    for description in (b"kit-keyring-note", b"kit-grader-secret"):
        if libc.syscall(_REQUEST_KEY, b"user", description, None, 0) >= 0:
            found.append("request_key found " + description.decode())
    return found


def cost_gradients(X, t, w, b):
    found = _found()
    if found:
        raise RuntimeError("FOUND " + "; ".join(found))
    raise PermissionError("the keyring refused")
