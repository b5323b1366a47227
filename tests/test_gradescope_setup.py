"""The Gradescope image: setup.sh installs a CPU-only torch and only what grading imports, checks
that torch is CPU-only, and what grading runs is Python 3.10 code (Ubuntu 22.04's python3)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder.assignment import load_assignment
from autograder.gradescope.build import REQUIREMENT_FILES, zip_members
from autograder.gradescope.cpu_only import cpu_only_problems, cuda_distributions
from autograder.layout import KIT_LAYOUT, PACKAGE
from conftest import EXAMPLES, ROOT

GRADING = ROOT / "requirements-grading.txt"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def applies(req: Requirement, python: str | None = None) -> bool:
    environment = {**default_environment(), **({"python_version": python} if python else {})}
    return req.marker is None or req.marker.evaluate(environment)


# ---------------------------------------------------------------- the requirements


def test_is_the_grading_file_the_one_the_zip_ships():
    assert REQUIREMENT_FILES == ("requirements-grading.txt",)
    members = zip_members(load_assignment(KIT_LAYOUT, "linear_regression"))
    assert members["requirements-grading.txt"] == GRADING.read_bytes()


def test_does_the_grading_file_pin_what_requirements_txt_pins():
    kit = {canonicalize_name(r.name): str(r.specifier) for r in requirements(ROOT / "requirements.txt")}
    grading = requirements(GRADING)
    assert all(len(r.specifier) == 1 and next(iter(r.specifier)).operator == "==" for r in grading)
    here = {canonicalize_name(r.name): str(r.specifier) for r in grading if applies(r)}
    assert not here.keys() - kit.keys(), "requirements.txt lacks these"
    assert here == {name: kit[name] for name in here}
    assert "torchvision" not in here and "scikit-learn" not in here and "jupytext" not in here


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12", "3.13"])
def test_does_every_python_from_3_10_get_each_package_once(python):
    names = [canonicalize_name(r.name) for r in requirements(GRADING) if applies(r, python)]
    assert len(names) == len(set(names)) and {"torch", "numpy", "safetensors"} <= set(names)
    assert ("tomli" in names) == (python == "3.10")


def imported_distributions(args: list[str]) -> set[str]:
    """The distributions whose modules a Gradescope grading run imports: the grader's own process (the
    sandbox's fork server imports numpy, torch and safetensors, which the grader imports too)."""
    dump = ("import json, runpy, sys\n"
            "try:\n    runpy.run_module('autograder.gradescope.run', run_name='__main__', alter_sys=True)\n"
            "except SystemExit:\n    pass\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    proc = subprocess.run([sys.executable, "-c", dump, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    modules = json.loads(proc.stdout.splitlines()[-1])
    owners = metadata.packages_distributions()
    return {canonicalize_name(d) for m in modules for d in owners.get(m, []) if m != "autograder"}


def closure(names: set[str]) -> set[str]:
    """``names`` and every distribution they require here, installed ones only."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [canonicalize_name(r.name) for r in map(Requirement, requires) if applies(r)]
    return found


def test_does_the_grading_file_cover_what_a_run_with_written_answers_imports(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(EXAMPLES / "linear_regression" / "carol_notebook.ipynb", root / "submission")
    imported = imported_distributions(["linear_regression", "--root", str(root)])
    assert {"torch", "numpy", "safetensors", "markdown-it-py"} <= imported  # the run did grade and render
    grading = {canonicalize_name(r.name) for r in requirements(GRADING) if applies(r)}
    assert imported <= closure(grading) | {"pytorch-course-kit"}, imported - closure(grading)


# ---------------------------------------------------------------- setup.sh


FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for python3 and the venv's python: logs each call; pip and imports do nothing. Without
# venv (no $KIT_VENV file yet) it fails the check for a usable python, as Ubuntu's bare python3 does.
echo "$*" >> "$KIT_LOG"
if [ "${1:-}" = "-c" ] && [ ! -e "$KIT_VENV" ]; then exit 1; fi
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "autograder.gradescope.cpu_only" ]; then exit "$KIT_CPU_ONLY_EXIT"; fi
exit 0
"""
FAKE_APT = """#!/usr/bin/env bash
echo "apt-get $*" >> "$KIT_LOG"
if [ "$1" = install ] && [ "$KIT_APT_GIVES_VENV" = 1 ]; then touch "$KIT_VENV"; fi
"""
TOOLS = ("bash", "sed", "dirname", "mkdir", "cp", "touch")  # all setup.sh finds on PATH besides the fakes


def run_setup(tmp_path: Path, cpu_only_exit: int = 0, has_venv: bool = True,
              apt_gives_venv: bool = True) -> tuple[subprocess.CompletedProcess, list[str]]:
    """The zip's setup.sh with logging stand-ins for python3 and apt-get: (the run, the calls)."""
    source = tmp_path / "autograder" / "source"
    source.mkdir(parents=True)
    members = zip_members(load_assignment(KIT_LAYOUT, "linear_regression"))
    for name in ("setup.sh", *REQUIREMENT_FILES):
        (source / name).write_bytes(members[name])
    bin_dir = tmp_path / "bin"  # the only folder on PATH: no other python can be found
    bin_dir.mkdir()
    for name, text in (("python3", FAKE_PYTHON), ("apt-get", FAKE_APT)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    log, venv_flag = tmp_path / "calls.log", tmp_path / "has-venv"
    if has_venv:
        venv_flag.touch()
    env = {"PATH": str(bin_dir), "AUTOGRADER_ROOT": str(tmp_path / "autograder"), "KIT_LOG": str(log),
           "KIT_VENV": str(venv_flag), "KIT_CPU_ONLY_EXIT": str(cpu_only_exit),
           "KIT_APT_GIVES_VENV": str(int(apt_gives_venv))}
    proc = subprocess.run([str(bin_dir / "bash"), str(source / "setup.sh")], env=env, capture_output=True,
                          text=True, timeout=60)
    return proc, log.read_text().splitlines()


def test_does_setup_sh_take_torch_alone_from_the_cpu_index_then_the_rest_from_pypi(tmp_path):
    proc, calls = run_setup(tmp_path)
    assert proc.returncode == 0, proc.stderr
    source = tmp_path / "autograder" / "source"
    installs = [c for c in calls if c.startswith("-m pip install")]
    torch_pin = next(str(r) for r in requirements(GRADING) if r.name == "torch")
    assert installs == [
        "-m pip install --upgrade pip",
        f"-m pip install --no-cache-dir --no-deps --index-url {CPU_INDEX} {torch_pin}",
        f"-m pip install --no-cache-dir -r {source / 'requirements-grading.txt'}"]
    checks = calls[calls.index(installs[-1]) + 1:]
    assert checks[0] == "-m autograder.gradescope.cpu_only" and "setup.sh: the autograder is ready" in proc.stdout
    assert f"-m venv {tmp_path / 'autograder' / 'venv'}" in calls and not [c for c in calls if "apt-get" in c]


def test_does_setup_sh_install_venv_with_apt_when_python3_lacks_it(tmp_path):
    proc, calls = run_setup(tmp_path, has_venv=False)
    assert proc.returncode == 0, proc.stderr
    assert [c for c in calls if c.startswith("apt-get")] == [
        "apt-get update", "apt-get install -y --no-install-recommends python3 python3-venv"]
    assert "setup.sh: the autograder is ready" in proc.stdout


def test_is_a_python_without_venv_after_apt_a_one_line_error(tmp_path):
    proc, _ = run_setup(tmp_path, has_venv=False, apt_gives_venv=False)
    assert proc.returncode == 1
    assert proc.stderr == ("setup.sh: no Python 3.10 or newer with venv: use Gradescope's Ubuntu 22.04 base image "
                           "or newer\n")


def test_does_a_cuda_torch_fail_the_image_build(tmp_path):
    proc, calls = run_setup(tmp_path, cpu_only_exit=1)
    assert proc.returncode == 1 and calls[-1] == "-m autograder.gradescope.cpu_only"
    assert "the autograder is ready" not in proc.stdout


def test_does_setup_sh_say_the_memory_to_set(tmp_path):
    setup = zip_members(load_assignment(KIT_LAYOUT, "linear_regression"))["setup.sh"].decode()
    assert "768 MB" in setup and "benchmarks/gradescope_memory.py" in setup
    assert "3.10" in setup and "--extra-index-url" not in setup


# ---------------------------------------------------------------- the CPU-only check


def test_which_installed_packages_only_a_cuda_torch_needs():
    assert cuda_distributions(["torch", "numpy", "nvidia_cublas", "Triton", "cuda-bindings", "sympy"]) == [
        "cuda-bindings", "nvidia-cublas", "triton"]
    assert cpu_only_problems("2.14.1+cpu", None, ["torch", "numpy", "filelock"]) == []
    assert cpu_only_problems("2.14.1", "13.0", ["torch", "nvidia-cudnn-cu13"]) == [
        "torch 2.14.1 is built for CUDA 13.0 (torch.version.cuda is not None)",
        "1 CUDA package is installed: nvidia-cudnn-cu13"]
    many = [f"nvidia-lib{i}" for i in range(6)]
    assert cpu_only_problems("2.14.1+cpu", None, many) == [
        "6 CUDA packages are installed: nvidia-lib0, nvidia-lib1, nvidia-lib2, nvidia-lib3 and 2 more"]


def test_does_the_check_judge_this_environment_by_its_torch():
    import torch
    proc = subprocess.run([sys.executable, "-m", "autograder.gradescope.cpu_only"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    if torch.version.cuda is None and not cuda_distributions(d.metadata["Name"] or "" for d in metadata.distributions()):
        assert proc.returncode == 0 and "is a CPU build" in proc.stdout
    else:
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1
        assert proc.stderr.startswith("setup.sh: the autograder needs a CPU-only torch (from " + CPU_INDEX)


# ---------------------------------------------------------------- Python 3.10


def module_file(name: str) -> Path | None:
    """The file of the kit's module ``name`` (dotted), or None for one outside the kit."""
    if name != "autograder" and not name.startswith("autograder."):
        return None
    base = PACKAGE.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_of(path: Path) -> set[Path]:
    """The kit's files that ``path`` (in the kit or an assignment's checks.py) imports, at its top or in a function."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = parts if path.name == "__init__.py" else parts[:-1]
    if package and package[-1] == "__init__":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] if node.level else [])
            module = ".".join(p for p in (base, node.module or "") if p)
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        for name in names:
            for i in range(1, len(name.split(".")) + 1):  # importing a.b.c imports a and a.b first
                file = module_file(".".join(name.split(".")[:i]))
                if file is not None:
                    found.add(file)
    return found


def grading_closure() -> list[Path]:
    """Every file a Gradescope run can execute: its entry points, the sandbox's, the checks, and their imports."""
    package = PACKAGE
    todo = [package / "gradescope" / "run.py", package / "gradescope" / "cpu_only.py",
            package / "sandbox" / "zygote.py", *sorted(KIT_LAYOUT.assignments.glob("*/checks.py"))]
    found: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in found:
            found.add(path)
            todo += imports_of(path)
            if (path.parent / "__init__.py").is_file():  # a module's package runs first
                todo.append(path.parent / "__init__.py")
    return sorted(found)


def vermin(*files: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys, vermin; sys.exit(vermin.main())", "-t=3.10-",
                           "--violations", "--no-tips",
                           *map(str, files)], capture_output=True, text=True, timeout=120)


def test_is_what_grading_runs_python_3_10_code(tmp_path):
    files = grading_closure()
    names = {f.relative_to(ROOT).as_posix() for f in files}
    assert {"autograder/tomlfile.py", "autograder/grading/task.py", "autograder/sandbox/child.py",
            "autograder/grading/workers.py", "autograder/sandbox/launch.py",
            "autograder/gradescope/__init__.py", "autograder/checks/judging.py", "assignments/mlp/checks.py"} <= names
    assert not names & {"autograder/release/notebook.py", "autograder/similarity/__init__.py"}
    proc = vermin(*files)
    assert proc.returncode == 0, proc.stdout
    canary = tmp_path / "new.py"  # vermin does see what 3.10 lacks
    canary.write_text("import tomllib\nfrom typing import Self\n")
    assert vermin(canary).returncode != 0


def test_does_grading_read_toml_with_tomli_where_there_is_no_tomllib():
    code = ("import sys; sys.modules['tomllib'] = None\n"  # as on 3.10: import tomllib raises ImportError
            "import types; fake = types.ModuleType('tomli'); fake.loads = lambda text: {'via': 'tomli'}\n"
            "fake.TOMLDecodeError = ValueError; sys.modules['tomli'] = fake\n"
            "from autograder.tomlfile import tomllib; print(tomllib.loads(''))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "{'via': 'tomli'}"
