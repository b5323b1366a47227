"""The grading room: written answers graded by question in the browser (issue 23)."""
