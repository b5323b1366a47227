"""Import an assignment's checks (assignments/<id>/checks.py) as a module, with clear errors.

Every way the import can fail is a one-line ChecksError naming checks.py and its line.
The file is read once and run from that text; autograder.assignment.load_assignment, the one
caller, caches the result per file version, so an edited checks.py is read again. Its PARTS held
to spec.toml and cases.toml, and the cases built: checks/cases.py.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
import traceback
import types
from pathlib import Path

from ..errors import ChecksError
from ..layout import PACKAGE, Layout
from ..sourcefile import SourceFile
from ..tomlfile import did_you_mean
from .parts import Part

PARTS_EXAMPLE = 'PARTS = {p.name: p for p in [Part("predict", make_inputs, reference), ...]}'
CHECKS_FILE = "checks.py"  # in assignments/<id>/


def checks_path(layout: Layout, assignment: str) -> Path:
    return layout.assignment_dir(assignment) / CHECKS_FILE


def load_checks(layout: Layout, assignment: str) -> tuple[types.ModuleType, SourceFile]:
    """The module of assignments/<id>/checks.py, whose PARTS maps each part name to its Part, and its text."""
    path = checks_path(layout, assignment)
    try:
        source = SourceFile.read(layout, path.resolve())
    except FileNotFoundError:
        raise ChecksError(f"assignment {assignment!r} has no checks yet: write checks.py with {PARTS_EXAMPLE}",
                          path=layout.shown(path)) from None
    name = f"kit_checks_{assignment}"
    module = types.ModuleType(name)
    module.__file__ = str(source.path)
    sys.modules[name] = module  # dataclasses and pickling look a module up by name
    try:
        exec(compile(source.text, str(source.path), "exec"), module.__dict__)
    except SyntaxError as e:
        sys.modules.pop(name, None)
        text = f" in {e.text.strip()!r}" if e.text and e.text.strip() else ""
        raise ChecksError(f"syntax error: {e.msg}{text}: checks.py must be valid Python", path=source.shown,
                          line=e.lineno) from None
    except Exception as e:
        sys.modules.pop(name, None)
        raise ChecksError(f"loading checks.py failed: {failure(e)}", path=source.shown,
                          line=line_in(e, source.path)) from None
    _check_parts(module, source.shown)
    return module, source


def _check_parts(module: types.ModuleType, shown: str) -> None:
    parts = getattr(module, "PARTS", None)
    if not isinstance(parts, dict) or not all(isinstance(p, Part) for p in parts.values()):
        found = "no PARTS" if parts is None else f"PARTS is a {type(parts).__name__}"
        raise ChecksError(f"checks.py must define PARTS, a dict from part name to Part, but has {found}: write "
                          f"{PARTS_EXAMPLE} (from autograder.checks.parts import Part)", path=shown)
    for key, part in parts.items():
        if key != part.name:
            raise ChecksError(f"PARTS[{key!r}] is the Part named {part.name!r}: a part's key and its name must "
                              f"be the same, e.g. {PARTS_EXAMPLE}", path=shown)


GRADING_REQUIREMENTS = PACKAGE.parent / "requirements-grading.txt"  # what the Gradescope image installs
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def check_grading_imports(layout: Layout, source: SourceFile) -> None:
    """ChecksError at the line of an import in checks.py that grading on Gradescope could not satisfy: checks.py
    runs there, beside only Python's own modules, the kit and requirements-grading.txt's packages (with what they
    need); anything else imports here and fails there for every student."""
    if not GRADING_REQUIREMENTS.is_file():
        return
    try:
        tree = ast.parse(source.text)
    except SyntaxError:
        return  # loading reports it
    required = _requirement_names(GRADING_REQUIREMENTS.read_text(encoding="utf-8"))
    others: list[tuple[str, int]] = []  # (module, line) neither Python's, the kit's nor named in the file
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top != PACKAGE.name and _normal(top) not in required:
                others.append((top, node.lineno))
    if not others:
        return  # the usual checks.py (torch and the kit): no need to read the installed packages' metadata
    import importlib.metadata as metadata
    allowed = _with_dependencies(metadata, required)
    owners = metadata.packages_distributions()
    for top, line in others:
        if not any(_normal(d) in allowed for d in owners.get(top, [])):
            raise ChecksError(f"checks.py imports {top}, which grading on Gradescope does not have (it installs "
                              f"{layout.shown(GRADING_REQUIREMENTS)}: {', '.join(sorted(required))}): every "
                              "student's grading would fail there - compute it with torch, or add the package to "
                              "that file and to requirements.txt", path=source.shown, line=line)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        found = _REQUIREMENT.match(line.split("#", 1)[0])
        if found:
            names.add(_normal(found.group(1)))
    return names


def _with_dependencies(metadata: types.ModuleType, names: set[str]) -> set[str]:
    """``names`` and every distribution they require (extras left out), as installed here."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" in requirement:
                continue
            found = _REQUIREMENT.match(requirement)
            if found:
                todo.append(_normal(found.group(1)))
    return seen


def line_in(error: BaseException, path: Path) -> int | None:
    """The line of ``path`` nearest to where ``error`` was raised (None when it never ran there)."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if Path(frame.filename) == path:
            return frame.lineno
    return None


def failure(error: BaseException) -> str:
    """``Type: first line of the message``, with a did-you-mean for an unknown name (from the names
    the failing line could see)."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    tb = error.__traceback__
    if isinstance(error, NameError) and getattr(error, "name", None) and tb is not None:
        while tb.tb_next is not None:
            tb = tb.tb_next
        seen = (*tb.tb_frame.f_locals, *tb.tb_frame.f_globals, *dir(builtins))
        text += did_you_mean(error.name, [n for n in seen if not n.startswith("__")])
    return text
