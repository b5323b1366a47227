"""The notebook's setup cell: the check package's shipped modules and the public cases as data.

What goes in: the modules of autograder/checks that check() needs to run, judge and explain
(SHIPPED, the same files the grader imports, loaded as the package ``kitcheck``) and the public
cases encoded by storable.encode: inputs, expected outputs and the outputs of known mistakes,
computed here by the reference. What never goes in: assignments/<id>/checks.py (references,
input generators, mistake implementations), solutions, hidden cases, the hidden seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..assignment import Assignment
from ..checks import storable
from ..checks.building import expected_value, part_cases
from ..errors import KitError

CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"
# In import order: each module only imports those before it.
SHIPPED = ("verdict", "values", "drivers", "compare", "hints", "judges", "judging", "report", "rules", "storable",
           "public")
# Judges that evaluate a returned model, each with objectives.py: only for assignments that use them.
MODEL_JUDGES = ("objectives", "fit_judges", "model_judges")
_WRAP = 120  # characters per line of the base64 data

_TEMPLATE = '''#@title Setup: run this cell first (it defines check())
# check("name") runs the public cases of one graded function on your current definition and
# explains what differs. Everything it needs is in this cell, and none of it is a solution:
#
#   1. the kit's checking code, as the package kitcheck: the same files the grader runs
#      (autograder/checks/ in the course repository), one per job:
{index}
#   2. the public cases as data (_PUBLIC_CASES): their inputs, the expected outputs and the
#      outputs of known mistakes, computed by the reference solution when the notebook was made.
import sys
import types

import torch

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if DEVICE.type == "cuda":
    print("Using the GPU:", torch.cuda.get_device_name())
else:
    print("Using the CPU (no GPU found). In Colab: Runtime > Change runtime type > GPU, then run this cell again.")


def _install_kitcheck(sources):
    """Load the sources below as the package kitcheck (module by module, in order)."""
    package = types.ModuleType("kitcheck")
    package.__path__ = []
    sys.modules["kitcheck"] = package
    for name, source in sources.items():
        module = types.ModuleType(f"kitcheck.{{name}}")
        module.__package__ = "kitcheck"
        sys.modules[module.__name__] = module
        exec(compile(source, f"kitcheck/{{name}}.py", "exec"), module.__dict__)
        setattr(package, name, module)
    return package


_KITCHECK_SOURCES = {{
{modules}
}}

_PUBLIC_CASES = (
{data}
)

check = _install_kitcheck(_KITCHECK_SOURCES).public.make_check(globals(), _PUBLIC_CASES)
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


def _literal(source: str, what: str) -> str:
    # The sources travel as r\'\'\'...\'\'\' literals: they must not close the literal early.
    if "\'\'\'" in source or source.rstrip("\n").endswith("\\\\"):
        raise KitError(f"{what} cannot be embedded in a notebook: it contains triple single quotes")
    return "r\'\'\'" + source.rstrip("\n") + "\n\'\'\'"


def setup_cell_source(assignment: Assignment) -> str:
    """Python source of the setup cell of ``assignment``'s notebooks."""
    cases = public_case_data(assignment)
    sources = shipped_sources(shipped_modules(cases))
    modules = ",\n".join(f'"{name}": {_literal(source, f"autograder/checks/{name}.py")}'
                         for name, source in sources.items())
    index = "\n".join(f"#        {name + '.py':16} {_first_line(source)}" for name, source in sources.items())
    data = storable.encode(cases)
    lines = "\n".join(f'    "{data[i:i + _WRAP]}"' for i in range(0, len(data), _WRAP))
    return _TEMPLATE.format(index=index, modules=modules, data=lines)


def _first_line(source: str) -> str:
    """The first line of a module's docstring: what the module is for."""
    import ast
    doc = ast.get_docstring(ast.parse(source)) or ""
    return doc.splitlines()[0].rstrip(".") if doc else ""
