"""docs/rules.md, generated from the table of banned calls (autograder/checks/rules.py)."""

from __future__ import annotations

from .. import paths
from ..checks.rules import ALLOWED, BANNED

RULES_DOC = paths.ROOT / "docs" / "rules.md"  # read at import: tests that move paths.ROOT release named assignments


def rules_markdown() -> str:
    """The table as Markdown: the content of docs/rules.md."""
    lines = ["# What graded code may not call", "",
             "Generated from `autograder/checks/rules.py` by `python -m autograder release`; do not edit.",
             "The grader and the notebooks' `check()` apply this table; a graded function that uses an entry, or",
             "calls a function of the submission that does, earns nothing for its part.", "",
             "| banned | what is covered | why |", "| --- | --- | --- |"]
    cover = {"namespace": "the module and everything in it", "call": "this function",
             "method": "this attribute or method, on any value", "private": "every name in it that starts with _",
             "builtin": "this built-in function (getattr: with a computed name)"}
    for ban in BANNED:
        shown = {"method": f"`.{ban.name}`", "private": f"`{ban.name}._*`", "builtin": f"`{ban.name}()`"}.get(
            ban.kind, f"`{ban.name}`")
        lines.append(f"| {shown} | {cover[ban.kind]} | {ban.why} |")
    lines += ["", "Allowed although under `torch.autograd` (they switch gradient tracking, they compute nothing): "
              + ", ".join(f"`{a}`" for a in ALLOWED) + ".", ""]
    return "\n".join(lines)
