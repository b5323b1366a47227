"""The term's gradebook: grace days, late penalties and the completion requirement.

``python -m autograder gradebook`` reads each assignment's grades.csv, the submission times
and an optional late policy, and writes a CSV for the LMS plus one explanation line per
deduction. Modules, one job each:

- ``policy``   the policy file: load, validate, defaults (the lectures' policy)
- ``inputs``   reading grades.csv files, the times CSV and a roster, with line-numbered errors
- ``specs``    what each grades.csv must hold by its assignment's spec.toml: parts, points, total
- ``canvas``   a Canvas gradebook export as the roster: its people and "Title (id)" columns
- ``export``   times, names and emails from a Gradescope export (instead of a times CSV)
- ``manual``   the TAs' scores of written answers, added to the autograded score
- ``lateness`` pure arithmetic: days late, grace days, penalties, on-time count
- ``report``   the plain and Canvas CSVs and the explanation lines
- ``build``    ``build_gradebook``, the one function the CLI calls (read, decide, write)
"""

from .build import GradebookInputs, Summary, build_gradebook, parse_grades_options
from .policy import DEFAULT_POLICY, Policy, load_policy

__all__ = ["DEFAULT_POLICY", "GradebookInputs", "Policy", "Summary", "build_gradebook", "load_policy",
           "parse_grades_options"]
