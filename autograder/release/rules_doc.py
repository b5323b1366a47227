"""docs/rules.md, generated from the allowlist (autograder/checks/allowlist.py, torch_names.py) and the
table of banned calls with their reasons (autograder/checks/rules.py)."""

from __future__ import annotations

from ..checks import allowlist
from ..checks.rules import BANNED
from ..layout import PACKAGE

# The kit's own page, beside its package (like checks/torch_names.py, whatever course releases)
RULES_DOC = PACKAGE.parent / "docs" / "rules.md"


def _names(names: "frozenset[str] | None") -> str:
    return "every public name" if names is None else ", ".join(f"`{n}`" for n in sorted(names))


def rules_markdown() -> str:
    """The content of docs/rules.md."""
    torch_count = len(allowlist.TORCH)  # MODULES["torch"]: torch's names are listed, never "every public name"
    lines = ["# What graded code may use", "",
             "Generated from `autograder/checks/allowlist.py`, `autograder/checks/torch_names.py` and",
             "`autograder/checks/rules.py` by `python -m autograder release`; do not edit.", "",
             "The grader, `python check_<id>.py` and the notebooks' `check()` run one verifier",
             "(`autograder/checks/verifier.py`) on the statements the grader takes from a submission. Every name,",
             "attribute and call in a graded function, in the functions and classes of the submission it uses,",
             "and in the code that runs while the file loads (decorators, default values, class bodies,",
             "constants) must be on this list. A part that uses anything else earns nothing, and the feedback",
             "names what and where. What runs while the file loads counts against every part.", "",
             "## The list", "",
             f"- **torch**: its {torch_count} public tensor functions, dtypes and value classes, listed in",
             "  `autograder/checks/torch_names.py` (generated from the pinned torch), less what the table below bans.",
             "- **torch submodules**:"]
    for path, names in allowlist.MODULES.items():
        if path.startswith("torch."):
            lines.append(f"  - `{path}`: {_names(names)}")
    lines.append("- **other modules**:")
    for path, names in allowlist.MODULES.items():
        if path != "torch" and not path.startswith("torch."):
            lines.append(f"  - `{path}`: {_names(names)}")
    lines += ["- **built-in names**: " + ", ".join(f"`{n}`" for n in sorted(allowlist.BUILTINS)) +
              " (`getattr` and `hasattr` only with a literal name, `super()` only without arguments, `type()` only"
              " with one argument)",
              "- **classes a class may derive from**, besides the submission's own: "
              + ", ".join(f"`{n}`" for n in sorted(allowlist.BASES)),
              "- **attributes of values**: the public attributes of tensors, dtypes, devices, sizes, generators and",
              "  torch's data loaders (less those that reach gradients), of Python's lists, dicts, strings and",
              "  numbers, a few of numpy arrays, tqdm bars and matplotlib axes, and any attribute the submission",
              "  defines itself (`self.W = ...`, a class's methods), unless torch's classes or Python's frames,",
              "  functions, code objects or generators have an attribute by that name. Dunder attributes: only "
              + ", ".join(f"`{n}`" for n in sorted(allowlist.DUNDERS)) + ".",
              "- **annotations** name types and may name anything; they may not call or assign.", "",
              "Nothing turns a string into code or an attribute: no `eval`, `exec`, `compile`, `__import__`,",
              "`importlib`, `pickle`, `operator.attrgetter`/`methodcaller`, `getattr` with a computed name or as a",
              "value, `super` with arguments, `torch.jit`, `torch.compile`, `torch.library` or `torch.ops`.", "",
              "## Banned, and why", "",
              "These are off the list for the reason given (the feedback quotes it); the run-time tripwires in",
              "the sandbox also watch the ones that can be wrapped.", "",
              "| banned | what is covered | why |", "| --- | --- | --- |"]
    cover = {"namespace": "the module and everything in it", "call": "this function",
             "method": "this attribute or method, on any value", "private": "every name in it that starts with _",
             "builtin": "this built-in function (getattr: with a computed name)"}
    for ban in BANNED:
        shown = {"method": f"`.{ban.name}`", "private": f"`{ban.name}._*`", "builtin": f"`{ban.name}()`"}.get(
            ban.kind, f"`{ban.name}`")
        lines.append(f"| {shown} | {cover[ban.kind]} | {ban.why} |")
    lines.append("")
    return "\n".join(lines)
