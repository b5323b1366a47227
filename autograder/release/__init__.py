"""Generate starter code, notebooks and dist/ bundles from one assignment source.

What they are built from is one loaded assignment (autograder/assignment.py), in one pass. One job
per module, in the order the release applies them:

- ``markers``         find solution regions; rewrite a solution's lines into starter or reference text
- ``definitions``     the top-level definitions of the solution file, as line spans
- ``solution``        the solution file parsed once: starter, reference and one definition for a notebook cell
- ``directives``      the '# kit: setup' / '# kit: function NAME ...' directives, and a source cell
- ``questions``       the written questions, found from their answer cells' tags (answer:q1), and the tag checks
- ``notebook_source`` read notebook.py once into its cells, each with its directive and notebook text
- ``points_table``    the notebook's table of graded functions and points, held to spec.toml
- ``setup_cell``      what the setup cell and the check script carry (KitCheck), and the setup cell
- ``starter``         starter_code/<id>.py: header + stubbed solution file
- ``notebook``        build the student / solution notebook and serialise it deterministically
- ``check_script``    starter_code/check_<id>.py: check() for a .py or .ipynb file
- ``leaks``           refuse student-facing text that shows a solution or a hidden case
- ``pipeline``        expected_outputs() and release(): build all, scan, write what changed
"""
