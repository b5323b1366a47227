"""Run a command on an emulated host: the kinds of machine instructors really run the grader on.

    python tests/host_modes.py MODE [KEEP ...] -- COMMAND ...     (as root)

root            full root, COMMAND run unchanged.
container       root in a default Docker container / Kubernetes pod (RuntimeDefault): cgroupfs read-only,
                Docker's default capabilities only (no CAP_SYS_ADMIN), and the namespace, mount and keyring
                calls of Docker's default seccomp profile refused. Still uid 0.
container-no-landlock  the same, from a runtime whose seccomp profile predates Landlock: below the sandbox's floor.
container-python-under-root  the same, with the interpreter where only root may pass (pyenv under /root, 0700):
                the child cannot become a sandbox user and keeps uid 0, whose process count no rlimit bounds.
user-no-userns  an ordinary user (uid 4242) who may not create user namespaces (seccomp refuses CLONE_NEWUSER).
user            an ordinary user (uid 4242), user namespaces allowed (tests/as_user.py; KEEP paths stay reachable).

    python tests/host_modes.py --uid=UID MODE ...     the ordinary user is UID instead (a test that looks for
                                                      processes left behind by uid gives itself one of its own)

Everything happens in this process (and a mount namespace of its own), so the real machine is left as it was.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import as_user  # noqa: E402
from autograder.sandbox import isolation, seccomp  # noqa: E402
from autograder.sandbox.seccomp import ANY_NAMESPACE, CLONE_NEWUSER, Rule  # noqa: E402

MODES = ("root", "container", "user-no-userns", "user")
# A host below the sandbox's floor: a container whose runtime's seccomp profile predates Landlock (refused).
WEAK_MODES = ("container-no-landlock", "container-python-under-root")
USER_UID = 4242
CGROUP_ROOT = "/sys/fs/cgroup"

# Docker's default capability set (moby oci/caps/defaults.go); bit numbers from linux/capability.h.
DOCKER_CAPS = {"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "FSETID": 4, "KILL": 5, "SETGID": 6, "SETUID": 7,
               "SETPCAP": 8, "NET_BIND_SERVICE": 10, "NET_RAW": 13, "SYS_CHROOT": 18, "MKNOD": 27,
               "AUDIT_WRITE": 29, "SETFCAP": 31}
CAP_SYS_ADMIN = 21

# What Docker's default seccomp profile refuses a container without CAP_SYS_ADMIN that the kit might try:
# namespaces, mounts (old and new API) and the kernel keyring. clone3 gets ENOSYS, as in Docker, so that
# glibc falls back to clone (whose flags a filter can see).
CONTAINER_RULES: tuple[Rule, ...] = (
    Rule("unshare"), Rule("setns"), Rule("clone", arg=0, mask=ANY_NAMESPACE), Rule("clone3", errno.ENOSYS),
    *(Rule(c) for c in ("mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig",
                        "fsmount", "fspick", "mount_setattr", "keyctl", "add_key", "request_key")),
)
# A host that forbids unprivileged user namespaces (sysctl, or a seccomp profile): only CLONE_NEWUSER is refused.
NO_USERNS_RULES: tuple[Rule, ...] = (
    Rule("unshare", arg=0, mask=CLONE_NEWUSER), Rule("clone", arg=0, mask=CLONE_NEWUSER), Rule("clone3", errno.ENOSYS),
)


def command_in(mode: str, argv: list[str], keep: tuple[str, ...] | list[str] = (), uid: int = USER_UID) -> list[str]:
    """The argv that runs argv on the emulated host `mode` (to be started as root); uid: the ordinary user's."""
    if mode not in MODES + WEAK_MODES:
        raise ValueError(f"unknown host mode {mode!r}; one of {', '.join(MODES + WEAK_MODES)}")
    chosen = [f"--uid={int(uid)}"] if uid != USER_UID else []
    return [sys.executable, str(Path(__file__).resolve()), *chosen, mode, *map(str, keep), "--", *argv]


def can_emulate() -> bool:
    """Every mode, root itself included, is built (or is) full root: the test must run as root."""
    return os.geteuid() == 0


if "pytest" in sys.modules:  # imported by a test: offer the marker (the launcher itself never loads pytest)
    import pytest
    from host_needs import needs
    needs_root = needs(can_emulate(), "emulating a host needs the test to run as root")


def _cgroup_mounts() -> list[str]:
    """Mount points at or below /sys/fs/cgroup, from this namespace's mount table."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == CGROUP_ROOT or point.startswith(CGROUP_ROOT + "/"):
                points.append(point)
    return points


def _read_only_cgroups() -> None:
    """In a private mount namespace, make every cgroup mount read-only, as Docker mounts cgroupfs."""
    isolation._unshare(isolation.CLONE_NEWNS, "mount namespace")
    isolation._mount("none", "/", None, isolation.MS_REC | isolation.MS_PRIVATE)  # nothing propagates back out
    for point in _cgroup_mounts():
        # A bind remount changes this mount only, not the cgroup filesystem the host keeps using.
        isolation._mount(None, point, None, isolation.MS_REMOUNT | isolation.MS_BIND | isolation.MS_RDONLY
                         | isolation._mount_flags(point))


def _keep_only_docker_caps() -> None:
    """Drop every capability outside Docker's default set: bounding set first (what exec hands on), then now."""
    libc = isolation._libc
    keep = sum(1 << bit for bit in DOCKER_CAPS.values())
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        if not keep >> cap & 1 and libc.prctl(isolation.PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"cannot drop capability {cap} from the bounding set")
    libc.prctl(isolation.PR_CAP_AMBIENT, isolation.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = isolation._CapHeader(0x20080522, 0), (isolation._CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    for word, part in enumerate(data):
        mask = keep >> (32 * word) & 0xFFFFFFFF
        part.effective, part.permitted, part.inheritable = (part.effective & mask, part.permitted & mask,
                                                            part.inheritable & mask)
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def main(argv: list[str]) -> None:
    uid = USER_UID
    if argv and argv[0].startswith("--uid="):
        uid, argv = int(argv[0].split("=", 1)[1]), argv[1:]
    split = argv.index("--")
    mode, keep, command = argv[0], argv[1:split], argv[split + 1:]
    if mode not in MODES + WEAK_MODES or not command:
        sys.exit(__doc__)
    if mode.startswith("container"):
        _read_only_cgroups()          # needs CAP_SYS_ADMIN: before the drop
        if mode != "container-python-under-root":
            # A container's Python is the image's (/usr/local, /opt, a venv), readable by every user; this
            # machine's is pyenv's under /root (0700): shown here as an image would have it.
            as_user.open_the_way(list(keep))
        _keep_only_docker_caps()
        no_landlock = [Rule(c, errno.ENOSYS) for c in ("landlock_create_ruleset", "landlock_add_rule",
                                                        "landlock_restrict_self")] if mode == "container-no-landlock" else []
        seccomp.install([*CONTAINER_RULES, *no_landlock])  # last: it refuses mount and unshare
    elif mode.startswith("user"):
        if mode == "user-no-userns":
            seccomp.install(NO_USERNS_RULES)  # refuses only CLONE_NEWUSER: as_user's mount namespace still works
        sys.argv = [as_user.__file__, str(uid), *keep, "--", *command]
        as_user.main()                # covers folders the user cannot pass, drops to the uid, execs
        return
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
