"""Do the attacks a student who read the source wrote against the check package fail?
(tests/attacks/README.md says what each one tries.)"""

from __future__ import annotations

import json
import re

import pytest

from autograder.assignment import load_assignment
from autograder.layout import KIT_LAYOUT
from autograder.checks import rules, verifier
from autograder.checks.verdict import Status
from autograder.grading.grade import _grade_part, grade_submission, make_plan
from autograder.ingest import ingest
from autograder.checks.judging import Outcome
from autograder.sandbox.client import PartRun
from autograder.sandbox.outcome import CaseStatus
from conftest import ROOT
from notebook_session import check_output, run_cell, session

ATTACKS = ROOT / "tests" / "attacks"
# attack -> (assignment, the parts it goes after: none of them may earn a point)
TARGETS = {
    "a1_module_alias_private": ("logistic_regression", "all"),
    "a8_local_torch_alias": ("logistic_regression", "all"),
    "a10_leak_hidden_inputs": ("logistic_regression", ["sigmoid"]),
    "a11_scan_quadratic": ("logistic_regression", ["sigmoid"]),
    "a12_rebind_after_def": ("logistic_regression", ["sigmoid"]),
    "a13_star_import_private": ("logistic_regression", ["sigmoid"]),
    "a7_self_receiver": ("logistic_regression", ["sigmoid"]),
    "a9_lru_helper": ("logistic_regression", ["sigmoid"]),
    "a20_public_api_equivalents": ("softmax_regression", ["softmax", "softmax_cross_entropy",
                                                          "softmax_regression_gradients", "fit_softmax_regression"]),
    "a3_fake_training_softmax": ("softmax_regression", ["fit_softmax_regression"]),
    "a2_mlp_autograd_engine": ("mlp", ["mlp_loss_and_gradients"]),
    "a15_local_alias_wrapped": ("mlp", ["sigmoid_forward", "sigmoid_backward", "softmax_cross_entropy_loss"]),
    "a4_fake_training_mlp": ("mlp", ["train_mlp"]),
    **{name: ("logistic_regression", ["sigmoid"]) for name in (
        "a21_attrgetter", "a22_methodcaller", "a23_reduce_getattr", "a24_pickle_global", "a25_walrus_in_default",
        "a26_class_body_global", "a27_super_original", "a28_torchscript_string", "a30_scipy_expit")},
    "a29_softmax_transform": ("softmax_regression", ["softmax"]),
}
# Issue 19's routes: each must be caught as a rule break (a crash or a wrong value would not count).
ROUTES = ("a21_attrgetter", "a22_methodcaller", "a23_reduce_getattr", "a24_pickle_global", "a25_walrus_in_default",
          "a26_class_body_global", "a27_super_original", "a28_torchscript_string", "a29_softmax_transform",
          "a30_scipy_expit")
PLANS: dict[str, object] = {}


def plan(assignment: str):
    if assignment not in PLANS:
        PLANS[assignment] = make_plan(load_assignment(KIT_LAYOUT, assignment))
    return PLANS[assignment]


@pytest.mark.parametrize("attack", sorted(TARGETS))
def test_does_the_attack_earn_nothing_where_it_cheats(attack, sandbox):
    assignment, parts = TARGETS[attack]
    result = grade_submission(plan(assignment), ATTACKS / f"{attack}.py", sandbox)
    attacked = [p for p in result.parts if parts == "all" or p.name in parts]
    assert attacked and all(p.score == 0 for p in attacked), [(p.name, p.score, p.problem) for p in attacked]


@pytest.mark.parametrize("attack", ROUTES)
def test_is_each_route_a_working_cheat_that_the_grader_calls_a_rule_break(attack, sandbox):
    import torch
    from conftest import load_module
    assignment, (part,) = TARGETS[attack]
    z = torch.tensor([[-3.0, 0.5, 2.0], [1.0, -1.0, 0.0]], dtype=torch.float64)
    want = torch.sigmoid(z) if part == "sigmoid" else torch.softmax(z, 1)
    assert torch.allclose(getattr(load_module(ATTACKS / f"{attack}.py"), part)(z), want)  # it really cheats
    result = grade_submission(plan(assignment), ATTACKS / f"{attack}.py", sandbox)
    verdict = next(p for p in result.parts if p.name == part)
    assert verdict.status is Status.RULE_BROKEN and verdict.score == 0, (verdict.status, verdict.problem)


def test_do_the_training_fakes_lose_on_behaviour_not_just_on_cost(sandbox):
    result = grade_submission(plan("softmax_regression"), ATTACKS / "a3_fake_training_softmax.py", sandbox)
    fit = next(p for p in result.parts if p.name == "fit_softmax_regression")
    labels = {f.label for c in fit.cases for f in c.failures}
    assert labels & {"lr", "epochs", "generator", "batch_size"}, labels


