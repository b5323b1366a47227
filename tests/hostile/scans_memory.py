import ctypes
import os
import struct



def _scan(needles):
    """Which needles occur anywhere in this process's writable memory (the needles' own copies skipped)."""
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # changing user made us undumpable (/proc/self/mem unreadable)
    buffer = bytearray(8 << 20)
    skip = [(id(n) + 32, id(n) + 32 + len(n)) for n in needles]
    found = set()
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    for line in open("/proc/self/maps").read().splitlines():
        addr, perms = line.split()[:2]
        if not perms.startswith("rw"):
            continue
        start, end = (int(x, 16) for x in addr.split("-"))
        pos = start
        while pos < end:
            try:
                n = os.preadv(fd, [memoryview(buffer)[:min(len(buffer), end - pos)]], pos)
            except OSError:
                break
            if n <= 0:
                break
            for i, needle in enumerate(needles):
                at = buffer.find(needle, 0, n)
                while at >= 0 and i not in found:
                    if not any(a <= pos + at < b for a, b in skip):
                        found.add(i)
                    at = buffer.find(needle, at + 1, n)
            pos += n
    os.close(fd)
    return found


def environment():
    """The environment and command line this process started with, as its memory still holds them."""
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)
    fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
    arg_start, arg_end, env_start, env_end = (int(fields[i]) for i in (45, 46, 47, 48))
    with open("/proc/self/mem", "rb") as mem:
        mem.seek(arg_start)
        args = mem.read(arg_end - arg_start)
        mem.seek(env_start)
        env = mem.read(env_end - env_start)
    return (args + b"\0" + env + b"\0" + open("/proc/self/environ", "rb").read()).decode("utf-8", "replace")


def secrets(hex_needles):
    """Which of the needles (given as hex, so this source does not hold them) are in our memory."""
    needles = [bytes.fromhex(h) for h in hex_needles]
    return sorted(_scan(needles))


def future_cases(X, markers):
    """Called with case k's X (all equal to markers[k]): which other cases' inputs are in our memory."""
    mine = float(X.flatten()[0])
    others = [m for m in markers if m != mine]
    needles = [struct.pack("<d", m) * 3 for m in others]
    return [others[i] for i in sorted(_scan(needles))]


_VERDICT = []  # scanned once per process: every case raises the same


def cost_gradients(X, t, w, b):
    # {CANARIES}: filled by the test with hex strings, so that this source does not hold the secrets.
    canaries = {CANARIES}
    if not _VERDICT:
        if secrets(canaries):  # first: decoding the canaries below leaves copies in freed memory
            _VERDICT.append("LEAKED a canary from memory")
        elif any(bytes.fromhex(h).decode() in environment() for h in canaries):
            _VERDICT.append("LEAKED a canary from the environment or command line")
        else:
            _VERDICT.append("no secret in memory")
    if _VERDICT[0].startswith("LEAKED"):
        raise RuntimeError(_VERDICT[0])
    raise PermissionError(_VERDICT[0])
