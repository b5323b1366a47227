"""The notebooks use no torch API newer than torch 2.8, the oldest runtime Colab offers.

Colab runs Python 3.12/3.13 with torch 2.11 and offers 2.8 to 2.10 as pinned older runtimes;
the kit pins torch 2.14.1. Everything a student runs must therefore work on torch 2.8 too:
every code cell of the student notebooks (the setup cell with the check modules included) and
the reference solutions, which are the solution notebooks' function cells. The setup cell
carries the check modules packed (it writes them to kitcheck/ and imports them); those are
scanned too, unpacked.

Method. Each source is parsed with ``ast`` (IPython ``!``/``%`` lines blanked first), and every
name bound to torch or one of its modules by an import (``import torch``, ``import
torch.nn.functional as F``, ``from torch import linalg``) is followed through attribute
chains (``torch.linalg.solve``, ``F.cross_entropy``). Then:

1. every chain must exist in the installed torch (getattr, importing submodules as needed);
2. no chain may name an API in ``ADDED_AFTER_FLOOR``, no call may pass a keyword in
   ``KWARGS_ADDED_AFTER_FLOOR``, and no attribute of any object may be a tensor method in
   ``TENSOR_METHODS_ADDED_AFTER_FLOOR`` (the type of ``x`` in ``x.foo()`` is unknown
   statically, so tensor methods are matched by name).

The lists are not guesses: they are the public names and keyword arguments present in torch
2.14.1 and absent in torch 2.8.0, found by comparing ``dir()`` of each namespace below,
``inspect.signature`` of its Python functions and the aten operator schemas in two venvs,
one per version. Names that are only a module's own imports (``typing``, ``warnings``...)
are left out. When the pin moves, compare the new torch with 2.8 the same way and extend
the lists. Set ``KIT_TORCH_FLOOR_PYTHON`` to the python of a venv with torch 2.8 and the
test also checks, in that interpreter, that every chain the notebooks use exists there.

Python: this machine has only Python 3.11, so 3.12/3.13 are checked statically too: no import
of a module the standard library removed in 3.12 or 3.13, and no invalid escape sequence in a
plain string (a SyntaxWarning printed under the cell from 3.12 on).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import torch

from autograder.layout import KIT_LAYOUT
from autograder.release.setup_cell import packed_sources

FLOOR = "2.8.0"

ADDED_AFTER_FLOOR = frozenset({
    "torch.bcomplex32", "torch.hash_tensor", "torch.miopen_ctc_loss", "torch.thread_safe_generator",
    "torch.linalg.matrix_sqrth", "torch.linalg.polar",
    "torch.nn.functional.ScalingType", "torch.nn.functional.SwizzleType", "torch.nn.functional.grouped_mm",
    "torch.nn.functional.linear_cross_entropy", "torch.nn.functional.scaled_grouped_mm",
    "torch.nn.functional.scaled_mm",
    "torch.nn.LinearCrossEntropyLoss", "torch.nn.LinearCrossEntropyOptions",
    "torch.optim.Muon", "torch.optim.swap_in_optimizer_params_and_state",
    "torch.func.rearrange",
    "torch.random.thread_safe_generator",
    "torch.Generator.philox_state",
    "torch.autograd.enforce_grad_layout_policy",
    "torch.backends.miopen", "torch.backends.opt_einsum", "torch.backends.python_native",
    "torch.cuda.GreenContext", "torch.cuda.caching_allocator_disabled", "torch.cuda.current_solver_handle",
    "torch.cuda.export_dot", "torch.cuda.export_graph_data", "torch.cuda.graph_annotations",
    "torch.cuda.green_contexts",
    "torch.accelerator.Graph", "torch.accelerator.cache", "torch.accelerator.empty_cache",
    "torch.accelerator.empty_host_cache", "torch.accelerator.get_device_capability",
    "torch.accelerator.get_memory_info", "torch.accelerator.graphs", "torch.accelerator.max_memory_allocated",
    "torch.accelerator.max_memory_reserved", "torch.accelerator.memory", "torch.accelerator.memory_allocated",
    "torch.accelerator.memory_reserved", "torch.accelerator.memory_stats", "torch.accelerator.random",
    "torch.accelerator.reset_accumulated_memory_stats", "torch.accelerator.reset_peak_memory_stats",
})
# Tensor.index is new too, but it is also the method of every list and str: not matched by name.
TENSOR_METHODS_ADDED_AFTER_FLOOR = frozenset({"const_data_ptr", "grad_dtype", "hash_tensor"})
KWARGS_ADDED_AFTER_FLOOR = frozenset({
    ("torch.compile", "dynamic_shapes"), ("torch.compile", "isolate_recompiles"), ("torch.compile", "name"),
    ("torch.compile", "recompile_limit"),
    ("torch.from_dlpack", "copy"), ("torch.from_dlpack", "device"),
    ("torch.cuda.MemPool", "no_split"), ("torch.cuda.graph", "check_input_liveness"),
    ("torch.cuda.graph", "enable_annotations"), ("torch.cuda.make_graphed_callables", "capture_error_mode"),
    ("torch.cuda.make_graphed_callables", "enable_annotations"), ("torch.cuda.memory_snapshot", "include_traces"),
})

_MAGIC = re.compile(r"^\s*[!%]")


@dataclass
class TorchUse:
    chains: dict[str, str] = field(default_factory=dict)        # "torch.linalg.solve" -> where
    kwargs: dict[tuple[str, str], str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)    # every attribute name -> where


def _add_module_aliases(tree: ast.AST, aliases: dict[str, str]) -> None:
    """Add local name -> the torch module it is bound to, from the imports anywhere in the tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "torch" or alias.name.startswith("torch."):
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases["torch"] = "torch"
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and (node.module == "torch" or node.module.startswith("torch.")):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def _embedded_sources(cell: str) -> list[str]:
    """The check modules a setup cell carries packed (it writes them to kitcheck/ and imports them)."""
    return list(packed_sources(cell).values())


