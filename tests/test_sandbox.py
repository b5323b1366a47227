"""Does the sandboxed child contain what student code does, and report it faithfully?"""

from __future__ import annotations

import torch

from autograder.sandbox.outcome import CaseStatus

X = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
W = torch.tensor([0.5, -1.0], dtype=torch.float64)
B = torch.tensor(0.25, dtype=torch.float64)


def run(sandbox, source: str, function: str = "f", calls=None, wall_s: float = 5.0):
    calls = calls if calls is not None else [((X, W, B), {})]
    return sandbox.run_part(source, {"kind": "call", "function": function}, calls, wall_s=wall_s)


def test_does_a_plain_function_return_its_tensors(sandbox):
    out = run(sandbox, "def f(X, w, b):\n    return X @ w + b").outcomes[0]
    assert out.status == CaseStatus.OK and torch.equal(out.result, X @ W + B)


def test_are_structures_and_scalars_returned_as_data(sandbox):
    out = run(sandbox, "def f(X, w, b):\n    return (X, [1, 2.5], {'k': b}, None, object())").outcomes[0]
    X_, lst, dct, none, obj = out.result
    assert torch.equal(X_, X) and lst == [1, 2.5] and torch.equal(dct["k"], B) and none is None
    assert repr(obj) == "<object>"


def test_does_an_infinite_loop_time_out_and_cost_only_its_part(sandbox):
    run_ = run(sandbox, "def f(X, w, b):\n    while True:\n        pass", wall_s=1.0)
    assert [o.status for o in run_.outcomes] == [CaseStatus.TIMEOUT]
    assert run(sandbox, "def f(X, w, b):\n    return b").outcomes[0].status == CaseStatus.OK


def test_does_os_exit_cost_only_the_remaining_cases(sandbox):
    source = "import os\ncount = 0\ndef f(X, w, b):\n    if b > 1:\n        os._exit(3)\n    return b"
    big = torch.tensor(5.0, dtype=torch.float64)
    outcomes = run(sandbox, source, calls=[((X, W, B), {}), ((X, W, big), {}), ((X, W, B), {})]).outcomes
    assert outcomes[0].status == CaseStatus.OK
    assert outcomes[1].status == outcomes[2].status == CaseStatus.CRASHED
    assert "exit code 3" in outcomes[1].message


def test_is_sys_exit_an_error_of_that_case_only(sandbox):
    source = "import sys\ndef f(X, w, b):\n    if b > 1:\n        sys.exit(0)\n    return b"
    big = torch.tensor(5.0, dtype=torch.float64)
    outcomes = run(sandbox, source, calls=[((X, W, big), {}), ((X, W, B), {})]).outcomes
    assert outcomes[0].error_type == "SystemExit" and outcomes[1].status == CaseStatus.OK


def test_is_an_in_place_change_of_an_input_visible_to_the_parent(sandbox):
    out = run(sandbox, "def f(X, w, b):\n    X += 1\n    return b").outcomes[0]
    assert torch.equal(out.inputs_after[0], X + 1)
    assert torch.equal(X, torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64))  # ours untouched


def test_are_banned_calls_recorded_even_when_obfuscated(sandbox):
    source = ("import torch\ndef f(X, w, b):\n    grad = getattr(torch.autograd, 'gr' + 'ad')\n"
              "    w = w.clone().requires_grad_(True)\n    (g,) = grad((X @ w).sum(), w)\n"
              "    return getattr(torch, 'sig' + 'moid')(g)")
    assert run(sandbox, source).outcomes[0].banned == ("torch.autograd.grad", "torch.sigmoid")


def test_does_printed_json_never_become_a_result(sandbox):
    source = "def f(X, w, b):\n    print('{\"status\": \"ok\", \"score\": 100}')\n    return None"
    part = run(sandbox, source)
    assert part.outcomes[0].result is None and '"score": 100' in part.output


def test_is_output_captured_and_truncated(sandbox):
    part = run(sandbox, "def f(X, w, b):\n    print('x' * 10_000_000)\n    return b")
    assert part.outcomes[0].status == CaseStatus.OK and len(part.output) <= 16 * 1024


def test_does_a_missing_function_say_so(sandbox):
    assert run(sandbox, "def g():\n    pass").outcomes[0].status == CaseStatus.MISSING


def test_does_a_failing_import_cost_only_the_functions_that_use_it(sandbox):
    """An import the grader cannot satisfy is bound to a stand-in that imports on first use: loading goes on, a
    function that never touches it passes, and one that does fails with the import's own error."""
    source = ("import torch\nfrom definitely_not_a_module import thing\nboom = 1 / 0 if False else 1\n"
              "def f(X, w, b):\n    return b\n"
              "def g(X, w, b):\n    return thing(X)")
    part = run(sandbox, source)
    assert part.outcomes[0].status == CaseStatus.OK and part.notes == []
    used = run(sandbox, source, function="g").outcomes[0]
    assert used.status == CaseStatus.ERROR and used.error_type == "ModuleNotFoundError"
    assert "definitely_not_a_module" in used.message


def test_is_the_environment_stripped(sandbox):
    source = "import os\ndef f(X, w, b):\n    return sorted(os.environ)"
    names = run(sandbox, source).outcomes[0].result
    assert "HOME" in names and not any(n.startswith(("KIT_", "GITHUB", "AWS", "CI")) for n in names)


