"""Gradescope: build an assignment's autograder zip (build.py) and grade inside the container (run.py).

The container side is started by the zip's ``run_autograder`` as
``python -m autograder.gradescope.run ASSIGNMENT``; nothing is imported here, so that
module runs without being imported twice.
"""