def _chain(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def scan_source(text: str, where: str, use: TorchUse, aliases: dict[str, str] | None = None) -> None:
    """Add the torch chains, keyword arguments and attribute names of one source to ``use``.

    ``aliases`` carries the torch imports of earlier cells of the same notebook (one kernel
    namespace); it is updated with this source's imports.
    """
    clean = "\n".join("" if _MAGIC.match(line) else line for line in text.splitlines())
    try:
        tree = ast.parse(clean)
    except SyntaxError as e:
        raise AssertionError(f"{where}: line {e.lineno}: does not parse: {e.msg}") from None
    aliases = {} if aliases is None else aliases
    _add_module_aliases(tree, aliases)
    for index, code in enumerate(_embedded_sources(text)):  # the setup cell's check modules
        scan_source(code, f"{where} (embedded source {index})", use)
    for name, module in aliases.items():
        use.chains.setdefault(module, where)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            use.attributes.setdefault(node.attr, f"{where}: line {node.lineno}")
            chain = _chain(node, aliases)
            if chain:
                use.chains.setdefault(chain, f"{where}: line {node.lineno}")
        elif isinstance(node, ast.Call):
            chain = _chain(node.func, aliases) if isinstance(node.func, ast.Attribute) else \
                aliases.get(node.func.id) if isinstance(node.func, ast.Name) else None
            for keyword in node.keywords:
                if chain and keyword.arg:
                    use.kwargs.setdefault((chain, keyword.arg), f"{where}: line {node.lineno}")


def _resolve(chain: str) -> bool:
    """True when the dotted chain exists in the installed torch."""
    parts = chain.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(".".join(parts[:i + 1]))
        except ImportError:
            return False
    return True


def problems(use: TorchUse) -> list[str]:
    """One line per use of an API that torch 2.8 lacks or the installed torch does not have."""
    found = []
    for chain, where in sorted(use.chains.items()):
        if chain in ADDED_AFTER_FLOOR:
            found.append(f"{where}: {chain} is newer than torch {FLOOR}")
        elif not _resolve(chain):
            found.append(f"{where}: {chain} does not exist in torch {torch.__version__}")
    for (chain, kwarg), where in sorted(use.kwargs.items()):
        if (chain, kwarg) in KWARGS_ADDED_AFTER_FLOOR:
            found.append(f"{where}: {chain}(..., {kwarg}=...) is newer than torch {FLOOR}")
    for name, where in sorted(use.attributes.items()):
        if name in TENSOR_METHODS_ADDED_AFTER_FLOOR:
            found.append(f"{where}: Tensor.{name} is newer than torch {FLOOR}")
    return found


@pytest.fixture(scope="module")
def kit_use() -> TorchUse:
    """What every code cell of the student notebooks and every solution file uses of torch."""
    use = TorchUse()
    for assignment in KIT_LAYOUT.assignment_ids():
        nb_path = KIT_LAYOUT.notebook_file(assignment)
        aliases: dict[str, str] = {}  # the cells of one notebook share the kernel's namespace
        for index, cell in enumerate(nbformat.read(nb_path, as_version=4).cells):
            if cell.cell_type == "code":
                scan_source(cell.source, f"{nb_path.relative_to(KIT_LAYOUT.root)} cell {index}", use, aliases)
        solution = KIT_LAYOUT.solution_file(assignment)
        scan_source(solution.read_text(), str(solution.relative_to(KIT_LAYOUT.root)), use)
    return use


def test_do_the_notebooks_and_solutions_use_only_torch_2_8_apis(kit_use):
    # the scan sees what the notebooks are known to use (else it is broken, not clean)
    assert {"torch.autograd.grad", "torch.Generator", "torch.cuda.is_available", "torch.randperm"} <= set(kit_use.chains)
    assert any("(embedded source" in where for where in kit_use.chains.values())  # the packed check modules too
    assert problems(kit_use) == []


def test_does_the_scan_flag_newer_and_missing_apis():
    use = TorchUse()
    scan_source("import torch\n"
                "import torch.nn.functional as F\n"
                "from torch import linalg as la\n"
                "!pip install something\n"
                "%matplotlib inline\n"
                "A = la.matrix_sqrth(torch.eye(2))\n"
                "f = torch.compile(lambda x: x, name='f')\n"
                "loss = F.linear_cross_entropy\n"
                "p = A.const_data_ptr()\n"
                "q = torch.linalg.nonesuch\n"
                "ok = torch.linalg.solve(A, A), F.cross_entropy, torch.special.expit\n",
                "snippet", use)
    assert problems(use) == [
        "snippet: line 6: torch.linalg.matrix_sqrth is newer than torch 2.8.0",
        "snippet: line 10: torch.linalg.nonesuch does not exist in torch " + torch.__version__,
        "snippet: line 8: torch.nn.functional.linear_cross_entropy is newer than torch 2.8.0",
        "snippet: line 7: torch.compile(..., name=...) is newer than torch 2.8.0",
        "snippet: line 9: Tensor.const_data_ptr is newer than torch 2.8.0",
    ]


def test_does_a_cell_that_does_not_parse_name_its_place():
    with pytest.raises(AssertionError, match=r"^nb cell 3: line 1: does not parse"):
        scan_source("def (:\n", "nb cell 3", TorchUse())


_FLOOR_CHECK = """
import importlib, json, sys
missing = []
for chain in json.load(sys.stdin):
    parts = chain.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(".".join(parts[:i + 1]))
        except ImportError:
            missing.append(chain)
            break
import torch
print(json.dumps({"version": torch.__version__, "missing": missing}))
"""


@pytest.mark.skipif(not os.environ.get("KIT_TORCH_FLOOR_PYTHON"),
                    reason="set KIT_TORCH_FLOOR_PYTHON to a python with torch 2.8 to check there too")
def test_does_every_torch_api_the_notebooks_use_exist_in_the_floor_torch(kit_use):
    python = os.environ["KIT_TORCH_FLOOR_PYTHON"]
    if not Path(python).is_file():
        pytest.fail(f"KIT_TORCH_FLOOR_PYTHON={python}: no such file")
    done = subprocess.run([python, "-c", _FLOOR_CHECK], input=json.dumps(sorted(kit_use.chains)),
                          capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(done.stdout)
    assert result["version"].startswith("2.8"), result["version"]
    assert result["missing"] == []


# --- Python 3.12 and 3.13 (Colab), checked from Python 3.11 -------------------------------------
# Modules the standard library dropped in 3.12 (PEP 632, distutils, imp...) and 3.13 (PEP 594).
REMOVED_MODULES = frozenset({
    "distutils", "imp", "asynchat", "asyncore", "smtpd",
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "lib2to3", "mailcap", "msilib", "nis",
    "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
})


def python_problems(text: str, where: str) -> list[str]:
    """Imports of removed modules, and invalid escapes ('\\d' in a plain string): a SyntaxWarning
    that Python 3.12+ prints under the cell, a DeprecationWarning that 3.11 hides."""
    import warnings

    clean = "\n".join("" if _MAGIC.match(line) else line for line in text.splitlines())
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            tree = compile(clean, where, "exec", flags=ast.PyCF_ONLY_AST)
        except (SyntaxError, DeprecationWarning, SyntaxWarning) as e:
            return [f"{where}: {e}"]
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
        found += [f"{where}: line {node.lineno}: {name} is gone from Python 3.12/3.13"
                  for name in names if name.split(".")[0] in REMOVED_MODULES]
    found += [p for code in _embedded_sources(text) for p in python_problems(code, f"{where} (embedded)")]
    return found


def test_do_the_notebooks_and_solutions_run_on_python_3_12_and_3_13():
    found = []
    for assignment in KIT_LAYOUT.assignment_ids():
        nb_path = KIT_LAYOUT.notebook_file(assignment)
        for index, cell in enumerate(nbformat.read(nb_path, as_version=4).cells):
            if cell.cell_type == "code":
                found += python_problems(cell.source, f"{nb_path.relative_to(KIT_LAYOUT.root)} cell {index}")
        solution = KIT_LAYOUT.solution_file(assignment)
        found += python_problems(solution.read_text(), str(solution.relative_to(KIT_LAYOUT.root)))
    assert found == []


def test_does_the_python_check_flag_removed_modules_and_bad_escapes():
    assert python_problems("import distutils.util\nfrom imp import reload\n", "s") == [
        "s: line 1: distutils.util is gone from Python 3.12/3.13", "s: line 2: imp is gone from Python 3.12/3.13"]
    assert python_problems("x = '\\d'\n", "s") == ["s: invalid escape sequence '\\d' (s, line 1)"]
    assert python_problems("x = r'\\d'\n", "s") == []
