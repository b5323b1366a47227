"""starter_code/check_<id>.py: the notebook's check() for a .py or .ipynb file, in one file that needs only torch.

``python check_linear_regression.py my_file.py`` takes the file's statements as the grader takes
them, verifies them, builds the namespace they make and runs every public case under the grader's
defaults, printing the report check() prints; it exits 0 when every function passes, 1 when one
does not, 2 when the file cannot be read. It carries exactly what the setup cell carries (the same
KitCheck: shipped modules, packed the same way, and the same public case data: setup_cell.py) and
imports the modules from memory, so it runs from any folder and writes nothing. The release scans
its shipped modules for leaks with it (leaks.scan_for_leaks).
"""

from __future__ import annotations

from ..assignment import Assignment
from .setup_cell import KitCheck, wrapped

_TEMPLATE = '''#!/usr/bin/env python3
"""{title}: the public checks, for a .py or .ipynb file (what check() does in the notebook).

    python check_{id}.py YOUR_FILE.py [FUNCTION ...]     (or YOUR_FILE.ipynb; needs only torch)

It takes from your file what the grader takes (imports, function and class definitions, simple
constants), applies the assignment's rules, and runs each graded function's public cases as the grader
runs them (torch's default dtype float32), printing what differs. Exit status: 0 when every function
passes its public cases, 1 when one does not, 2 when the file cannot be read. The grader also runs
hidden cases. None of this file is a solution; below its code are two blocks of data:

  _KITCHECK      the kit's checking code (the same files the grader runs: autograder/checks/ in the
                 course repository), compressed; imported from memory, nothing is written:
{index}
  _PUBLIC_CASES  the public cases: their inputs, the expected outputs and the outputs of known
                 mistakes, computed by the reference solution when this file was made.
"""
import base64
import json
import linecache
import os
import sys
import types
import zlib


def _kitcheck(packed):
    """Import the checking code as the package kitcheck, from memory; return its module public."""
    here = os.path.dirname(os.path.abspath(__file__))  # files beside this one must not shadow a module
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    package = types.ModuleType("kitcheck")
    package.__path__ = []
    sys.modules["kitcheck"] = package
    for name, source in json.loads(zlib.decompress(base64.b64decode(packed))):  # in import order
        filename = f"<kitcheck/{{name}}.py>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # readable tracebacks
        module = types.ModuleType(f"kitcheck.{{name}}")
        module.__file__, module.__package__ = filename, "kitcheck"
        sys.modules[module.__name__] = module
        exec(compile(source, filename, "exec"), module.__dict__)
        setattr(package, name, module)
    return sys.modules["kitcheck.public"]


_KITCHECK = str(
{packed}
)

_PUBLIC_CASES = str(
{data}
)

if __name__ == "__main__":
    try:
        _public = _kitcheck(_KITCHECK)
    except ImportError as e:
        print(f"check_{id}.py needs torch ({{e}}): install it with pip install torch", file=sys.stderr)
        sys.exit(2)
    sys.exit(_public.check_file(sys.argv[1:], _PUBLIC_CASES, "check_{id}.py"))
'''


def check_script_source(assignment: Assignment, kit: KitCheck) -> str:
    """The check script of ``assignment``: the setup cell's modules and public cases (``kit``), run on a file."""
    index = "\n".join(f"                   {name + '.py':16} {summary}" for name, summary in kit.summaries.items())
    return _TEMPLATE.format(title=assignment.spec.title, id=assignment.id, index=index, packed=wrapped(kit.packed),
                            data=wrapped(kit.cases))
