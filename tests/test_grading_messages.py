"""The messages a student reads when grading finds something: globals not taken, banned
calls with their cell and line, missing functions, errors with the place they happened."""

from __future__ import annotations

from autograder.grading.grade import grade_submission
from autograder.checks import report
from conftest import EXAMPLES, notebook_json

CORRECT = (EXAMPLES / "linear_regression" / "alice_correct.py").read_text()


def report_of(part) -> str:
    """Everything the report says about a part, hidden cases included."""
    return "\n".join(report.part_report(part, show_hidden=True))


def grade(write, lr_plan, sandbox, name, text):
    result = grade_submission(lr_plan, write(name, text), sandbox)
    return {p.name: p for p in result.parts}, result


def test_is_a_global_the_grader_did_not_take_named_with_its_place(write, lr_plan, sandbox):
    text = CORRECT + "\nSCALE = float(len('ab'))\n\ndef predict(X, w, b):\n    return (X @ w + b) * SCALE / 2\n"
    parts, _ = grade(write, lr_plan, sandbox, "s.py", text)
    lines = text.split("\n")
    assigned = lines.index("SCALE = float(len('ab'))") + 1
    used = lines.index("    return (X @ w + b) * SCALE / 2") + 1
    assert parts["predict"].score == 0
    assert (f"raised NameError: uses the global 'SCALE', assigned at line {assigned}, which the grader did not take: "
            "it only takes imports, function and class definitions and simple constants") in report_of(parts["predict"])
    assert f"(line {used} in predict)" in report_of(parts["predict"])


def test_is_a_banned_call_in_a_notebook_named_with_its_cell_and_line(write, lr_plan, sandbox):
    cells = [("markdown", "# A1"), ("code", "import torch"), ("code", CORRECT),
             ("code", "def cost_gradients(X, t, w, b):\n    w = w.clone().requires_grad_(True)\n"
                      "    b = b.clone().requires_grad_(True)\n"
                      "    return torch.autograd.grad(((X @ w + b - t) ** 2).mean() / 2, (w, b))")]
    parts, _ = grade(write, lr_plan, sandbox, "s.ipynb", notebook_json(*cells))
    assert parts["cost_gradients"].score == 0
    assert "uses torch.autograd.grad (cell 4, line 4)" in report_of(parts["cost_gradients"])
    # gradient_descent calls cost_gradients, so it inherits the verdict
    assert parts["gradient_descent"].score == 0
    assert "calls cost_gradients, which uses torch.autograd.grad (cell 4, line 4)" in report_of(parts["gradient_descent"])
    assert parts["predict"].score == parts["predict"].points


def test_is_a_missing_function_named(write, lr_plan, sandbox):
    text = CORRECT.replace("def polynomial_features(", "def poly_features(")
    parts, _ = grade(write, lr_plan, sandbox, "s.py", text)
    assert parts["polynomial_features"].score == 0
    assert "no function named polynomial_features was found in the submission" in report_of(parts["polynomial_features"])


def test_does_an_error_say_where_in_the_notebook_it_happened(write, lr_plan, sandbox):
    cells = [("code", CORRECT), ("code", "def predict(X, w, b):\n    y = X @ w\n    return y + b[0]")]
    parts, _ = grade(write, lr_plan, sandbox, "s.ipynb", notebook_json(*cells))
    assert "raised IndexError" in report_of(parts["predict"]) and "(cell 2, line 3 in predict)" in report_of(parts["predict"])


def test_are_skipped_cells_reported_in_the_notes(write, lr_plan, sandbox):
    cells = [("code", CORRECT), ("code", "print(predict(?)")]
    _, result = grade(write, lr_plan, sandbox, "s.ipynb", notebook_json(*cells))
    assert result.score == 17
    assert any(n.startswith("cell 2, line 1: this cell could not be parsed") for n in result.notes)
