"""What the notebook's kernel has run, what the notebook holds now, and where the two may disagree.

check() takes the cells the kernel executed, in the order it executed them (IPython's input
history), exactly as the grader takes a notebook's cells. The grader takes them in the
notebook's order, from the notebook's current text; where those can differ for a function being
checked (or a global it uses), check() says so before its report. Where the notebook's current
text can be read (in Colab from the front end, in Jupyter from the file named by
JPY_SESSION_NAME, in VS Code from __vsc_ipynb_file__: as last saved), it is compared with what
ran: a cell edited and not run again, a name whose last definition in the notebook is not the
one that ran last. Elsewhere: a name defined differently by two different cells, told apart by
the cell ids the front end sends (JupyterLab, Notebook 7, VS Code; IPython 8 or later); a cell
edited and run again is one cell, and without ids nothing is said rather than a false alarm.
Standard library only: the setup cell ships this module.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any

from .taking import NOTEBOOK, Ingested, SourceProblem, cells_of, take_cells

MAX_LISTED_RUNS = 3  # In [n] numbers named in one warning


def shell_of(namespace: dict[str, Any]) -> Any | None:
    """The IPython shell running the notebook (None in plain Python, or where it keeps no input history)."""
    get = namespace.get("get_ipython")
    if not callable(get):
        ipython = sys.modules.get("IPython")
        get = getattr(ipython, "get_ipython", None)
    try:
        shell = get() if callable(get) else None
    except Exception:
        return None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    return shell if isinstance(history, list) else None


def executed_cells(shell: Any) -> list[tuple[str, int, str, list[str]]]:
    """Every cell the kernel ran, in the order it ran them, numbered as IPython numbers them (In [n])."""
    history = shell.history_manager.input_hist_raw
    return [("code", n, text, []) for n, text in enumerate(history) if n and isinstance(text, str) and text]


def track_cells(shell: Any) -> None:
    """From now on, note which notebook cell each run came from (the front end's cell id, where it sends one:
    JupyterLab, Notebook 7, VS Code with IPython 8 or later), so that a cell run again after an edit is not
    mistaken for a second cell defining the same function. Running the setup cell again keeps what was noted."""
    events = getattr(shell, "events", None)
    if events is None:
        return
    ids = getattr(shell, "_kit_cell_ids", None)
    if not isinstance(ids, dict):
        ids = {}
    previous = getattr(shell, "_kit_pre_run_cell", None)
    if previous is not None:
        try:
            events.unregister("pre_run_cell", previous)
        except (ValueError, KeyError):
            pass

    def note_cell(info: Any = None) -> None:
        cell_id = getattr(info, "cell_id", None)
        if isinstance(cell_id, str) and cell_id:
            manager = shell.history_manager
            ids[(getattr(manager, "session_number", 0), len(manager.input_hist_raw))] = cell_id

    try:
        events.register("pre_run_cell", note_cell)
        shell._kit_cell_ids, shell._kit_pre_run_cell = ids, note_cell
    except Exception:  # an IPython without this event: cells are simply not told apart
        pass


def cell_ids(shell: Any) -> dict[int, str]:
    """In [n] -> the id of the notebook cell that ran as In [n], where known."""
    ids = getattr(shell, "_kit_cell_ids", None)
    if not isinstance(ids, dict):
        return {}
    session = getattr(shell.history_manager, "session_number", 0)
    return {n: cell_id for (s, n), cell_id in ids.items() if s == session}


# --- the notebook as it is now ------------------------------------------------------------------

# A cache in the student's kernel: a saved notebook is read again only when it changed.
_FILE_CACHE: dict[str, tuple[tuple[int, int], Ingested | None]] = {}


def current_notebook(live: dict[str, Any] | None = None) -> tuple[Ingested, str] | None:
    """The notebook's current cells, taken as the grader takes them, and how to name it; None if unseen.

    Colab hands over what is in its editor; elsewhere the file is read as last saved: the one named by
    JPY_SESSION_NAME (Jupyter) or by the global __vsc_ipynb_file__ (VS Code)."""
    colab = sys.modules.get("google.colab")
    if colab is not None:
        return _colab_notebook()
    names = [os.environ.get("JPY_SESSION_NAME"), (live or {}).get("__vsc_ipynb_file__")]
    for name in names:
        if isinstance(name, str) and name.endswith(".ipynb"):
            for candidate in (name, os.path.join(os.getcwd(), os.path.basename(name))):
                if os.path.isfile(candidate):
                    return _saved_notebook(candidate)
    return None


_COLAB_FAILED: list[bool] = []  # in the student's kernel: once Colab's front end did not answer, never ask again


def _colab_notebook() -> tuple[Ingested, str] | None:
    if _COLAB_FAILED:  # once the front end did not answer, do not wait for it at every check
        return None
    try:
        from google.colab import _message
        nb = _message.blocking_request("get_ipynb", request="", timeout_sec=5)["ipynb"]
        return take_cells(cells_of(nb), NOTEBOOK, require_definitions=False, cache=True), "the notebook"
    except Exception:
        _COLAB_FAILED.append(True)
        return None


def _saved_notebook(path: str) -> tuple[Ingested, str] | None:
    try:
        stat = os.stat(path)
        key = (stat.st_mtime_ns, stat.st_size)
        cached = _FILE_CACHE.get(path)
        if cached is None or cached[0] != key:
            with open(path, encoding="utf-8-sig") as f:
                nb = json.load(f)
            _FILE_CACHE.clear()
            _FILE_CACHE[path] = (key, take_cells(cells_of(nb), NOTEBOOK, require_definitions=False, cache=True))
        taken = _FILE_CACHE[path][1]
    except (OSError, ValueError, SourceProblem, RecursionError):
        return None
    return (taken, "the notebook as last saved") if taken is not None else None


# --- where the kernel and the grader may disagree -----------------------------------------------

def _definitions(taken: Ingested) -> dict[str, list[tuple[int | None, str]]]:
    """name -> (cell, text) of every taken statement that defines or assigns it, in order (imports left out)."""
    found: dict[str, list[tuple[int | None, str]]] = {}
    for t in taken.statements:
        names = ([t.statement.defines] if t.statement.defines else []) + list(t.statement.assigns)
        for name in names:
            found.setdefault(name, []).append((t.cell, t.statement.text))
    return found


def _relevant(taken: Ingested, functions: list[str]) -> list[str]:
    """The functions and every global they use, through the definitions the kernel ran last."""
    last = {}
    for t in taken.statements:
        for name in ([t.statement.defines] if t.statement.defines else []) + list(t.statement.assigns):
            last[name] = t.statement
    order, todo = [], list(functions)
    while todo:
        name = todo.pop(0)
        if name in order or name not in last:
            continue
        order.append(name)
        todo += sorted(last[name].uses - set(order))
    return order


def _runs(cells: list[int | None]) -> str:
    shown = [f"In [{c}]" for c in cells[-MAX_LISTED_RUNS:]]
    return ("..., " if len(cells) > MAX_LISTED_RUNS else "") + ", ".join(shown[:-1]) + f" and {shown[-1]}"


def order_warnings(kernel: Ingested, functions: list[str], notebook: tuple[Ingested, str] | None,
                   ids: dict[int, str] | None = None) -> list[str]:
    """One line per place where the grader's view (the notebook's cells, in order) may differ from the kernel's.

    With the notebook's current cells: a cell whose definition was never run as it reads now (or, where
    one cell defines the name, differs from what ran last), and a name defined by several cells whose
    last in the notebook is not what ran last. Without them: a name defined differently by two cells
    the kernel ran, where the front end's cell ids tell the cells apart (ids: In [n] -> cell id)."""
    ran = _definitions(kernel)
    warnings = []
    now, label = (_definitions(notebook[0]), notebook[1]) if notebook is not None else (None, "")
    for name in _relevant(kernel, functions):
        what = "function" if name in functions else "global"
        last_ran = ran[name][-1]
        if now is None:
            by_cell: dict[str, tuple[int | None, str]] = {}
            for run, text in ran[name]:
                cell_id = (ids or {}).get(run) if run is not None else None
                if cell_id is not None:
                    by_cell.pop(cell_id, None)
                    by_cell[cell_id] = (run, text)
            if len({text for _, text in by_cell.values()}) > 1:
                runs = [run for run, _ in by_cell.values()]
                warnings.append(f"{name} is defined differently by more than one cell you ran ({_runs(runs)}); "
                                f"the grader takes the one that comes last in the notebook, which may not be the "
                                f"one you ran last (In [{last_ran[0]}]) - keep one cell that defines {name}")
            continue
        saved = label != "the notebook"
        defined_now = now.get(name, [])
        if not defined_now:
            if name in functions:
                warnings.append(f"{label} has no cell that defines {name} (you ran it as In [{last_ran[0]}]), "
                                "so the grader will not find it")
            continue
        texts = {text for _, text in ran[name]}
        cells = list(dict.fromkeys(cell for cell, _ in defined_now))
        edited = [cell for cell, text in defined_now if text not in texts]
        if len(cells) == 1 and defined_now[-1][1] != last_ran[1]:
            edited = cells
        for cell in dict.fromkeys(edited):
            if saved:
                warnings.append(f"cell {cell} of {label} defines {name} differently from what you ran last - "
                                "edited and not run again, or not saved since? The grader reads the notebook as "
                                "saved: run that cell, save, then check again")
            else:
                warnings.append(f"cell {cell} of {label} defines {name} differently from what you ran last - "
                                "edited and not run again? The grader takes the notebook's text: run that cell, "
                                "then check again")
        if not edited and len(cells) > 1 and defined_now[-1][1] != last_ran[1]:
            listed = ", ".join(str(c) for c in cells[:-1]) + f" and {cells[-1]}"
            warnings.append(f"{name} is defined in cells {listed} of {label}; the grader takes the last of them "
                            f"(cell {defined_now[-1][0]}), which is not the {what} you ran last")
    return warnings
