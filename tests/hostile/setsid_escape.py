import os
import time

_escaped = []


def cost_gradients(X, t, w, b):
    # Once: a detached grandchild that outlives the part and tries to forge results later.
    if not _escaped:
        _escaped.append(True)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(2)
                for target in ("{OUT}/setsid_escape/results.json", "{OUT}/grades.csv"):
                    try:
                        with open(target, "w") as f:
                            f.write('{"score": 1000}')
                    except OSError:
                        pass
                time.sleep(3600)
            os._exit(0)
    n = X.shape[0]
    err = X @ w + b - t
    return X.T @ err / n, err.mean()
