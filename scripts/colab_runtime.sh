#!/usr/bin/env bash
# A stand-in for Google Colab's current student runtime, on the CPU, and the kit's notebooks run in it.
#
#     bash scripts/colab_runtime.sh              # build .colab-venv/ once (several GB), then run everything
#     bash scripts/colab_runtime.sh --compare    # also run each notebook in the repo's .venv kernel, side by side
#     bash scripts/colab_runtime.sh --no-agreement   # skip tests/test_agreement.py (about 12 minutes)
#     bash scripts/colab_runtime.sh --setup-only # build (or reuse) the venv and print the kernel's versions
#     bash scripts/colab_runtime.sh --rebuild    # throw .colab-venv/ away first
#
# Colab's runtime: Python 3.13, torch 2.11 (the PyPI wheel), IPython 7.34.0 with ipykernel 6,
# numpy 2.1.3, and matplotlib, scikit-learn, tqdm, torchvision and ipywidgets. The venv is made
# from pyenv's 3.13 (COLAB_PYTHON=/path/to/python3.13 picks another) and holds a kernelspec of
# its own, `colab-313`, found through JUPYTER_PATH: nothing is registered for the user or the system.
#
# What runs, each notebook in a fresh kernel of that venv (cwd: a new empty folder, as /content on Colab):
#   1. a probe cell that prints, from inside the kernel, the versions that matter (and fails the run
#      unless they are Python 3.13, IPython 7.34.0, torch 2.11, numpy 2.1.3 from .colab-venv);
#   2. every committed student notebook (notebooks/*.ipynb) until its first stub, which must
#      raise the kit's "... is not implemented yet" NotImplementedError after the setup cell ran
#      (the criterion of `validate`);
#   3. every reference solution notebook, top to bottom, every cell. They are built as `release`
#      builds dist/*/solution/, by the repository's .venv when there is one, so that the data baked
#      into the setup cell comes from the pinned torch as in a real release;
#   4. tests/test_agreement.py, when it exists, under the venv's pytest with KIT_KERNEL=colab-313
#      (that suite's kernel must run its own interpreter, so the grader runs in the venv too).
# Then a summary: versions, pass/fail and wall time per notebook, warnings printed by cells.
# Exits 1 if anything failed. Executed notebooks and logs stay in .colab-venv/last-run/.
# No network is needed: without one the FashionMNIST cells fall back to digits, as they do offline.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PY313=${COLAB_PYTHON:-/root/.pyenv/versions/3.13.0/bin/python3.13}
VENV=$ROOT/.colab-venv
KERNEL=colab-313
# Colab's pins. torchvision 0.26 is torch 2.11's; ipykernel 6.17.1, jupyter_client 7.4.9 and
# ipywidgets 7.7.1 are what Colab's IPython-7.34 runtime ships (override: COLAB_IPYKERNEL=6.x).
PINS=(torch==2.11.0 torchvision==0.26.0 numpy==2.1.3 ipython==7.34.0
      "ipykernel==${COLAB_IPYKERNEL:-6.17.1}" "jupyter_client==${COLAB_JUPYTER_CLIENT:-7.4.9}" ipywidgets==7.7.1)
# Colab's own packages, unpinned (pip picks what fits the pins above), and the runner's.
EXTRA=(matplotlib scikit-learn tqdm nbclient nbformat pytest)
# requirements.txt lines this stand-in replaces with Colab's versions (the kit's other pins are kept).
COLAB_OWNS='^(torch|torchvision|numpy|ipython|ipykernel|jupyter[-_]client|ipywidgets|matplotlib|scikit-learn|tqdm)([=<>!~; ]|$)'
STAMP=$VENV/.colab-runtime-complete
REBUILD=0 SETUP_ONLY=0 COMPARE=0 AGREEMENT=1
for arg in "$@"; do
    case $arg in
        --rebuild) REBUILD=1 ;;
        --setup-only) SETUP_ONLY=1 ;;
        --compare) COMPARE=1 ;;
        --no-agreement) AGREEMENT=0 ;;
        *) echo "usage: $0 [--rebuild] [--setup-only] [--compare] [--no-agreement]" >&2; exit 2 ;;
    esac
done

# The kernel sees only the venv: its kernelspec via JUPYTER_PATH, a fresh IPython profile, no host overrides.
export JUPYTER_PATH=$VENV/share/jupyter
export IPYTHONDIR=$VENV/ipython
export JUPYTER_PLATFORM_DIRS=1
export PYDEVD_DISABLE_FILE_VALIDATION=1  # debugpy's "frozen modules" note on the kernel's stderr
unset PYTHONPATH MPLBACKEND PYTHONWARNINGS KIT_KERNEL

