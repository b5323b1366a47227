"""The notebook's setup cell: a short readable setup, the check package's shipped modules and the public cases.

What goes in: the modules of autograder/checks that check() needs to run, judge and explain
(SHIPPED, the same files the grader imports), packed (zlib + base64) so that the cell stays short
enough to read: running it writes them to the folder kitcheck/, where a student can read them,
and imports them as the package ``kitcheck``; and the public cases encoded by storable.encode:
inputs, expected outputs and the outputs of known mistakes, computed here by the reference.
What never goes in: assignments/<id>/checks.py (references, input generators, mistake
implementations), solutions, hidden cases, the hidden seed. The release scans the packed
modules for leaks as it scans the cell (packed_sources).
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path
from typing import Any

from ..assignment import Assignment
from ..checks import storable
from ..checks.building import expected_value, part_cases

CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"
# In import order: each module only imports those before it.
SHIPPED = ("verdict", "values", "drivers", "compare", "hints", "judges", "judging", "report", "rules", "torch_names",
           "allowlist", "verifier", "storable", "taking", "namespace", "explain", "history", "public")
# Judges that evaluate a returned model, each with objectives.py: only for assignments that use them.
MODEL_JUDGES = ("objectives", "fit_judges", "model_judges")
_WRAP = 120  # characters per line of the base64 data
_PACKED = re.compile(r"^_KITCHECK = (?:str)?\(\n(.*?)\n\)$", re.S | re.M)

_TEMPLATE = '''#@title Setup: run this cell first (it defines check())
# check("name") runs the public cases of one graded function as the grader runs them, on what the
# grader takes from the cells you have run, and explains what differs. None of this cell is a
# solution; below its code are two blocks of data:
#
#   _KITCHECK      the kit's checking code (the same files the grader runs: autograder/checks/
#                  in the course repository), compressed. Running this cell writes the files to
#                  the folder kitcheck/ (in Colab: the Files pane), where you can read them:
{index}
#   _PUBLIC_CASES  the public cases: their inputs, the expected outputs and the outputs of known
#                  mistakes, computed by the reference solution when this notebook was made.
# (Both are written as str(...): the grader takes simple constants from a notebook, and leaves
# these two out, so they cost your checks and your grading nothing.)
import base64
import importlib
import importlib.util
import json
import sys
import tempfile
import zlib
from pathlib import Path

import torch

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if DEVICE.type == "cuda":
    print("Using the GPU:", torch.cuda.get_device_name())
else:
    print("Using the CPU (no GPU found). In Colab: Runtime > Change runtime type > GPU, then run this cell again.")


def _install_kitcheck(packed, folder=None):
    """Write the checking code to folder, import it as the package kitcheck, return its module public."""
    modules = json.loads(zlib.decompress(base64.b64decode(packed)))  # [[name, source], ...] in import order
    # Absolute: the package stays importable if the notebook changes its working folder. (No call in the
    # default value: the grader takes this cell too, and what runs while a file loads must be on the list.)
    folder = Path(folder or "kitcheck").absolute()
    files = {{"__init__": '"""The code of check(), written here by the setup cell."""\\n', **dict(modules)}}
    try:
        folder.mkdir(exist_ok=True)
        for name, source in files.items():
            (folder / f"{{name}}.py").write_text(source, encoding="utf-8")
    except OSError:  # a folder we may not write to: a temporary one instead
        return _install_kitcheck(packed, Path(tempfile.mkdtemp(prefix="kitcheck-")))
    for loaded in [m for m in sys.modules if m == "kitcheck" or m.startswith("kitcheck.")]:
        del sys.modules[loaded]  # running the cell again loads the files afresh
    spec = importlib.util.spec_from_file_location("kitcheck", folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    sys.modules["kitcheck"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules["kitcheck"])
    for name, _ in modules:
        importlib.import_module(f"kitcheck.{{name}}")
    return sys.modules["kitcheck.public"]


_KITCHECK = str(
{packed}
)

_PUBLIC_CASES = str(
{data}
)

check = _install_kitcheck(_KITCHECK).make_check(globals(), _PUBLIC_CASES)
'''


def shipped_modules(data: dict[str, Any]) -> list[str]:
    """The modules the setup cell carries for one assignment's public case data, in import order."""
    from ..checks import fit_judges, judges, model_judges  # noqa: F401 (registers every judge)
    kinds = {part["judge"]["kind"] for part in data["parts"].values()}
    used = {judges.JUDGES[k].__module__.rsplit(".", 1)[-1] for k in kinds}
    extra = [m for m in MODEL_JUDGES[1:] if m in used]
    names = list(SHIPPED)
    if extra:
        names[names.index("judging"):names.index("judging")] = ["objectives", *extra]
    return names


def shipped_sources(names: list[str]) -> dict[str, str]:
    """name -> source of each module the setup cell carries."""
    return {name: (CHECKS_DIR / f"{name}.py").read_text(encoding="utf-8") for name in names}


def public_case_data(assignment: Assignment) -> dict[str, Any]:
    """Every part's public cases as data, with what check() needs to run and judge them."""
    spec = assignment.spec
    parts = {}
    for graded in assignment.parts:
        part = graded.part
        cases = []
        for case in part_cases(spec, graded.spec, part, "public"):
            tol = graded.spec.tolerances[case.dtype]
            mistakes = []
            for m in case.mistake_outputs():
                try:
                    mistakes.append([m.hint, m.output()])
                except Exception:  # this mistake does not apply to this case
                    mistakes.append([m.hint, None])
            cases.append({"label": case.label, "tol": [tol.atol, tol.rtol], "args": case.call.args,
                          "kwargs": case.call.kwargs, "extra": case.call.extra, "expected": expected_value(spec, case),
                          "mistakes": mistakes})
        parts[graded.name] = {"driver": part.driver, "functions": graded.functions,
                              "judge": part.judge.to_data(), "cases": cases}
    return {"assignment": assignment.id, "parts": parts}


def pack(sources: dict[str, str]) -> str:
    """Base64 of the zlib-compressed JSON list [[name, source], ...] (deterministic for equal sources)."""
    return base64.b64encode(zlib.compress(json.dumps(list(sources.items())).encode("utf-8"), 9)).decode("ascii")


def packed_sources(cell: str) -> dict[str, str]:
    """name -> source of each module packed in a setup cell's _KITCHECK (empty for any other cell)."""
    match = _PACKED.search(cell)
    if match is None:
        return {}
    try:
        text = "".join(re.findall(r'"([A-Za-z0-9+/=]*)"', match.group(1)))
        return {str(name): str(source) for name, source in json.loads(zlib.decompress(base64.b64decode(text)))}
    except (ValueError, TypeError, zlib.error):
        return {}


def _wrapped(text: str) -> str:
    return "\n".join(f'    "{text[i:i + _WRAP]}"' for i in range(0, len(text), _WRAP))


def setup_cell_source(assignment: Assignment) -> str:
    """Python source of the setup cell of ``assignment``'s notebooks."""
    cases = public_case_data(assignment)
    sources = shipped_sources(shipped_modules(cases))
    index = "\n".join(f"#                    {name + '.py':16} {_first_line(source)}" for name, source in sources.items())
    return _TEMPLATE.format(index=index, packed=_wrapped(pack(sources)),
                            data=_wrapped(storable.encode(cases)))


def _first_line(source: str) -> str:
    """The first line of a module's docstring: what the module is for."""
    import ast
    doc = ast.get_docstring(ast.parse(source)) or ""
    return doc.splitlines()[0].rstrip(".") if doc else ""