def test_does_the_feedback_never_echo_what_the_child_reported(sandbox, tmp_path):
    """a10 writes hidden inputs into the tripwire record; nothing of it may reach any output."""
    result = grade_submission(plan("logistic_regression"), ATTACKS / "a10_leak_hidden_inputs.py", sandbox)
    from autograder.grading.results import results_json
    text = json.dumps(results_json(result))
    assert "float32:" not in text and "float64:" not in text and not re.search(r"\d{3}\.\d{2}\|", text)


def test_does_the_parent_accept_only_names_the_tripwires_can_report():
    planned = next(p for p in plan("logistic_regression").parts if p.spec.name == "sigmoid")
    ingested = ingest(ATTACKS / "a7_self_receiver.py")
    fake = [Outcome(CaseStatus.ERROR, error_type="ValueError", message="x", banned=("secret|0.25", "torch.sigmoid"))
            for _ in planned.cases]
    verdict = _grade_part(planned, ingested, {}, PartRun(fake))
    assert verdict.status is Status.RULE_BROKEN and "torch.sigmoid while running" in verdict.problem
    assert "secret" not in verdict.problem
    fake = [Outcome(CaseStatus.ERROR, error_type="ValueError", message="x", banned=("secret|0.25",))
            for _ in planned.cases]
    assert _grade_part(planned, ingested, {}, PartRun(fake)).status is None


def test_is_the_scan_of_a_huge_call_graph_bounded():
    source = ingest(ATTACKS / "a11_scan_quadratic.py").source
    found = verifier.verify(source, ["sigmoid"])
    assert 0 < len(found["sigmoid"]) <= verifier.MAX_LISTED


@pytest.mark.parametrize("body", [
    "return [torch][0]._C._special.special_expit(z)",
    "return (torch or None)._C._special.special_expit(z)",
    "return (lambda: torch)()._C._special.special_expit(z)",
    "T = torch\n    return T._C._special.special_expit(z)",
    "for torch in [torch]:\n        return torch._C._special.special_expit(z)",
    "return [torch][0].autograd.graph._engine_run_backward",
    "return [torch][0].nn.functional.cross_entropy.__wrapped__",
    "return torch.utils.data.dataloader.torch._C._special.special_expit(z)",
    "return torch.autograd.grad_mode.torch.autograd.graph._engine_run_backward",
    "return (torch or None).special.expit(z)",
])
def test_is_a_chain_broken_by_any_expression_still_a_rule_break(body):
    assert verifier.verify(f"import torch\ndef f(z):\n    {body}\n", ["f"]).get("f")


# --- check() in the notebook on code the grader treats differently -------------------------

NOT_TAKEN = {
    "lambda": "import torch\nsigmoid = lambda z: 1 / (1 + torch.exp(-z))\n",
    "partial": "import torch, functools\ndef _s(z, k):\n    return 1 / (1 + torch.exp(-k * z))\n"
               "sigmoid = functools.partial(_s, k=1)\n",
    "callable_object": "import torch\nclass S:\n    def __call__(self, z):\n        return 1 / (1 + torch.exp(-z))\n"
                       "sigmoid = S()\n",
    "def_inside_if": "import torch\nif True:\n    def sigmoid(z):\n        return 1 / (1 + torch.exp(-z))\n",
}


@pytest.mark.parametrize("how", sorted(NOT_TAKEN))
def test_does_check_say_what_the_grader_will_not_find(how):
    ns = session("logistic_regression")
    run_cell(ns, NOT_TAKEN[how])
    out = check_output(ns, "sigmoid")
    assert "no function named sigmoid would be found in your submission" in out and "pass" not in out


@pytest.mark.parametrize("source", [
    "import torch, functools\n@functools.lru_cache\ndef _k():\n    return torch.sigmoid\n"
    "def sigmoid(z):\n    return _k()(z)\n",
    "def sigmoid(z):\n    self = z\n    return self.sigmoid()\n",
])
def test_does_check_see_banned_calls_where_the_grader_sees_them(source):
    ns = session("logistic_regression")
    run_cell(ns, source)
    assert "breaks the assignment's rules" in check_output(ns, "sigmoid")


@pytest.mark.parametrize("source", [
    "import torch\nACTS = [\n    lambda z: z,\n    lambda z: z * 2]\n"
    "def sigmoid(z):\n    e = torch.exp(-z.abs())\n    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))\n",
    "import types, torch\nhelpers = types.ModuleType('hw-helpers')\ndef sigmoid(z):\n"
    "    e = torch.exp(-z.abs())\n    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))\n",
])
def test_does_check_pass_correct_code_whatever_else_the_notebook_holds(source):
    ns = session("logistic_regression")
    run_cell(ns, source)
    assert check_output(ns, "sigmoid").startswith("sigmoid: all 3 public cases pass")


def test_does_no_student_read_what_an_earlier_one_printed(tmp_path):
    """a17: four victims print a private line, then an attacker searches its worker's memory for it."""
    import subprocess
    import sys
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "logistic_regression",
                           str(ATTACKS / "a17_cross_student"), "--out", str(out), "--quiet", "--jobs", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    attacker = (out / "z_attacker" / "results.json").read_text() + (out / "z_attacker" / "feedback.md").read_text()
    assert "VICTIM" not in attacker and "12345678" not in attacker
