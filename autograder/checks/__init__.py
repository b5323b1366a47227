"""The check engine shared by the notebooks' public checks and the grader."""
