import os
import stat

# Root for the student: the old sandbox fell back to its current folder (/) when it could not make a
# work folder, and handed that folder to the student's user. This one plants links and folders where
# later children's folders, a later zygote's base or staging folder might be made, and goes for /, the
# system's folders, the zygote's base folder (the parent of its own) and the kit directly.
_NAMES = ("kit-work-planted", "kit-root-planted", "c2-planted", "c3-", "c100-planted", "probe-planted",
          ".zygote-pid", "kit-sandbox")


def _try(done, what, action):
    try:
        action()
        done.append(what)
    except OSError:
        pass


def _write(folder):
    path = os.path.join(folder, "planted-by-student")
    with open(path, "w") as f:
        f.write("owned")


def _plant(done):
    here = os.getcwd()
    base = os.path.dirname(here)
    for folder in ("/tmp", base, "/dev/shm", "/var/tmp", "/run"):
        for name in _NAMES:
            target = os.path.join(folder, name)
            _try(done, "linked " + target, lambda: os.symlink("/", target))
            _try(done, "made " + target + "-dir", lambda: os.mkdir(target + "-dir", 0o777))
    for path in ["/"] + (["/tmp", base] if base != "/tmp" else []):
        if os.stat(path).st_uid != os.getuid():  # given to itself (what is its own already proves nothing)
            _try(done, "chowned " + path, lambda: os.chown(path, os.getuid(), os.getgid()))
    # Metadata is not a write of a file's contents: a same-user child may still change the modes and times of
    # what the grader's user owns. Opened up to everyone (o+rwx), and times set to a message for a later child.
    # (A base of /tmp is the child's own private /tmp, gone with it: nothing to find there.)
    shared = ["/", "{ROOT}", "{OUT}", os.path.dirname("{OTHER}"), "{OTHER}"]
    shared += ["/tmp", base] if base != "/tmp" else []
    for path in shared:
        _try(done, "chmodded " + path, lambda: os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) | 0o007))
        _try(done, "touched " + path, lambda: os.utime(path, (1234567, 7654321)))
    for folder in ("/", "/lib", "/usr", "/usr/lib", "/etc", "/tmp", base, "{ROOT}", "{ROOT}/autograder",
                   os.path.dirname("{OUT}"), "{OUT}", os.path.dirname("{OTHER}")):
        _try(done, "wrote in " + folder, lambda: _write(folder))
    for path in ("/etc/passwd", "/usr/bin/python3", "{ROOT}/autograder/__init__.py", "{OTHER}"):
        _try(done, "opened for writing " + path, lambda: open(path, "a").close())
    # Its own folder, moved where the next child's might be, and links in it that a careless cleanup follows.
    _try(done, "renamed its own folder", lambda: os.rename(here, os.path.join(base, "c2-moved")))
    for name, target in (("root-link", "/"), ("kit-link", "{ROOT}"), ("out-link", "{OUT}"), ("tmp-link", "/tmp")):
        try:
            os.symlink(target, name)
        except OSError:
            pass
    try:
        os.mkdir("locked")
        os.symlink("/", "locked/root-link")
        os.chmod("locked", 0)
    except OSError:
        pass


def cost_gradients(X, t, w, b):
    done = []
    _plant(done)
    if done:
        raise RuntimeError("PLANTED " + "; ".join(done))
    raise PermissionError("nothing planted outside its own folder")
