"""The check package as students and graders meet it: does check() in a notebook agree with the
grader, apply the grader's rules, ship data rather than reference code, and keep working when
cases live on another device? Are hidden details hidden whatever the words?"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import sys
from pathlib import Path

import pytest
import torch

from autograder.assignment import load_assignment
from autograder.checks import report, rules, verifier
from autograder.checks.compare import Tolerance
from autograder.checks.judges import judge_from_data
from autograder.checks.judging import MistakeOutput
from autograder.checks.public import run_here
from autograder.checks.values import Call, map_tensors, moved, tensors_in
from autograder.checks.verdict import CaseVerdict, Finding, PartVerdict, Status
from autograder.grading.grade import SubmissionResult, grade_submission, make_plan
from autograder.grading.results import results_json
from autograder.ingest import ingest
from autograder.layout import KIT_LAYOUT
from autograder.release.leaks import find_leak, load_secrets
from autograder.release.setup_cell import CHECKS_DIR, packed_sources
from conftest import EXAMPLES, ROOT, load_module
from notebook_session import check_output, run_cell, session, setup_cell

ASSIGNMENTS = KIT_LAYOUT.assignment_ids()

# One banned call per assignment of the course, in a function that is otherwise correct: the routes
# around the scan each of them invites (an alias, a from-import, a helper). Any other assignment gets
# the generic one of banned_variant().
BANNED_DEFINITIONS = {
    "linear_regression": ("predict", "import torch.nn.functional as F\n\n"
                                     "def predict(X, w, b):\n    return F.linear(X, w.unsqueeze(0), b.reshape(1)).squeeze(1)\n"),
    "logistic_regression": ("sigmoid", "import torch\n\ndef sigmoid(z):\n    return torch.sigmoid(z)\n"),
    "softmax_regression": ("one_hot", "import torch\nfrom torch.nn.functional import one_hot as oh\n\n"
                                      "def one_hot(t, num_classes):\n    return oh(t, num_classes).to(torch.float32)\n"),
    "mlp": ("softmax_cross_entropy_loss",
            "import torch\n\ndef helper(Z):\n    return Z.softmax(dim=1)\n\n"
            "def softmax_cross_entropy_loss(Z, t):\n    Y = helper(Z)\n    N = Z.shape[0]\n"
            "    T = torch.zeros_like(Z)\n    T[torch.arange(N), t] = 1\n"
            "    loss = -(T * torch.log(Y)).sum() / N\n    return loss, (Y - T) / N\n"),
}
WHY = {"linear_regression": rules.LAYERS, "logistic_regression": rules.STABLE, "softmax_regression": rules.LAYERS,
       "mlp": rules.STABLE}


# --- what the notebook carries ----------------------------------------------------------------

@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_the_setup_cell_carry_no_code_of_the_assignments_checks(assignment):
    packed = packed_sources(setup_cell(assignment))
    assert {"compare", "rules", "public"} <= set(packed)  # read unpacked, as a student reads kitcheck/
    cell = setup_cell(assignment) + "\n".join(packed.values())
    tree = ast.parse((KIT_LAYOUT.assignment_dir(assignment) / "checks.py").read_text())
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert defined and not [name for name in defined if re.search(rf"(?<![\w.]){name}\b", cell)]
    assert "autograd_grads" not in cell and "in_float64" not in cell
    assert find_leak(cell, load_secrets(load_assignment(KIT_LAYOUT, assignment))) is None


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_is_the_setup_cells_code_short_with_the_checking_code_as_files_to_read(assignment, tmp_path, monkeypatch):
    cell = setup_cell(assignment)
    code = cell[:cell.index("\n_KITCHECK = str(")]
    assert len(code.splitlines()) <= 80  # the rest is the two labelled data blocks
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()):
        run_cell({"__name__": "__main__"}, cell)
    written = {p.stem: p.read_text() for p in (tmp_path / "kitcheck").glob("*.py") if p.stem != "__init__"}
    assert written == {name: (CHECKS_DIR / f"{name}.py").read_text() for name in packed_sources(cell)}
    assert sys.modules["kitcheck.public"].__file__ == str(tmp_path / "kitcheck" / "public.py")


def test_does_the_setup_cell_fall_back_to_a_temporary_folder_where_it_may_not_write(tmp_path, monkeypatch):
    (tmp_path / "kitcheck").write_text("a file where the folder would go")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        run_cell(namespace, setup_cell("linear_regression"))
    assert Path(sys.modules["kitcheck.public"].__file__).parent.name.startswith("kitcheck-")
    assert callable(namespace["check"])


def test_is_a_line_of_a_reference_refused_as_a_leak():
    line = "    return torch.vander(x, N=degree + 1, increasing=True)"
    secrets = load_secrets(load_assignment(KIT_LAYOUT, "linear_regression"))
    assert find_leak(line, secrets) is None  # not a line of checks.py as written ...
    reference = next(l for l in (KIT_LAYOUT.assignment_dir("linear_regression") / "checks.py").read_text().splitlines()
                     if "torch.linalg.lstsq" in l)
    leak = find_leak(f"x = 1\n{reference}\n", secrets)
    assert leak is not None and leak.line == 2 and "a line of the grader's checks" in leak.what


def test_does_every_objective_compute_only_through_banned_calls():
    """objectives.py ships to students: pasting any of its functions into a graded one earns nothing."""
    source = (CHECKS_DIR / "objectives.py").read_text()
    functions = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    found = verifier.verify(source, functions)
    assert functions and [f for f in functions if not found.get(f)] == []


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_is_the_public_data_loadable_by_torch_alone(assignment):
    cell = setup_cell(assignment)
    namespace: dict = {}
    start = cell.index("_PUBLIC_CASES = str(")
    exec(cell[start:cell.index("\n)\n", start) + 3], namespace)
    import base64, io, zlib
    data = torch.load(io.BytesIO(zlib.decompress(base64.b64decode(namespace["_PUBLIC_CASES"]))), weights_only=True)
    assert set(data["parts"]) == set(load_assignment(KIT_LAYOUT, assignment).part_names)


# --- check() applies the grader's rules -------------------------------------------------------

@pytest.mark.parametrize("assignment", BANNED_DEFINITIONS)
def test_does_check_flag_a_banned_call_in_the_graders_words(assignment):
    name, source = BANNED_DEFINITIONS[assignment]
    assert_flagged(assignment, name, source, WHY[assignment])


BANNED_CALL = "torch.nn.functional.relu(torch.zeros(1))"


def banned_variant(assignment: str) -> tuple[str, str]:
    """(part, source): the first graded function as the reference solution writes it, with a call of
    torch.nn.functional added in front of its body. Built from the assignment's own files, so a TA's
    new assignment gets one with no entry in BANNED_DEFINITIONS."""
    tree = ast.parse(KIT_LAYOUT.solution_file(assignment).read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    name = next(part for part in load_assignment(KIT_LAYOUT, assignment).part_names if part in functions)
    function = functions[name]
    function.body.insert(1 if ast.get_docstring(function) else 0, ast.parse(BANNED_CALL).body[0])
    return name, f"import torch\n\n{ast.unparse(function)}\n"


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_check_flag_a_banned_call_added_to_a_correct_function(assignment):
    name, source = banned_variant(assignment)
    assert_flagged(assignment, name, source, rules.ban_of(BANNED_CALL.split("(")[0]).why)


def assert_flagged(assignment: str, name: str, source: str, why: str) -> None:
    """check(name) passes the reference, then, once source redefines it, names the rule it breaks."""
    ns = session(assignment)
    define_reference(ns, assignment)
    assert "pass" in check_output(ns, name).splitlines()[0]
    run_cell(ns, source)
    out = check_output(ns, name)
    assert out.startswith(f"{name}   ") and "breaks the assignment's rules, so this part earns nothing: it " in out
    assert why in out


def test_does_check_name_the_line_and_the_helper_a_banned_call_comes_through():
    ns = session("mlp")
    define_reference(ns, "mlp")
    run_cell(ns, BANNED_DEFINITIONS["mlp"][1])
    out = check_output(ns, "softmax_cross_entropy_loss")
    # Named where the kernel ran it, as the grader names a notebook's cell and line.
    assert "it calls helper, which uses " in out and "softmax" in out and "(the cell run as In [3], line 4)" in out


def define_reference(ns: dict, assignment: str) -> None:
    run_cell(ns, ingest(KIT_LAYOUT.solution_file(assignment)).source)


# --- check() and the grader agree ---------------------------------------------------------------

def example_submissions() -> list[tuple[str, Path]]:
    found = [("linear_regression", p) for p in sorted((EXAMPLES / "linear_regression").iterdir())]
    for assignment in ASSIGNMENTS:
        found += [(assignment, KIT_LAYOUT.solution_file(assignment)), (assignment, KIT_LAYOUT.starter_file(assignment))]
    found += sorted((a, p) for a in ASSIGNMENTS for p in (EXAMPLES / a).glob("*") if (EXAMPLES / a).is_dir()
                    and a != "linear_regression")
    return found


def notebook_verdicts(assignment: str, path: Path) -> dict[str, list[tuple[str, Status]] | str]:
    """What check() finds for every part after a cell with the file's code (check.results, not its text)."""
    ns = session(assignment)
    for taken in ingest(path).statements:  # one cell each: a statement that fails leaves the others run
        try:
            run_cell(ns, "\n".join(taken.statement.lines))
        except Exception:
            pass
    parts = sys.modules["kitcheck"].public.load(ns["_PUBLIC_CASES"])["parts"]
    out: dict[str, list[tuple[str, Status]] | str] = {}
    for name, part in parts.items():
        try:
            check_output(ns, name)
        except NotImplementedError:
            out[name] = [(case["label"], Status.NOT_IMPLEMENTED) for case in part["cases"]]
            continue
        except NameError:
            out[name] = "missing"
            continue
        verdict = ns["check"].results[name]
        if verdict.problem and verdict.problem.startswith("no function named"):
            out[name] = "missing"
        else:  # kitcheck has its own Status class: compare by value
            out[name] = "rule broken" if verdict.status == Status.RULE_BROKEN else \
                [(c.label, Status(c.status.value)) for c in verdict.cases]
    return out


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment, path", example_submissions(), ids=lambda x: getattr(x, "name", x))
def test_does_check_give_each_public_case_the_graders_verdict(assignment, path, sandbox):
    graded = grade_submission(make_plan(load_assignment(KIT_LAYOUT, assignment), case_sets=("public",)), path, sandbox)
    expected = {}
    for part in graded.parts:
        if part.problem and part.problem.startswith("no function named"):
            expected[part.name] = "missing"
        elif part.status is Status.RULE_BROKEN:
            expected[part.name] = "rule broken"
        else:
            expected[part.name] = [(c.label, c.status) for c in part.cases]
    assert notebook_verdicts(assignment, path) == expected