quiet_pip() {  # pip -q, less the notes about extra index folders that this machine lacks
    "$VENV/bin/python" -m pip -q "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2 || true)
}

kit_requirements() { grep -vE '^\s*(#|$)' requirements.txt | grep -viE "$COLAB_OWNS" || true; }

spec="python=$PY313 pins=${PINS[*]} extra=${EXTRA[*]} kit=$(kit_requirements | sha256sum | cut -c1-16)"
if [[ $REBUILD == 1 || ! -f $STAMP || $(cat "$STAMP" 2>/dev/null) != "$spec" ]]; then
    [[ -x $PY313 ]] || { echo "no Python 3.13 at $PY313 (set COLAB_PYTHON)" >&2; exit 1; }
    echo "building $VENV (torch from PyPI with its CUDA libraries: several GB, minutes)"
    rm -rf "$VENV"
    "$PY313" -m venv "$VENV"
    printf '%s\n' "${PINS[@]}" > "$VENV/colab-constraints.txt"
    quiet_pip install --upgrade pip
    quiet_pip install -c "$VENV/colab-constraints.txt" "${PINS[@]}" "${EXTRA[@]}"
    kit_requirements > "$VENV/kit-requirements.txt"
    quiet_pip install -c "$VENV/colab-constraints.txt" -r "$VENV/kit-requirements.txt"
    had_egg_info=$(ls -d ./*.egg-info 2>/dev/null || true)
    quiet_pip install --no-deps -e . 2> "$VENV/kit-install.log" || { cat "$VENV/kit-install.log" >&2; exit 1; }
    [[ -n $had_egg_info ]] || rm -rf ./*.egg-info  # setuptools leaves one in the tree; the venv does not need it
    # The kit's own pins (torch 2.14, numpy 2.4, ipykernel 7) conflict by design; anything else is shown.
    "$VENV/bin/python" -m pip check 2>/dev/null | grep -v '^pytorch-course-kit ' || true
    "$VENV/bin/python" -m ipykernel install --prefix "$VENV" --name "$KERNEL" \
        --display-name "Colab stand-in (Python 3.13, IPython 7.34)" > /dev/null
    echo "$spec" > "$STAMP"
else
    echo "reusing $VENV"
fi

run=$VENV/last-run
rm -rf "$run"
mkdir -p "$run/solution" "$run/executed" "$run/kernels"
: > "$run/results.txt"

solutions=()
if [[ $SETUP_ONLY == 0 ]]; then
    builder=$ROOT/.venv/bin/python
    [[ -x $builder ]] || builder=$VENV/bin/python
    if "$builder" - "$run/solution" > "$run/build.log" 2>&1 <<'PY'
import sys
from pathlib import Path

from autograder.assignment import load_assignment, missing_sources
from autograder.course import load_course
from autograder.layout import KIT_LAYOUT
from autograder.release.notebook import build_notebook, notebook_to_json

out = Path(sys.argv[1])
github_base = load_course(KIT_LAYOUT).github_base
for assignment in KIT_LAYOUT.assignment_ids():
    if missing_sources(KIT_LAYOUT, assignment):
        continue
    nb = build_notebook(load_assignment(KIT_LAYOUT, assignment), variant="solution", github_base=github_base)
    (out / f"{assignment}_solution.ipynb").write_text(notebook_to_json(nb))
PY
    then
        solutions=("$run"/solution/*_solution.ipynb)
        echo "ok   built ${#solutions[@]} solution notebooks with" \
             "$("$builder" -c 'import sys, torch; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}")')" \
             "(${builder#$ROOT/})" >> "$run/results.txt"
    else
        echo "could not build the solution notebooks with $builder:"; tail -20 "$run/build.log"
        echo "FAIL solution notebooks not built (see $run/build.log)" >> "$run/results.txt"
    fi
fi

baseline=""  # --compare: the repo's .venv as a second kernel, through a kernelspec in last-run/kernels
if [[ $COMPARE == 1 && $SETUP_ONLY == 0 ]]; then
    if [[ -x $ROOT/.venv/bin/python ]]; then
        baseline=kit-venv
        mkdir -p "$run/kernels/kernels/$baseline"
        printf '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "kit .venv", "language": "python"}\n' \
            "$ROOT/.venv/bin/python" > "$run/kernels/kernels/$baseline/kernel.json"
    else
        echo "--compare: no $ROOT/.venv/bin/python, nothing to compare with"
    fi
fi

set +e
JUPYTER_PATH=$JUPYTER_PATH:$run/kernels "$VENV/bin/python" - "$KERNEL" "$VENV/bin/python" "$SETUP_ONLY" "$run" "$baseline" \
    notebooks/*.ipynb -- "${solutions[@]}" <<'PY'
"""Run notebooks in the colab-313 kernel (and in the baseline kernel, if named); one result line each."""
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbclient
import nbformat

kernel, venv_python, setup_only, run_dir, baseline = sys.argv[1:6]
rest = sys.argv[6:]
students, solutions = rest[:rest.index("--")], rest[rest.index("--") + 1:]
run_dir = Path(run_dir)
TIMEOUT_S = 900


def record(line):
    print(line, flush=True)
    with open(run_dir / "results.txt", "a") as out:
        out.write(line + "\n")


def execute(nb, kernel_name):
    with tempfile.TemporaryDirectory(prefix="colab-content-") as cwd:
        client = nbclient.NotebookClient(nb, timeout=TIMEOUT_S, kernel_name=kernel_name,
                                         resources={"metadata": {"path": cwd}})
        client.execute()


PROBE = """\
import json, sys, IPython, ipykernel, numpy, torch, matplotlib, sklearn, tqdm
def _version(module):
    try:
        return __import__(module).__version__
    except Exception as e:
        return f"not importable ({type(e).__name__}: {e})"
print(json.dumps({"sys.version": sys.version, "sys.executable": sys.executable,
                  "IPython": IPython.__version__, "ipykernel": ipykernel.__version__,
                  "torch": torch.__version__, "numpy": numpy.__version__, "torchvision": _version("torchvision"),
                  "matplotlib": matplotlib.__version__, "scikit-learn": sklearn.__version__,
                  "tqdm": tqdm.__version__, "ipywidgets": _version("ipywidgets"),
                  "shell": type(get_ipython()).__name__, "cuda available": torch.cuda.is_available()}))
"""


def probe(kernel_name):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    execute(nb, kernel_name)
    return json.loads(nb.cells[0].outputs[0]["text"])


versions = probe(kernel)
print(f"== inside the kernel '{kernel}':")
for key, value in versions.items():
    print(f"   {key:15} {value}")
wrong = [f"{k} {versions[k]} (want {v})" for k, v in {"IPython": "7.34.0", "numpy": "2.1.3"}.items() if versions[k] != v]
if not versions["sys.version"].startswith("3.13."):
    wrong.append(f"Python {versions['sys.version'].split()[0]} (want 3.13)")
if not versions["torch"].startswith("2.11."):
    wrong.append(f"torch {versions['torch']} (want 2.11)")
if Path(versions["sys.executable"]).absolute() != Path(venv_python).absolute():
    wrong.append(f"kernel python {versions['sys.executable']} (want {venv_python})")
if wrong:
    record("FAIL kernel is not the stand-in: " + "; ".join(wrong))
    sys.exit(1)
record(f"ok   kernel {kernel}: Python {versions['sys.version'].split()[0]}, IPython {versions['IPython']}, "
       f"ipykernel {versions['ipykernel']}, torch {versions['torch']}, numpy {versions['numpy']}")
if baseline:
    b = probe(baseline)
    record(f"     baseline {baseline}: Python {b['sys.version'].split()[0]}, IPython {b['IPython']}, "
           f"ipykernel {b['ipykernel']}, torch {b['torch']}, numpy {b['numpy']}")
if setup_only == "1":
    sys.exit(0)


def error_cell(nb):
    return next((i for i, c in enumerate(nb.cells)
                 if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)


def warnings_in(nb):
    found = []
    for index, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stderr" and "Warning" in o["text"]:
                line = next(l for l in o["text"].splitlines() if "Warning" in l)
                found.append(f"cell {index}: {line.strip()[:160]}")
    return found


def slowest(nb):
    best = (0.0, None)
    for index, cell in enumerate(nb.cells):
        ex = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in ex and "shell.execute_reply" in ex:
            t0, t1 = (datetime.fromisoformat(ex[k].replace("Z", "+00:00"))
                      for k in ("iopub.execute_input", "shell.execute_reply"))
            best = max(best, ((t1 - t0).total_seconds(), index), key=lambda b: b[0])
    return f"slowest: cell {best[1]} {best[0]:.1f} s" if best[1] is not None else ""


def run(kind, path, kernel_name):
    """(ok, seconds, detail, warnings, nb) of one notebook in one kernel."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    ok, detail, error = True, "", None
    try:
        execute(nb, kernel_name)
    except nbclient.exceptions.CellExecutionError as e:
        error = e
    except Exception as e:  # a timeout, a dead kernel
        ok, detail = False, f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[-1]}"
    seconds = time.perf_counter() - start
    index = error_cell(nb)
    if error is not None:
        where = f"cell {index}/{len(nb.cells)}"
        if kind == "student" and error.ename == "NotImplementedError" and "is not implemented yet" in error.evalue:
            setup = next((i for i, c in enumerate(nb.cells) if c.source.startswith("#@title Setup")), None)
            ok = setup is not None and index > setup
            detail = (f"stopped at its first stub, {where}: {error.evalue[:50]}..." if ok
                      else f"a stub raised before the setup cell ran ({where})")
        else:
            ok = False
            detail = f"{where}: {error.ename}: {error.evalue[:300]}"
            tb = [l for l in str(error).splitlines() if l.strip()]
            print("\n".join("   | " + l for l in tb[-25:]))
    elif ok:
        if kind == "student":
            ok, detail = False, "ran to the end: no stub raised NotImplementedError"
        else:
            detail = f"all {sum(c.cell_type == 'code' for c in nb.cells)} code cells"
    return ok, seconds, detail, warnings_in(nb), nb


all_ok = True
for kind, paths in (("student", students), ("solution", solutions)):
    for path in paths:
        name = Path(path).stem.removesuffix("_solution")
        print(f"-- {kind} {name} ({path}) ...", flush=True)
        ok, seconds, detail, warns, nb = run(kind, path, kernel)
        nbformat.write(nb, run_dir / "executed" / f"{name}_{kind}.ipynb")
        extra = "; ".join(filter(None, [slowest(nb), f"{len(warns)} warning(s)" if warns else ""]))
        record(f"{'ok  ' if ok else 'FAIL'} {kind:8} {name:20} {seconds:6.1f} s  {detail}" + (f"  [{extra}]" if extra else ""))
        for w in warns:
            record(f"     warning {w}")
        all_ok &= ok
        if baseline:
            b_ok, b_seconds, b_detail, b_warns, b_nb = run(kind, path, baseline)
            nbformat.write(b_nb, run_dir / "executed" / f"{name}_{kind}.{baseline}.ipynb")
            note = "" if b_ok == ok else ("  <- fails only in the stand-in" if b_ok else "  <- fails only in the baseline")
            record(f"     {baseline:8} {name:20} {b_seconds:6.1f} s  {'ok' if b_ok else 'FAIL'}: {b_detail}"
                   f"  [{'; '.join(filter(None, [slowest(b_nb), f'{len(b_warns)} warning(s)' if b_warns else '']))}]{note}")
sys.exit(0 if all_ok else 1)
PY
status=$?
grep -q '^FAIL' "$run/results.txt" && status=1

if [[ $SETUP_ONLY == 0 && $AGREEMENT == 1 && $status -le 1 ]]; then
    if [[ -f tests/test_agreement.py ]]; then
        echo "-- pytest tests/test_agreement.py (KIT_KERNEL=$KERNEL; log: $run/pytest.log) ..."
        start=$(date +%s)
        KIT_KERNEL=$KERNEL KIT_AGREEMENT_TABLE=$run/agreement.md "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
            -W 'ignore:datetime.datetime.utcnow:DeprecationWarning' tests/test_agreement.py > "$run/pytest.log" 2>&1
        rc=$?
        grep -E '^(FAILED|ERROR) ' "$run/pytest.log" | head -40
        last=$(grep -E '[0-9]+ (passed|failed|error)|no tests ran' "$run/pytest.log" | tail -1)
        printf '%s pytest   %-20s %6d s  %s\n' "$([[ $rc == 0 ]] && echo 'ok  ' || echo FAIL)" test_agreement.py \
            $(( $(date +%s) - start )) "$last" >> "$run/results.txt"
        [[ $rc == 0 ]] || status=1
    else
        echo "     tests/test_agreement.py does not exist: skipped" >> "$run/results.txt"
    fi
fi
set -e

echo
echo "== summary (Colab stand-in, $(nproc) CPUs; notebooks and logs in ${run#$ROOT/})"
cat "$run/results.txt"
echo "== $([[ $status == 0 ]] && echo passed || echo FAILED)"
exit $status
