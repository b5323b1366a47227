"""The check package: verdicts, comparison, judges, rules and reports, shared by the grader, the
sandboxed child, the tests and (the modules release/setup_cell.py lists) the notebooks' check().

Each module is imported explicitly (``from autograder.checks.judges import Descent``); this file
imports nothing, so the notebook can load just the modules it carries.
"""