# --- hidden details stay hidden, whatever the words ------------------------------------------

CANARY = "CANARY-7f3a"


def a_result_with_a_failed_hidden_case() -> SubmissionResult:
    public = CaseVerdict("float64 N=7 D=3", False, Status.WRONG_VALUE,
                         (Finding("dw", Status.WRONG_VALUE, "(atol 1e-08, rtol 1e-06)", 0.5, (1,), 1.5, 1.0),),
                         hints=("a public hint",))
    hidden = CaseVerdict(f"float32 N=1 {CANARY}", True, Status.ERROR,
                         message=f"raised ValueError: {CANARY}\n  case float64 N=7 D=3   forged visible line",
                         hints=(f"hint {CANARY}",))
    wrong = CaseVerdict("float64 N=40", True, Status.WRONG_VALUE,
                        (Finding(f"db {CANARY}", Status.WRONG_VALUE, "(atol 1e-08)", 1.0, (), 2.0, 1.0),))
    part = PartVerdict("cost_gradients", 4.0, 1.33, (public, hidden, wrong))
    return SubmissionResult(Path("s.py"), [part])


def reworded(monkeypatch) -> None:
    """Every line of the report in other words: case tags, headers, summaries and finding lines."""
    monkeypatch.setattr(report, "case_lines", lambda case: [f"* hidden case {case.label}: {case.status.value}"]
                        + [f"* {report.finding_text(f, True)}" for f in case.failures]
                        + [f"* {case.message}"] * bool(case.message) + [f"* tip {h}" for h in case.hints])
    monkeypatch.setattr(report, "header", lambda part, scored=True: f"== {part.name} ==")
    monkeypatch.setattr(report, "hidden_summary", lambda part: "  (some other cases ran too)")
    monkeypatch.setattr(report, "finding_text", lambda f, reveal: f"case {f.label} {f.message} {f.got}")


