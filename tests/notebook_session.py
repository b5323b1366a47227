"""A notebook session in a test, two ways.

In this process (session, run_cell, check_output): the committed notebook's setup cell run as Colab
runs it, and each cell executed in the notebook's globals and recorded in an input history the way
IPython records it, under a stand-in for IPython's shell that offers what check() reads
(``get_ipython().history_manager.input_hist_raw``). Fast: most tests of check() use it.

In a real Jupyter kernel (Kernel): cells sent to an IPython kernel through jupyter_client, as Colab
and Jupyter send them; what check() sees there is IPython's own history. One kernel serves many
tests (``reset`` starts a new IPython session in it: empty history and globals, modules still imported).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import linecache
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from autograder.layout import KIT_LAYOUT

_CELLS = itertools.count(1)


def setup_cell(assignment: str) -> str:
    nb = json.loads(KIT_LAYOUT.notebook_file(assignment).read_text())
    return next("".join(c["source"]) for c in nb["cells"] if "".join(c["source"]).startswith("#@title Setup"))


class Shell:
    """What check() reads of IPython's shell: the input history (In [0] is empty, In [n] the n-th cell run)."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.history_manager = SimpleNamespace(input_hist_raw=[""])
        self.user_ns = namespace
        namespace["get_ipython"] = lambda: self

    def run_cell(self, source: str) -> None:
        self.history_manager.input_hist_raw.append(source.rstrip("\n"))  # as IPython stores it
        _exec(self.user_ns, source)


def _exec(namespace: dict[str, Any], source: str) -> None:
    """exec a cell under a file name that linecache knows, as IPython does."""
    filename = f"<notebook-cell-{next(_CELLS)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)


def run_cell(namespace: dict[str, Any], source: str) -> None:
    """Run a cell in a session (recorded in its history); in a bare namespace, only exec it."""
    shell = namespace.get("get_ipython")
    if callable(shell) and isinstance(shell(), Shell):
        shell().run_cell(source)
    else:
        _exec(namespace, source)


_WORKDIR = tempfile.mkdtemp(prefix="kit-notebook-")  # where setup cells write kitcheck/, as in a student's folder


def session(assignment: str) -> dict[str, Any]:
    """A fresh notebook session of assignment with its setup cell run: its globals."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    Shell(namespace)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.chdir(_WORKDIR):
        run_cell(namespace, setup_cell(assignment))
    return namespace


def check_output(namespace: dict[str, Any], name: str) -> str:
    """What running a cell ``check(name)`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run_cell(namespace, f"check({name!r})")
    return out.getvalue()


def define_file(namespace: dict[str, Any], path: Path) -> None:
    run_cell(namespace, path.read_text())


# --- a real Jupyter kernel ------------------------------------------------------------------------------

class CellError(Exception):
    """A cell raised in the kernel: ename, evalue."""

    def __init__(self, ename: str, evalue: str, traceback: list[str]) -> None:
        super().__init__(f"{ename}: {evalue}")
        self.ename, self.evalue, self.traceback = ename, evalue, traceback


class Kernel:
    """An IPython kernel of this interpreter, started in a temporary folder with no GPU in sight."""

    def __init__(self, timeout: float = 300) -> None:
        from jupyter_client.manager import start_new_kernel
        self.cwd = tempfile.mkdtemp(prefix="kit-kernel-")
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": ""}
        env.pop("JPY_SESSION_NAME", None)
        self.timeout = timeout
        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=self.cwd, env=env,
                                                     startup_timeout=120,
                                                     extra_arguments=["--HistoryManager.hist_file=:memory:"])

    def run(self, source: str, cell_id: str | None = None) -> str:
        """Run one cell as a notebook runs it; what it printed (stdout and displayed text). CellError if it raised.

        cell_id: the notebook cell's id, sent as JupyterLab and VS Code send it (IPython 8 passes it on)."""
        content = {"code": source, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        msg = self.client.session.msg("execute_request", content, metadata={"cellId": cell_id} if cell_id else {})
        self.client.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        out: list[str] = []
        error: list[CellError] = []
        while True:
            reply = self.client.get_iopub_msg(timeout=self.timeout)
            if reply["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = reply["header"]["msg_type"], reply["content"]
            if kind == "stream":
                out.append(body["text"])
            elif kind in ("execute_result", "display_data"):
                out.append(body["data"].get("text/plain", "") + "\n")
            elif kind == "error":
                error.append(CellError(body["ename"], body["evalue"], body["traceback"]))
            elif kind == "status" and body["execution_state"] == "idle":
                break
        while self.client.get_shell_msg(timeout=self.timeout)["parent_header"].get("msg_id") != msg_id:
            pass
        if error:
            raise error[0]
        return "".join(out)

    def reset(self) -> None:
        """A new IPython session in the same kernel: no history, no globals (imported modules stay loaded).
        Sent silently, so the next cell runs as In [1], as in a fresh kernel."""
        msg_id = self.client.execute("get_ipython().reset(new_session=True)", silent=True)
        while self.client.get_shell_msg(timeout=self.timeout)["parent_header"].get("msg_id") != msg_id:
            pass

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.stop_channels()
        with contextlib.suppress(Exception):
            self.manager.shutdown_kernel(now=True)

