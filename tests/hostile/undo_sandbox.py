import ctypes
import os


def _listing(path):
    """Its entries, or "denied" where the sandbox refuses to list it (Landlock)."""
    try:
        return sorted(os.listdir(path))
    except PermissionError:
        return "denied"


def _readable(path):
    """Whether its contents can be read (a folder listed, a file opened): where there are no namespaces its
    name is still visible (Landlock restricts opening, not looking a path up), its contents never."""
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return True
    except OSError:
        return False


def observe():
    """What a child can do to its own sandbox: each entry True means it got out (or saw too much)."""
    libc = ctypes.CDLL(None, use_errno=True)
    seen = {}
    status = open("/proc/self/status").read()
    for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs"):
        seen[key] = status.split(key + ":")[1].split()[0]
    for target in ("/proc", "/tmp", "/dev/shm", "/usr", "/"):
        seen["umount " + target] = libc.umount2(target.encode(), 2) == 0
    seen["remount /usr writable"] = libc.mount(None, b"/usr", None, 0x20 | 0x1000, None) == 0
    listed = _listing("/proc")
    seen["processes"] = listed if listed == "denied" else sorted(int(p) for p in listed if p.isdigit())
    seen["kit"] = _listing("{ROOT}") if os.path.isdir("{ROOT}") else []
    places = ("{ROOT}/solutions", "{ROOT}/assignments", "{OTHER}", "{OUT}", "/home", "/root/.bash_history",
              "/etc/shadow", "/run")
    seen["visible"] = [p for p in places if os.path.exists(p)]
    seen["secrets"] = [p for p in places if _readable(p)]
    seen["tmp"] = _listing("/tmp")
    seen["cgroups"] = sorted(line.split(":", 2)[2].rsplit("/", 1)[-1] for line in open("/proc/self/cgroup")
                             if line.split(":")[1] in ("memory", "pids"))
    pid = os.fork()
    if pid == 0:  # a user namespace of its own, where it would be root again
        code = 0
        if libc.unshare(0x10000000 | 0x00020000) == 0:
            code |= 1
            for bit, target in ((2, b"/proc"), (4, b"/tmp"), (8, b"/")):
                if libc.umount2(target, 2) == 0:
                    code |= bit
            if libc.mount(None, b"/usr", None, 0x20 | 0x1000, None) == 0:
                code |= 16
        os._exit(code)
    _, st = os.waitpid(pid, 0)
    seen["nested namespace"] = os.WEXITSTATUS(st)
    return seen


def cost_gradients(X, t, w, b):
    seen = observe()
    escaped = [k for k, v in seen.items() if k.startswith(("umount", "remount")) and v]
    if escaped or seen["secrets"] or seen["nested namespace"] & ~1 or seen["CapEff"] != "0000000000000000" \
            or seen["NoNewPrivs"] != "1":
        raise RuntimeError("ESCAPED " + repr(seen))
    raise PermissionError("the sandbox held")