@pytest.mark.parametrize("words", ["as written", "reworded"])
def test_do_hidden_details_stay_hidden_whatever_the_words(words, monkeypatch, tmp_path):
    if words == "reworded":
        reworded(monkeypatch)
    result = a_result_with_a_failed_hidden_case()
    before = results_json(result)
    assert CANARY not in json.dumps(before)
    after = results_json(result, hidden_details=True)
    details = [t for t in after["tests"] if t["name"].endswith("(hidden case details)")]
    assert details and CANARY in json.dumps(details)
    assert CANARY not in json.dumps([t for t in after["tests"] if t not in details])
    from autograder.grading.feedback import feedback_html, feedback_markdown
    assert CANARY not in feedback_markdown(result) and CANARY not in feedback_html(result)
    assert CANARY in feedback_markdown(result, show_hidden=True)


def test_is_a_verdict_the_same_after_a_round_trip_through_its_record():
    part = a_result_with_a_failed_hidden_case().parts[0]
    assert PartVerdict.from_dict(json.loads(json.dumps(part.to_dict()))) == part


# --- cases on another device ------------------------------------------------------------------

class Elsewhere(torch.Tensor):
    """A CPU tensor that acts as if it lived on another device: an operation that mixes it with an
    ordinary tensor of one dimension or more raises, as CUDA does; .cpu() and .to("cpu") bring it
    back. Judging a case whose inputs and results live 'elsewhere' finds any judge that forgets to
    move one of them (the class of bug that crashed check("fit_direct") on Colab's GPUs)."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.Tensor.cpu or (func is torch.Tensor.to and _to_cpu(args, kwargs)):
            with torch._C.DisableTorchFunctionSubclass():
                out = func(*args, **kwargs)
                return out.as_subclass(torch.Tensor) if isinstance(out, Elsewhere) else out
        flat = tensors_in((list(args), kwargs))
        if any(isinstance(t, Elsewhere) for t in flat) and \
                any(type(t) is torch.Tensor and t.dim() > 0 for t in flat):
            raise RuntimeError(f"{getattr(func, '__name__', func)}: Expected all tensors to be on the same device")
        return super().__torch_function__(func, types, args, kwargs)


def _to_cpu(args, kwargs) -> bool:
    targets = [*args[1:], kwargs.get("device")]
    return any(t == "cpu" or (isinstance(t, torch.device) and t.type == "cpu") for t in targets)


def elsewhere(t: torch.Tensor) -> torch.Tensor:
    return t.as_subclass(Elsewhere)


def test_does_the_device_stand_in_refuse_to_mix_like_cuda():
    with pytest.raises(RuntimeError, match="same device"):
        elsewhere(torch.ones(2, 2)) @ torch.ones(2)
    assert type(elsewhere(torch.ones(2)).cpu()) is torch.Tensor
    assert type(elsewhere(torch.ones(2)) * 2) is Elsewhere


@pytest.mark.per_assignment
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_do_the_judges_keep_every_public_case_on_its_device(assignment):
    """Inputs, expected values and the correct results all 'elsewhere': every case passes, none crashes."""
    solution = load_module(KIT_LAYOUT.solution_file(assignment))
    data = load_assignment(KIT_LAYOUT, assignment).public_data
    for name, part in data["parts"].items():
        judge = judge_from_data(part["judge"])
        for case in part["cases"]:
            cpu_call = Call(*case["args"], **case["kwargs"])
            torch.manual_seed(0)
            result = _run_solution(part["driver"], solution, cpu_call)
            call = moved(Call(*case["args"], **case["kwargs"]).with_extra(**case["extra"]), elsewhere)
            expected = map_tensors(case["expected"], elsewhere)
            verdict = run_here(name, {"kind": "call", "function": "returns"}, judge, case["label"], False, call,
                               expected, Tolerance(*case["tol"]),
                               [MistakeOutput(h, lambda o=o: map_tensors(o, elsewhere)) for h, o in case["mistakes"]],
                               lambda _: (lambda *a, **k: map_tensors(result, elsewhere)))
            assert verdict.passed, (name, case["label"], report.case_lines(verdict))


def _run_solution(driver: dict, solution, call: Call):
    from autograder.checks.drivers import run_driver
    from autograder.checks.values import fresh
    return run_driver(driver, lambda fn: getattr(solution, fn), fresh(call))


# --- one table of banned calls; the device table ----------------------------------------------

def test_does_one_table_feed_the_scan_the_tripwires_and_the_docs():
    from autograder.release.rules_doc import rules_markdown
    from autograder.sandbox import tripwires
    labels = [label for _, _, label in tripwires._targets()]
    for ban in rules.BANNED:
        assert f"`{ban.name}" in rules_markdown() or f"`.{ban.name}`" in rules_markdown(), ban
        if not ban.wired:
            continue
        wired = f"Tensor.{ban.name}()" if ban.kind == "method" else ban.name
        assert any(label == wired or label.startswith(wired + ".") for label in labels), ban
    assert (ROOT / "docs" / "rules.md").read_text() == rules_markdown()


def test_does_the_device_table_run_every_part_on_the_cpu(capsys):
    from autograder.validate_device import device_table
    assert device_table([load_assignment(KIT_LAYOUT, "linear_regression")], "cpu", notebooks=False)
    out = capsys.readouterr().out
    cases = sum(len(p["cases"])
                for p in load_assignment(KIT_LAYOUT, "linear_regression").public_data["parts"].values())
    assert re.search(rf"^linear_regression +skipped +6/6 parts, {cases} cases +17/17$", out, re.M) and "all ok" in out


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
@pytest.mark.parametrize("command", [["validate", "--device", "cuda"], ["grade", "linear_regression", "examples",
                                                                          "--out", "OUT", "--device", "cuda"]])
def test_is_cuda_without_a_gpu_one_clear_line(command, tmp_path):
    import subprocess
    command = [tmp_path / "out" if c == "OUT" else (ROOT / c if c == "examples" else c) for c in command]
    proc = subprocess.run([sys.executable, "-m", "autograder", *map(str, command)], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 2 and "no CUDA device is available on this machine" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_is_a_tensor_where_a_python_value_is_expected_a_wrong_value_not_a_crash():
    from autograder.checks.compare import Tolerance, compare, matches
    tol = Tolerance(1e-8, 1e-6)
    (finding, _, _), = compare(torch.ones(3), 3, tol, None, "result")
    assert finding.status is Status.WRONG_VALUE and not matches(torch.ones(3), 3, tol)


def test_is_a_case_without_tensor_inputs_run_once_on_the_cpu_whatever_the_devices():
    """init_mlp and xor_network take no tensors: their contract is the CPU, so check()'s second run (on CUDA
    with a GPU; here on the device stand-in) leaves their cases out, and a run on one device alone runs them as given."""
    from autograder.checks import public
    data = load_assignment(KIT_LAYOUT, "mlp").public_data
    loaded = public.load_file(KIT_LAYOUT.solution_file("mlp"), public.graded_functions(data["parts"]))
    for name in ("init_mlp", "xor_network", "linear_forward"):
        verdict = public.run_part(name, data["parts"][name], loaded, [("", None), (" elsewhere", elsewhere)])
        labels = [c.label for c in verdict.cases]
        assert any(label.endswith(" elsewhere") for label in labels) == (name == "linear_forward"), labels
        assert verdict.problem is None and all(c.passed for c in verdict.cases), labels
    alone = public.run_part("init_mlp", data["parts"]["init_mlp"], loaded, [(" elsewhere", elsewhere)])
    assert [c.label for c in alone.cases] == [c["label"] for c in data["parts"]["init_mlp"]["cases"]]
    assert all(c.passed for c in alone.cases)


def test_does_check_in_colab_compare_what_ran_with_the_notebooks_current_cells(monkeypatch):
    """Colab's front end hands the kernel the notebook as it is in the editor (get_ipynb): a cell edited and
    not run again is named; the cell as run raises no warning."""
    import types
    ns = session("linear_regression")
    define_reference(ns, "linear_regression")
    ran = "def predict(X, w, b):\n    return X @ w + b\n"
    run_cell(ns, ran)
    editor = {"cells": [{"cell_type": "markdown", "source": "# Linear regression"},
                        {"cell_type": "code", "source": ["def predict(X, w, b):\n", "    return X @ w\n"]}]}
    message = types.SimpleNamespace(blocking_request=lambda kind, request, timeout_sec: {"ipynb": editor})
    colab = types.ModuleType("google.colab")
    colab._message = message
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    first, *rest = check_output(ns, "predict").splitlines()
    assert first == ("warning: cell 2 of the notebook defines predict differently from what you ran last - edited "
                     "and not run again? The grader takes the notebook's text: run that cell, then check again")
    assert rest == ["predict: all 2 public cases pass. The grader also runs hidden cases."]
    editor["cells"][1]["source"] = ran
    assert not check_output(ns, "predict").startswith("warning")


def test_does_check_run_on_the_cpu_whatever_default_device_the_notebook_set():
    ns = session("linear_regression")
    define_reference(ns, "linear_regression")
    run_cell(ns, "def predict(X, w, b):\n    return X @ w + b + torch.zeros(X.shape[0], dtype=X.dtype)\n")
    run_cell(ns, "torch.set_default_device('meta')")  # an experiment's choice: tensors made without a device go there
    try:
        out = check_output(ns, "predict")
        assert torch.get_default_device().type == "meta"  # the notebook's own setting, restored
    finally:
        torch.set_default_device(None)
    assert out == "predict: all 2 public cases pass. The grader also runs hidden cases.\n"
