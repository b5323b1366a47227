"""The notebook's setup cell: a short readable setup, the check package's shipped modules and the public cases.

What goes in (``KitCheck``, made once per release of an assignment and carried by the check script
too): the modules of autograder/checks that check() needs to run, judge and explain (SHIPPED, the
same files the grader imports), packed (zlib + base64) so that the cell stays short enough to read:
running it writes them to the folder kitcheck/, where a student can read them, and imports them as
the package ``kitcheck``; and the public cases encoded by storable.encode: inputs, expected outputs
and the outputs of known mistakes (Assignment.public_data, computed by the reference).
What never goes in: assignments/<id>/checks.py (references, input generators, mistake
implementations), solutions, hidden cases, the hidden seed. The release scans the shipped modules
for leaks as it scans the cell (``KitCheck.sources``: what was packed, never decoded again);
``packed_sources`` reads them back out of a written cell (the tests read the committed notebooks).
"""

from __future__ import annotations

import ast
import base64
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checks import storable

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


def wrapped(text: str) -> str:
    """Base64 text as the lines of a str(...) call's argument (the setup cell's and the check script's)."""
    return "\n".join(f'    "{text[i:i + _WRAP]}"' for i in range(0, len(text), _WRAP))


@dataclass(frozen=True)
class KitCheck:
    """What the setup cell and the check script carry for one assignment, made once for both."""

    sources: dict[str, str]  # each shipped module's name -> its source, in import order
    summaries: dict[str, str]  # each shipped module's name -> the first line of its docstring
    packed: str  # the sources packed (pack): _KITCHECK
    cases: str   # the public case data encoded (storable.encode): _PUBLIC_CASES


def kitcheck(public_data: dict[str, Any]) -> KitCheck:
    """The shipped modules an assignment's public case data needs (Assignment.public_data), packed, and the
    data encoded."""
    sources = shipped_sources(shipped_modules(public_data))
    return KitCheck(sources, {name: _first_line(source) for name, source in sources.items()}, pack(sources),
                    storable.encode(public_data))


def setup_cell_source(kit: KitCheck) -> str:
    """Python source of the setup cell of an assignment's notebooks (student and solution alike)."""
    index = "\n".join(f"#                    {name + '.py':16} {summary}" for name, summary in kit.summaries.items())
    return _TEMPLATE.format(index=index, packed=wrapped(kit.packed), data=wrapped(kit.cases))


def _first_line(source: str) -> str:
    """The first line of a module's docstring: what the module is for."""
    doc = ast.get_docstring(ast.parse(source)) or ""
    return doc.splitlines()[0].rstrip(".") if doc else ""