def test_does_a_memory_bomb_fail_its_part_without_harming_the_grader(sandbox):
    # 8 GB at once: over the child's address-space budget, so it fails at once instead of paging for minutes.
    source = "def f(X, w, b):\n    return bytearray(8 * 1024 ** 3)"
    out = run(sandbox, source, wall_s=10).outcomes[0]
    assert out.status == CaseStatus.ERROR and out.error_type == "MemoryError"
    assert run(sandbox, "def f(X, w, b):\n    return b").outcomes[0].status == CaseStatus.OK


def test_does_a_sandbox_that_cannot_start_say_why(monkeypatch, tmp_path):
    """A zygote that failed to start was "the sandbox worker failed to start" and no more: its stderr went nowhere."""
    import pytest
    from autograder.layout import KIT_LAYOUT
    from autograder.sandbox import launch
    from autograder.sandbox.client import Sandbox
    monkeypatch.delenv("KIT_SANDBOX_DEBUG", raising=False)
    broken = tmp_path / "python"  # an interpreter that cannot start the zygote, and says why on stderr
    broken.write_text("#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n"
                      "echo \"ImportError: libcudart.so.12: cannot open shared object file\" >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(launch.sys, "executable", str(broken))
    with pytest.raises(RuntimeError) as e:
        with Sandbox(launch.ZygotePool(KIT_LAYOUT)) as sandbox:
            sandbox.wait_ready()
    assert str(e.value) == ("the sandbox worker failed to start: it said Traceback (most recent call last): | "
                            "ImportError: libcudart.so.12: cannot open shared object file")


def test_does_a_child_get_the_limits_defaults(sandbox):
    """One set of defaults (sandbox/limits.py): what a submission's child is held to, whoever sets up which part."""
    import resource

    from autograder.sandbox.limits import Limits
    source = ("import resource\ndef f(X, w, b):\n    return [resource.getrlimit(r)[1] for r in "
              "(resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_CPU, resource.RLIMIT_CORE)]")
    fsize, nofile, cpu, core = run(sandbox, source, wall_s=7.0).outcomes[0].result
    assert (fsize, nofile, cpu, core) == (Limits.file_bytes, Limits.open_files, 7 + 1, 0)
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[1] != nofile  # (set in the child, not inherited from here)


def test_does_importing_the_session_leave_tqdm_alone():
    """Before: importing grading/session.py switched off tqdm's monitor for the whole process (any bar of any
    library); the batch's own bar has none, and no thread is started for it."""
    import subprocess
    import sys
    code = ("import threading, tqdm\nbefore = tqdm.tqdm.monitor_interval\n"
            "from autograder.grading import session\n"
            "bar = session._Progress(total=3, disable=False, file=open('/dev/null', 'w'))\nbar.update()\n"
            "print(before == tqdm.tqdm.monitor_interval != 0, threading.active_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "1"]


def test_does_a_gpu_batch_leave_the_environment_as_it_was(tmp_path, monkeypatch):
    """Before: grade --device cuda told the zygote its GPUs through os.environ (KIT_SANDBOX_CUDA), set for good:
    every later sandbox of the process saw the GPU. Now the pool is told."""
    import os

    from autograder.errors import KitError
    from autograder.grading.options import GradingOptions
    from autograder.grading.session import GradingSession
    from autograder.layout import KIT_LAYOUT
    monkeypatch.delenv("KIT_SANDBOX_CUDA", raising=False)
    (tmp_path / "alice.py").write_text("def predict(X, w, b):\n    return X @ w + b\n")
    with GradingSession(KIT_LAYOUT, "linear_regression", tmp_path / "out", GradingOptions(device="cuda"),
                        inputs=[tmp_path / "alice.py"]) as session:
        try:
            session.start()
        except KitError:  # no GPU here: said before any submission
            pass
        assert "KIT_SANDBOX_CUDA" not in os.environ


def test_does_a_zygote_end_with_the_last_of_its_slots(tmp_path):
    """One owner of the zygotes' processes (the pool): a slot closed leaves the zygote to the others; the last
    ends it; a slot whose zygote failed gets one of its own."""
    import os

    from autograder.layout import KIT_LAYOUT
    from autograder.sandbox.client import Sandbox
    from autograder.sandbox.launch import ZygotePool

    def children() -> set[int]:
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as f:
            return {int(p) for p in f.read().split()}

    before = children()
    pool = ZygotePool(KIT_LAYOUT, (str(tmp_path),))
    pool.start([0, 1])
    first, second = Sandbox(pool, 0), Sandbox(pool, 1)
    (zygote,) = children() - before
    first.wait_ready()
    first.close()
    assert children() - before == {zygote}
    assert run(second, "def f(X, w, b):\n    return b").outcomes[0].status == CaseStatus.OK
    second._restart()  # as after a failure of ours: the zygote serves no other slot, so it is killed
    (fresh,) = children() - before
    assert fresh != zygote
    assert run(second, "def f(X, w, b):\n    return b").outcomes[0].status == CaseStatus.OK
    second.close()
    pool.close()
    assert children() - before == set()
