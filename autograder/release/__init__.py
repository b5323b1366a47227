"""Generate starter code, notebooks and dist/ bundles from one assignment source.

What they are built from is one loaded assignment (autograder/assignment.py). One job per
module, in the order the release applies them:

- ``markers``     find solution regions; starter (stubbed) and reference (markers dropped) text
- ``starter``     starter_code/<id>.py: header + stubbed solution file
- ``definitions`` cut top-level functions out of the solution file for the notebook
- ``directives``  read notebook.py's cells and their '# kit: setup' / '# kit: function NAME ...' directives
- ``questions``   the written questions, found from their answer cells' tags (answer:q1), and the tag checks
- ``notebook``    build the student / solution notebook and serialise it deterministically
- ``leaks``       refuse student-facing text that shows a solution or a hidden case
- ``pipeline``    expected_outputs() and release(): build all, scan, write what changed
"""
