import glob
import os

# Opens by absolute path (no listing needed) what the batch holds: the kit's cases and checks, the
# reference solution, another student's submission, an earlier student's results and record, the zygote's
# base and other work folders (also through other processes' /proc/PID/cwd), and the zygote's own /proc
# files (its environment, its root, its descriptors).


def _paths():
    here = os.getcwd()
    base = os.path.dirname(here)
    zygote = os.getppid()
    files = ["{ROOT}/assignments/linear_regression/cases.toml", "{ROOT}/assignments/linear_regression/checks.py",
             "{ROOT}/assignments/linear_regression/spec.toml", "{ROOT}/solutions/linear_regression.py", "{OTHER}",
             "{OUT}/code_at_import/results.json", "{OUT}/code_at_import/record.json", "{OUT}/grades.csv",
             os.path.join(base, ".zygote-pid"), f"/proc/{zygote}/environ", f"/proc/{zygote}/cmdline",
             f"/proc/{zygote}/root{ROOT}/assignments/linear_regression/cases.toml",
             f"/proc/{zygote}/cwd{ROOT}/assignments/linear_regression/cases.toml"]
    files += [f"/proc/{zygote}/fd/{n}" for n in range(8)]
    files += glob.glob("/tmp/kit-work-*/*/*") + glob.glob(os.path.join(base, "*", "*"))
    folders = [base, "/tmp", "{OUT}", "{OUT}/code_at_import", os.path.dirname("{OTHER}"), "{ROOT}",
               "{ROOT}/assignments", f"/proc/{zygote}/fd", f"/proc/{zygote}/root"]
    # Other children's work folders, whatever their random names: through their /proc/PID/cwd (pids near ours).
    folders += [f"/proc/{pid}/cwd" for pid in range(max(1, zygote - 50), zygote + 300) if pid != os.getpid()]
    return [p for p in files if not p.startswith(here + "/")], [p for p in folders if p != here]


def _read_what_it_can():
    read = []
    files, folders = _paths()
    for path in files:
        try:
            with open(path, "rb") as f:
                if f.read(64):
                    read.append(path)
        except OSError:
            pass
    for path in folders:
        try:
            names = [n for n in os.listdir(path) if not n.startswith(".kit-probe")]
            read.append(f"{path}/ ({len(names)} names)")
        except OSError:
            pass
    return read


def cost_gradients(X, t, w, b):
    read = _read_what_it_can()
    if read:
        raise RuntimeError("READ " + "; ".join(read))
    raise PermissionError("nothing of the batch could be read")
