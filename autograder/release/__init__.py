"""Generate starter code, notebooks and dist/ bundles from one assignment source.

One job per module, in the order the release applies them:

- ``sources``     read an assignment's solution file, notebook source and title
- ``markers``     find solution regions; starter (stubbed) and reference (markers dropped) text
- ``starter``     starter_code/<id>.py: header + stubbed solution file
- ``definitions`` cut top-level functions out of the solution file for the notebook
- ``directives``  parse '# kit: setup' / '# kit: function NAME ...' cells
- ``notebook``    build the student / solution notebook and serialise it deterministically
- ``leaks``       refuse student-facing text that shows a solution or a hidden case
- ``pipeline``    expected_outputs() and release(): build all, scan, write what changed
"""
